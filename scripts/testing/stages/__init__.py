"""Every stage of `make test`, in the order they are listed and run one at a time.

cost: seconds on an idle host, roughly (the driver starts the longest first when it runs
several at once). exclusive: the stage loads the host on purpose or measures time, so
it runs with nothing beside it.
"""
from testing.schedule import Stage
from testing.stages import (bochs, boot, busybox, console, crashes, disks, fuzz, gdb, host,
                            image, jobs, swap, user, watch)

STAGES = [
    Stage("host", host.stage_host, cost=2),
    Stage("host-python", host.stage_host_python, cost=1),
    Stage("selftest", boot.stage_selftest, cost=3),
    Stage("selftest-icount", boot.stage_selftest_icount, cost=3),
    Stage("selftest-no-initrd", boot.stage_selftest_no_initrd, cost=2),
    Stage("grub", boot.stage_grub, cost=3),
    Stage("bochs", bochs.stage_bochs, cost=10),
    Stage("bochs-user", bochs.stage_bochs_user, cost=20),
    Stage("bochs-swap", bochs.stage_bochs_swap, cost=3),
    Stage("usb", user.stage_usb, cost=40),
    Stage("mm-sizes", boot.stage_memory_sizes, cost=5),
    Stage("cmdline-limits", boot.stage_cmdline_limits, cost=1),
    Stage("mm-panics", crashes.stage_mm_panics, cost=3),
    Stage("user", user.stage_user, cost=8),
    Stage("bench", user.stage_bench, cost=5),
    Stage("user-486", user.stage_user_486, cost=10),
    Stage("busybox", busybox.stage_busybox, cost=4),
    Stage("swap", swap.stage_swap, cost=20),
    Stage("swap-errors", swap.stage_swap_errors, cost=60),
    Stage("loaded-host", disks.stage_loaded_host, cost=60, exclusive=True),
    Stage("fuzz", fuzz.stage_fuzz, cost=35),
    Stage("fail-page-alloc", fuzz.stage_fail_page_alloc, cost=45),
    Stage("disks", disks.stage_disks, cost=15),
    Stage("disks-pio", disks.stage_disks_pio, cost=30),
    Stage("console", console.stage_console, cost=5),
    Stage("console-ttyS0", console.stage_serial_console, cost=3),
    Stage("jobs", jobs.stage_jobs, cost=15),
    Stage("oops", crashes.stage_oops, cost=1),
    Stage("no-cmov", image.stage_no_cmov, cost=2),
    Stage("scan-i686", image.stage_scan_i686, cost=8),
    Stage("gdb", gdb.stage_gdb, cost=3),
    Stage("gdb-helpers", watch.stage_gdb_helpers, cost=8),
    Stage("demos", watch.stage_demos, cost=4),
    Stage("seed-names", watch.stage_seed_names, cost=1),
]
