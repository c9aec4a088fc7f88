"""Watching the memory manager: the gdb helpers of scripts/gdb/ against the kernel's own
report, the picture of scripts/memmap.py, and the seed's function names (docs/tour.md).

gdb-helpers boots /tests/watchee as init on 32 MB with a swap disk: a process grown past the
RAM (part of it in swap) and a forked child sharing it. watchee prints /proc's view of
them and sleeps; gdb then stops the machine and each helper's reading must agree.
"""
import re
import shutil
import subprocess
import time

from machine import TAIL_LINES, free_tcp_port, shown_once, tcp_listening
from testing.fixtures import mkswap, stage_folder
from testing.machines import HEADLESS, boot, qemu_exit_details, qemu_kernel
from testing.paths import KERNEL, LOGS, QEMU, ROOT, TEST_INITRD

# The seed's functions, each a symbol of its own in the kernel (break NAME works on it).
SEED_FUNCTIONS = [
    "get_free_page", "__get_free_page", "free_page", "copy_page_tables", "do_page_fault",
    "do_wp_page", "do_no_page", "share_page", "swap_in", "swap_out", "try_to_swap_out",
    "get_swap_page", "swap_duplicate", "swap_free", "try_to_free_page", "try_to_unuse",
    "paging_init", "mem_init", "kswapd", "get_empty_pgtable", "clear_page_tables",
    "free_page_tables",
]

TRACE_SWAPOUT = r"mmtrace: swapout pid (\d+) addr (0x[0-9a-f]+) frame (0x[0-9a-f]+) slot (\d+):(\d+)"

# MemFree is counted while /proc/meminfo is generated into a page of its own, and the
# reading process holds a page or two more then than when it sleeps: the figures gdb reads
# afterwards may be that many pages higher.
READER_PAGES = 3


def python_with_pil():
    """Debian's python3 (python3-pil is for it), else the one running the tests."""
    import sys
    return "/usr/bin/python3" if shutil.which("/usr/bin/python3") else sys.executable


def kernel_symbols():
    nm = subprocess.run([shutil.which("i686-linux-gnu-nm") or "nm", "-C", str(KERNEL)],
                        capture_output=True, text=True, check=True).stdout
    names = set()
    for line in nm.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            name = parts[2].replace("(anonymous namespace)", "anonymous").split("(")[0]
            names.add(name.split("<")[0].rsplit("::", 1)[-1])
    return names


def stage_seed_names(t):
    """Every seed function is a symbol; every function docs/tour.md names exists."""
    label = "seed-names"
    names = kernel_symbols()
    missing = [f for f in SEED_FUNCTIONS if f not in names]
    t.check(f"{label}: the seed's functions are kernel symbols ({len(SEED_FUNCTIONS)})",
            not missing, lambda: [f"not in nm's list: {' '.join(missing)}"])
    tour = (ROOT / "docs" / "tour.md").read_text()
    # `name()` and `Class::name()`: the function's own name must be a symbol.
    named = set(re.findall(r"`(?:[A-Za-z_][A-Za-z0-9_]*::)*([A-Za-z_][A-Za-z0-9_]*)\(\)`", tour))
    unknown = sorted(n for n in named if n not in names)
    t.check(f"{label}: docs/tour.md names {len(named)} functions, all in the kernel",
            len(named) >= 20 and not unknown,
            lambda: [f"not kernel symbols: {' '.join(unknown)}"])


def sections(text):
    """'@@ TITLE' lines split text into sections: title -> body."""
    out = {}
    for part in re.split(r"^@@ ", text.replace("\r\n", "\n"), flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        out.setdefault(title.strip(), body)
    return out


def stage_gdb_helpers(t):
    """k-ps, k-pte, k-vma, k-mem, k-swap, k-dmesg, k-bt, k-pagestates and the memmap picture,
    each against what the kernel itself reported."""
    label = "gdb-helpers"
    folder = stage_folder(label)
    swap = folder / "swap.img"
    with open(swap, "wb") as f:
        f.truncate(64 << 20)
    mkswap(swap)
    port = free_tcp_port()
    m = boot(f"{label}-qemu", [QEMU, "-m", "32", "-kernel", KERNEL, "-initrd", TEST_INITRD,
                               "-append", "init=/tests/watchee console=ttyS0 mmtrace=swapout",
                               "-drive", f"file={swap},format=raw,if=ide,index=0",
                               "-gdb", f"tcp:127.0.0.1:{port}", "-serial", "stdio", *HEADLESS])
    log = LOGS / "gdb-helpers.log"
    dump = folder / "pagestates"
    out = ""
    try:
        ready = m.expect(rb"@@ watch ready", within=90)
        if not t.check(f"{label}: watchee reached its steady state", ready,
                       m.failure_details("no '@@ watch ready'")):
            return
        report = sections(m.text())
        pids = [int(x) for x in re.search(r"@@ pids (\d+) (\d+)", m.text()).groups()]
        samples = re.findall(r"@@ pagemap (\d+) (0x[0-9a-f]+) (0x[0-9a-f]+)", m.text())
        traced = re.findall(TRACE_SWAPOUT, m.text())
        commands = [f"file {KERNEL}", f"target remote localhost:{port}",
                    f"source {ROOT / 'scripts' / 'gdb' / 'kernel.py'}",
                    "echo @@ k-ps\\n", "k-ps", "echo @@ k-mem\\n", "k-mem",
                    "echo @@ k-swap\\n", "k-swap", "echo @@ k-dmesg\\n", "k-dmesg"]
        for pid in pids:
            commands += [f"echo @@ k-vma {pid}\\n", f"k-vma {pid}",
                         f"echo @@ k-bt {pid}\\n", f"k-bt {pid}"]
        for pid, addr, _ in samples:
            commands += [f"echo @@ k-pte {pid} {addr}\\n", f"k-pte {addr} {pid}"]
        for pid, addr, _, typ, off in traced[:8]:
            commands += [f"echo @@ traced {pid} {addr}\\n", f"k-pte {addr} {pid}"]
        present = [(pid, addr, int(e, 16) & ((1 << 55) - 1)) for pid, addr, e in samples
                   if int(e, 16) >> 63]
        if present:
            commands += [f"echo @@ k-page\\n", f"k-page {present[0][2]}"]
        commands += [f"echo @@ k-pgtable {pids[1]}\\n", f"k-pgtable {pids[1]}"]
        commands += [f"echo @@ k-task {pids[0]}\\n", f"p $k_task({pids[0]})->pid",
                     "echo @@ k-current\\n", "p $k_current()->pid",
                     "echo @@ k-pagestates\\n", f"k-pagestates {dump}", "echo @@ end\\n"]
        script = folder / "commands.gdb"
        script.write_text("set pagination off\nset confirm off\n" + "\n".join(commands) + "\n")
        deadline = time.monotonic() + 10
        while not tcp_listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            proc = subprocess.run(["gdb", "-batch", "-nx", "-x", str(script)], cwd=ROOT,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=120)
            out = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as e:
            out = "gdb timed out\n" + (e.stdout or b"").decode(errors="replace")
        log.write_text(out)
    finally:
        m.kill()
    serial = m.text().replace("\r\n", "\n")
    got = sections(out)
    details = shown_once(lambda: [f"gdb output ({log.relative_to(ROOT)}):"] +
                         ["  " + line for line in out.strip().splitlines()[-TAIL_LINES:]])
    check_ps(t, label, report, got, pids, details)
    check_vma(t, label, report, got, pids, details)
    check_pte(t, label, samples, got, details)
    meminfo = parse_kb(report.get("file /proc/meminfo", ""))
    check_mem(t, label, meminfo, got, details)
    check_swap(t, label, report, got, details)
    check_dmesg(t, label, serial, got, details)
    check_page_and_pgtable(t, label, samples, got, pids, details)
    for pid in pids:
        bt = got.get(f"k-bt {pid}", "")
        t.check(f"{label}: k-bt {pid} walks from switch_to through schedule into a system call",
                re.search(r"^#0\s+switch_to", bt, re.M) and "schedule" in bt and "syscall" in bt,
                details)
    t.check(f"{label}: $k_task({pids[0]})->pid and $k_current()->pid",
            re.search(rf"= {pids[0]}\b", got.get(f"k-task {pids[0]}", "")) and
            re.search(r"= \d+", got.get("k-current", "")), details)
    check_memmap(t, label, folder, dump, meminfo, details)
    # mmtrace=swapout: writes traced with pid, address, frame and slot, at most 10 (the rate
    # limit), and a page traced going out is found by k-pte in that very slot.
    agree = [x for x in traced[:8] if re.search(rf"swapped type={x[3]} offset={x[4]} ",
                                                got.get(f"traced {x[0]} {x[1]}", ""))]
    t.check(f"{label}: mmtrace=swapout traced {len(traced)} writes (rate limit: 10), "
            f"{len(agree)} of the first 8 still in the traced slot by k-pte",
            1 <= len(traced) <= 10 and agree,
            lambda: [f"traced: {traced}"] + details())


def stat_fields(text):
    """pid, comm, state, minflt, majflt, rss of a /proc/PID/stat line."""
    m = re.match(r"(\d+) \((.*)\) (\S) (.*)", text.strip())
    if not m:
        return None
    rest = m.group(4).split()
    # After the state: ppid pgrp session tty tpgid flags minflt cminflt majflt ... (proc(5)).
    return (int(m.group(1)), m.group(2), m.group(3), int(rest[6]), int(rest[8]), int(rest[20]))


def check_ps(t, label, report, got, pids, details):
    rows = {}
    for line in got.get("k-ps", "").splitlines()[1:]:
        f = line.split()
        if len(f) >= 7 and f[0].isdigit():
            rows[int(f[0])] = (int(f[0]), f[2], f[1], int(f[5]), int(f[6]), int(f[4]))
    # Pid 1 ran on after reading its own stat; its faults may have grown.
    for pid in [2] + pids:
        want = stat_fields(report.get(f"file /proc/{pid}/stat", ""))
        t.check(f"{label}: k-ps pid {pid} (name, state, faults, rss) is /proc/{pid}/stat's",
                want is not None and rows.get(pid) == want,
                lambda pid=pid, want=want: [f"/proc: {want}", f"k-ps:  {rows.get(pid)}"] + details())
    t.check(f"{label}: k-ps lists pid 1 as /proc does",
            1 in rows and rows[1][1] == (stat_fields(report.get("file /proc/1/stat", "")) or
                                         (0, ""))[1], details)


def check_vma(t, label, report, got, pids, details):
    for pid in pids:
        want = report.get(f"file /proc/{pid}/maps", "").strip().splitlines()
        have = got.get(f"k-vma {pid}", "").strip().splitlines()
        t.check(f"{label}: k-vma {pid} is /proc/{pid}/maps ({len(want)} regions)",
                want and [w.rstrip() for w in want] == [h.rstrip() for h in have],
                lambda want=want, have=have: ["maps:"] + want + ["k-vma:"] + have + details())


def check_pte(t, label, samples, got, details):
    present = swapped = 0
    wrong = []
    for pid, addr, entry in samples:
        e = int(entry, 16)
        text = got.get(f"k-pte {pid} {addr}", "")
        if e >> 63:
            ok = re.search(rf"present pfn={e & ((1 << 55) - 1)} ", text)
            present += 1
        elif (e >> 62) & 1:
            typ, off = e & 0x1F, (e >> 5) & ((1 << 50) - 1)
            ok = re.search(rf"swapped type={typ} offset={off} swap_map=[1-9]", text)
            swapped += 1
        else:
            ok = "none" in text
        if not ok:
            wrong.append(f"pid {pid} {addr}: pagemap {entry}, k-pte: {text.strip()}")
    t.check(f"{label}: k-pte agrees with /proc/PID/pagemap ({present} present, "
            f"{swapped} swapped samples)", samples and present and swapped and not wrong,
            lambda: wrong + details())


def check_page_and_pgtable(t, label, samples, got, pids, details):
    """k-page of a sampled frame has k-pte's count; k-pgtable lists every sample of the
    child as pagemap has it (its frame, or its swap slot)."""
    first = next(((pid, addr, e) for pid, addr, e in samples if int(e, 16) >> 63), None)
    count = re.search(r"count=(\d+)", got.get(f"k-pte {first[0]} {first[1]}", "")) if first else None
    page = got.get("k-page", "")
    t.check(f"{label}: k-page shows the mem_map count k-pte read for the same frame",
            count and re.search(rf"count={count.group(1)} state=InUse", page), details)
    table = got.get(f"k-pgtable {pids[1]}", "")
    wrong = []
    for pid, addr, entry in samples:
        if int(pid) != pids[1]:
            continue
        e, va = int(entry, 16), int(addr, 16) & ~0xFFF
        if e >> 63:
            want = rf"(?m)^  {va:#010x} pfn {e & ((1 << 55) - 1):#x} "
        elif (e >> 62) & 1:
            want = rf"(?m)^  {va:#010x} swap {e & 0x1F}:{(e >> 5) & ((1 << 50) - 1)}$"
        else:
            continue
        if not re.search(want, table):
            wrong.append(f"{addr}: pagemap {entry}")
    t.check(f"{label}: k-pgtable {pids[1]} lists each sampled page as pagemap does",
            table and not wrong, lambda: wrong + details())


def parse_kb(text):
    return {k: int(v) for k, v in re.findall(r"(?m)^(\w+):\s+(\d+) kB", text)}


def check_mem(t, label, meminfo, got, details):
    text = got.get("k-mem", "")
    free = re.search(r"free pages: (\d+)", text)
    managed = re.search(r"managed pages: (\d+)", text)
    cached = re.search(r"swap cache pages: (\d+)", text)
    t.check(f"{label}: k-mem's free pages are MemFree (within {READER_PAGES} pages)",
            free and "MemFree" in meminfo and
            0 <= int(free.group(1)) * 4 - meminfo["MemFree"] <= READER_PAGES * 4,
            lambda: [f"meminfo: {meminfo}"] + details())
    t.check(f"{label}: k-mem's managed pages are MemTotal, its swap cache SwapCached",
            managed and cached and int(managed.group(1)) * 4 == meminfo.get("MemTotal") and
            int(cached.group(1)) * 4 == meminfo.get("SwapCached"),
            lambda: [f"meminfo: {meminfo}"] + details())


def check_swap(t, label, report, got, details):
    swaps = report.get("file /proc/swaps", "").strip().splitlines()[1:]
    want = [(f[0], int(f[2]), int(f[3])) for f in (s.split() for s in swaps)]
    have = [(m.group(1), int(m.group(2)), int(m.group(3))) for m in
            re.finditer(r"swap_info\[\d+\] (\S+):.*\n  size (\d+) kB, used (\d+) kB",
                        got.get("k-swap", ""))]
    t.check(f"{label}: k-swap's areas, sizes and used slots are /proc/swaps'",
            want and want == have and want[0][2] > 0,
            lambda: [f"/proc/swaps: {want}", f"k-swap: {have}"] + details())


def check_dmesg(t, label, serial, got, details):
    lines = [line for line in got.get("k-dmesg", "").splitlines() if line.strip()]
    at, missing = 0, []
    for line in lines:
        found = serial.find(line, at)
        if found < 0:
            missing.append(line)
        else:
            at = found + len(line)
    t.check(f"{label}: k-dmesg's {len(lines)} lines are on the console, in order",
            len(lines) >= 5 and any(line.startswith("Memory: ") for line in lines) and not missing,
            lambda: [f"not on the console: {missing[:5]}"] + details())


def check_memmap(t, label, folder, dump, meminfo, details):
    png = folder / "memmap.png"
    python = python_with_pil()
    draw = subprocess.run([python, ROOT / "scripts" / "memmap.py", dump, png],
                          capture_output=True, text=True)
    counted = subprocess.run([python, ROOT / "scripts" / "memmap.py", "--count", png],
                             capture_output=True, text=True)
    counts = dict((k.strip(), int(v)) for k, v in
                  (line.rsplit(":", 1) for line in counted.stdout.splitlines() if ":" in line))
    why = lambda: [draw.stderr.strip(), counted.stderr.strip(), f"cells: {counts}",  # noqa: E731
                   f"meminfo: {meminfo}"]
    if not t.check(f"{label}: memmap.py draws the dump and reads the PNG back",
                   draw.returncode == 0 and counted.returncode == 0 and counts, why):
        return
    total = sum(counts.values())
    t.check(f"{label}: the picture's free cells are MemFree (within {READER_PAGES} pages)",
            0 <= counts["free"] * 4 - meminfo["MemFree"] <= READER_PAGES * 4, why)
    t.check(f"{label}: the picture's cells but the reserved ones are MemTotal",
            (total - counts["reserved"]) * 4 == meminfo["MemTotal"], why)
    t.check(f"{label}: the picture's swap cache cells are SwapCached",
            counts["swap cache"] * 4 == meminfo["SwapCached"], why)
    t.check(f"{label}: the picture shows page tables, shared and anonymous user pages",
            counts["page table"] > 0 and counts["shared"] > 0 and counts["user anonymous"] > 0,
            why)


# Each demo as init of the system's own initrd (the ISO's), with its command line's
# additions: what it must print.
DEMOS = {
    "cowdemo": [r"maps the parent's frame for 8 of 8 pages", r"child wrote 4 pages: [4-9] minor faults",
                r"(?m)^cowdemo:\s+0\s+(0x\w+)\s+(?!\1)0x\w+\s+written", r"copy-on-write as the seed says"],
    "sharedemo": [r"(\d+) of \1 text pages map one frame in both processes",
                  r"text shared as the seed says"],
    # The live trace of the copies, rate limited to 10 lines: the child's first written page.
    "cowdemo 64": [r"mmtrace: cow pid (\d+) addr 0x40000000 frame 0x[0-9a-f]+\r?\n",
                   r"^(?:(?:.*\n)*?.*mmtrace: cow pid \d+ addr 0x[0-9a-f]+ frame 0x[0-9a-f]+\r?\n){10}"
                   r"(?![\s\S]*mmtrace: cow)", r"copy-on-write as the seed says"],
}
DEMO_CMDLINE = {"cowdemo 64": "mmtrace=cow"}


def stage_demos(t):
    """cowdemo and sharedemo, from the ISO's initrd, show what the seed says and exit 0."""
    for demo, expected in DEMOS.items():
        label = f"demo-{demo.replace(' ', '-')}"
        name, _, args = demo.partition(" ")
        append = f"init=/bin/{name} console=ttyS0 {DEMO_CMDLINE.get(demo, 'quiet')}" + \
            (f" -- {args}" if args else "")
        m = boot(label, qemu_kernel(append, memory=16))
        status = m.wait()
        text = m.text()
        t.check(f"{label}: powers off with status 0", status == 1,
                m.failure_details(qemu_exit_details(status)))
        for pattern in expected:
            t.check(f"{label}: prints /{pattern}/", re.search(pattern, text),
                    m.failure_details())
