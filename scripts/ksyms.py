#!/usr/bin/env python3
"""Turn `nm -n -C` output of the first kernel link into the .ksyms section (assembly).

Only text symbols are kept: backtraces need function names. With no input file the table
is empty, which is what the first link uses.
"""
import sys


def main():
    symbols = []
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            for line in f:
                parts = line.rstrip("\n").split(" ", 2)
                if len(parts) == 3 and parts[1] in ("t", "T", "W", "w"):
                    symbols.append((int(parts[0], 16), parts[2]))
    symbols.sort()

    out = [".section .ksyms, \"a\"", ".align 4",
           ".globl ksyms_count, ksyms_addresses, ksyms_name_offsets, ksyms_names",
           f"ksyms_count: .long {len(symbols)}", "ksyms_addresses:"]
    out += [f"    .long {addr:#x}" for addr, _ in symbols]
    out.append("ksyms_name_offsets:")
    offset = 0
    for _, name in symbols:
        out.append(f"    .long {offset}")
        offset += len(name.encode()) + 1
    out.append("ksyms_names:")
    for _, name in symbols:
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f'    .asciz "{escaped}"')
    print("\n".join(out))


if __name__ == "__main__":
    main()
