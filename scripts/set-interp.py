#!/usr/bin/env python3
"""set-interp.py IN OUT PATH: copies the ELF32 file IN to OUT with its PT_INTERP naming PATH.

PATH must fit the segment's bytes (it is NUL-padded to their end); with --unterminated
the segment is filled with PATH's characters and holds no NUL at all. For the tests of
execve with broken interpreters."""
import struct
import sys

PT_INTERP = 3


def main():
    args = [a for a in sys.argv[1:] if a != "--unterminated"]
    unterminated = len(args) != len(sys.argv) - 1
    src, dst, path = args
    data = bytearray(open(src, "rb").read())
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    for i in range(phnum):
        kind, offset, _, _, filesz = struct.unpack_from("<IIIII", data, phoff + i * phentsize)
        if kind != PT_INTERP:
            continue
        name = path.encode()
        if unterminated:
            name = (name * filesz)[:filesz]
        elif len(name) + 1 > filesz:
            sys.exit(f"{path} does not fit PT_INTERP's {filesz} bytes")
        data[offset:offset + filesz] = name.ljust(filesz, b"\0")
        open(dst, "wb").write(data)
        return
    sys.exit(f"{src} has no PT_INTERP")


main()
