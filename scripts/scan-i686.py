#!/usr/bin/env python3
"""Lists the instructions newer than the 486 in every ELF program of an initrd tree, and
says for each why it is safe on a 486 or a Pentium (docs/old-cpus.md).

    scripts/scan-i686.py [--markdown] [TREE]      (default TREE: build/rootfs-tests)

Disassembles with the cross toolchain's objdump. The initrd's programs are stripped; their
unstripped twins in build/user/root (the same code) name the function around each
instruction. Every instruction found falls in one class:

  emulated   the kernel's invalid-opcode trap carries it out (arch/i386/insn_emulate.cpp)
  same       behaves the same on a 486 (TZCNT on a non-zero operand is BSF; UD2 traps)
  gated      in a function glibc runs only when CPUID reports the feature
  cpuid      CPUID itself: every Pentium and every 486 since 1992 has it (not emulated)

Debian's shared libraries (ld-linux.so.2, libc.so.6) come stripped of their local symbols,
so their functions have no names to go by. There a function is known by its frame
description (.eh_frame), and the functions that glibc's IFUNC resolvers choose from (the
exported IFUNC symbols and the R_386_IRELATIVE relocations name the resolvers; each
resolver's PC-relative LEAs name its candidates) are gated, as the named variants of the
static programs are: the resolver picks them from CPUID's bits.

Anything else is unexplained: it is printed and the exit status is 1.
"""
import bisect
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OBJDUMP = os.environ.get("CROSS", "i686-linux-gnu-") + "objdump"
UNSTRIPPED = ROOT / "build" / "user" / "root"

EMULATED = re.compile(r"^(cmov[a-z]+|fcmovn?(b|e|be|u)|f(u)?comip?|nop[lw]|prefetch(nta|t0|t1|t2)|rdtsc)$")
# Newer than the 486 without touching vector registers (those are caught by operand).
NEWER = re.compile(r"^(cmov[a-z]+|fcmovn?(b|e|be|u)|f(u)?comip?|nop[lw]|prefetch[a-z0-9]*|cpuid|"
                   r"rdtscp?|rdpmc|rdmsr|wrmsr|cmpxchg8b|sysenter|sysexit|ud2|fxsave|fxrstor|"
                   r"ldmxcsr|stmxcsr|[slm]fence|clflush(opt)?|movnti|movbe|popcnt|lzcnt|tzcnt|"
                   r"crc32[bwl]?|xgetbv|xsave[a-z]*|xrstor[a-z]*|xbegin|xend|xabort|xtest|"
                   r"rdrand|rdseed|endbr32|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|"
                   r"sarx|shlx|shrx|adcx|adox|emms|fisttp[sl]?l?)$")
VECTOR_OPERAND = re.compile(r"%(x|y|z)?mm[0-9]|%k[0-7]")
# glibc's CPU-dispatched variants (ifunc), chosen from CPUID bits at startup, its lock
# elision (used only when CPUID reports RTM), and its CPU probing, which reads XCR0 with
# XGETBV only when CPUID reports OSXSAVE.
GATED_FUNCTION = re.compile(r"(sse|avx|evex|ssse3|_rtm|elision|^ifunc-variant@)", re.I)
GATED_PROBE = {("xgetbv", "update_active.constprop.0"), ("xgetbv", "__libc_start_main")}
# The same code in Debian's stripped libraries, where no name tells the function: glibc's
# CPU probing in the dynamic linker (XGETBV behind OSXSAVE), lock elision (behind RTM),
# and fesetround/fesetenv, which set MXCSR only after testing CPUID's SSE bit. Debian's
# busybox is static and stripped: glibc's probing and lock elision are linked into it.
GATED_IN_LIBRARY = {("ld-linux.so.2", "xgetbv"), ("libc.so.6", "xbegin"), ("libc.so.6", "xend"),
                    ("libc.so.6", "xabort"), ("libc.so.6", "stmxcsr"), ("libc.so.6", "ldmxcsr"),
                    ("busybox", "xgetbv"), ("busybox", "xbegin"), ("busybox", "xend"),
                    ("busybox", "xabort")}
SAME = {"tzcnt": "F3 0F BC: BSF where BMI1 is missing, the same result on the non-zero "
                 "operands GCC uses it for",
        "ud2": "an intended invalid opcode: SIGILL on every CPU",
        "pause": "F3 90: REP NOP before the Pentium 4"}
LINE = re.compile(r"^\s*([0-9a-f]+):\t(\S+)\s*(.*)$")
LABEL = re.compile(r"^[0-9a-f]+ <(.+)>:$")


def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def disassemble(path):
    """(function, mnemonic, operands) of each instruction. Local labels (.L*) belong to
    the function before them."""
    out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(path)], check=True,
                         capture_output=True, text=True).stdout
    function = "?"
    for line in out.splitlines():
        m = LABEL.match(line)
        if m:
            if not m.group(1).startswith(".L"):
                function = m.group(1)
            continue
        m = LINE.match(line)
        if m:
            yield function, m.group(2), m.group(3)


def classify(mnemonic, operands, function, program):
    if EMULATED.match(mnemonic):
        return "emulated"
    if mnemonic in SAME:
        return "same"
    if mnemonic == "cpuid":
        return "cpuid"
    if GATED_FUNCTION.search(function) or (mnemonic, function) in GATED_PROBE:
        return "gated"
    if function.startswith("?@") and (Path(program).name, mnemonic) in GATED_IN_LIBRARY:
        return "gated"
    return "unexplained"


def readelf(*args):
    return subprocess.run([OBJDUMP.replace("objdump", "readelf"), "-W", *map(str, args)],
                          check=True, capture_output=True, text=True).stdout


def has_symtab(path):
    return re.search(r"\]\s+\.symtab\s", readelf("-S", path)) is not None


def load_bias(path):
    """File offset minus address, for each PT_LOAD: [(vaddr, end, offset)]."""
    loads = []
    for m in re.finditer(r"^\s+LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+\S+\s+0x([0-9a-f]+)",
                         readelf("-l", path), re.M):
        offset, vaddr, filesz = (int(x, 16) for x in m.groups())
        loads.append((vaddr, vaddr + filesz, offset))
    return loads


def resolvers(path):
    """Addresses of the IFUNC resolvers: exported IFUNC symbols, and the implicit addends
    of R_386_IRELATIVE relocations."""
    found = {int(m.group(1), 16) for m in
             re.finditer(r"^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+IFUNC\s", readelf("--dyn-syms", path), re.M)}
    data = Path(path).read_bytes()
    loads = load_bias(path)
    for m in re.finditer(r"^([0-9a-f]+)\s+[0-9a-f]+\s+R_386_IRELATIVE", readelf("-r", path), re.M):
        where = int(m.group(1), 16)
        for vaddr, end, offset in loads:
            if vaddr <= where < end:
                at = where - vaddr + offset
                found.add(int.from_bytes(data[at:at + 4], "little"))
    return found


def frames(path):
    """(start, end) of every function with a frame description, sorted."""
    return sorted((int(a, 16), int(b, 16)) for a, b in
                  re.findall(r"pc=([0-9a-f]+)\.\.([0-9a-f]+)", readelf("--debug-dump=frames", path)))


def containing(ranges, address):
    i = bisect.bisect_right(ranges, (address, 0xFFFFFFFF)) - 1
    if i >= 0 and ranges[i][0] <= address < ranges[i][1]:
        return ranges[i]
    return None


def scan_stripped(path):
    """(function, mnemonic, operands) of each instruction of a library without local
    symbols: the function is `ifunc-variant@ADDRESS` for a candidate of an IFUNC resolver
    (gated), else `?@ADDRESS` (the start of its frame description)."""
    out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", str(path)], check=True,
                         capture_output=True, text=True).stdout
    insns = [(int(m.group(1), 16), m.group(2), m.group(3))
             for m in map(LINE.match, out.splitlines()) if m]
    ranges = frames(path)
    by_address = {a: i for i, (a, _, _) in enumerate(insns)}
    variants = set()
    for resolver in resolvers(path):
        span = containing(ranges, resolver)
        if not span or span[0] not in by_address:
            continue
        base = {}
        i = by_address[span[0]]
        while i < len(insns) and insns[i][0] < span[1]:
            address, mnemonic, operands = insns[i]
            # call THUNK; add $GOT-DELTA,%REG: REG holds the address of the add plus DELTA.
            m = re.match(r"\$0x([0-9a-f]+),%(e[a-z]{2})$", operands)
            if mnemonic == "add" and m and i > 0 and insns[i - 1][1] == "call":
                base[m.group(2)] = address + int(m.group(1), 16)
            m = re.match(r"(-?)0x([0-9a-f]+)\(%(e[a-z]{2})\),%e[a-z]{2}$", operands)
            if mnemonic == "lea" and m and m.group(3) in base:
                delta = int(m.group(2), 16) * (-1 if m.group(1) else 1)
                target = (base[m.group(3)] + delta) & 0xFFFFFFFF
                if containing(ranges, target) and containing(ranges, target)[0] == target:
                    variants.add(target)
            i += 1
    for address, mnemonic, operands in insns:
        span = containing(ranges, address)
        start = span[0] if span else address
        name = f"ifunc-variant@{start:#x}" if start in variants else f"?@{start:#x}"
        yield name, mnemonic, operands


def newer(mnemonic, operands):
    return bool(NEWER.match(mnemonic) or VECTOR_OPERAND.search(operands))


def scan(tree):
    """{program: Counter((class, mnemonic, function))}"""
    found = {}
    for path in sorted(p for p in tree.rglob("*") if p.is_file() and not p.is_symlink()):
        if not is_elf(path):
            continue
        program = str(path.relative_to(tree))
        twin = UNSTRIPPED / program
        source = twin if twin.exists() else path
        counts = Counter()
        stripped = not twin.exists() and not has_symtab(path)
        for function, mnemonic, operands in (scan_stripped(path) if stripped else disassemble(source)):
            if newer(mnemonic, operands):
                counts[(classify(mnemonic, operands, function, program), mnemonic,
                        function)] += 1
        found[program] = counts
    return found


def report(found, markdown):
    w = print
    unexplained = 0
    for program, counts in found.items():
        by_class = defaultdict(Counter)
        functions = defaultdict(set)
        for (cls, mnemonic, function), n in counts.items():
            by_class[cls][mnemonic] += n
            functions[cls].add(function)
        w(f"{'### ' if markdown else ''}/{program}")
        if markdown:
            w("")
        for cls in ("emulated", "same", "cpuid", "gated", "unexplained"):
            if not by_class[cls]:
                continue
            items = ", ".join(f"{m} {n}" for m, n in sorted(by_class[cls].items(),
                                                            key=lambda x: (-x[1], x[0])))
            if cls == "gated":
                items = (f"{sum(by_class[cls].values())} instructions "
                         f"({len(by_class[cls])} kinds) in {len(functions[cls])} functions")
                if markdown:
                    items += ": " + ", ".join(f"`{f}`" for f in sorted(functions[cls]))
            w(f"{'- ' if markdown else '  '}{cls}: {items}")
            if cls == "unexplained":
                unexplained += sum(by_class[cls].values())
                for (c, mnemonic, function), n in sorted(counts.items()):
                    if c == cls:
                        w(f"      {mnemonic} in {function} ({n})")
        if markdown:
            w("")
    return unexplained


def main(argv):
    markdown = "--markdown" in argv
    args = [a for a in argv[1:] if a != "--markdown"]
    tree = Path(args[0]) if args else ROOT / "build" / "rootfs-tests"
    if not tree.is_dir():
        print(f"{argv[0]}: {tree}: not a directory (make builds it)", file=sys.stderr)
        return 2
    found = scan(tree)
    if not found:
        print(f"{argv[0]}: no ELF programs under {tree}", file=sys.stderr)
        return 2
    unexplained = report(found, markdown)
    if unexplained:
        print(f"{unexplained} instructions newer than the 486 are neither emulated nor "
              f"explained", file=sys.stderr)
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
