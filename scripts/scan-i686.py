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
  harness    the benchmark's RDTSC, which runs under QEMU only

Anything else is unexplained: it is printed and the exit status is 1.
"""
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OBJDUMP = os.environ.get("CROSS", "i686-linux-gnu-") + "objdump"
UNSTRIPPED = ROOT / "build" / "user" / "root"

EMULATED = re.compile(r"^(cmov[a-z]+|fcmovn?(b|e|be|u)|f(u)?comip?|nop[lw]|prefetch(nta|t0|t1|t2))$")
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
GATED_FUNCTION = re.compile(r"(sse|avx|evex|ssse3|_rtm|elision)", re.I)
GATED_PROBE = {("xgetbv", "update_active.constprop.0"), ("xgetbv", "__libc_start_main")}
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
    if mnemonic == "rdtsc" and program == "tests/bench":
        return "harness"
    return "unexplained"


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
        for function, mnemonic, operands in disassemble(source):
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
        for cls in ("emulated", "same", "cpuid", "gated", "harness", "unexplained"):
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
