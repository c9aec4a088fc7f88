"""Disk images, swap areas and blkdebug configurations for the boots.

Each stage builds its own under build/disks/STAGE/ (stage_folder), fresh for each run,
so that two stages running at once never write the same file. The initrds and ISOs are
built by make before the driver starts and are only read.
"""
import os
import shutil
import struct
import subprocess

from testing.paths import DISKS, MKSWAP

PATTERN_TAG = 0xD15C0000
SWAP_BAD_PAGES = (100, 200, 300)
SWAP_PAGE_MARK = b"NEVER WRITTEN: BAD SWAP PAGE %d\n"


def stage_folder(stage):
    """build/disks/STAGE/, emptied: this run's images only."""
    folder = DISKS / stage
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def sfdisk_tool():
    return shutil.which("sfdisk") or next((p for p in ("/usr/sbin/sfdisk", "/sbin/sfdisk")
                                           if os.path.exists(p)), None)


def util_linux_mkswap():
    return next((p for p in ("/usr/sbin/mkswap", "/sbin/mkswap") if os.path.exists(p)), None)


def partition(path, layout):
    """Writes an MBR with sfdisk's script `layout` on the image at path."""
    proc = subprocess.run([sfdisk_tool(), "--no-reread", "--no-tell-kernel", "-q", str(path)],
                          input=layout, text=True, capture_output=True, timeout=30)
    if proc.returncode:
        raise RuntimeError(f"sfdisk: {proc.stderr.strip()}")


def mkswap(path, pages=None, bad=()):
    """The project's mkswap (build/host/mkswap) on the image at path: a swap area of
    `pages` pages (the whole image without), `bad` the pages it marks bad."""
    argv = [str(MKSWAP)] + (["-b", ",".join(map(str, bad))] if bad else []) + [str(path)]
    subprocess.run(argv + ([str(pages)] if pages else []), check=True, capture_output=True,
                   timeout=30)


def pattern_sectors(first, count, tag):
    """Sectors first.. of a pattern disk (drivers/ata_selftests.cpp): 128 little-endian
    u32 words, n, 0xD15C0000 | tag, then n ^ k."""
    out = bytearray()
    for n in range(first, first + count):
        words = [n & 0xFFFFFFFF, PATTERN_TAG | tag] + [(n ^ k) & 0xFFFFFFFF for k in range(2, 128)]
        out += struct.pack("<128I", *words)
    return bytes(out)


def make_pattern_disk(path, sectors, tag):
    with open(path, "wb") as f:
        for first in range(0, sectors, 2048):
            f.write(pattern_sectors(first, min(2048, sectors - first), tag))


def blkdebug_drive(config, image, index):
    return f"file=blkdebug:{config}:{image},format=raw,if=ide,index={index}"


def failing_reads_config(path, sectors):
    """blkdebug: every read of one of sectors fails with EIO."""
    path.write_text("".join(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\n'
                            f'sector = "{s}"\nonce = "off"\nimmediately = "off"\n'
                            for s in sectors))
    return path


def failing_writes_config(path, sectors):
    """blkdebug: every write of one of sectors fails with EIO."""
    path.write_text("".join(f'[inject-error]\nevent = "write_aio"\nerrno = "5"\n'
                            f'sector = "{s}"\nonce = "off"\nimmediately = "off"\n'
                            for s in sectors))
    return path


def reads_fail_once_written_config(path):
    """blkdebug: reads succeed until the first write; from then on all fail with EIO."""
    path.write_text('[set-state]\nstate = "1"\nevent = "write_aio"\nnew_state = "2"\n\n'
                    '[inject-error]\nstate = "2"\nevent = "read_aio"\nerrno = "5"\n'
                    'once = "off"\nimmediately = "off"\n')
    return path


def make_test_disks(folder):
    """The self-tests' disks: hda patterns, hdb patterns with an MBR from sfdisk, hdc a
    sparse 130 GiB file, hdd patterns behind blkdebug failing sector 100. Returns the
    QEMU arguments for them."""
    hda, hdb, hdc, hdd = (folder / n for n in ("hda.raw", "hdb.raw", "big.raw", "errors.raw"))
    make_pattern_disk(hda, 16384, 0)
    make_pattern_disk(hdb, 32768, 1)
    partition(hdb, "label: dos\n"
                   "start=2048, size=4096, type=83\n"
                   "start=6144, size=8192, type=82\n"
                   "start=14336, size=8192, type=5\n"
                   "start=24576, size=8192, type=83\n")
    with open(hdc, "wb") as f:
        f.truncate(130 << 30)
    make_pattern_disk(hdd, 2048, 3)
    config = failing_reads_config(folder / "blkdebug.conf", [100])
    drives = [f"file={hda},format=raw,if=ide,index=0",
              f"file={hdb},format=raw,if=ide,index=1",
              f"file={hdc},format=raw,if=ide,index=2",
              blkdebug_drive(config, hdd, 3)]
    return [arg for d in drives for arg in ("-drive", d)]


def make_swap_disks(folder):
    """hda: a version 0 area from the project's mkswap, 32 MB, with bad pages that hold a
    mark; hdb: an MBR with hdb2 a version 1 area made by util-linux mkswap, hdb1 blank."""
    hda, hdb, part = (folder / n for n in ("swap-hda.raw", "swap-hdb.raw", "swap-hdb2.raw"))
    with open(hda, "wb") as f:
        f.truncate(32 << 20)
        for page in SWAP_BAD_PAGES:
            f.seek(page * 4096)
            f.write((SWAP_PAGE_MARK % page).ljust(4096, b"#"))
    mkswap(hda, 8192, bad=SWAP_BAD_PAGES)
    with open(hdb, "wb") as f:
        f.truncate(64 << 20)
    partition(hdb, "label: dos\nstart=2048, size=14336, type=83\n"
                   "start=16384, size=114688, type=82\n")
    with open(part, "wb") as f:
        f.truncate(114688 * 512)
    subprocess.run([util_linux_mkswap(), "-f", str(part)], check=True, capture_output=True,
                   timeout=30)
    with open(hdb, "r+b") as f, open(part, "rb") as p:
        f.seek(16384 * 512)
        f.write(p.read())
    return hda, hdb


def bad_pages_intact(hda):
    """For each of SWAP_BAD_PAGES of make_swap_disks's hda: whether its mark is still there."""
    with open(hda, "rb") as f:
        intact = []
        for page in SWAP_BAD_PAGES:
            f.seek(page * 4096)
            intact.append(f.read(4096) == (SWAP_PAGE_MARK % page).ljust(4096, b"#"))
    return intact


def spin_image(folder):
    """A floppy whose boot sector jumps to itself: a guest that keeps a host CPU busy."""
    image = folder / "spin.img"
    sector = bytearray(512)
    sector[0:2] = b"\xeb\xfe"                   # jmp $
    sector[510:512] = b"\x55\xaa"
    image.write_bytes(bytes(sector))
    return image
