"""Where `make` puts what the tests boot and run, and where the tests write."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BUILD = ROOT / "build"
LOGS = BUILD / "test-logs"              # every run's log, named after its label
DISKS = BUILD / "disks"                 # disk images, in a folder per stage
KERNEL = BUILD / "kernel.elf"
INITRD = BUILD / "initrd.cpio"
TEST_INITRD = BUILD / "initrd-tests.cpio"     # the same system with /tests
SMALL_INITRD = BUILD / "initrd-small.cpio"   # /tests/run and what the swap tests run, for 16 MB
ISO = BUILD / "os.iso"
SELFTEST_ISO = BUILD / "selftest.iso"
BOCHS_TESTS_ISO = BUILD / "bochs-tests.iso"     # /tests/run as init, for Bochs
BOCHS_INIT_FAILS_ISO = BUILD / "bochs-init-fails.iso"   # an init that exits with status 1
BOCHS_SWAP_ISO = BUILD / "bochs-swap.iso"          # /tests/bench swap as init, 8 MB, for Bochs
UNIT_TESTS = BUILD / "host" / "unit-tests"
MKSWAP = BUILD / "host" / "mkswap"

QEMU = os.environ.get("QEMU", "qemu-system-i386")
OBJDUMP = os.environ.get("CROSS", "i686-linux-gnu-") + "objdump"
