"""Stages of random system calls (/tests/fuzz) and of page allocations made to fail."""
import re
import time

import ktap
from testing.checks import PANIC, lines_of
from testing.fixtures import mkswap, stage_folder
from testing.machines import boot, qemu_exit_details, qemu_kernel
from testing.paths import TEST_INITRD

FUZZ_RUNS = ((1, 30000, 64), (2, 30000, 64), (3, 30000, 64), (4, 20000, 16))   # seed, calls, MB
FAIL_PAGE_ALLOC = "1,5,0,-1"            # one page allocation in twenty fails


def fuzz_boot(t, label, seed, calls, memory, fail=None, timeout=180):
    """/tests/fuzz as init with a swap disk of its own; checks the run, returns its text."""
    swap = stage_folder(label) / f"{label}-swap.raw"
    mkswap(swap, 4096)
    inject = f" fail_page_alloc={fail}" if fail else ""
    m = boot(label, qemu_kernel(f"init=/tests/fuzz console=ttyS0 quiet{inject} -- "
                                f"-s /dev/hda {seed} {calls}",
                                "-drive", f"file={swap},format=raw,if=ide,index=0",
                                memory=memory, initrd=TEST_INITRD), timeout=timeout)
    status = m.wait()
    text = m.text()
    lines = [line.strip() for line in lines_of(text)]
    fuzz_lines = [line for line in lines if line.startswith("fuzz: ")]
    for line in fuzz_lines:
        if "going on without swap" in line:
            t.note(f"{label}: {line}")
    t.check(f"{label}: the fuzzer prints its seed first",
            fuzz_lines[:1] == [f"fuzz: seed {seed} calls {calls}"], m.failure_details())
    t.check(f"{label}: no kernel panic or oops", not PANIC.search(text), m.failure_details())
    t.check(f"{label}: no hang (finished within {timeout} s)", status is not None,
            m.failure_details(qemu_exit_details(status)))
    counts = next((re.match(r"fuzz: free pages (\d+) before, (\d+) after; free swap slots "
                            r"(\d+) before, (\d+) after", line) for line in fuzz_lines
                   if line.startswith("fuzz: free pages")), None)
    t.check(f"{label}: free pages and swap slots exactly back after every child",
            counts and counts[1] == counts[2] and counts[3] == counts[4] and
            not any("FAIL" in line for line in fuzz_lines),
            lambda: [line for line in fuzz_lines if "FAIL" in line or "free" in line] +
            m.failure_details()())
    t.check(f"{label}: the fuzzer passed, all {calls} calls (QEMU exit 1)",
            status == 1 and f"fuzz: {calls} calls in" in text and "fuzz: PASS" in fuzz_lines,
            m.failure_details(qemu_exit_details(status)))
    return text


def stage_fuzz(t):
    """Random system calls (/tests/fuzz) over several seeds: no panic, no hang, no leak."""
    started = time.monotonic()
    for seed, calls, memory in FUZZ_RUNS:
        fuzz_boot(t, f"fuzz-{seed}", seed, calls, memory)
    total = sum(calls for _, calls, _ in FUZZ_RUNS)
    t.note(f"fuzz: {total} calls over seeds {', '.join(str(r[0]) for r in FUZZ_RUNS)} "
           f"in {time.monotonic() - started:.0f} s")


def stage_fail_page_alloc(t):
    """Page allocations failing (fail_page_alloc=): the user suite and the fuzzer; processes
    may die and tests fail, but the kernel must not panic or hang, nor lose a page."""
    label = "fail-page-alloc"
    m = boot(label, qemu_kernel(f"init=/tests/run console=ttyS0 "
                                f"fail_page_alloc={FAIL_PAGE_ALLOC} -- -t 20",
                                memory=64, initrd=TEST_INITRD), timeout=600)
    status = m.wait()
    text = m.text()
    t.check(f"{label}: injection on (the kernel says so)",
            re.search(r"fail_page_alloc: interval 1, probability 5%", text), m.failure_details())
    t.check(f"{label}: allocations failed (processes killed for want of memory)",
            "Out of memory: killed process" in text, m.failure_details())
    t.check(f"{label}: no kernel panic or oops", not PANIC.search(text), m.failure_details())
    result = ktap.parse(text.splitlines())
    t.check(f"{label}: the suite ran to its end ({result.planned} tests planned, "
            f"{len(result.cases)} reported)", result.plan_matched and status in (1, 3),
            m.failure_details(qemu_exit_details(status)))
    ram = re.search(r"# free RAM: (\d+) kB before the tests, (\d+) kB after", text)
    t.check(f"{label}: free RAM exactly back after the suite",
            ram and ram[1] == ram[2], m.failure_details(ram[0] if ram else "no free RAM line"))
    fuzz_boot(t, f"{label}-fuzz", 5, 30000, 64, fail=FAIL_PAGE_ALLOC)
