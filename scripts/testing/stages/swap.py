"""Swap stages: the swap suite with its disks, and swap disks that fail (blkdebug)."""
import re

from testing.checks import check_ktap
from testing.fixtures import (SWAP_BAD_PAGES, bad_pages_intact, blkdebug_drive,
                              failing_writes_config, make_swap_disks, mkswap,
                              reads_fail_once_written_config, sfdisk_tool, stage_folder,
                              util_linux_mkswap)
from testing.machines import boot, qemu_exit_details, qemu_kernel
from testing.paths import SMALL_INITRD


def stage_swap(t):
    """Swap end to end under 16 MB: /tests/run swap_* with the swap disks attached, then
    the bad pages of the version 0 area checked untouched."""
    swap_suite(t, "swap")


def swap_suite(t, label, *extra, append=""):
    """The swap stage's run, on fresh swap disks in build/disks/LABEL/; extra: more QEMU
    arguments, append: more of the command line."""
    if not t.check(f"{label}: sfdisk and util-linux mkswap are installed",
                   sfdisk_tool() and util_linux_mkswap()):
        return
    hda, hdb = make_swap_disks(stage_folder(label))
    m = boot(label, qemu_kernel(append + "init=/tests/run console=ttyS0 -- swap_*",
                                "-drive", f"file={hda},format=raw,if=ide,index=0",
                                "-drive", f"file={hdb},format=raw,if=ide,index=1",
                                *extra, memory=16, initrd=SMALL_INITRD), timeout=600)
    status = m.wait()
    result = check_ktap(t, label, m.text(), m.failure_details())
    t.check(f"{label}: the swap tests ran (none skipped)", result.cases and
            not any(c.skipped for c in result.cases), m.failure_details())
    t.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    intact = bad_pages_intact(hda)
    t.check(f"{label}: pages marked bad by mkswap -b were never written",
            all(intact), [f"page {p}: {'intact' if ok else 'overwritten'}"
                          for p, ok in zip(SWAP_BAD_PAGES, intact)])


def stage_swap_errors(t):
    """Swap disks that fail (blkdebug). hdd fails writes of its page 2: the slot is
    retired, the page kept in memory, the data intact (the ioerr_* user tests). Then a
    disk whose reads all fail once it has been written to: /tests/bench, alone as pid 1,
    swaps three times the RAM out to it and dies of SIGBUS reading it back; the kernel
    reports it and powers off cleanly. In between, a swap disk that is only slow
    (swap_slow_disk)."""
    label = "swap-errors"
    folder = stage_folder(label)
    hdd, hda = folder / "swap-errors-hdd.raw", folder / "swap-errors-hda.raw"
    for disk in (hdd, hda):
        mkswap(disk, 8192)
    writes = failing_writes_config(folder / "swap-errors-writes.conf", range(16, 24))
    m = boot(label, qemu_kernel(
        "init=/tests/run console=ttyS0 -- ioerr_*", "-drive", blkdebug_drive(writes, hdd, 3),
        memory=16, initrd=SMALL_INITRD), timeout=300)
    status = m.wait()
    text = m.text()
    result = check_ktap(t, label, text, m.failure_details())
    t.check(f"{label}: the error tests ran (none skipped)", result.cases and
            not any(c.skipped for c in result.cases), m.failure_details())
    t.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    t.check(f"{label}: the write error is reported and the page kept",
            re.search(r"swap: write error on /dev/hdd page 2: keeping the page in memory", text),
            m.failure_details())

    swap_slow_disk(t)

    reads = reads_fail_once_written_config(folder / "swap-errors-reads.conf")
    label = "swap-read-errors"
    m = boot(label, qemu_kernel(
        "init=/tests/bench console=ttyS0 -- swap /dev/hda 3",
        "-drive", blkdebug_drive(reads, hda, 0),
        memory=16, initrd=SMALL_INITRD), timeout=300)
    status = m.wait()
    text = m.text()
    t.check(f"{label}: the read error is reported",
            re.search(r"swap: read error on /dev/hda page \d+", text), m.failure_details())
    t.check(f"{label}: the process that needed the page died of SIGBUS (128 + 7)",
            re.search(r"init exited with status 135: powering off", text) and
            status == ((135 << 1) | 1) & 0xFF, m.failure_details(qemu_exit_details(status)))
    t.check(f"{label}: no panic", "Kernel panic" not in text and "Oops" not in text,
            m.failure_details())


# I/O requests a second on the slow swap disk: a batch's write takes a good part of a second.
SLOW_DISK_IOPS = 200


def swap_slow_disk(t):
    """A slow swap disk (QEMU's I/O throttling): while one reclaimer waits for its write of
    shared pages, another allocation must wait for it too, not count its rounds fruitless
    and call the OOM killer with swap nearly empty. The shared memory swap tests (PIO, as
    the loaded host made it show) must pass with no process killed and free RAM exactly
    back afterwards."""
    label = "swap-slow"
    hda, hdb = make_swap_disks(stage_folder(label))
    m = boot(label, qemu_kernel(
        "ide=nodma init=/tests/run console=ttyS0 -- swap_shm_*",
        "-drive", f"file={hda},format=raw,if=ide,index=0,throttling.iops-total={SLOW_DISK_IOPS}",
        "-drive", f"file={hdb},format=raw,if=ide,index=1",
        memory=16, initrd=SMALL_INITRD), timeout=600)
    status = m.wait()
    text = m.text()
    result = check_ktap(t, label, text, m.failure_details())
    t.check(f"{label}: the shared memory swap tests ran (none skipped)", result.cases and
            not any(c.skipped for c in result.cases), m.failure_details())
    t.check(f"{label}: no process killed for want of memory",
            "Out of memory" not in text, m.failure_details())
    ram = re.search(r"# free RAM: (\d+) kB before the tests, (\d+) kB after", text)
    t.check(f"{label}: free RAM exactly back after the suite",
            ram and ram[1] == ram[2], m.failure_details(ram[0] if ram else "no free RAM line"))
    t.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
