"""Stages where the kernel is made to crash on purpose: the report must say where."""
import re

from testing.checks import lines_of
from testing.machines import boot, qemu_exit_details, qemu_kernel


def stage_mm_panics(t):
    """Broken allocator invariants stop the kernel with a message naming page and caller."""
    for case, pattern in (
            ("double_free_page", r"free_page: page is already free: page 0x[0-9a-f]+ \(pfn "
                                 r"0x[0-9a-f]+\), called from ktest_crash_double_free_page"),
            ("free_reserved_page", r"free_page: page is reserved: page 0x100000 \(pfn 0x100\), "
                                   r"called from ktest_crash_free_reserved_page"),
            ("double_kfree", r"kfree: object is already free: page 0x[0-9a-f]+ .*called from "
                             r"ktest_crash_double_kfree")):
        label = f"panic-{case}"
        m = boot(label, qemu_kernel(f"selftest=crash.{case}"))
        status = m.wait()
        text = "\n".join(lines_of(m.text()))
        t.check(f"{label}: panic names the page and the caller",
                re.search(r"(?m)^Kernel panic: " + pattern, text) and status == 7,
                m.failure_details(qemu_exit_details(status)))


def stage_oops(t):
    """A deliberate kernel page fault: the oops report and the panic power-off."""
    label = "oops"
    m = boot(label, qemu_kernel("selftest=crash.kernel_page_fault"))
    status = m.wait()
    text = "\n".join(lines_of(m.text()))
    t.check(f"{label}: 'Oops: page fault' reported",
            re.search(r"(?m)^Oops: page fault", text), m.failure_details())
    t.check(f"{label}: EIP in crash_write_to",
            re.search(r"(?m)^EIP: \[<[0-9a-f]{8}>\] .*crash_write_to", text),
            m.failure_details())
    t.check(f"{label}: CR2 is deadbeef", re.search(r"\bCR2: deadbeef\b", text),
            m.failure_details())
    trace = re.search(r"(?m)^Call trace:\n((?:[ \t]*\[<[0-9a-f]{8}>\].*\n?)+)", text)
    t.check(f"{label}: call trace reaches start_kernel",
            trace and re.search(r"\bstart_kernel\+0x", trace.group(1)),
            m.failure_details())
    t.check(f"{label}: kernel panic powers off with status 3 (QEMU exit 7)",
            status == 7 and re.search(r"(?m)^Kernel panic", text),
            m.failure_details(qemu_exit_details(status)))
