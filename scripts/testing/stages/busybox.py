"""busybox's sh running the scripts of user/tests/scripts (/tests/scripts/run), each
output compared with what Linux's tools print; and the guest's clock against the host's."""
import re
import time

from testing.checks import check_ktap
from testing.machines import boot, qemu_exit_details, qemu_kernel
from testing.paths import TEST_INITRD

# QEMU's CMOS clock starts at the host's time (UTC); reading it and the boot take a moment.
CLOCK_SLACK = 3


def stage_busybox(t):
    """/sbin/init runs `sh /tests/scripts/run`: KTAP, one case a script, then power off."""
    label = "busybox"
    before = time.time()
    m = boot(label, qemu_kernel("console=ttyS0 quiet -- /tests/scripts/run", memory=64,
                                initrd=TEST_INITRD), timeout=120)
    status = m.wait()
    after = time.time()
    text = m.text()
    check_ktap(t, label, text, m.failure_details())
    t.check(f"{label}: every script's output as expected (QEMU exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    found = re.search(r"^# date: (\d+)", text, re.M)
    guest = int(found.group(1)) if found else None
    t.check(f"{label}: date in the guest is the host's time (within {CLOCK_SLACK} s)",
            guest is not None and before - CLOCK_SLACK <= guest <= after + CLOCK_SLACK,
            m.failure_details(f"guest said {guest}; the host's time ran from {before:.0f} "
                              f"to {after:.0f} during the boot"))
