#!/usr/bin/env python3
"""Ferrite against Debian's Linux: the same /tests/bench on the same QEMU machine with
the same disk. What `make bench` runs, after building build/initrd-linux.cpio.

    scripts/bench.py [--runs N]         the comparison; the table on standard output
    scripts/bench.py --parse LOG...     the figures of serial logs, one column a log

Two modes, each a table of figure, Ferrite, Linux and Ferrite/Linux:
  - guest cycles under -icount shift=0,sleep=off: the guest's TSC counts one per
    instruction, so one run of each kernel gives figures that repeat (exactly, but for
    the swap figures: the disk's work is done by the host in its own time, and what the
    guest runs meanwhile, or how far its idle clock jumps, depends on when it ends).
  - wall time without -icount: the guest's TSC is the host's, the same rate for both;
    N runs of each, alternated (Ferrite, Linux, Ferrite, ...), the median of each figure.
Both modes include the swap figures: twice the RAM written, then read back, through a
fresh swap area made by the project's mkswap (version 1, which Linux reads).
Logs of every run are in build/bench/.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from machine import Machine  # noqa: E402

BUILD = ROOT / "build"
LOGS = BUILD / "bench"
QEMU = os.environ.get("QEMU", "qemu-system-i386")
MKSWAP = BUILD / "host" / "mkswap"

MEMORY_MB = 64
SWAP_PAGES = 49152              # 192 MB: room for twice the RAM
SWAP_MULTIPLE = 2
RUN_TIMEOUT = 1200              # seconds for one boot, swap passes included
ICOUNT = ["-icount", "shift=0,sleep=off"]

# The figure a line names and its value, as /tests/bench prints them.
FIGURE = re.compile(r"^bench: (.*?)\s+(\d+) cycles\r?$", re.M)
SWAP_CHECK = re.compile(r"^bench: (\d+) pages \(\d+ x RAM\) in \d+ kB of RAM, (\d+) wrong", re.M)
SWAP_FIGURES = ("write pass, per page", "read-back pass, per page")
SWAP_NAMES = {"write pass, per page": "swap out, per page (writing 2 x RAM)",
              "read-back pass, per page": "swap in, per page (reading it back)"}
# Every figure of `bench`, then those `bench all` adds, as the table names them.
FIGURES = ["null system call (getppid)", "demand-zero fault", "copy-on-write fault",
           "write fault, sole owner", "fork+exit+wait, small process",
           "fork+exit+wait, 16 MB resident", "fork+execve+exit+wait",
           "demand-zero fault, 16 regions", "mmap+munmap, 16 regions",
           "demand-zero fault, 4096 regions", "mmap+munmap, 4096 regions",
           "fork+exit+wait, 4096 regions"]
ALL_FIGURES = FIGURES + list(SWAP_NAMES.values())


class Kernel:
    def __init__(self, name, kernel, initrd, disk, append, extra=()):
        self.name, self.kernel, self.initrd = name, kernel, initrd
        self.disk, self.append, self.extra = disk, append, list(extra)

    def argv(self, image, args, icount):
        append = self.append + (" -- " + " ".join(args) if args else "")
        return [QEMU, "-m", str(MEMORY_MB), *(ICOUNT if icount else []),
                "-kernel", self.kernel, "-initrd", self.initrd, "-append", append,
                "-drive", f"file={image},format=raw,if=ide,index=0",
                "-serial", "stdio", "-display", "none", "-no-reboot", *self.extra]

    def finished(self, text, status):
        """Whether the benchmark ran to its end with status 0: Ferrite powers off through
        isa-debug-exit with init's status; Linux's init prints the benchmark's."""
        if self.name == "Ferrite":
            return status == 1
        return "linux-init: /tests/bench exited with status 0" in text


FERRITE = Kernel("Ferrite", BUILD / "kernel.elf", BUILD / "initrd-tests.cpio", "/dev/hda",
                 "init=/tests/bench console=ttyS0 quiet",
                 ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
# panic=-1: should init die, the kernel reboots at once and -no-reboot ends QEMU.
LINUX = Kernel("Linux", BUILD / "linux" / "vmlinuz", BUILD / "initrd-linux.cpio", "/dev/sda",
               "console=ttyS0 quiet panic=-1")


def parse(text):
    """{figure: cycles} from a serial log; the swap passes count only if nothing read
    back was wrong."""
    figures = {name: int(value) for name, value in FIGURE.findall(text)}
    check = SWAP_CHECK.search(text)
    if not check or int(check.group(2)) != 0:
        for name in SWAP_FIGURES:
            figures.pop(name, None)
    return {SWAP_NAMES.get(name, name): value for name, value in figures.items()}


def run(kernel, label, icount, args):
    """One boot; its figures, or SystemExit with the log's tail if it failed."""
    image = LOGS / f"{label}.img"
    image.unlink(missing_ok=True)
    subprocess.run([str(MKSWAP), "-v1", str(image), str(SWAP_PAGES)], check=True,
                   capture_output=True)
    m = Machine(label, kernel.argv(image, args, icount), LOGS, ROOT, RUN_TIMEOUT)
    status = m.wait()
    image.unlink(missing_ok=True)
    text = m.text()
    figures = parse(text)
    missing = [name for name in (ALL_FIGURES if args else FIGURES) if name not in figures]
    if not kernel.finished(text, status) or missing:
        details = m.failure_details(f"QEMU exit status {status}; missing: {missing}")()
        sys.exit(f"bench: {label} failed\n" + "\n".join("  " + line for line in details))
    print(f"bench: {label}: {len(figures)} figures", file=sys.stderr)
    return figures


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "-"


def table(title, unit, ferrite, linux):
    """A Markdown table: figure, Ferrite, Linux, Ferrite/Linux."""
    names = [n for n in ALL_FIGURES if n in ferrite or n in linux]
    rows = [f"{title} ({unit})", "",
            "| figure | Ferrite | Linux | Ferrite/Linux |", "| --- | ---: | ---: | ---: |"]
    for name in names:
        f, lx = ferrite.get(name), linux.get(name)
        rows.append(f"| {name} | {'-' if f is None else f} | {'-' if lx is None else lx} | "
                    f"{ratio(f, lx)} |")
    return "\n".join(rows)


def medians(runs):
    return {name: int(statistics.median(f[name] for f in runs)) for name in runs[0]}


def compare(runs):
    LOGS.mkdir(parents=True, exist_ok=True)
    kernels = (FERRITE, LINUX)
    counted = {k.name: run(k, f"{k.name.lower()}-icount", True, ["all", k.disk, str(SWAP_MULTIPLE)])
               for k in kernels}
    wall = {k.name: [] for k in kernels}
    for i in range(runs):
        for k in kernels:
            wall[k.name].append(run(k, f"{k.name.lower()}-wall-{i + 1}", False,
                                    ["all", k.disk, str(SWAP_MULTIPLE)]))
    machine = f"qemu-system-i386 -m {MEMORY_MB}, one IDE disk"
    print(table(f"Guest cycles under -icount shift=0,sleep=off, one run each; {machine}",
                "guest TSC cycles: one per instruction", counted["Ferrite"], counted["Linux"]))
    print()
    print(table(f"Wall time without -icount, median of {runs} alternated runs each; {machine}",
                "host TSC cycles, read by the guest", medians(wall["Ferrite"]),
                medians(wall["Linux"])))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="wall-time runs of each kernel")
    parser.add_argument("--parse", nargs="+", metavar="LOG",
                        help="print the figures of serial logs instead of running")
    options = parser.parse_args()
    if options.parse:
        logs = [parse(Path(log).read_text(errors="replace")) for log in options.parse]
        names = list(dict.fromkeys(name for figures in logs for name in figures))
        for name in names:
            print("\t".join([name] + [str(f.get(name, "-")) for f in logs]))
        return 0 if names else 1
    if options.runs < 1:
        parser.error("--runs must be at least 1")
    compare(options.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
