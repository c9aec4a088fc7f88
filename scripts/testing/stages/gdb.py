"""The gdb stage: gdb on QEMU's stub with scripts/gdbinit (what `make debug` runs)."""
import re
import subprocess
import time

from machine import TAIL_LINES, free_tcp_port, shown_once, tcp_listening
from testing.machines import HEADLESS, QEMU_TIMEOUT, boot
from testing.paths import INITRD, KERNEL, LOGS, QEMU, ROOT


def stage_gdb(t):
    """gdb on QEMU's stub, with scripts/gdbinit: breakpoints, backtraces, a helper."""
    label = "gdb"
    port = free_tcp_port()
    gdbinit = (ROOT / "scripts" / "gdbinit").read_text()
    # scripts/gdbinit connects to port 1234 (`make debug`); here the port is a free one.
    if not t.check(f"{label}: scripts/gdbinit connects to localhost:1234",
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
echo @@ k-dmesg\\n
k-dmesg
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
    t.check(f"{label}: break start_kernel; bt shows start_kernel",
            re.search(r"(?m)^#0\s+(0x[0-9a-f]+ in )?start_kernel ", bt1), details)
    bt2 = sections.get("bt ktest", "")
    t.check(f"{label}: break ktest_timer_ticks_advance; bt shows it, ktest::run, "
            "start_kernel",
            re.search(r"(?m)^#0\s+(0x[0-9a-f]+ in )?ktest_timer_ticks_advance ", bt2) and
            re.search(r"(?m)^#\d+\s+0x[0-9a-f]+ in ktest::run ", bt2) and
            re.search(r"(?m)^#\d+\s+0x[0-9a-f]+ in start_kernel ", bt2), details)
    t.check(f"{label}: scripts/gdbinit loads the helpers: k-dmesg prints the boot's log",
            re.search(r"(?m)^Memory: \d+ free pages", sections.get("k-dmesg", "")), details)
    t.check(f"{label}: ktest-current names timer.ticks_advance",
            re.search(r"(?m)^timer\.ticks_advance\b",
                      sections.get("ktest-current", "")), details)
