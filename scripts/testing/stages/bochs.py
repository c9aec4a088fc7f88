"""Stages on Bochs's Pentium, through scripts/bochs-run.sh (what `make bochs` runs)."""
import re

from machine import tail
from testing.checks import (SKIP_WITHOUT_DISKS, SKIP_WITHOUT_USER_DISKS, banner_line_present,
                            check_emulated, check_ktap, check_selftest_summary)
from testing.fixtures import mkswap, stage_folder
from testing.machines import SHELL_PROMPT, run_bochs
from testing.paths import (BOCHS_INIT_FAILS_ISO, BOCHS_SWAP_ISO, BOCHS_TESTS_ISO, ISO, ROOT,
                           SELFTEST_ISO)


def stage_bochs(t):
    """Bochs (a Pentium) boots selftest.iso, whose default entry runs the self-tests."""
    label = "bochs"
    status, serial, e9, e9_path, details = run_bochs(label, SELFTEST_ISO)
    t.check(f"{label}: banner on the serial port", banner_line_present(serial), details)
    t.check(f"{label}: banner on port 0xE9", banner_line_present(e9),
            lambda: [f"last lines of {e9_path.relative_to(ROOT)}:"] +
            ["  " + line for line in tail(e9, 8)] + details())
    result = check_ktap(t, label, serial, details, SKIP_WITHOUT_DISKS)
    check_selftest_summary(t, label, serial, result, details)
    t.check(f"{label}: the kernel shut Bochs down (port 0x8900)", status == 0, details)


def stage_bochs_user(t):
    """The whole user-space suite on Bochs's Pentium (no CMOV: emulated), then the
    system's own init and shell from os.iso."""
    label = "bochs-user"
    status, serial, _, _, details = run_bochs(label, BOCHS_TESTS_ISO)
    check_ktap(t, label, serial, details, SKIP_WITHOUT_USER_DISKS)
    check_emulated(t, label, serial, details)
    t.check(f"{label}: the suite passed and init powered off (status 0)",
            status == 0 and re.search(r"init exited with status 0: powering off", serial),
            details)
    label = "bochs-shell"
    status, serial, _, _, details = run_bochs(label, ISO, stop_at=SHELL_PROMPT)
    t.check(f"{label}: /sbin/init starts /bin/sh, which prompts (Pentium, os.iso)",
            re.search(SHELL_PROMPT, serial.encode()) and "init exited" not in serial,
            details)
    # What `make bochs` runs must fail when init does.
    label = "bochs-init-fails"
    status, serial, _, _, details = run_bochs(label, BOCHS_INIT_FAILS_ISO)
    t.check(f"{label}: bochs-run.sh exits 1 when init exits with status 1",
            status == 1 and "init exited with status 1: powering off" in serial, details)


def stage_bochs_swap(t):
    """Swap on Bochs's PIIX3 IDE, by bus-master DMA: /tests/bench, as pid 1 with 8 MB of
    memory, writes twice the RAM through a swap area on hda and reads it back."""
    label = "bochs-swap"
    disk = stage_folder(label) / "swap.img"
    disk.write_bytes(b"")
    mkswap(disk, 8192)
    status, serial, _, _, details = run_bochs(label, BOCHS_SWAP_ISO, disk=disk)
    t.check(f"{label}: hda goes by DMA", re.search(r"hda: .*, DMA \w+", serial), details)
    t.check(f"{label}: every page read back is right",
            re.search(r"bench: [1-9]\d* pages \(2 x RAM\) in \d+ kB of RAM, 0 wrong", serial),
            details)
    t.check(f"{label}: the benchmark ended and powered off (status 0)", status == 0, details)
