#!/usr/bin/env python3
"""stretch-bss.py IN OUT END: copies the ELF32 file IN to OUT with its last PT_LOAD's
memory size made to reach address END (hex), a bss of that size.

For the test of an execve that fails after the point of no return: the image passes the
header checks but has no room beside the stack."""
import struct
import sys

PT_LOAD = 1


def main():
    src, dst, end = sys.argv[1:]
    end = int(end, 16)
    data = bytearray(open(src, "rb").read())
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    last = None
    for i in range(phnum):
        if struct.unpack_from("<I", data, phoff + i * phentsize)[0] == PT_LOAD:
            last = phoff + i * phentsize
    if last is None:
        sys.exit(f"{src}: no PT_LOAD segment")
    vaddr, = struct.unpack_from("<I", data, last + 8)
    if end <= vaddr:
        sys.exit(f"{src}: the last segment starts at {vaddr:#x}, above {end:#x}")
    struct.pack_into("<I", data, last + 20, end - vaddr)        # p_memsz
    open(dst, "wb").write(data)


if __name__ == "__main__":
    main()
