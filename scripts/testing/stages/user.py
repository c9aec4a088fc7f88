"""Stages that run user space: the suite (/tests/run) as pid 1 on QEMU's default CPU
and on a 486, the shell from a USB stick, and /tests/bench."""
import re

import bench
from testing.checks import (BANNER, BANNER_LINE, SKIP_WITHOUT_USER_DISKS, check_emulated,
                            check_ktap)
from testing.fixtures import mkswap, stage_folder
from testing.machines import (GRUB_FAILED, HEADLESS, ICOUNT, SHELL_PROMPT, boot,
                              qemu_exit_details, qemu_kernel, run_command)
from testing.paths import ISO, QEMU, ROOT, TEST_INITRD


def stage_user(t):
    """The user-space suite (/tests/run as pid 1): KTAP, then power off with its status."""
    label = "user"
    m = boot(label, qemu_kernel("init=/tests/run console=ttyS0", memory=64, initrd=TEST_INITRD),
             timeout=600)
    status = m.wait()
    text = m.text()
    check_ktap(t, label, text, m.failure_details(), SKIP_WITHOUT_USER_DISKS)
    t.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))


def stage_user_486(t):
    """The user-space suite, and init with the shell, on a 486 (QEMU -cpu 486: no CMOV,
    no FCOMI: the kernel emulates them for Debian's i686 glibc)."""
    label = "user-486"
    m = boot(label, qemu_kernel("init=/tests/run console=ttyS0", "-cpu", "486", memory=64,
                                initrd=TEST_INITRD), timeout=600)
    status = m.wait()
    text = m.text()
    check_ktap(t, label, text, m.failure_details(), SKIP_WITHOUT_USER_DISKS)
    check_emulated(t, label, text, m.failure_details())
    t.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))

    label = "shell-486"
    m = boot(label, qemu_kernel("console=ttyS0", "-cpu", "486", memory=8), interactive=True)
    try:
        ready = m.expect(SHELL_PROMPT)
        t.check(f"{label}: /sbin/init starts /bin/sh, which prompts (486, 8 MB)", ready,
                m.failure_details())
        if ready:
            ran = run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\.")
            t.check(f"{label}: the shell runs cat", ran, m.failure_details())
    finally:
        m.kill()


def stage_usb(t):
    """os.iso as a USB stick on a 486 with 8 MB and an IDE disk of swap: GRUB boots the
    default entry, init turns swap on and starts the shell, which runs a command and then
    swapdemo, a program needing more memory than the machine has."""
    label = "usb"
    swap = stage_folder(label) / "usb-swap.raw"
    with open(swap, "wb") as f:
        f.truncate(32 << 20)
    mkswap(swap)
    m = boot(label, [QEMU, "-cpu", "486", "-m", "8",
                     "-drive", f"if=none,id=stick,format=raw,readonly=on,file={ISO}",
                     "-device", "piix3-usb-uhci,id=uhci",
                     "-device", "usb-storage,bus=uhci.0,drive=stick,bootindex=0",
                     "-drive", f"file={swap},format=raw,if=ide,index=0",
                     "-serial", "stdio", *HEADLESS], interactive=True, timeout=240)
    try:
        found = m.expect(BANNER_LINE, give_up=GRUB_FAILED)
        t.check(f"{label}: boots from a USB stick to the banner (486, 8 MB)", found,
                m.failure_details(f"expected a line {BANNER!r}"))
        if not found:
            return
        ready = m.expect(SHELL_PROMPT)
        t.check(f"{label}: init turns swap on and the shell prompts",
                ready and re.search(r"Adding swap: \d+k swap-space", m.text()),
                m.failure_details())
        if not ready:
            return
        t.check(f"{label}: the shell runs cat",
                run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\."), m.failure_details())
        t.check(f"{label}: swapdemo writes and reads back 12 MB on the 8 MB machine",
                run_command(m, "swapdemo 12", rb"swapdemo: 12 MB written and read back, 0 pages wrong",
                            within=180), m.failure_details())
    finally:
        m.kill()


def stage_bench(t):
    """/tests/bench on this kernel prints every figure `make bench` tabulates, and
    scripts/bench.py reads them; it reads a serial log of Debian's Linux running the same
    binary too (tests/bench/linux-serial.log: make test does not boot Linux)."""
    label = "bench"
    m = boot(label, qemu_kernel("init=/tests/bench console=ttyS0 quiet", *ICOUNT,
                                memory=64, initrd=TEST_INITRD), timeout=300)
    status = m.wait()
    figures = bench.parse(m.text())
    t.check(f"{label}: /tests/bench ends with status 0", status == 1,
            m.failure_details(qemu_exit_details(status)))
    missing = [name for name in bench.FIGURES if not figures.get(name)]
    t.check(f"{label}: every figure printed and above 0", not missing,
            m.failure_details(f"missing or 0: {missing}"))

    canned = (ROOT / "tests" / "bench" / "linux-serial.log").read_text()
    linux = bench.parse(canned)
    t.check(f"{label}: a Linux serial log gives every figure, swap passes included",
            list(linux) == bench.ALL_FIGURES, [f"parsed: {linux}"])
    spoiled = bench.parse(re.sub(r", 0 wrong", ", 3 wrong", canned))
    t.check(f"{label}: swap passes that read back wrong data are left out",
            list(spoiled) == bench.FIGURES, [f"parsed: {spoiled}"])
    row = bench.table("t", "u", {"demand-zero fault": 3000}, {"demand-zero fault": 1500})
    t.check(f"{label}: the table gives Ferrite/Linux",
            "| demand-zero fault | 3000 | 1500 | 2.00 |" in row.splitlines(), [row])
