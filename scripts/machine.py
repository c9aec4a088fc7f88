"""Emulator runs for the tests: output collected as it comes, input, time limits, and
QEMU's machine protocol (QMP) for what the guest cannot report itself, such as its screen.

Used by scripts/run-tests.py.
"""
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import ktap

TAIL_LINES = 25


def tail(text, n=TAIL_LINES, width=150):
    """The last lines worth reading: blank ones and GRUB's box drawing left out, and
    long ones (GRUB's menu is drawn as one) shortened to their end."""
    lines = [ktap.clean(line).rstrip() for line in text.splitlines()]
    lines = [re.sub(r" {4,}", "   ", line) for line in lines if line.strip(" |+-")]
    lines = [line if len(line) <= width else "..." + line[-width:] for line in lines]
    return lines[-n:] if lines else ["(no output)"]


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


class Machine:
    """An emulator run: output collected and logged as it arrives, input on request.

    Output comes from the process's standard output, where the tests put the serial
    port. The run ends at its deadline at the latest: then it is killed by its PID."""

    running = set()     # runs still alive: whoever started them kills them on the way out

    def __init__(self, name, argv, logs, cwd, timeout, interactive=False):
        self.name = name
        self.cwd = Path(cwd)
        self.log_path = Path(logs) / f"{name}.log"
        self.stderr_path = Path(logs) / f"{name}.stderr"
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.timed_out = False
        self.gave_up = False
        self.output = bytearray()
        self.eof = False
        self.cond = threading.Condition()
        (Path(logs) / f"{name}.cmd").write_text(shlex.join(str(a) for a in argv) + "\n")
        self.stderr = open(self.stderr_path, "wb")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(a) for a in argv], cwd=cwd,
            stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.stderr, start_new_session=True)
        Machine.running.add(self)
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
        Machine.running.discard(self)
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
        lines = [f"last lines of {self.log_path.relative_to(self.cwd)}:"]
        lines += ["  " + line for line in tail(self.text())]
        err = self.stderr_path.read_text(errors="replace").strip()
        if err:
            lines.append("QEMU's messages:")
            lines += ["  " + line for line in err.splitlines()[-5:]]
        return lines


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


def end_process_group(pid):
    """Kills whatever is left of the process group that the run started as pid (with
    start_new_session, whose group id is that PID), such as an emulator whose script
    was killed before it. Returns whether anything was left."""
    try:
        os.killpg(pid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False
