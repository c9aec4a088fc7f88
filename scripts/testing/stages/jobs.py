"""Job control at the console: an interactive busybox ash session typed on the serial port.

init gives the shell it starts the console as its controlling terminal; busybox ash, run
from it (a second, interactive ash), takes the terminal's foreground for its jobs. The session starts a job in the
background, brings it to the foreground, stops it with ^Z, continues it with bg, kills it,
interrupts a foreground command with ^C, brings back a job that SIGTTIN stopped in a read,
edits a line with DEL, and types single keys (one an arrow key on the PS/2 keyboard) at a
program in raw mode (/tests/rawkey).
"""
import shutil
import tempfile
import time
from pathlib import Path

from machine import Qmp
from testing.machines import (ECHO_TIMEOUT, SHELL_PROMPT, boot, qemu_exit_details, qemu_kernel)
from testing.paths import TEST_INITRD

ASH_PROMPT = rb"\nash\$ "         # at the start of a line: not the echo of PS1=
JOB = rb"sleep 30"


def stage_jobs(t):
    """An interactive busybox ash session with job control on the serial console."""
    label = "jobs"
    sock_dir = tempfile.mkdtemp(prefix="ferrite-test-")
    qmp_path = Path(sock_dir) / f"{label}.qmp"
    m = None
    try:
        m = boot(label, qemu_kernel("console=ttyS0", "-qmp", f"unix:{qmp_path},server=on,wait=off",
                                    initrd=TEST_INITRD), interactive=True)
        if not t.check(f"{label}: init starts the shell, which prompts", m.expect(SHELL_PROMPT),
                       m.failure_details()):
            return

        def step(what, keys, pattern, within=ECHO_TIMEOUT, pause=0.0):
            """Types keys; checks that pattern (bytes regex) follows within the time."""
            start = m.mark()
            if pause:
                time.sleep(pause)
            m.send(keys)
            found = m.expect(pattern, start, within=within)
            t.check(f"{label}: {what}", found,
                    m.failure_details(f"typed {keys!r}; want {pattern!r} within {within} s"))
            return found

        start = m.mark()
        if not step("busybox ash starts interactive", b"sh -i\r"
                    b"PS1='ash$ '\r", ASH_PROMPT):
            return
        text = m.text()[start:]
        t.check(f"{label}: ash has job control (a controlling terminal it can take)",
                "job control turned off" not in text and "can't access tty" not in text,
                m.failure_details("ash said it has no job control"))

        step("a job starts in the background", b"sleep 30 &\r", ASH_PROMPT)
        step("jobs lists it running", b"jobs\r", rb"\[1\]\+ +Running +" + JOB)
        step("fg brings it to the foreground", b"fg\r", JOB + rb"\r?\n")
        step("Ctrl-Z stops it", b"\x1a", rb"\[1\]\+ +Stopped +" + JOB, pause=0.5)
        step("/proc/PID/status shows it stopped", b"cat /proc/$!/status\r",
             rb"State:\s+T \(stopped\)")
        step("bg continues it in the background", b"bg\r", rb"\[1\] " + JOB)
        step("jobs lists it running again", b"jobs\r", rb"\[1\]\+ +Running +" + JOB)
        step("kill %1 is taken", b"kill %1\r", ASH_PROMPT)
        step("... and ends it", b"jobs\r", rb"\[1\]\+ +Terminated +" + JOB, pause=0.5)

        # 100 s unless ^C reaches the foreground job; the prompt must come back well before.
        m.send(b"sleep 100\r")
        step("Ctrl-C interrupts a foreground sleep 100", b"\x03", rb"\^C[\s\S]*" + ASH_PROMPT,
             pause=1.0)
        step("... which died of SIGINT", b"echo status $?\r", rb"\nstatus 130\r?\n")

        # A job reading the terminal from the background stops; brought to the foreground,
        # its read starts again (no "Interrupted system call") and gets the line typed.
        step("a background job that reads stops (SIGTTIN)", b"cat &\r",
             ASH_PROMPT)
        step("jobs says so", b"jobs\r", rb"\[1\]\+ +Stopped \(tty input\) +cat",
             pause=0.5)
        step("fg continues it in the foreground", b"fg\r", rb"cat\r?\n")
        step("its read goes on and gets a line", b"meow\r", rb"meow\r?\nmeow\r?\n", pause=0.5)
        step("Ctrl-D ends it", b"\x04", rb"ash\$ ")  # the line before ended with the output

        step("DEL erases while editing a line", b"echo abc\x7f\x7fxy\r", rb"\naxy\r?\n")

        step("a raw-mode program starts", b"/tests/rawkey\r", rb"rawkey: ready\r?\n")
        step("it gets a key without Enter", b"a", rb"key 97\r?\n")
        qmp = Qmp(qmp_path)
        start = m.mark()
        qmp.hmp("sendkey up")
        found = m.expect(rb"key 27\r?\nkey 91\r?\nkey 65\r?\n", start, within=ECHO_TIMEOUT)
        t.check(f"{label}: the keyboard's Up arrow arrives as ESC [ A", found,
                m.failure_details("sent the Up key on the PS/2 keyboard"))
        qmp.close()
        step("q ends it, the terminal back in canonical mode", b"q",
             rb"rawkey: 5 keys[\s\S]*" + ASH_PROMPT)

        step("exit from ash returns to init's shell", b"exit\r", SHELL_PROMPT)
        m.send(b"exit\r")
        status = m.wait()
        t.check(f"{label}: exit from the shell powers off with status 0 (QEMU exit 1)",
                status == 1, m.failure_details(qemu_exit_details(status)))
    finally:
        if m:
            m.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)
