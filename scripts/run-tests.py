#!/usr/bin/env python3
"""Every test of the project, on what `make` built: what `make test` runs.

    scripts/run-tests.py [STAGE...]     (all stages without arguments; --list names them)

Prints PASS or FAIL and a name for each check, and last the line "N passed, N failed".
Counted: each host GoogleTest case, each KTAP case of each boot, and each other check.
Exits non-zero if anything failed. Stages are independent: one failing does not stop the
others. Each emulator run is limited in time and killed (by its PID) when it overruns,
which is a failure. Logs of every run are in build/test-logs/.
"""
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
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import ktap  # noqa: E402

BUILD = ROOT / "build"
LOGS = BUILD / "test-logs"
KERNEL = BUILD / "kernel.elf"
INITRD = BUILD / "initrd.cpio"
ISO = BUILD / "os.iso"
SELFTEST_ISO = BUILD / "selftest.iso"
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
TAIL_LINES = 25


def expected_banner():
    """The banner as kernel/version.h spells it: name, version and architecture."""
    text = (ROOT / "kernel" / "version.h").read_text()
    fields = dict(re.findall(r'#define\s+KERNEL_(NAME|VERSION|ARCH)\s+"([^"]*)"', text))
    return f"{fields['NAME']} version {fields['VERSION']} ({fields['ARCH']})"


BANNER = expected_banner()


# GRUB draws its menu with cursor moves; after its last screen clear the kernel's first
# line follows on the same line of the byte stream, yet at the start of a screen line.
CURSOR_MOVE = r"\x1b\[[0-9;]*[HfJ]"
BANNER_LINE = (rb"(?:^|[\r\n]|" + CURSOR_MOVE.encode() + rb")" + re.escape(BANNER.encode()) +
               rb"\r?\n")


def lines_of(text):
    return [ktap.clean(line) for line in re.sub(CURSOR_MOVE, "\n", text).splitlines()]


def tail(text, n=TAIL_LINES, width=150):
    """The last lines worth reading: blank ones and GRUB's box drawing left out, and
    long ones (GRUB's menu is drawn as one) shortened to their end."""
    lines = [ktap.clean(line).rstrip() for line in text.splitlines()]
    lines = [re.sub(r" {4,}", "   ", line) for line in lines if line.strip(" |+-")]
    lines = [line if len(line) <= width else "..." + line[-width:] for line in lines]
    return lines[-n:] if lines else ["(no output)"]


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0

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


def shown_once(make_lines):
    """Output tails are long: print one under the first failed check of a run only."""
    shown = False

    def lines():
        nonlocal shown
        if shown:
            return ["(output shown above)"]
        shown = True
        return make_lines()
    return lines


tally = Tally()
running = set()         # emulators still alive, killed on the way out whatever happens


class Machine:
    """An emulator run: output collected and logged as it arrives, input on request.

    Output comes from the process's standard output, where the tests put the serial
    port. The run ends at its deadline at the latest: then it is killed by its PID."""

    def __init__(self, name, argv, timeout=QEMU_TIMEOUT, interactive=False):
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.timed_out = False
        self.gave_up = False
        self.output = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        (LOGS / f"{name}.cmd").write_text(shlex.join(str(a) for a in argv) + "\n")
        self.stderr = open(LOGS / f"{name}.stderr", "wb")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(a) for a in argv], cwd=ROOT,
            stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.stderr, start_new_session=True)
        running.add(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.output_tail = shown_once(self._output_tail)

    def _read(self):
        fd = self.proc.stdout.fileno()
        while True:
            data = os.read(fd, 4096)
            with self.cond:
                if not data:
                    self.eof = True
                    self.cond.notify_all()
                    return
                self.output += data
                if not self.log.closed:
                    self.log.write(data)
                    self.log.flush()
                self.cond.notify_all()

    def text(self):
        with self.cond:
            return self.output.decode(errors="replace")

    def mark(self):
        """A position in the output, to look only at what comes after it."""
        with self.cond:
            return len(self.output)

    def expect(self, pattern, start=0, give_up=None, within=None):
        """Wait for pattern (bytes regex) in the output after start. Returns the match,
        or None at end of output, at the deadline (or `within` seconds from now, if
        sooner), or when give_up appears first."""
        want = re.compile(pattern)
        stop = re.compile(give_up) if give_up else None
        until = self.deadline if within is None else min(self.deadline,
                                                         time.monotonic() + within)
        with self.cond:
            while True:
                found = want.search(self.output, start)
                if found:
                    return found
                if stop and stop.search(self.output, start):
                    self.gave_up = True
                    return None
                now = time.monotonic()
                if self.eof or now >= until:
                    self.timed_out = now >= self.deadline and not self.eof
                    return None
                self.cond.wait(min(until - now, 0.5))

    def send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def wait(self, give_up=None):
        """Wait for the emulator to exit and return its status; None when it had to be
        killed: at the deadline, or as soon as give_up appears in the output."""
        stop = re.compile(give_up) if give_up else None
        while self.proc.poll() is None:
            if stop:
                with self.cond:
                    found = stop.search(self.output)
                if found:
                    self.gave_up = True
                    self.kill()
                    return None
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                self.kill()
                return None
            time.sleep(0.05)
        self.reader.join(5)
        self._close()
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()            # SIGKILL to this PID: QEMU has nothing to save
            self.proc.wait()
        self.reader.join(5)
        self._close()

    def _close(self):
        running.discard(self)
        for f in (self.log, self.stderr, self.proc.stdin):
            if f and not f.closed:
                try:
                    f.close()
                except OSError:
                    pass

    def failure_details(self, what=""):
        """What to print under a failed check: why, and the tail of the output."""
        def lines():
            why = []
            if self.timed_out:
                why.append(f"timed out after {self.timeout} s and killed")
            if self.gave_up:
                why.append("stopped early: the boot had failed")
            return why + ([what] if what else []) + self.output_tail()
        return lines

    def _output_tail(self):
        lines = [f"last lines of {self.log_path.relative_to(ROOT)}:"]
        lines += ["  " + line for line in tail(self.text())]
        err = (LOGS / f"{self.name}.stderr").read_text(errors="replace").strip()
        if err:
            lines.append("QEMU's messages:")
            lines += ["  " + line for line in err.splitlines()[-5:]]
        return lines


def qemu_kernel(append, *extra, memory=64, initrd=True):
    """QEMU loading the kernel and initrd itself (no firmware boot loader)."""
    return [QEMU, "-m", str(memory), "-kernel", KERNEL,
            *(["-initrd", INITRD] if initrd else []),
            "-append", append, "-serial", "stdio", *HEADLESS, *extra]


def qemu_exit_details(status):
    if status is None:
        return "QEMU did not exit by itself"
    if status & 1:
        return f"QEMU exit status {status}: the kernel powered off with status {status >> 1}"
    return f"QEMU exit status {status}: not a power off through isa-debug-exit"


def check_ktap(label, text, details):
    """Count each KTAP case of one boot, and check that the plan was kept. details: as
    for Tally.check, printed if the plan was not kept."""
    result = ktap.parse(text.splitlines())
    for case in result.cases:
        name = case.name + (f" # {case.directive}" if case.directive else "")
        tally.check(f"{label}: {name}", case.ok, [d.strip() for d in case.diagnostics])
    tally.check(f"{label}: KTAP plan complete ({result.planned} planned, "
                f"{len(result.cases)} reported)", result.plan_matched,
                lambda: [f"KTAP: {e}" for e in result.errors] + resolve(details))
    return result


def banner_line_present(text):
    return BANNER in (line.strip() for line in lines_of(text))


def first_line_is_banner(text):
    lines = [line for line in lines_of(text) if line.strip()]
    return bool(lines) and lines[0].strip() == BANNER


class Qmp:
    """QEMU's machine protocol on a Unix socket; used for human monitor commands."""

    def __init__(self, path, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.settimeout(timeout)
                self.sock.connect(str(path))
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rw")
        self._reply()                                   # the greeting
        self.execute("qmp_capabilities")

    def _reply(self):
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:                      # events may come at any time
                return msg

    def execute(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        reply = self._reply()
        if "error" in reply:
            raise RuntimeError(f"QMP {command}: {reply['error']}")
        return reply["return"]

    def hmp(self, command_line):
        return self.execute("human-monitor-command", **{"command-line": command_line})

    def close(self):
        self.file.close()
        self.sock.close()


def read_vga_text(qmp):
    """The 80x25 text screen at 0xB8000: one string per row (the character bytes)."""
    dump = qmp.hmp("xp /2000hx 0xb8000")
    cells = []
    for line in dump.splitlines():
        if ":" in line:
            cells += [int(h, 16) for h in re.findall(r"0x([0-9a-fA-F]{4})", line.split(":", 1)[1])]
    if len(cells) != 2000:
        raise RuntimeError(f"read {len(cells)} screen cells, not 2000")
    chars = "".join(chr(c & 0xFF) if 0x20 <= (c & 0xFF) < 0x7F else " " for c in cells)
    return [chars[row * 80:(row + 1) * 80] for row in range(25)]


def screen_details(rows):
    return ["screen:"] + [f"  |{row.rstrip()}" for row in rows if row.strip()]


def free_tcp_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tcp_listening(port):
    """Whether something listens on the port, read from /proc so as not to connect: a
    gdb stub serves its first client only."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                        return True
        except OSError:
            pass
    return False


# ---------------------------------------------------------------------------- stages

def stage_host():
    """Host unit tests: each GoogleTest case counts."""
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
            status = None
    output = log.read_text(errors="replace")
    try:
        data = json.loads(report.read_text())
    except (OSError, ValueError) as e:
        tally.check("host: unit-tests ran", False,
                    [f"no JSON report ({e}); exit status {status}"] + tail(output))
        return
    cases = failed = 0
    for suite in data.get("testsuites", []):
        for case in suite.get("testsuite", []):
            cases += 1
            failures = [f["failure"] for f in case.get("failures", [])]
            skipped = case.get("result") == "SKIPPED"
            ok = not failures and case.get("status") == "RUN"
            name = f"host: {suite['name']}.{case['name']}" + (" # SKIP" if skipped else "")
            failed += not ok
            tally.check(name, ok, [l for f in failures for l in f.splitlines()])
    if cases == 0:
        print("NOTE host: build/host/unit-tests holds no test cases", flush=True)
    if status != 0 and failed == 0:
        tally.check("host: unit-tests exit status", False,
                    [f"exit status {status} with every case passed"] + tail(output))


def selftest_boot(label, memory, *extra):
    m = Machine(label, qemu_kernel("selftest", *extra, memory=memory))
    status = m.wait()
    text = m.text()
    tally.check(f"{label}: banner is the first line", first_line_is_banner(text),
                m.failure_details(f"expected {BANNER!r}"))
    check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))


def stage_selftest():
    """The self-tests booted by QEMU's own Multiboot loader."""
    selftest_boot("qemu", 64)


def stage_selftest_icount():
    """Again with little memory and an instruction-counting clock."""
    selftest_boot("qemu-m16-icount", 16, "-icount", "shift=0,sleep=off")


def stage_grub():
    """GRUB from the ISO: choose the self-test entry with its hotkey on the serial port."""
    label = "grub"
    m = Machine(label, [QEMU, "-m", "64", "-cdrom", ISO, "-boot", "d", "-serial", "stdio",
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
        check_ktap(label, text, m.failure_details())
        tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                    m.failure_details(qemu_exit_details(status)))
    finally:
        m.kill()


def stage_bochs():
    """Bochs (a Pentium) boots selftest.iso, whose default entry runs the self-tests."""
    label = "bochs"
    out = LOGS / "bochs"
    script = ROOT / "scripts" / "bochs-run.sh"
    log = LOGS / "bochs.log"
    com1 = out / "com1.log"
    com1.unlink(missing_ok=True)
    argv = [script, "--timeout", str(BOCHS_TIMEOUT), "--out", out, "--quiet", SELFTEST_ISO]
    (LOGS / "bochs.cmd").write_text(shlex.join(str(a) for a in argv) + "\n")
    with open(log, "wb") as f:
        proc = subprocess.Popen([str(a) for a in argv], cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    # The script stops Bochs at its own timeout; this one is a backstop. Stop early when
    # GRUB has failed: it would wait for a key until the timeout. Bochs ignores SIGTERM;
    # a SIGINT to the script is passed on to the Bochs it started.
    deadline = time.monotonic() + BOCHS_TIMEOUT + 30
    gave_up = stopping = False
    try:
        while proc.poll() is None:
            serial = com1.read_bytes() if com1.exists() else b""
            if not stopping and (re.search(GRUB_FAILED, serial) or
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
           130: "stopped: GRUB failed" if gave_up else "stopped"}.get(
               status, f"bochs-run.sh exit status {status}")
    script_output = log.read_text(errors="replace").strip()
    output_tail = shown_once(lambda: [f"last lines of {com1.relative_to(ROOT)}:"] +
                             ["  " + line for line in tail(serial)] +
                             ([f"bochs-run.sh said ({log.relative_to(ROOT)}):"] +
                              ["  " + line for line in tail(script_output, 8)]
                              if script_output else []))

    def details():
        return ([why] if why else []) + output_tail()
    tally.check(f"{label}: banner on the serial port", banner_line_present(serial), details)
    tally.check(f"{label}: banner on port 0xE9", banner_line_present(e9),
                lambda: [f"last lines of {e9_path.relative_to(ROOT)}:"] +
                ["  " + line for line in tail(e9, 8)] + details())
    check_ktap(label, serial, details)
    tally.check(f"{label}: the kernel shut Bochs down (port 0x8900)", status == 0, details)


def stage_usb():
    """os.iso as a USB stick on a 486 with 8 MB: the default entry reaches the banner."""
    label = "usb"
    m = Machine(label, [QEMU, "-cpu", "486", "-m", "8",
                        "-drive", f"if=none,id=stick,format=raw,readonly=on,file={ISO}",
                        "-device", "piix3-usb-uhci,id=uhci",
                        "-device", "usb-storage,bus=uhci.0,drive=stick,bootindex=0",
                        "-serial", "stdio", *HEADLESS])
    try:
        found = m.expect(BANNER_LINE, give_up=GRUB_FAILED)
        tally.check(f"{label}: boots from a USB stick to the banner (486, 8 MB)", found,
                    m.failure_details(f"expected a line {BANNER!r}"))
    finally:
        m.kill()


SHELL_PROMPT = rb"(?:^|\n)# $"


def console_boot(label, append, sock_dir):
    """A boot to the shell's prompt, with QMP on a socket to look at the screen."""
    qmp_path = Path(sock_dir) / f"{label}.qmp"
    m = Machine(label, qemu_kernel(append, "-qmp", f"unix:{qmp_path},server=on,wait=off"),
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
        tally.check(f"{label}: banner is the first line on serial",
                    first_line_is_banner(m.text()), m.failure_details())
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
    m = Machine(label, qemu_kernel("init=/tests/run console=ttyS0", memory=64), timeout=600)
    status = m.wait()
    text = m.text()
    check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: the suite's exit status reaches QEMU (0: exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))


def stage_memory_sizes():
    """The self-tests of physical memory on small, large and clipped machines (no initrd:
    the user programs' initrd alone is bigger than some of these machines)."""
    for label, memory, extra in (("mm-m4", 4, ""), ("mm-m512", 512, ""),
                                 ("mm-mem6M", 64, " mem=6M")):
        m = Machine(label, qemu_kernel("selftest=mm.*" + extra, memory=memory, initrd=False))
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
        m = Machine(label, qemu_kernel(f"selftest=crash.{case}"))
        status = m.wait()
        text = "\n".join(lines_of(m.text()))
        tally.check(f"{label}: panic names the page and the caller",
                    re.search(r"(?m)^Kernel panic: " + pattern, text) and status == 7,
                    m.failure_details(qemu_exit_details(status)))


def stage_oops():
    """A deliberate kernel page fault: the oops report and the panic power-off."""
    label = "oops"
    m = Machine(label, qemu_kernel("selftest=crash.kernel_page_fault"))
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
    label = "disks"
    if not tally.check(f"{label}: sfdisk (util-linux) is installed", sfdisk_tool()):
        return
    os.environ["PATH"] += os.pathsep + os.path.dirname(sfdisk_tool())
    drives = make_test_disks()
    m = Machine(label, qemu_kernel("selftest=disk.* test_disks=1", *drives))
    status = m.wait()
    text = m.text()
    lines = lines_of(text)
    check_ktap(label, text, m.failure_details())
    tally.check(f"{label}: powered off with status 0 (QEMU exit 1)", status == 1,
                m.failure_details(qemu_exit_details(status)))
    found = [line.strip() for line in lines if re.match(r"\s*hd[a-d]: ", line)]
    tally.check(f"{label}: one line per disk with model, size and addressing",
                "hda: QEMU HARDDISK, 8 MB (16384 sectors), LBA48" in found and
                "hdc: QEMU HARDDISK, 133120 MB (272629760 sectors), LBA48" in found,
                ["disk lines:"] + found)
    tally.check(f"{label}: the partition check lists hdb's partitions",
                "hdb: hdb1 hdb2 <hdb3: extended, not read> hdb4" in found,
                ["disk lines:"] + found)
    tally.check(f"{label}: the injected error names the disk, LBA and error register",
                any(re.search(r"hdd: read error at LBA 100: status 0x[0-9a-f]+, error 0x4\b", line)
                    for line in lines), m.failure_details())
    stage_disks_timeout(label)
    stage_disks_user(label)


def stage_disks_timeout(label):
    """A drive slower than the driver waits (QEMU's null-co, 4 s a request): -EIO after
    the timeout and a reset, not a hang."""
    slow = f"{label}-timeout"
    hdb = DISKS / "timeout-hdb.raw"
    make_pattern_disk(hdb, 2048, 1)
    m = Machine(slow, qemu_kernel("selftest=disk_timeout.* test_disks=slow",
                                  "-drive", "driver=null-co,size=8M,latency-ns=4000000000,"
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


def stage_disks_user(label):
    """The user-space disk tests (/tests/run disk_*): hda holds patterns, hdb is scratch
    for mkswap; afterwards util-linux's blkid must call hdb a swap area."""
    hda, scratch = DISKS / "user-hda.raw", DISKS / "scratch.raw"
    make_pattern_disk(hda, 16384, 0)
    with open(scratch, "wb") as f:
        f.write(b"FERRITE SCRATCH DISK\n".ljust(512, b"\0"))
        f.truncate(4 << 20)
    user = f"{label}-user"
    m = Machine(user, qemu_kernel("init=/tests/run console=ttyS0 -- disk_*",
                                  "-drive", f"file={hda},format=raw,if=ide,index=0",
                                  "-drive", f"file={scratch},format=raw,if=ide,index=1"),
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
    m = Machine(f"{label}-qemu", [QEMU, "-m", "64", "-gdb", f"tcp:127.0.0.1:{port}", "-S",
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
    ("grub", stage_grub),
    ("bochs", stage_bochs),
    ("usb", stage_usb),
    ("mm-sizes", stage_memory_sizes),
    ("mm-panics", stage_mm_panics),
    ("user", stage_user),
    ("disks", stage_disks),
    ("console", stage_console),
    ("console-ttyS0", stage_serial_console),
    ("oops", stage_oops),
    ("no-cmov", stage_no_cmov),
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
                for m in list(running):
                    m.kill()
    finally:
        for m in list(running):
            m.kill()
    print(f"# logs in {LOGS.relative_to(ROOT)}/, {time.monotonic() - started:.0f} s", flush=True)
    print(f"{tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
