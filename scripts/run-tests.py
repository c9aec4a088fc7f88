#!/usr/bin/env python3
"""Every test of the project, on what `make` built: what `make test` runs.

    scripts/run-tests.py [STAGE...]     (all stages without arguments; --list names them)

Prints PASS, FAIL or SKIP and a name for each check, and last the line
"N passed, N failed, N skipped". A case that skipped (KTAP's "# SKIP", GoogleTest's
GTEST_SKIP) counts as skipped, never as passed; where a stage gives a case what it needs
(the disk and swap stages attach the disks) it may not skip, and a skip there is a failure.
Counted: each host GoogleTest case, each case of the scripts' own Python tests, each KTAP
case of each boot, and each other check.
Exits non-zero if anything failed. Stages are independent: one failing does not stop the
others. Each emulator run is limited in time and killed (by its PID) when it overruns,
which is a failure. Logs of every run are in build/test-logs/.
"""
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402
import ktap  # noqa: E402
from machine import (TAIL_LINES, Machine, Qmp, free_tcp_port, read_vga_text,  # noqa: E402
                     shown_once, tail, tcp_listening)

BUILD = ROOT / "build"
LOGS = BUILD / "test-logs"
KERNEL = BUILD / "kernel.elf"
INITRD = BUILD / "initrd.cpio"
TEST_INITRD = BUILD / "initrd-tests.cpio"     # the same system with /tests
ISO = BUILD / "os.iso"
SELFTEST_ISO = BUILD / "selftest.iso"
BOCHS_TESTS_ISO = BUILD / "bochs-tests.iso"     # /tests/run as init, for Bochs
BOCHS_INIT_FAILS_ISO = BUILD / "bochs-init-fails.iso"   # an init that exits with status 1
UNIT_TESTS = BUILD / "host" / "unit-tests"

QEMU = os.environ.get("QEMU", "qemu-system-i386")
OBJDUMP = os.environ.get("CROSS", "i686-linux-gnu-") + "objdump"
QEMU_TIMEOUT = 60
BOCHS_TIMEOUT = 240
HOST_TIMEOUT = 120
ECHO_TIMEOUT = 10       # for an answer to typed input, once the kernel is up

# QEMU's isa-debug-exit makes QEMU exit with (status << 1) | 1.
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
HEADLESS = ["-display", "none", "-no-reboot"] + DEBUG_EXIT

# What GRUB prints when it cannot boot an entry (after its error messages); it then waits
# for a key, so there is no point waiting for the timeout.
GRUB_FAILED = rb"Press any key to continue|Failed to boot both"


def expected_banner():
    """The banner as kernel/version.h spells it: name, version and architecture. If that
    cannot be read, a string no kernel prints, so that the banner checks fail."""
    try:
        text = (ROOT / "kernel" / "version.h").read_text()
        fields = dict(re.findall(r'#define\s+KERNEL_(NAME|VERSION|ARCH)\s+"([^"]*)"', text))
        return f"{fields['NAME']} version {fields['VERSION']} ({fields['ARCH']})"
    except (OSError, KeyError) as e:
        return f"<no banner: kernel/version.h: {e!r}>"


BANNER = expected_banner()


# GRUB draws its menu with cursor moves; after its last screen clear the kernel's first
# line follows on the same line of the byte stream, yet at the start of a screen line.
CURSOR_MOVE = r"\x1b\[[0-9;]*[HfJ]"
BANNER_LINE = (rb"(?:^|[\r\n]|" + CURSOR_MOVE.encode() + rb")" + re.escape(BANNER.encode()) +
               rb"\r?\n")


def lines_of(text):
    return [ktap.clean(line) for line in re.sub(CURSOR_MOVE, "\n", text).splitlines()]


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def skip(self, name, reason):
        """A case that did not run here: neither a pass nor a failure."""
        self.skipped += 1
        print(f"SKIP {name}: {reason}", flush=True)

    def check(self, name, ok, details=()):
        """One counted check; details (lines, or a function returning them) are printed
        under a failure."""
        if ok:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}", flush=True)
            for line in resolve(details):
                print(f"    {line}", flush=True)
        return bool(ok)


def resolve(details):
    return details() if callable(details) else details


tally = Tally()


def boot(name, argv, interactive=False, timeout=QEMU_TIMEOUT):
    """Start an emulator run, logged as build/test-logs/NAME.*, limited to `timeout` s."""
    return Machine(name, argv, LOGS, ROOT, timeout, interactive)


def qemu_kernel(append, *extra, memory=64, initrd=INITRD):
    """QEMU loading the kernel and initrd itself (no firmware boot loader)."""
    return [QEMU, "-m", str(memory), "-kernel", KERNEL,
            *(["-initrd", initrd] if initrd else []),
            "-append", append, "-serial", "stdio", *HEADLESS, *extra]


def qemu_exit_details(status):
    if status is None:
        return "QEMU did not exit by itself"
    if status & 1:
        return f"QEMU exit status {status}: the kernel powered off with status {status >> 1}"
    return f"QEMU exit status {status}: not a power off through isa-debug-exit"


# The cases that skip for want of something a boot may not give them: the test disks
# (selftest stages without them), the initrd (a bare -kernel boot), swap disks and disks
# (the user suite's boot without them).
SKIP_WITHOUT_DISKS = ("disk.*", "disk_timeout.*", "disk_clock.*")
SKIP_WITHOUT_INITRD = ("fs.*",)
SKIP_WITHOUT_USER_DISKS = ("swap_*", "ioerr_*", "disk_*")


def check_ktap(label, text, details, may_skip=()):
    """Count each KTAP case of one boot, and check that the plan was kept. A skipped case
    counts as skipped if its name matches a glob of may_skip, else as a failure: this boot
    gave it what it needs. details: as for Tally.check, printed if the plan was not kept."""
    result = ktap.parse(text.splitlines())
    for case in result.cases:
        if case.skipped and any(fnmatch.fnmatchcase(case.name, g) for g in may_skip):
            tally.skip(f"{label}: {case.name}", case.skip_reason)
            continue
        name = case.name + (f" # {case.directive}" if case.directive else "")
        if case.skipped:
            tally.check(f"{label}: {name}", False,
                        ["skipped where nothing it needs is missing: a failure here"] +
                        [d.strip() for d in case.diagnostics])
            continue
        tally.check(f"{label}: {name}", case.ok, [d.strip() for d in case.diagnostics])
    tally.check(f"{label}: KTAP plan complete ({result.planned} planned, "
                f"{len(result.cases)} reported)", result.plan_matched,
                lambda: [f"KTAP: {e}" for e in result.errors] + resolve(details))
    return result


def check_selftest_summary(label, text, result, details):
    """The kernel's last line agrees with its KTAP: "all passed, N skipped" when nothing
    failed, else "N passed, N failed, N skipped"."""
    passed, failed, skipped = len(result.passed), len(result.failed), len(result.skipped)
    want = (f"# selftest: all passed, {skipped} skipped" if not failed else
            f"# selftest: {passed} passed, {failed} failed, {skipped} skipped")
    tally.check(f"{label}: summary line '{want}'",
                want in (line.strip() for line in lines_of(text)), details)


def banner_line_present(text):
    return BANNER in (line.strip() for line in lines_of(text))


def first_line(text):
    lines = [line.strip() for line in lines_of(text) if line.strip()]
    return lines[0] if lines else None


def first_line_is_banner(text):
    return first_line(text) == BANNER


def screen_details(rows):
    return ["screen:"] + [f"  |{row.rstrip()}" for row in rows if row.strip()]


# ---------------------------------------------------------------------------- stages

def gtest_outcomes(data):
    """The cases of a GoogleTest JSON report (--gtest_output=json): (name, outcome,
    details) with outcome "pass", "fail" or "skip". GTEST_SKIP is result SKIPPED; a
    DISABLED_ case is never run (status NOTRUN): both skipped, unless a failure was
    recorded first."""
    out = []
    for suite in data.get("testsuites", []):
        for case in suite.get("testsuite", []):
            name = f"{suite['name']}.{case['name']}"
            failures = [line for f in case.get("failures", []) for line in f["failure"].splitlines()]
            if failures:
                out.append((name, "fail", failures))
            elif case.get("result") == "SKIPPED" or case.get("status") == "NOTRUN":
                reason = "; ".join(s.get("message", "") for s in case.get("skipped", []))
                out.append((name, "skip", reason or ("disabled" if case.get("status") == "NOTRUN"
                                                     else "GTEST_SKIP")))
            elif case.get("status") == "RUN":
                out.append((name, "pass", []))
            else:
                out.append((name, "fail", [f"status {case.get('status')!r}, "
                                           f"result {case.get('result')!r}"]))
    return out


def stage_host():
    """Host unit tests: each GoogleTest case counts, and each case of the scripts' tests."""
    stage_host_python()
    report = LOGS / "host-unit-tests.json"
    report.unlink(missing_ok=True)
    log = LOGS / "host-unit-tests.log"
    if not UNIT_TESTS.exists():
        tally.check("host: unit-tests built", False, [f"{UNIT_TESTS} is missing"])
        return
    with open(log, "wb") as out:
        try:
            proc = subprocess.run([UNIT_TESTS, f"--gtest_output=json:{report}"], cwd=ROOT,
                                  stdin=subprocess.DEVNULL, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=HOST_TIMEOUT)
            status = proc.returncode
        except subprocess.TimeoutExpired:
            status = f"none: killed after {HOST_TIMEOUT} s"
    output = log.read_text(errors="replace")
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError) as e:
        tally.check("host: unit-tests ran", False,
                    [f"no JSON report ({e}); exit status {status}"] + tail(output))
        return
    cases = gtest_outcomes(data)
    for name, outcome, details in cases:
        if outcome == "skip":
            tally.skip(f"host: {name}", details)
        else:
            tally.check(f"host: {name}", outcome == "pass", details)
    if not cases:
        print("NOTE host: build/host/unit-tests holds no test cases", flush=True)
    if status != 0 and not any(outcome == "fail" for _, outcome, _ in cases):
        tally.check("host: unit-tests exit status", False,
                    [f"exit status {status} with no case failed"] + tail(output))


class TallyResult(unittest.TestResult):
    """Counts each case of a unittest run in the tally as it ends."""

    def addSuccess(self, test):
        super().addSuccess(test)
        tally.check(f"host: {test.id()}", True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        tally.check(f"host: {test.id()}", False, self._exc_info_to_string(err, test).splitlines())

    def addError(self, test, err):
        super().addError(test, err)
        tally.check(f"host: {test.id()}", False, self._exc_info_to_string(err, test).splitlines())

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        tally.skip(f"host: {test.id()}", reason)


def stage_host_python():
    """The scripts' own tests (tests/*_test.py, Python's unittest), run in this process."""
    suite = unittest.defaultTestLoader.discover(str(ROOT / "tests"), pattern="*_test.py",
                                                top_level_dir=str(ROOT / "tests"))
    result = TallyResult()
    suite.run(result)
    tally.check("host: the scripts' Python tests were found and ran", result.testsRun > 0,
                [f"no test case in {ROOT / 'tests'}/*_test.py"])


def selftest_boot(label, memory, *extra, initrd=INITRD, may_skip=SKIP_WITHOUT_DISKS):
    m = boot(label, qemu_kernel("selftest", *extra, memory=memory, initrd=initrd))
    status = m.wait()
    text = m.text()
    tally.check(f"{label}: banner is the first line", first_line_is_banner(text),
                m.failure_details(f"expected {BANNER!r}, first line {first_line(text)!r}"))
    result = check_ktap(label, text, m.failure_details(), may_skip)
    check_selftest_summary(label, text, result, m.failure_details())
    tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    return result


def stage_selftest():
    """The self-tests booted by QEMU's own Multiboot loader."""
    selftest_boot("qemu", 64)


def stage_selftest_no_initrd():
    """The self-tests from -kernel alone, no initrd: the file system's cases skip."""
    label = "qemu-no-initrd"
    result = selftest_boot(label, 64, initrd=None,
                           may_skip=SKIP_WITHOUT_DISKS + SKIP_WITHOUT_INITRD)
    fs_cases = [c for c in result.cases if c.name.startswith("fs.")]
    tally.check(f"{label}: the file system's cases that read the initrd skip",
                any(c.skipped for c in fs_cases),
                [f"{c.name}: {'skipped' if c.skipped else 'ran'}" for c in fs_cases])


def stage_selftest_icount():
    """Again with little memory and an instruction-counting clock."""
    selftest_boot("qemu-m16-icount", 16, "-icount", "shift=0,sleep=off")


def stage_grub():
    """GRUB from the ISO: choose the self-test entry with its hotkey on the serial port."""
    label = "grub"
    m = boot(label, [QEMU, "-m", "64", "-cdrom", ISO, "-boot", "d", "-serial", "stdio",
                        *HEADLESS], interactive=True)
    try:
        menu = m.expect(rb"Ferrite self-tests \(press s\)")
        if tally.check(f"{label}: menu on the serial port", menu,
                       m.failure_details("GRUB's menu entry did not appear")):
            m.send(b"s")
        status = m.wait(give_up=GRUB_FAILED + rb"|No init:")
        text = m.text()
        tally.check(f"{label}: kernel banner after GRUB", banner_line_present(text),
                    m.failure_details(f"expected a line {BANNER!r}"))
        result = check_ktap(label, text, m.failure_details(), SKIP_WITHOUT_DISKS)
        check_selftest_summary(label, text, result, m.failure_details())
        tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                    m.failure_details(qemu_exit_details(status)))
    finally:
        m.kill()


def run_bochs(label, iso, stop_at=None):
    """Boots iso in Bochs through scripts/bochs-run.sh (logs under build/test-logs/LABEL).
    Stops it early when GRUB fails, or when the serial output matches stop_at (bytes
    regex). Returns the script's exit status, the serial and port 0xE9 output, and a
    function giving failure details."""
    out = LOGS / label
    script = ROOT / "scripts" / "bochs-run.sh"
    log = LOGS / f"{label}.log"
    com1 = out / "com1.log"
    com1.unlink(missing_ok=True)
    argv = [script, "--timeout", str(BOCHS_TIMEOUT), "--out", out, "--quiet", iso]
    (LOGS / f"{label}.cmd").write_text(shlex.join(str(a) for a in argv) + "\n")
    with open(log, "wb") as f:
        proc = subprocess.Popen([str(a) for a in argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    # The script stops Bochs at its own timeout; this one is a backstop. Stop early when
    # GRUB has failed: it would wait for a key until the timeout. Bochs ignores SIGTERM;
    # a SIGINT to the script is passed on to the Bochs it started.
    deadline = time.monotonic() + BOCHS_TIMEOUT + 30
    gave_up = stopping = reached = False
    try:
        while proc.poll() is None:
            serial = com1.read_bytes() if com1.exists() else b""
            reached = reached or bool(stop_at and re.search(stop_at, serial))
            if not stopping and (re.search(GRUB_FAILED, serial) or reached or
                                 time.monotonic() > deadline):
                gave_up = re.search(GRUB_FAILED, serial) is not None
                proc.send_signal(signal.SIGINT)
                stopping = True
                deadline = time.monotonic() + 30
            elif stopping and time.monotonic() > deadline:
                proc.kill()                     # the script only: it has not answered
            time.sleep(0.25)
    finally:
        if proc.poll() is None:                 # interrupted: leave nothing running
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    status = proc.returncode

    serial = com1.read_text(errors="replace") if com1.exists() else ""
    e9_path = out / "e9.log"
    e9 = e9_path.read_text(errors="replace") if e9_path.exists() else ""
    why = {0: "", 124: f"timed out after {BOCHS_TIMEOUT} s and stopped",
           130: "stopped: GRUB failed" if gave_up else
           "stopped where expected" if reached else "stopped"}.get(
               status, f"bochs-run.sh exit status {status}")
    script_output = log.read_text(errors="replace").strip()
    output_tail = shown_once(lambda: [f"last lines of {com1.relative_to(ROOT)}:"] +
                             ["  " + line for line in tail(serial)] +
                             ([f"bochs-run.sh said ({log.relative_to(ROOT)}):"] +
                              ["  " + line for line in tail(script_output, 8)]
                              if script_output else []))

    def details():
        return ([why] if why else []) + output_tail()
    return status, serial, e9, e9_path, details


def stage_bochs():
    """Bochs (a Pentium) boots selftest.iso, whose default entry runs the self-tests."""
    label = "bochs"
    status, serial, e9, e9_path, details = run_bochs(label, SELFTEST_ISO)
    tally.check(f"{label}: banner on the serial port", banner_line_present(serial), details)
    tally.check(f"{label}: banner on port 0xE9", banner_line_present(e9),
                lambda: [f"last lines of {e9_path.relative_to(ROOT)}:"] +
                ["  " + line for line in tail(e9, 8)] + details())
    result = check_ktap(label, serial, details, SKIP_WITHOUT_DISKS)
    check_selftest_summary(label, serial, result, details)
    tally.check(f"{label}: the kernel shut Bochs down (port 0x8900)", status == 0, details)


def stage_bochs_user():
    """The whole user-space suite on Bochs's Pentium (no CMOV: emulated), then the
    system's own init and shell from os.iso."""
    label = "bochs-user"
    status, serial, _, _, details = run_bochs(label, BOCHS_TESTS_ISO)
    check_ktap(label, serial, details, SKIP_WITHOUT_USER_DISKS)
    check_emulated(label, serial, details)
    tally.check(f"{label}: the suite passed and init powered off (status 0)",
                status == 0 and re.search(r"init exited with status 0: powering off", serial),
                details)
    label = "bochs-shell"
    status, serial, _, _, details = run_bochs(label, ISO, stop_at=SHELL_PROMPT)
    tally.check(f"{label}: /sbin/init starts /bin/sh, which prompts (Pentium, os.iso)",
                re.search(SHELL_PROMPT, serial.encode()) and "init exited" not in serial,
                details)
    # What `make bochs` runs must fail when init does.
    label = "bochs-init-fails"
    status, serial, _, _, details = run_bochs(label, BOCHS_INIT_FAILS_ISO)
    tally.check(f"{label}: bochs-run.sh exits 1 when init exits with status 1",
                status == 1 and "init exited with status 1: powering off" in serial, details)


def check_emulated(label, text, details):
    """The suite's emulated_count test says whether CMOV was emulated."""
    tally.check(f"{label}: the CPU lacks CMOV and the kernel emulated it",
                re.search(r"(?m)^# CMOV emulated: \d+ emulated instructions", text), details)


def stage_usb():
    """os.iso as a USB stick on a 486 with 8 MB and an IDE disk of swap: GRUB boots the
    default entry, init turns swap on and starts the shell, which runs a command and then
    swapdemo, a program needing more memory than the machine has."""
    label = "usb"
    DISKS.mkdir(parents=True, exist_ok=True)
    swap = DISKS / "usb-swap.raw"
    with open(swap, "wb") as f:
        f.truncate(32 << 20)
    subprocess.run([str(MKSWAP), str(swap)], check=True, capture_output=True, timeout=30)
    m = boot(label, [QEMU, "-cpu", "486", "-m", "8",
                        "-drive", f"if=none,id=stick,format=raw,readonly=on,file={ISO}",
                        "-device", "piix3-usb-uhci,id=uhci",
                        "-device", "usb-storage,bus=uhci.0,drive=stick,bootindex=0",
                        "-drive", f"file={swap},format=raw,if=ide,index=0",
                        "-serial", "stdio", *HEADLESS], interactive=True, timeout=240)
    try:
        found = m.expect(BANNER_LINE, give_up=GRUB_FAILED)
        tally.check(f"{label}: boots from a USB stick to the banner (486, 8 MB)", found,
                    m.failure_details(f"expected a line {BANNER!r}"))
        if not found:
            return
        ready = m.expect(SHELL_PROMPT)
        tally.check(f"{label}: init turns swap on and the shell prompts",
                    ready and re.search(r"Adding swap: \d+k swap-space", m.text()),
                    m.failure_details())
        if not ready:
            return
        tally.check(f"{label}: the shell runs cat",
                    run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\."), m.failure_details())
        tally.check(f"{label}: swapdemo writes and reads back 12 MB on the 8 MB machine",
                    run_command(m, "swapdemo 12", rb"swapdemo: 12 MB written and read back, 0 pages wrong",
                                within=180), m.failure_details())
    finally:
        m.kill()


SHELL_PROMPT = rb"(?:^|\n)# $"


def console_boot(label, append, sock_dir):
    """A boot to the shell's prompt, with QMP on a socket to look at the screen."""
    qmp_path = Path(sock_dir) / f"{label}.qmp"
    m = boot(label, qemu_kernel(append, "-qmp", f"unix:{qmp_path},server=on,wait=off"),
                interactive=True)
    ready = m.expect(SHELL_PROMPT)
    tally.check(f"{label}: init starts the shell, which prompts", ready, m.failure_details())
    return m, qmp_path, ready


def run_command(m, command, expected, within=ECHO_TIMEOUT):
    """Types a command on the serial console; the match of its expected output line."""
    start = m.mark()
    m.send(command.encode() + b"\r")
    return m.expect(rb"\n" + expected + rb"\r?\n", start, within=within)


def stage_console():
    """The VGA screen, and serial and keyboard input, in the default console setup."""
    label = "console"
    sock_dir = tempfile.mkdtemp(prefix="ferrite-test-")
    m = None
    try:
        # quiet: the boot messages would scroll the banner off the screen.
        m, qmp_path, ready = console_boot(label, "quiet", sock_dir)
        if not ready:
            return
        qmp = Qmp(qmp_path)
        rows = read_vga_text(qmp)
        tally.check(f"{label}: banner on the first row of the VGA screen",
                    rows[0].rstrip() == BANNER,
                    [f"expected {BANNER!r}", f"row 0: {rows[0].rstrip()!r}"] +
                    screen_details(rows))

        # Nothing polls the UART: the kernel sleeps until an interrupt comes.
        echoed = run_command(m, "echo hello ferrite", rb"hello ferrite")
        tally.check(f"{label}: a command typed on the serial port runs (interrupt-driven input)",
                    echoed, m.failure_details(f"typed 'echo hello ferrite' and Enter on COM1; "
                                              f"no output within {ECHO_TIMEOUT} s"))

        start = m.mark()
        for key in ("e", "c", "h", "o", "spc", "k", "b", "d", "ret"):
            qmp.hmp(f"sendkey {key}")
        typed = m.expect(rb"\nkbd\r?\n", start, within=ECHO_TIMEOUT)
        tally.check(f"{label}: a command typed on the PS/2 keyboard runs", typed,
                    m.failure_details(f"typed 'echo kbd' and Enter on the keyboard; no output "
                                      f"within {ECHO_TIMEOUT} s"))

        rows = read_vga_text(qmp)
        on_screen = any(r.rstrip() == "hello ferrite" for r in rows) and \
            any(r.rstrip() == "kbd" for r in rows)
        tally.check(f"{label}: the session is shown on the VGA screen", on_screen,
                    screen_details(rows))

        ran = run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\.")
        tally.check(f"{label}: the shell runs a program with arguments", ran, m.failure_details())
        start = m.mark()
        m.send(b"exit\r")
        status = m.wait()
        tally.check(f"{label}: exit from the shell powers off with status 0 (QEMU exit 1)",
                    status == 1, m.failure_details(qemu_exit_details(status)))
        qmp.close()
    finally:
        if m:
            m.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)


def stage_serial_console():
    """console=ttyS0: the kernel writes to the serial port only."""
    label = "console-ttyS0"
    sock_dir = tempfile.mkdtemp(prefix="ferrite-test-")
    m = None
    try:
        m, qmp_path, ready = console_boot(label, "console=ttyS0", sock_dir)
        if not ready:
            return
        text = m.text()
        tally.check(f"{label}: banner is the first line on serial", first_line_is_banner(text),
                    m.failure_details(f"expected {BANNER!r}, first line "
                                      f"{first_line(text)!r}"))
        qmp = Qmp(qmp_path)
        rows = read_vga_text(qmp)
        qmp.close()
        screen = "\n".join(rows)
        tally.check(f"{label}: nothing from the kernel on the VGA screen",
                    BANNER not in screen and "init:" not in screen, screen_details(rows))
    finally:
        if m:
            m.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)


def stage_user():
    """The user-space suite (/tests/run as pid 1): KTAP, then power off with its status."""
    label = "user"
    m = boot(label, qemu_kernel("init=/tests/run console=ttyS0", memory=64, initrd=TEST_INITRD),
             timeout=600)
    status = m.wait()
    text = m.text()
    check_ktap(label, text, m.failure_details(), SKIP_WITHOUT_USER_DISKS)
    tally.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))


def stage_cmdline_limits():
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
    tally.check(f"{label}: the long line is reported cut to 1023 bytes",
                cut and int(cut.group(1)) > len(append), m.failure_details())
    tally.check(f"{label}: the init arguments left out are reported",
                re.search(r"(?m)^Too many boot init vars at `arg31': 9 left out$", text),
                m.failure_details())
    tally.check(f"{label}: the environment words left out are reported",
                re.search(r"(?m)^Too many boot env vars at `ENV31=1': 10 left out$", text),
                m.failure_details())
    check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))


def stage_bench():
    """/tests/bench on this kernel prints every figure `make bench` tabulates, and
    scripts/bench.py reads them; it reads a serial log of Debian's Linux running the same
    binary too (tests/bench/linux-serial.log: make test does not boot Linux)."""
    label = "bench"
    m = boot(label, qemu_kernel("init=/tests/bench console=ttyS0 quiet", "-icount",
                                "shift=0,sleep=off", memory=64, initrd=TEST_INITRD),
             timeout=300)
    status = m.wait()
    figures = bench.parse(m.text())
    tally.check(f"{label}: /tests/bench ends with status 0", status == 1,
                m.failure_details(qemu_exit_details(status)))
    missing = [name for name in bench.FIGURES if not figures.get(name)]
    tally.check(f"{label}: every figure printed and above 0", not missing,
                m.failure_details(f"missing or 0: {missing}"))

    canned = (ROOT / "tests" / "bench" / "linux-serial.log").read_text()
    linux = bench.parse(canned)
    tally.check(f"{label}: a Linux serial log gives every figure, swap passes included",
                list(linux) == bench.ALL_FIGURES, [f"parsed: {linux}"])
    spoiled = bench.parse(re.sub(r", 0 wrong", ", 3 wrong", canned))
    tally.check(f"{label}: swap passes that read back wrong data are left out",
                list(spoiled) == bench.FIGURES, [f"parsed: {spoiled}"])
    row = bench.table("t", "u", {"demand-zero fault": 3000}, {"demand-zero fault": 1500})
    tally.check(f"{label}: the table gives Ferrite/Linux",
                "| demand-zero fault | 3000 | 1500 | 2.00 |" in row.splitlines(), [row])


def stage_user_486():
    """The user-space suite, and init with the shell, on a 486 (QEMU -cpu 486: no CMOV,
    no FCOMI: the kernel emulates them for Debian's i686 glibc)."""
    label = "user-486"
    m = boot(label, qemu_kernel("init=/tests/run console=ttyS0", "-cpu", "486", memory=64,
                                initrd=TEST_INITRD), timeout=600)
    status = m.wait()
    text = m.text()
    check_ktap(label, text, m.failure_details(), SKIP_WITHOUT_USER_DISKS)
    check_emulated(label, text, m.failure_details())
    tally.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))

    label = "shell-486"
    m = boot(label, qemu_kernel("console=ttyS0", "-cpu", "486", memory=8), interactive=True)
    try:
        ready = m.expect(SHELL_PROMPT)
        tally.check(f"{label}: /sbin/init starts /bin/sh, which prompts (486, 8 MB)", ready,
                    m.failure_details())
        if ready:
            ran = run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\.")
            tally.check(f"{label}: the shell runs cat", ran, m.failure_details())
    finally:
        m.kill()


def stage_memory_sizes():
    """The self-tests of physical memory on small, large and clipped machines (no initrd:
    the user programs' initrd alone is bigger than some of these machines)."""
    for label, memory, extra in (("mm-m4", 4, ""), ("mm-m512", 512, ""),
                                 ("mm-mem6M", 64, " mem=6M")):
        m = boot(label, qemu_kernel("selftest=mm.*" + extra, memory=memory, initrd=None))
        status = m.wait()
        check_ktap(label, m.text(), m.failure_details())
        tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                    m.failure_details(qemu_exit_details(status)))


def stage_mm_panics():
    """Broken allocator invariants stop the kernel with a message naming page and caller."""
    for case, pattern in (
            ("double_free_page", r"free_page: page is already free: page 0x[0-9a-f]+ \(pfn "
                                 r"0x[0-9a-f]+\), called from ktest_crash_double_free_page"),
            ("free_reserved_page", r"free_page: page is reserved: page 0x100000 \(pfn 0x100\), "
                                   r"called from ktest_crash_free_reserved_page"),
            ("double_kfree", r"kfree: object is already free: page 0x[0-9a-f]+ .*called from "
                             r"ktest_crash_double_kfree")):
        label = f"panic-{case}"
        m = boot(label, qemu_kernel(f"selftest=crash.{case}"))
        status = m.wait()
        text = "\n".join(lines_of(m.text()))
        tally.check(f"{label}: panic names the page and the caller",
                    re.search(r"(?m)^Kernel panic: " + pattern, text) and status == 7,
                    m.failure_details(qemu_exit_details(status)))


def stage_oops():
    """A deliberate kernel page fault: the oops report and the panic power-off."""
    label = "oops"
    m = boot(label, qemu_kernel("selftest=crash.kernel_page_fault"))
    status = m.wait()
    text = "\n".join(lines_of(m.text()))
    tally.check(f"{label}: 'Oops: page fault' reported",
                re.search(r"(?m)^Oops: page fault", text), m.failure_details())
    tally.check(f"{label}: EIP in crash_write_to",
                re.search(r"(?m)^EIP: \[<[0-9a-f]{8}>\] .*crash_write_to", text),
                m.failure_details())
    tally.check(f"{label}: CR2 is deadbeef", re.search(r"\bCR2: deadbeef\b", text),
                m.failure_details())
    trace = re.search(r"(?m)^Call trace:\n((?:[ \t]*\[<[0-9a-f]{8}>\].*\n?)+)", text)
    tally.check(f"{label}: call trace reaches start_kernel",
                trace and re.search(r"\bstart_kernel\+0x", trace.group(1)),
                m.failure_details())
    tally.check(f"{label}: kernel panic powers off with status 3 (QEMU exit 7)",
                status == 7 and re.search(r"(?m)^Kernel panic", text),
                m.failure_details(qemu_exit_details(status)))


# ---------------------------------------------------------------------- disks

DISKS = BUILD / "disks"
PATTERN_TAG = 0xD15C0000


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


def make_test_disks():
    """The self-tests' disks: hda patterns, hdb patterns with an MBR from sfdisk, hdc a
    sparse 130 GiB file, hdd patterns behind blkdebug failing sector 100. Returns the
    QEMU arguments for them."""
    DISKS.mkdir(parents=True, exist_ok=True)
    hda, hdb, hdc, hdd = (DISKS / n for n in ("hda.raw", "hdb.raw", "big.raw", "errors.raw"))
    make_pattern_disk(hda, 16384, 0)
    make_pattern_disk(hdb, 32768, 1)
    layout = ("label: dos\n"
              "start=2048, size=4096, type=83\n"
              "start=6144, size=8192, type=82\n"
              "start=14336, size=8192, type=5\n"
              "start=24576, size=8192, type=83\n")
    proc = subprocess.run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(hdb)],
                          input=layout, text=True, capture_output=True, timeout=30)
    if proc.returncode:
        raise RuntimeError(f"sfdisk: {proc.stderr.strip()}")
    hdc.unlink(missing_ok=True)
    with open(hdc, "wb") as f:
        f.truncate(130 << 30)
    make_pattern_disk(hdd, 2048, 3)
    config = DISKS / "blkdebug.conf"
    config.write_text('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n'
                      'once = "off"\nimmediately = "off"\n')
    drives = [f"file={hda},format=raw,if=ide,index=0",
              f"file={hdb},format=raw,if=ide,index=1",
              f"file={hdc},format=raw,if=ide,index=2",
              f"file=blkdebug:{config}:{hdd},format=raw,if=ide,index=3"]
    return [arg for d in drives for arg in ("-drive", d)]


def sfdisk_tool():
    return shutil.which("sfdisk") or next((p for p in ("/usr/sbin/sfdisk", "/sbin/sfdisk")
                                           if os.path.exists(p)), None)


def stage_disks():
    """The ATA driver on QEMU's IDE disks: patterns, partitions, LBA48, errors; from user space too."""
    disk_suites("disks", "", "DMA mwdma2")


def stage_disks_pio():
    """The disk and swap stages again with DMA turned off (ide=nodma): PIO, READ/WRITE MULTIPLE."""
    disk_suites("disks-pio", "ide=nodma ", "PIO multi 16")
    swap_suite("swap-pio", append="ide=nodma ")
    # A 486 with ISA IDE only (QEMU's isapc has no PCI): PIO without being told.
    disk_selftests("disks-isa", "", "PIO multi 16", "-M", "isapc", "-cpu", "486")


def disk_suites(label, append, mode):
    """The disks stage's boots, with append put on each command line; mode: what the
    disk lines must say of the transfers."""
    if not disk_selftests(label, append, mode):
        return
    stage_disks_timeout(label, append)
    stage_disks_user(label, append)


def disk_selftests(label, append, mode, *extra):
    """The disk.* self-tests on fresh test disks; extra: more QEMU arguments. False if
    the disks could not be made."""
    if not tally.check(f"{label}: sfdisk (util-linux) is installed", sfdisk_tool()):
        return False
    os.environ["PATH"] += os.pathsep + os.path.dirname(sfdisk_tool())
    drives = make_test_disks()
    m = boot(label, qemu_kernel(append + "selftest=disk.* test_disks=1", *drives, *extra))
    status = m.wait()
    text = m.text()
    lines = lines_of(text)
    check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    found = [line.strip() for line in lines if re.match(r"\s*hd[a-d]: ", line)]
    tally.check(f"{label}: one line per disk with model, size and addressing",
                f"hda: QEMU HARDDISK, 8 MB (16384 sectors), LBA48, {mode}" in found and
                f"hdc: QEMU HARDDISK, 133120 MB (272629760 sectors), LBA48, {mode}" in found,
                ["disk lines:"] + found)
    tally.check(f"{label}: the partition check lists hdb's partitions",
                "hdb: hdb1 hdb2 <hdb3: extended, not read> hdb4" in found,
                ["disk lines:"] + found)
    tally.check(f"{label}: the injected error names the disk, LBA and error register",
                any(re.search(r"hdd: read error at LBA 100: status 0x[0-9a-f]+, error 0x4\b", line)
                    for line in lines), m.failure_details())
    return True


def stage_disks_timeout(label, append=""):
    """A drive slower than the driver waits (QEMU's null-co, 3 s a request, against
    the 0.5 s the cases set as the timeout): -EIO after the timeout, a reset and the
    retries, not a hang; a lost interrupt retried after a reset."""
    slow = f"{label}-timeout"
    hdb = DISKS / "timeout-hdb.raw"
    make_pattern_disk(hdb, 2048, 1)
    m = boot(slow, qemu_kernel(append + "selftest=disk_timeout.* test_disks=slow",
                                  "-drive", "driver=null-co,size=8M,latency-ns=3000000000,"
                                            "if=ide,index=0",
                                  "-drive", f"file={hdb},format=raw,if=ide,index=1"))
    status = m.wait()
    text = m.text()
    check_ktap(slow, text, m.failure_details())
    tally.check(f"{slow}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    tally.check(f"{slow}: the timeout names the disk and LBA and resets the channel",
                re.search(r"(?m)^hda: read at LBA 5: timeout \(status 0x[0-9a-f]+\), "
                          r"resetting ide0\r?$", text), m.failure_details())
    tally.check(f"{slow}: the retries are announced, and the failure after the last",
                re.search(r"(?m)^hda: retrying the read at LBA 5 \(retry 2 of 2\)\r?$", text) and
                re.search(r"(?m)^hda: read of 1 sectors at LBA 5 failed after 2 retries\r?$",
                          text), m.failure_details())


def stage_disks_user(label, append=""):
    """The user-space disk tests (/tests/run disk_*): hda holds patterns, hdb is scratch
    for mkswap; afterwards util-linux's blkid must call hdb a swap area."""
    hda, scratch = DISKS / "user-hda.raw", DISKS / "scratch.raw"
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
    result = check_ktap(user, m.text(), m.failure_details())
    tally.check(f"{user}: the disk tests ran (none skipped)", result.cases and
                not any(c.skipped for c in result.cases), m.failure_details())
    tally.check(f"{user}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    blkid = shutil.which("blkid") or "/usr/sbin/blkid"
    try:
        out = subprocess.run([blkid, "-p", "-o", "export", str(scratch)], capture_output=True,
                             text=True, timeout=30).stdout
    except OSError as e:
        out = str(e)
    tally.check(f"{user}: blkid reads the area /sbin/mkswap wrote on /dev/hdb as swap",
                "TYPE=swap" in out, [f"blkid -p said: {out.strip() or '(nothing)'}"])


SWAP_BAD_PAGES = (100, 200, 300)
SWAP_PAGE_MARK = b"NEVER WRITTEN: BAD SWAP PAGE %d\n"
MKSWAP = BUILD / "host" / "mkswap"


def util_linux_mkswap():
    return next((p for p in ("/usr/sbin/mkswap", "/sbin/mkswap") if os.path.exists(p)), None)


def make_swap_disks():
    """hda: a version 0 area from the project's mkswap, 32 MB, with bad pages that hold a
    mark; hdb: an MBR with hdb2 a version 1 area made by util-linux mkswap, hdb1 blank."""
    DISKS.mkdir(parents=True, exist_ok=True)
    hda, hdb, part = (DISKS / n for n in ("swap-hda.raw", "swap-hdb.raw", "swap-hdb2.raw"))
    with open(hda, "wb") as f:
        f.truncate(32 << 20)
        for page in SWAP_BAD_PAGES:
            f.seek(page * 4096)
            f.write((SWAP_PAGE_MARK % page).ljust(4096, b"#"))
    subprocess.run([str(MKSWAP), "-b", ",".join(map(str, SWAP_BAD_PAGES)), str(hda), "8192"],
                   check=True, capture_output=True, timeout=30)
    with open(hdb, "wb") as f:
        f.truncate(64 << 20)
    subprocess.run([sfdisk_tool(), "--no-reread", "--no-tell-kernel", "-q", str(hdb)],
                   input="label: dos\nstart=2048, size=14336, type=83\n"
                         "start=16384, size=114688, type=82\n",
                   text=True, check=True, capture_output=True, timeout=30)
    with open(part, "wb") as f:
        f.truncate(114688 * 512)
    subprocess.run([util_linux_mkswap(), "-f", str(part)], check=True, capture_output=True,
                   timeout=30)
    with open(hdb, "r+b") as f, open(part, "rb") as p:
        f.seek(16384 * 512)
        f.write(p.read())
    return hda, hdb


def stage_swap():
    """Swap end to end under 16 MB: /tests/run swap_* with the swap disks attached, then
    the bad pages of the version 0 area checked untouched."""
    swap_suite("swap")


def swap_suite(label, *extra, append=""):
    """The swap stage's run, on fresh swap disks; extra: more QEMU arguments, append: more
    of the command line."""
    if not tally.check(f"{label}: sfdisk and util-linux mkswap are installed",
                       sfdisk_tool() and util_linux_mkswap()):
        return
    hda, hdb = make_swap_disks()
    m = boot(label, qemu_kernel(append + "init=/tests/run console=ttyS0 -- swap_*",
                                "-drive", f"file={hda},format=raw,if=ide,index=0",
                                "-drive", f"file={hdb},format=raw,if=ide,index=1",
                                *extra, memory=16, initrd=TEST_INITRD), timeout=600)
    status = m.wait()
    result = check_ktap(label, m.text(), m.failure_details())
    tally.check(f"{label}: the swap tests ran (none skipped)", result.cases and
                not any(c.skipped for c in result.cases), m.failure_details())
    tally.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    with open(hda, "rb") as f:
        intact = []
        for page in SWAP_BAD_PAGES:
            f.seek(page * 4096)
            intact.append(f.read(4096) == (SWAP_PAGE_MARK % page).ljust(4096, b"#"))
    tally.check(f"{label}: pages marked bad by mkswap -b were never written",
                all(intact), [f"page {p}: {'intact' if ok else 'overwritten'}"
                              for p, ok in zip(SWAP_BAD_PAGES, intact)])


ICOUNT = ["-icount", "shift=0,sleep=off"]
LOADED_BOOTS = 30
DISK_LINE = re.compile(r"(?m)^(hd[a-d]): QEMU HARDDISK, ")


def start_loader(label):
    """A second emulator keeping a host CPU busy: a guest whose boot sector jumps to
    itself. Killed by its PID when the stage ends (or at its time limit)."""
    image = BUILD / "spin.img"
    sector = bytearray(512)
    sector[0:2] = b"\xeb\xfe"                   # jmp $
    sector[510:512] = b"\x55\xaa"
    image.write_bytes(bytes(sector))
    return boot(f"{label}-loader", [QEMU, "-display", "none", "-no-reboot",
                                    "-drive", f"file={image},format=raw,if=floppy",
                                    "-boot", "a"], timeout=600)


def stage_loaded_host():
    """Disks on a busy host: under -icount sleep=off the guest's clock races ahead while
    it waits for a disk, so a few ms of host time can be seconds to the driver. With a
    second emulator spinning beside them, 30 boots (two at a time) must each find all
    four test disks and read hdb's partition table; a timeout must wait for the CMOS
    clock too (disk_clock.*); then the swap suite runs once."""
    label = "loaded-host"
    if not tally.check(f"{label}: sfdisk and util-linux mkswap are installed",
                       sfdisk_tool() and util_linux_mkswap()):
        return
    os.environ["PATH"] += os.pathsep + os.path.dirname(sfdisk_tool())
    # snapshot=on: the images are only read, so that two boots may share them.
    drives = [d + ",snapshot=on" if d.startswith("file=") else d for d in make_test_disks()]
    started = time.monotonic()
    loader = start_loader(label)
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
        print(f"NOTE {label}: every disk found in {LOADED_BOOTS - len(bad)}/{LOADED_BOOTS} "
              f"boots, {boots_time:.0f} s", flush=True)

        def details():
            out = []
            for m, found, status in bad[:3]:
                out += [f"{m.name}: disks {found or 'none'}, {qemu_exit_details(status)}"]
                out += resolve(m.failure_details())
            return out
        tally.check(f"{label}: {LOADED_BOOTS} boots under -icount beside a busy emulator each "
                    f"find all four disks and hdb's partitions", not bad, details)
        clock = f"{label}-clock"
        m = boot(clock, qemu_kernel("selftest=disk_clock.* test_disks=1", *ICOUNT, *drives))
        status = m.wait()
        check_ktap(clock, m.text(), m.failure_details())
        tally.check(f"{clock}: powered off with status 0 (QEMU exit 1)", status == 1,
                    m.failure_details(qemu_exit_details(status)))
        swap_suite(f"{label}-swap", *ICOUNT)
        tally.check(f"{label}: the loader was running throughout", loader.proc.poll() is None,
                    loader.failure_details("the loading emulator had exited"))
    finally:
        loader.kill()
    print(f"NOTE {label}: stage took {time.monotonic() - started:.0f} s", flush=True)


def stage_swap_errors():
    """Swap disks that fail (blkdebug). hdd fails writes of its page 2: the slot is
    retired, the page kept in memory, the data intact (the ioerr_* user tests). Then a
    disk whose reads all fail once it has been written to: /tests/bench, alone as pid 1,
    swaps three times the RAM out to it and dies of SIGBUS reading it back; the kernel
    reports it and powers off cleanly."""
    label = "swap-errors"
    DISKS.mkdir(parents=True, exist_ok=True)
    hdd, hda = DISKS / "swap-errors-hdd.raw", DISKS / "swap-errors-hda.raw"
    for disk in (hdd, hda):
        disk.unlink(missing_ok=True)
        subprocess.run([str(MKSWAP), str(disk), "8192"], check=True, capture_output=True,
                       timeout=30)
    writes = DISKS / "swap-errors-writes.conf"
    writes.write_text("".join(
        f'[inject-error]\nevent = "write_aio"\nerrno = "5"\nsector = "{sector}"\n'
        f'once = "off"\nimmediately = "off"\n' for sector in range(16, 24)))
    m = boot(label, qemu_kernel(
        "init=/tests/run console=ttyS0 -- ioerr_*",
        "-drive", f"file=blkdebug:{writes}:{hdd},format=raw,if=ide,index=3",
        memory=16, initrd=TEST_INITRD), timeout=300)
    status = m.wait()
    text = m.text()
    result = check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: the error tests ran (none skipped)", result.cases and
                not any(c.skipped for c in result.cases), m.failure_details())
    tally.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    tally.check(f"{label}: the write error is reported and the page kept",
                re.search(r"swap: write error on /dev/hdd page 2: keeping the page in memory", text),
                m.failure_details())

    reads = DISKS / "swap-errors-reads.conf"
    reads.write_text('[set-state]\nstate = "1"\nevent = "write_aio"\nnew_state = "2"\n\n'
                     '[inject-error]\nstate = "2"\nevent = "read_aio"\nerrno = "5"\n'
                     'once = "off"\nimmediately = "off"\n')
    label = "swap-read-errors"
    m = boot(label, qemu_kernel(
        "init=/tests/bench console=ttyS0 -- swap /dev/hda 3",
        "-drive", f"file=blkdebug:{reads}:{hda},format=raw,if=ide,index=0",
        memory=16, initrd=TEST_INITRD), timeout=300)
    status = m.wait()
    text = m.text()
    tally.check(f"{label}: the read error is reported",
                re.search(r"swap: read error on /dev/hda page \d+", text), m.failure_details())
    tally.check(f"{label}: the process that needed the page died of SIGBUS (128 + 7)",
                re.search(r"init exited with status 135: powering off", text) and
                status == ((135 << 1) | 1) & 0xFF, m.failure_details(qemu_exit_details(status)))
    tally.check(f"{label}: no panic", "Kernel panic" not in text and "Oops" not in text,
                m.failure_details())


# ----------------------------------------------------------------------- fuzzing

FUZZ_RUNS = ((1, 30000, 64), (2, 30000, 64), (3, 30000, 64), (4, 20000, 16))   # seed, calls, MB
FAIL_PAGE_ALLOC = "1,5,0,-1"            # one page allocation in twenty fails
PANIC = re.compile(r"Kernel panic|Oops")


def fuzz_boot(label, seed, calls, memory, fail=None, timeout=180):
    """/tests/fuzz as init with a swap disk of its own; checks the run, returns its text."""
    DISKS.mkdir(parents=True, exist_ok=True)
    swap = DISKS / f"{label}-swap.raw"
    swap.unlink(missing_ok=True)
    subprocess.run([str(MKSWAP), str(swap), "4096"], check=True, capture_output=True, timeout=30)
    inject = f" fail_page_alloc={fail}" if fail else ""
    m = boot(label, qemu_kernel(f"init=/tests/fuzz console=ttyS0 quiet{inject} -- "
                                f"-s /dev/hda {seed} {calls}",
                                "-drive", f"file={swap},format=raw,if=ide,index=0",
                                memory=memory, initrd=TEST_INITRD), timeout=timeout)
    status = m.wait()
    text = m.text()
    lines = [line.strip() for line in lines_of(text)]
    fuzz_lines = [line for line in lines if line.startswith("fuzz: ")]
    for line in fuzz_lines:
        if "going on without swap" in line:
            print(f"NOTE {label}: {line}", flush=True)
    tally.check(f"{label}: the fuzzer prints its seed first",
                fuzz_lines[:1] == [f"fuzz: seed {seed} calls {calls}"], m.failure_details())
    tally.check(f"{label}: no kernel panic or oops", not PANIC.search(text), m.failure_details())
    tally.check(f"{label}: no hang (finished within {timeout} s)", status is not None,
                m.failure_details(qemu_exit_details(status)))
    counts = next((re.match(r"fuzz: free pages (\d+) before, (\d+) after; free swap slots "
                            r"(\d+) before, (\d+) after", line) for line in fuzz_lines
                   if line.startswith("fuzz: free pages")), None)
    tally.check(f"{label}: free pages and swap slots exactly back after every child",
                counts and counts[1] == counts[2] and counts[3] == counts[4] and
                not any("FAIL" in line for line in fuzz_lines),
                lambda: [line for line in fuzz_lines if "FAIL" in line or "free" in line] +
                m.failure_details()())
    tally.check(f"{label}: the fuzzer passed, all {calls} calls (QEMU exit 1)",
                status == 1 and f"fuzz: {calls} calls in" in text and "fuzz: PASS" in fuzz_lines,
                m.failure_details(qemu_exit_details(status)))
    return text


def stage_fuzz():
    """Random system calls (/tests/fuzz) over several seeds: no panic, no hang, no leak."""
    started = time.monotonic()
    for seed, calls, memory in FUZZ_RUNS:
        fuzz_boot(f"fuzz-{seed}", seed, calls, memory)
    total = sum(calls for _, calls, _ in FUZZ_RUNS)
    print(f"NOTE fuzz: {total} calls over seeds {', '.join(str(r[0]) for r in FUZZ_RUNS)} "
          f"in {time.monotonic() - started:.0f} s", flush=True)


def stage_fail_page_alloc():
    """Page allocations failing (fail_page_alloc=): the user suite and the fuzzer; processes
    may die and tests fail, but the kernel must not panic or hang, nor lose a page."""
    label = "fail-page-alloc"
    m = boot(label, qemu_kernel(f"init=/tests/run console=ttyS0 "
                                f"fail_page_alloc={FAIL_PAGE_ALLOC} -- -t 20",
                                memory=64, initrd=TEST_INITRD), timeout=600)
    status = m.wait()
    text = m.text()
    tally.check(f"{label}: injection on (the kernel says so)",
                re.search(r"fail_page_alloc: interval 1, probability 5%", text), m.failure_details())
    tally.check(f"{label}: allocations failed (processes killed for want of memory)",
                "Out of memory: killed process" in text, m.failure_details())
    tally.check(f"{label}: no kernel panic or oops", not PANIC.search(text), m.failure_details())
    result = ktap.parse(text.splitlines())
    tally.check(f"{label}: the suite ran to its end ({result.planned} tests planned, "
                f"{len(result.cases)} reported)", result.plan_matched and status in (1, 3),
                m.failure_details(qemu_exit_details(status)))
    ram = re.search(r"# free RAM: (\d+) kB before the tests, (\d+) kB after", text)
    tally.check(f"{label}: free RAM exactly back after the suite",
                ram and ram[1] == ram[2], m.failure_details(ram[0] if ram else "no free RAM line"))
    fuzz_boot(f"{label}-fuzz", 5, 30000, 64, fail=FAIL_PAGE_ALLOC)


def stage_no_cmov():
    """The kernel must run on a 486: no CMOV (a Pentium Pro instruction)."""
    try:
        proc = subprocess.run([OBJDUMP, "-d", KERNEL], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        tally.check("kernel.elf: no CMOV instructions", False, [f"{OBJDUMP}: {e}"])
        return
    (LOGS / "kernel.objdump").write_text(proc.stdout)
    cmovs = [line.strip() for line in proc.stdout.splitlines()
             if re.search(r"\tcmov[a-z]*\s", line)]
    tally.check("kernel.elf: no CMOV instructions", proc.returncode == 0 and not cmovs and
                "<start_kernel>:" in proc.stdout,
                ([f"{OBJDUMP} exit status {proc.returncode}", proc.stderr.strip()]
                 if proc.returncode else []) + cmovs[:10])


def stage_scan_i686():
    """scripts/scan-i686.py: every instruction newer than the 486 in the test initrd's
    programs is emulated, or explained as safe on a 486 and a Pentium."""
    label = "scan-i686"
    try:
        proc = subprocess.run([sys.executable, ROOT / "scripts" / "scan-i686.py",
                               BUILD / "rootfs-tests"], cwd=ROOT, capture_output=True,
                              text=True, timeout=300)
        out, status = proc.stdout + proc.stderr, proc.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        out, status = str(e), None
    (LOGS / "scan-i686.log").write_text(out)
    tally.check(f"{label}: every i686 instruction in the initrd is emulated or explained",
                status == 0 and re.search(r"(?m)^/sbin/init\n  emulated: cmov", out),
                [f"exit status {status}"] + tail(out))


def stage_gdb():
    """gdb on QEMU's stub, with scripts/gdbinit: breakpoints, backtraces, a helper."""
    label = "gdb"
    port = free_tcp_port()
    gdbinit = (ROOT / "scripts" / "gdbinit").read_text()
    # scripts/gdbinit connects to port 1234 (`make debug`); here the port is a free one.
    if not tally.check(f"{label}: scripts/gdbinit connects to localhost:1234",
                       "target remote localhost:1234" in gdbinit):
        return
    (LOGS / "gdbinit").write_text(gdbinit.replace("localhost:1234", f"localhost:{port}"))
    commands = LOGS / "gdb-commands.gdb"
    commands.write_text(f"""\
source {LOGS / 'gdbinit'}
break start_kernel
continue
echo @@ bt start_kernel\\n
bt
break ktest_timer_ticks_advance
continue
echo @@ bt ktest\\n
bt
echo @@ ktest-current\\n
ktest-current
echo @@ end\\n
""")
    m = boot(f"{label}-qemu", [QEMU, "-m", "64", "-gdb", f"tcp:127.0.0.1:{port}", "-S",
                                  "-kernel", KERNEL, "-initrd", INITRD,
                                  "-append", "selftest=timer.ticks_advance",
                                  "-serial", "stdio", *HEADLESS])
    log = LOGS / "gdb.log"
    try:
        deadline = time.monotonic() + 10
        while not tcp_listening(port) and m.proc.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            proc = subprocess.run(["gdb", "-batch", "-nx", "-x", commands, KERNEL], cwd=ROOT,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=QEMU_TIMEOUT)
            out = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            out = f"gdb timed out after {QEMU_TIMEOUT} s\n" + \
                (e.stdout or b"").decode(errors="replace")
        log.write_text(out)
    finally:
        m.kill()

    sections = {}
    for part in re.split(r"^@@ ", out, flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = body
    details = shown_once(lambda: [f"gdb output ({log.relative_to(ROOT)}):"] +
                         ["  " + line for line in out.strip().splitlines()[-TAIL_LINES:]])
    bt1 = sections.get("bt start_kernel", "")
    tally.check(f"{label}: break start_kernel; bt shows start_kernel",
                re.search(r"(?m)^#0\s+(0x[0-9a-f]+ in )?start_kernel ", bt1), details)
    bt2 = sections.get("bt ktest", "")
    tally.check(f"{label}: break ktest_timer_ticks_advance; bt shows it, ktest::run, "
                "start_kernel",
                re.search(r"(?m)^#0\s+(0x[0-9a-f]+ in )?ktest_timer_ticks_advance ", bt2) and
                re.search(r"(?m)^#\d+\s+0x[0-9a-f]+ in ktest::run ", bt2) and
                re.search(r"(?m)^#\d+\s+0x[0-9a-f]+ in start_kernel ", bt2), details)
    tally.check(f"{label}: ktest-current names timer.ticks_advance",
                re.search(r"(?m)^timer\.ticks_advance\b",
                          sections.get("ktest-current", "")), details)


STAGES = [
    ("host", stage_host),
    ("selftest", stage_selftest),
    ("selftest-icount", stage_selftest_icount),
    ("selftest-no-initrd", stage_selftest_no_initrd),
    ("grub", stage_grub),
    ("bochs", stage_bochs),
    ("bochs-user", stage_bochs_user),
    ("usb", stage_usb),
    ("mm-sizes", stage_memory_sizes),
    ("cmdline-limits", stage_cmdline_limits),
    ("mm-panics", stage_mm_panics),
    ("user", stage_user),
    ("bench", stage_bench),
    ("user-486", stage_user_486),
    ("swap", stage_swap),
    ("swap-errors", stage_swap_errors),
    ("loaded-host", stage_loaded_host),
    ("fuzz", stage_fuzz),
    ("fail-page-alloc", stage_fail_page_alloc),
    ("disks", stage_disks),
    ("disks-pio", stage_disks_pio),
    ("console", stage_console),
    ("console-ttyS0", stage_serial_console),
    ("oops", stage_oops),
    ("no-cmov", stage_no_cmov),
    ("scan-i686", stage_scan_i686),
    ("gdb", stage_gdb),
]


def main(argv):
    names = [name for name, _ in STAGES]
    if "--list" in argv[1:]:
        print("\n".join(names))
        return 0
    chosen = argv[1:] or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown stage(s): {' '.join(unknown)}; stages: {' '.join(names)}",
              file=sys.stderr)
        return 2
    LOGS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        for name, stage in STAGES:
            if name not in chosen:
                continue
            print(f"# {name}: {stage.__doc__.splitlines()[0]}", flush=True)
            try:
                stage()
            except Exception:
                tally.check(f"{name}: stage ran to the end", False,
                            traceback.format_exc().splitlines())
            finally:
                for m in list(Machine.running):
                    m.kill()
    finally:
        for m in list(Machine.running):
            m.kill()
    print(f"# logs in {LOGS.relative_to(ROOT)}/, {time.monotonic() - started:.0f} s", flush=True)
    print(f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped", flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
