"""Disk stages: the ATA driver on QEMU's IDE disks, a slow drive, the disks from user
space, and the disks on a host kept busy on purpose."""
import re
import shutil
import subprocess
import time

import ktap
from testing.checks import check_ktap, lines_of
from testing.fixtures import (make_pattern_disk, make_test_disks, sfdisk_tool, spin_image,
                              stage_folder, util_linux_mkswap)
from testing.machines import ICOUNT, boot, qemu_exit_details, qemu_kernel
from testing.paths import QEMU, TEST_INITRD
from testing.stages.swap import swap_suite
from testing.tally import resolve

LOADED_BOOTS = 30
DISK_LINE = re.compile(r"(?m)^(hd[a-d]): QEMU HARDDISK, ")


def stage_disks(t):
    """The ATA driver on QEMU's IDE disks: patterns, partitions, LBA48, errors; from user space too."""
    disk_suites(t, "disks", "", "DMA mwdma2")


def stage_disks_pio(t):
    """The disk and swap stages again with DMA turned off (ide=nodma): PIO, READ/WRITE MULTIPLE."""
    disk_suites(t, "disks-pio", "ide=nodma ", "PIO multi 16")
    swap_suite(t, "swap-pio", append="ide=nodma ")
    # A 486 with ISA IDE only (QEMU's isapc has no PCI): PIO without being told.
    disk_selftests(t, "disks-isa", "", "PIO multi 16", "-M", "isapc", "-cpu", "486")


def disk_suites(t, label, append, mode):
    """The disks stage's boots, with append put on each command line; mode: what the
    disk lines must say of the transfers."""
    folder = disk_selftests(t, label, append, mode)
    if folder:
        disks_timeout(t, label, folder, append)
        disks_user(t, label, folder, append)


def disk_selftests(t, label, append, mode, *extra):
    """The disk.* self-tests on fresh test disks; extra: more QEMU arguments. The disks'
    folder, or None if they could not be made."""
    if not t.check(f"{label}: sfdisk (util-linux) is installed", sfdisk_tool()):
        return None
    folder = stage_folder(label)
    drives = make_test_disks(folder)
    m = boot(label, qemu_kernel(append + "selftest=disk.* test_disks=1", *drives, *extra))
    status = m.wait()
    text = m.text()
    lines = lines_of(text)
    check_ktap(t, label, text, m.failure_details())
    t.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    found = [line.strip() for line in lines if re.match(r"\s*hd[a-d]: ", line)]
    t.check(f"{label}: one line per disk with model, size and addressing",
            f"hda: QEMU HARDDISK, 8 MB (16384 sectors), LBA48, {mode}" in found and
            f"hdc: QEMU HARDDISK, 133120 MB (272629760 sectors), LBA48, {mode}" in found,
            ["disk lines:"] + found)
    t.check(f"{label}: the partition check lists hdb's partitions",
            "hdb: hdb1 hdb2 <hdb3: extended, not read> hdb4" in found,
            ["disk lines:"] + found)
    t.check(f"{label}: the injected error names the disk, LBA and error register",
            any(re.search(r"hdd: read error at LBA 100: status 0x[0-9a-f]+, error 0x4\b", line)
                for line in lines), m.failure_details())
    return folder


def disks_timeout(t, label, folder, append=""):
    """A drive slower than the driver waits (QEMU's null-co, 3 s a request, against
    the 0.5 s the cases set as the timeout): -EIO after the timeout, a reset and the
    retries, not a hang; a lost interrupt retried after a reset."""
    slow = f"{label}-timeout"
    hdb = folder / "timeout-hdb.raw"
    make_pattern_disk(hdb, 2048, 1)
    m = boot(slow, qemu_kernel(append + "selftest=disk_timeout.* test_disks=slow",
                               "-drive", "driver=null-co,size=8M,latency-ns=3000000000,"
                                         "if=ide,index=0",
                               "-drive", f"file={hdb},format=raw,if=ide,index=1"))
    status = m.wait()
    text = m.text()
    check_ktap(t, slow, text, m.failure_details())
    t.check(f"{slow}: powered off with status 0 (QEMU exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    t.check(f"{slow}: the timeout names the disk and LBA and resets the channel",
            re.search(r"(?m)^hda: read at LBA 5: timeout \(status 0x[0-9a-f]+\), "
                      r"resetting ide0\r?$", text), m.failure_details())
    t.check(f"{slow}: the retries are announced, and the failure after the last",
            re.search(r"(?m)^hda: retrying the read at LBA 5 \(retry 2 of 2\)\r?$", text) and
            re.search(r"(?m)^hda: read of 1 sectors at LBA 5 failed after 2 retries\r?$",
                      text), m.failure_details())


def disks_user(t, label, folder, append=""):
    """The user-space disk tests (/tests/run disk_*): hda holds patterns, hdb is scratch
    for mkswap; afterwards util-linux's blkid must call hdb a swap area."""
    hda, scratch = folder / "user-hda.raw", folder / "scratch.raw"
    make_pattern_disk(hda, 16384, 0)
    with open(scratch, "wb") as f:
        f.write(b"FERRITE SCRATCH DISK\n".ljust(512, b"\0"))
        f.truncate(4 << 20)
    user = f"{label}-user"
    m = boot(user, qemu_kernel(append + "init=/tests/run console=ttyS0 -- disk_*",
                               "-drive", f"file={hda},format=raw,if=ide,index=0",
                               "-drive", f"file={scratch},format=raw,if=ide,index=1",
                               initrd=TEST_INITRD),
             timeout=120)
    status = m.wait()
    result = check_ktap(t, user, m.text(), m.failure_details())
    t.check(f"{user}: the disk tests ran (none skipped)", result.cases and
            not any(c.skipped for c in result.cases), m.failure_details())
    t.check(f"{user}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
            m.failure_details(qemu_exit_details(status)))
    blkid = shutil.which("blkid") or "/usr/sbin/blkid"
    try:
        out = subprocess.run([blkid, "-p", "-o", "export", str(scratch)], capture_output=True,
                             text=True, timeout=30).stdout
    except OSError as e:
        out = str(e)
    t.check(f"{user}: blkid reads the area /sbin/mkswap wrote on /dev/hdb as swap",
            "TYPE=swap" in out, [f"blkid -p said: {out.strip() or '(nothing)'}"])


def start_loader(label, folder):
    """A second emulator keeping a host CPU busy: a guest whose boot sector jumps to
    itself. Killed by its PID when the stage ends (or at its time limit)."""
    return boot(f"{label}-loader", [QEMU, "-display", "none", "-no-reboot",
                                    "-drive", f"file={spin_image(folder)},format=raw,if=floppy",
                                    "-boot", "a"], timeout=600)


def stage_loaded_host(t):
    """Disks on a busy host: under -icount sleep=off the guest's clock races ahead while
    it waits for a disk, so a few ms of host time can be seconds to the driver. With a
    second emulator spinning beside them, 30 boots (two at a time) must each find all
    four test disks and read hdb's partition table; a timeout must wait for the CMOS
    clock too (disk_clock.*); then the swap suite runs once."""
    label = "loaded-host"
    if not t.check(f"{label}: sfdisk and util-linux mkswap are installed",
                   sfdisk_tool() and util_linux_mkswap()):
        return
    folder = stage_folder(label)
    # snapshot=on: the images are only read, so that two boots may share them.
    drives = [d + ",snapshot=on" if d.startswith("file=") else d
              for d in make_test_disks(folder)]
    started = time.monotonic()
    loader = start_loader(label, folder)
    try:
        bad = []
        for first in range(0, LOADED_BOOTS, 2):
            runs = [boot(f"{label}-{i}", qemu_kernel("selftest=disk.fixture_attached test_disks=1",
                                                     *ICOUNT, *drives))
                    for i in range(first, min(first + 2, LOADED_BOOTS))]
            for m in runs:
                status = m.wait()
                text = "\n".join(lines_of(m.text()))
                found = sorted(set(DISK_LINE.findall(text)))
                result = ktap.parse(text.splitlines())
                if (found != ["hda", "hdb", "hdc", "hdd"] or status != 1 or
                        not result.plan_matched or not all(c.ok for c in result.cases) or
                        "hdb: hdb1 hdb2 <hdb3: extended, not read> hdb4" not in text):
                    bad.append((m, found, status))
        boots_time = time.monotonic() - started
        t.note(f"{label}: every disk found in {LOADED_BOOTS - len(bad)}/{LOADED_BOOTS} "
               f"boots, {boots_time:.0f} s")

        def details():
            out = []
            for m, found, status in bad[:3]:
                out += [f"{m.name}: disks {found or 'none'}, {qemu_exit_details(status)}"]
                out += resolve(m.failure_details())
            return out
        t.check(f"{label}: {LOADED_BOOTS} boots under -icount beside a busy emulator each "
                f"find all four disks and hdb's partitions", not bad, details)
        clock = f"{label}-clock"
        m = boot(clock, qemu_kernel("selftest=disk_clock.* test_disks=1", *ICOUNT, *drives))
        status = m.wait()
        check_ktap(t, clock, m.text(), m.failure_details())
        t.check(f"{clock}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
        swap_suite(t, f"{label}-swap", *ICOUNT)
        t.check(f"{label}: the loader was running throughout", loader.proc.poll() is None,
                loader.failure_details("the loading emulator had exited"))
    finally:
        loader.kill()
    t.note(f"{label}: stage took {time.monotonic() - started:.0f} s")
