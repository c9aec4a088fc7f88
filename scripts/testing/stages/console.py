"""Stages at the console: the VGA screen read through QMP, serial and keyboard input."""
import shutil
import tempfile
from pathlib import Path

from machine import Qmp, read_vga_text
from testing.checks import BANNER, first_line, first_line_is_banner, screen_details
from testing.machines import (ECHO_TIMEOUT, SHELL_PROMPT, boot, qemu_exit_details, qemu_kernel,
                              run_command)


def console_boot(t, label, append, sock_dir):
    """A boot to the shell's prompt, with QMP on a socket to look at the screen."""
    qmp_path = Path(sock_dir) / f"{label}.qmp"
    m = boot(label, qemu_kernel(append, "-qmp", f"unix:{qmp_path},server=on,wait=off"),
             interactive=True)
    ready = m.expect(SHELL_PROMPT)
    t.check(f"{label}: init starts the shell, which prompts", ready, m.failure_details())
    return m, qmp_path, ready


def stage_console(t):
    """The VGA screen, and serial and keyboard input, in the default console setup."""
    label = "console"
    sock_dir = tempfile.mkdtemp(prefix="ferrite-test-")
    m = None
    try:
        # quiet: the boot messages would scroll the banner off the screen.
        m, qmp_path, ready = console_boot(t, label, "quiet", sock_dir)
        if not ready:
            return
        qmp = Qmp(qmp_path)
        rows = read_vga_text(qmp)
        t.check(f"{label}: banner on the first row of the VGA screen",
                rows[0].rstrip() == BANNER,
                [f"expected {BANNER!r}", f"row 0: {rows[0].rstrip()!r}"] +
                screen_details(rows))

        # Nothing polls the UART: the kernel sleeps until an interrupt comes.
        echoed = run_command(m, "echo hello ferrite", rb"hello ferrite")
        t.check(f"{label}: a command typed on the serial port runs (interrupt-driven input)",
                echoed, m.failure_details(f"typed 'echo hello ferrite' and Enter on COM1; "
                                          f"no output within {ECHO_TIMEOUT} s"))

        start = m.mark()
        for key in ("e", "c", "h", "o", "spc", "k", "b", "d", "ret"):
            qmp.hmp(f"sendkey {key}")
        typed = m.expect(rb"\nkbd\r?\n", start, within=ECHO_TIMEOUT)
        t.check(f"{label}: a command typed on the PS/2 keyboard runs", typed,
                m.failure_details(f"typed 'echo kbd' and Enter on the keyboard; no output "
                                  f"within {ECHO_TIMEOUT} s"))

        rows = read_vga_text(qmp)
        on_screen = any(r.rstrip() == "hello ferrite" for r in rows) and \
            any(r.rstrip() == "kbd" for r in rows)
        t.check(f"{label}: the session is shown on the VGA screen", on_screen,
                screen_details(rows))

        ran = run_command(m, "cat /etc/motd", rb"Welcome to Ferrite\.")
        t.check(f"{label}: the shell runs a program with arguments", ran, m.failure_details())
        m.send(b"exit\r")
        status = m.wait()
        t.check(f"{label}: exit from the shell powers off with status 0 (QEMU exit 1)",
                status == 1, m.failure_details(qemu_exit_details(status)))
        qmp.close()
    finally:
        if m:
            m.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)


def stage_serial_console(t):
    """console=ttyS0: the kernel writes to the serial port only."""
    label = "console-ttyS0"
    sock_dir = tempfile.mkdtemp(prefix="ferrite-test-")
    m = None
    try:
        m, qmp_path, ready = console_boot(t, label, "console=ttyS0", sock_dir)
        if not ready:
            return
        text = m.text()
        t.check(f"{label}: banner is the first line on serial", first_line_is_banner(text),
                m.failure_details(f"expected {BANNER!r}, first line "
                                  f"{first_line(text)!r}"))
        qmp = Qmp(qmp_path)
        rows = read_vga_text(qmp)
        qmp.close()
        screen = "\n".join(rows)
        t.check(f"{label}: nothing from the kernel on the VGA screen",
                BANNER not in screen and "init:" not in screen, screen_details(rows))
    finally:
        if m:
            m.kill()
        shutil.rmtree(sock_dir, ignore_errors=True)
