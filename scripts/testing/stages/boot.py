"""Stages that boot the self-tests: QEMU's own loader, GRUB, odd memory sizes, a command
line too long."""
import re

from testing.checks import (BANNER, SKIP_WITHOUT_DISKS, SKIP_WITHOUT_INITRD,
                            banner_line_present, check_ktap, check_selftest_summary,
                            first_line, first_line_is_banner, lines_of)
from testing.machines import (GRUB_FAILED, HEADLESS, ICOUNT, boot, qemu_exit_details,
                              qemu_kernel)
from testing.paths import INITRD, ISO, QEMU


def selftest_boot(t, label, memory, *extra, initrd=INITRD, may_skip=SKIP_WITHOUT_DISKS):
    m = boot(label, qemu_kernel("selftest", *extra, memory=memory, initrd=initrd))
    status = m.wait()
    text = m.text()
    t.check(f"{label}: banner is the first line", first_line_is_banner(text),
            m.failure_details(f"expected {BANNER!r}, first line {first_line(text)!r}"))
    result = check_ktap(t, label, text, m.failure_details(), may_skip)
    check_selftest_summary(t, label, text, result, m.failure_details())
    t.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    return result


def stage_selftest(t):
    """The self-tests booted by QEMU's own Multiboot loader."""
    selftest_boot(t, "qemu", 64)


def stage_selftest_no_initrd(t):
    """The self-tests from -kernel alone, no initrd: the file system's cases skip."""
    label = "qemu-no-initrd"
    result = selftest_boot(t, label, 64, initrd=None,
                           may_skip=SKIP_WITHOUT_DISKS + SKIP_WITHOUT_INITRD)
    fs_cases = [c for c in result.cases if c.name.startswith("fs.")]
    t.check(f"{label}: the file system's cases that read the initrd skip",
            any(c.skipped for c in fs_cases),
            [f"{c.name}: {'skipped' if c.skipped else 'ran'}" for c in fs_cases])


def stage_selftest_icount(t):
    """Again with little memory and an instruction-counting clock."""
    selftest_boot(t, "qemu-m16-icount", 16, *ICOUNT)


def stage_grub(t):
    """GRUB from the ISO: choose the self-test entry with its hotkey on the serial port."""
    label = "grub"
    m = boot(label, [QEMU, "-m", "64", "-cdrom", ISO, "-boot", "d", "-serial", "stdio",
                     *HEADLESS], interactive=True)
    try:
        menu = m.expect(rb"Ferrite self-tests \(press s\)")
        if t.check(f"{label}: menu on the serial port", menu,
                   m.failure_details("GRUB's menu entry did not appear")):
            m.send(b"s")
        status = m.wait(give_up=GRUB_FAILED + rb"|No init:")
        text = m.text()
        t.check(f"{label}: kernel banner after GRUB", banner_line_present(text),
                m.failure_details(f"expected a line {BANNER!r}"))
        result = check_ktap(t, label, text, m.failure_details(), SKIP_WITHOUT_DISKS)
        check_selftest_summary(t, label, text, result, m.failure_details())
        t.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    finally:
        m.kill()


def stage_memory_sizes(t):
    """The self-tests of physical memory on small, large and clipped machines (no initrd:
    the user programs' initrd alone is bigger than some of these machines)."""
    for label, memory, extra in (("mm-m4", 4, ""), ("mm-m512", 512, ""),
                                 ("mm-mem6M", 64, " mem=6M")):
        m = boot(label, qemu_kernel("selftest=mm.*" + extra, memory=memory, initrd=None))
        status = m.wait()
        check_ktap(t, label, m.text(), m.failure_details())
        t.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))


def stage_cmdline_limits(t):
    """Too long a command line, too many words for init: each cut reported, the kernel runs.

    The line is longer than the kernel keeps and has more arguments and environment words
    for init than it passes."""
    label = "cmdline-limits"
    args = " ".join(f"arg{i}" for i in range(40))
    envs = " ".join(f"ENV{i}=1" for i in range(40))
    padding = "PAD=" + "x" * 1200
    append = f"selftest=cmdline.glob {args} {envs} {padding}"
    m = boot(label, qemu_kernel(append, initrd=None))
    status = m.wait()
    text = "\n".join(lines_of(m.text()))
    # QEMU puts the kernel's path in front of the line: at least len(append) bytes.
    cut = re.search(r"(?m)^Kernel command line too long \((\d+) bytes\): truncated to 1023$",
                    text)
    t.check(f"{label}: the long line is reported cut to 1023 bytes",
            cut and int(cut.group(1)) > len(append), m.failure_details())
    t.check(f"{label}: the init arguments left out are reported",
            re.search(r"(?m)^Too many boot init vars at `arg31': 9 left out$", text),
            m.failure_details())
    t.check(f"{label}: the environment words left out are reported",
            re.search(r"(?m)^Too many boot env vars at `ENV31=1': 10 left out$", text),
            m.failure_details())
    check_ktap(t, label, text, m.failure_details())
    t.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
