"""Stages that read the binaries rather than run them: the kernel and the initrd's
programs must suit a 486."""
import re
import subprocess
import sys

from machine import tail
from testing.paths import BUILD, KERNEL, LOGS, OBJDUMP, ROOT


def stage_no_cmov(t):
    """The kernel must run on a 486: no CMOV (a Pentium Pro instruction)."""
    try:
        proc = subprocess.run([OBJDUMP, "-d", KERNEL], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        t.check("kernel.elf: no CMOV instructions", False, [f"{OBJDUMP}: {e}"])
        return
    (LOGS / "kernel.objdump").write_text(proc.stdout)
    cmovs = [line.strip() for line in proc.stdout.splitlines()
             if re.search(r"\tcmov[a-z]*\s", line)]
    t.check("kernel.elf: no CMOV instructions", proc.returncode == 0 and not cmovs and
            "<start_kernel>:" in proc.stdout,
            ([f"{OBJDUMP} exit status {proc.returncode}", proc.stderr.strip()]
             if proc.returncode else []) + cmovs[:10])


def stage_scan_i686(t):
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
    t.check(f"{label}: every i686 instruction in the initrd is emulated or explained",
            status == 0 and re.search(r"(?m)^/bin/ferrite\n  emulated: cmov", out),
            [f"exit status {status}"] + tail(out))
