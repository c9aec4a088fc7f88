"""QEMU and Bochs command lines and runs, each logged under build/test-logs/ by its label.

Labels are unique across the stages, so that two stages running at once never share a
log, and each run's temporary files live under names of its own.
"""
import re
import shlex
import signal
import subprocess
import time

from machine import Machine, end_process_group, shown_once, tail
from testing.paths import INITRD, KERNEL, LOGS, QEMU, ROOT

# Seconds an emulator run may take unless a stage says otherwise. The longest runs of an
# idle host take well under half of their limit, so two at once still fit.
QEMU_TIMEOUT = 60
BOCHS_TIMEOUT = 240
ECHO_TIMEOUT = 10       # for an answer to typed input, once the kernel is up

# QEMU's isa-debug-exit makes QEMU exit with (status << 1) | 1.
DEBUG_EXIT = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
HEADLESS = ["-display", "none", "-no-reboot"] + DEBUG_EXIT
ICOUNT = ["-icount", "shift=0,sleep=off"]

# What GRUB prints when it cannot boot an entry (after its error messages); it then waits
# for a key, so there is no point waiting for the timeout.
GRUB_FAILED = rb"Press any key to continue|Failed to boot both"
# busybox ash's prompt for root ("\w \$ ") in init's working directory, /.
SHELL_PROMPT = rb"(?:^|\n)/ # "


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


def run_command(m, command, expected, within=ECHO_TIMEOUT):
    """Types a command on the serial console; the match of its expected output line."""
    start = m.mark()
    m.send(command.encode() + b"\r")
    return m.expect(rb"\n" + expected + rb"\r?\n", start, within=within)


def kill_all():
    """Kills every emulator this process started that still runs."""
    for m in list(Machine.running):
        m.kill()


def run_bochs(label, iso, stop_at=None, disk=None):
    """Boots iso in Bochs through scripts/bochs-run.sh (logs under build/test-logs/LABEL),
    with the image `disk` as hda if given. Stops it early when GRUB fails, or when the
    serial output matches stop_at (bytes regex). Returns the script's exit status, the serial and port 0xE9 output, and a
    function giving failure details."""
    out = LOGS / label
    script = ROOT / "scripts" / "bochs-run.sh"
    log = LOGS / f"{label}.log"
    com1 = out / "com1.log"
    com1.unlink(missing_ok=True)
    argv = [script, "--timeout", str(BOCHS_TIMEOUT), "--out", out, "--quiet",
            *(["--disk", disk] if disk else []), iso]
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
        try:
            if proc.poll() is None:             # interrupted: leave nothing running
                proc.send_signal(signal.SIGINT)
                proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
        finally:
            # The script was killed, or Bochs did not quit: nothing of this run stays.
            orphaned = end_process_group(proc.pid)
            proc.wait()
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

    if orphaned:
        why = ", ".join(filter(None, [why, "Bochs outlived bochs-run.sh and was killed"]))

    def details():
        return ([why] if why else []) + output_tail()
    return status, serial, e9, e9_path, details
