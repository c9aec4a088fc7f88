"""What `make test` runs, by concept; scripts/run-tests.py is the driver.

    paths.py       where the build puts what the tests boot, and the logs
    tally.py       Tally: the counted checks of one stage, and the summary line
    schedule.py    which stage starts next, two at a time, the exclusive ones alone
    machines.py    QEMU and Bochs command lines and runs
    checks.py      what every boot is checked for: KTAP, the banner, the summary line
    fixtures.py    disk images, swap areas and blkdebug configurations, one set per stage
    stages/        the stages by subject; stages/__init__.py lists them in order
"""
