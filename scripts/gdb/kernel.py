"""gdb helpers for watching Ferrite's memory manager: `source scripts/gdb/kernel.py`.

Commands (`help user-defined` lists them): k-ps, k-pte, k-page, k-mem, k-swap, k-vma,
k-pgtable, k-dmesg, k-bt, k-pagestates; functions $k_current() and $k_task(pid). They read
the kernel's data structures (scripts/gdb/kdata.py) from a stopped kernel; docs/tour.md
shows them at work.
"""
import os
import sys

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kdata  # noqa: E402  (found through the path set just above)
from kdata import PTE_PRESENT, PTE_WRITABLE, PROT_WRITE  # noqa: E402


def parse_int(text):
    return int(gdb.parse_and_eval(text))


class Command(gdb.Command):
    def __init__(self, name):
        super().__init__(name, gdb.COMMAND_USER)

    def invoke(self, arg, from_tty):
        try:
            self.run(arg)
        except gdb.MemoryError as e:
            raise gdb.GdbError(f"{self.__class__.__name__}: cannot read kernel memory: {e}")


class KPs(Command):
    """k-ps: every task: pid, state, name, page directory (physical), rss, minor and major faults."""

    def __init__(self):
        super().__init__("k-ps")

    def run(self, arg):
        cur = int(kdata.current_task())
        print(f"{'PID':>5} S {'COMM':<15} {'PGD':>10} {'RSS':>6} {'MINFLT':>8} {'MAJFLT':>8}")
        for t in kdata.tasks():
            mm = kdata.address_space(t)
            pgd = f"{kdata.pgd_of(mm) - kdata.PAGE_OFFSET:#010x}" if mm else "-"
            rss = int(mm["rss"]) if mm else 0
            mark = " <- current" if int(t) == cur else ""
            print(f"{int(t['pid']):>5} {kdata.state_char(t)} {kdata.comm(t):<15} {pgd:>10} "
                  f"{rss:>6} {int(t['min_flt']):>8} {int(t['maj_flt']):>8}{mark}")


class KPte(Command):
    """k-pte ADDR [PID]: the two-level walk for a user address (default: the current task).

Prints the directory entry, the page table entry and its flags; for a present page its
frame, mem_map count and whether a write would copy it (copy-on-write); for a swapped one
the swap entry and its swap_map count."""

    def __init__(self):
        super().__init__("k-pte")

    def run(self, arg):
        args = gdb.string_to_argv(arg)
        if not args:
            raise gdb.GdbError("usage: k-pte ADDR [PID]")
        addr = parse_int(args[0]) & 0xFFFFFFFF
        t = kdata.find_task(parse_int(args[1])) if len(args) > 1 else kdata.current_task()
        mm = kdata.address_space(t)
        if mm is None:
            raise gdb.GdbError(f"pid {int(t['pid'])} has no user address space")
        if addr >= kdata.TASK_SIZE:
            raise gdb.GdbError(f"{addr:#x} is not a user address")
        pde, pte = kdata.pte_at(mm, addr)
        mem = kdata.MemMap()
        pdi, pti = addr >> 22, (addr >> 12) & 1023
        print(f"pid {int(t['pid'])} address {addr:#010x}: pgd[{pdi}] pte[{pti}]")
        if not pde & PTE_PRESENT:
            print(f"pde = {pde:#010x}: no page table")
            return
        table = pde >> 12
        print(f"pde = {pde:#010x}: table at pfn {table:#x} [{kdata.pte_flag_names(pde)}], "
              f"shared by {mem.count(table) if mem.counted(table) else 1}")
        if pte & PTE_PRESENT:
            pfn = pte >> 12
            r = kdata.find_region(mm, addr)
            cow = bool(r is not None and not pte & PTE_WRITABLE and int(r["prot"]) & PROT_WRITE)
            count = mem.count(pfn) if mem.counted(pfn) else None
            where = f"count={count} state={mem.state(pfn)} flags={kdata.page_flag_names(mem.flags(pfn))}" \
                if count is not None else "not counted (reserved: the zero page or the kernel's)"
            print(f"pte = {pte:#010x}: present pfn={pfn} ({pfn:#x}) [{kdata.pte_flag_names(pte)}]")
            print(f"  frame: {where}")
            print(f"  copy-on-write: {'yes (a write copies it, or takes it if sole owner)' if cow else 'no'}")
        elif pte:
            typ, off = kdata.swap_entry(pte)
            areas = {a.index: a for a in kdata.swap_areas()}
            count = areas[typ].count(off) if typ in areas else None
            cached = areas[typ].cached().get(off) if typ in areas else None
            print(f"pte = {pte:#010x}: swapped type={typ} offset={off} "
                  f"swap_map={count if count is not None else 'no such area'}"
                  + (f" swap cache pfn={cached}" if cached is not None else ""))
        else:
            print("pte = 0x00000000: none (never touched, or unmapped)")


class KPage(Command):
    """k-page PFN: the mem_map entry of a page frame."""

    def __init__(self):
        super().__init__("k-page")

    def run(self, arg):
        if not arg.strip():
            raise gdb.GdbError("usage: k-page PFN")
        pfn = parse_int(arg)
        mem = kdata.MemMap()
        if not 0 <= pfn < mem.nr_pages:
            raise gdb.GdbError(f"pfn {pfn} is outside mem_map (0..{mem.nr_pages - 1})")
        state, word = mem.state(pfn), mem.word(pfn)
        meaning = {"Free": f"next_free={'none' if word == 0xFFFFFFFF else word}",
                   "Slab": f"slab next_partial={word & 0x1FFFFF} first_free={word >> 21}"}.get(state, "")
        if state == "InUse" and mem.flags(pfn) & kdata.PG_SWAP_CACHE:
            typ, off = word >> 24, word & 0xFFFFFF
            meaning = f"swap_index: type={typ} offset={off}"
        print(f"mem_map[{pfn}] (phys {pfn << 12:#010x}): count={mem.count(pfn)} state={state} "
              f"flags={kdata.page_flag_names(mem.flags(pfn))} {meaning}".rstrip())


class KMem(Command):
    """k-mem: free pages, the reserve, pages by state and by use, the largest users."""

    def __init__(self):
        super().__init__("k-mem")

    def run(self, arg):
        states, held, mem = kdata.page_states()
        by_state = {}
        for pfn in range(mem.nr_pages):
            by_state[mem.state(pfn)] = by_state.get(mem.state(pfn), 0) + 1
        free = mem.nr_free + mem.nr_reserve
        print(f"free pages: {free} ({free * 4} kB; {mem.nr_reserve} of them in the reserve)")
        print(f"managed pages: {int(kdata.symbol('mm::managed_pages'))}, "
              f"mem_map: {mem.nr_pages} frames")
        print(f"swap cache pages: {int(kdata.symbol('mm::swap_cache_pages'))}")
        print("by state: " + ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())))
        print("by use:   " + ", ".join(f"{name} {states.count(c)}"
                                       for c, name in kdata.STATE_NAMES.items()))
        users = []
        for t in kdata.tasks():
            mm = kdata.address_space(t)
            if mm is not None:
                users.append((int(mm["rss"]), int(t["pid"]), kdata.comm(t)))
        print("top users (rss pages): " +
              ", ".join(f"{pid} {name} {rss}" for rss, pid, name in sorted(users, reverse=True)[:5]))


class KSwap(Command):
    """k-swap: the swap areas (slots used and bad, lowest_bit/highest_bit) and the swap cache."""

    def __init__(self):
        super().__init__("k-swap")

    def run(self, arg):
        areas = kdata.swap_areas()
        if not areas:
            print("no swap area is on")
        for a in areas:
            cached = a.cached()
            print(f"swap_info[{a.index}] {a.path}: flags={a.flags:#x} prio={a.prio} pages={a.pages} "
                  f"good={a.good} used={a.inuse} bad={a.bad()} lowest_bit={a.lowest} "
                  f"highest_bit={a.highest} cached={len(cached)}")
            print(f"  size {a.good * 4} kB, used {a.inuse * 4} kB")
            if cached:
                shown = sorted(cached.items())[:16]
                print("  swap cache: " + " ".join(f"{o}->pfn {p}" for o, p in shown) +
                      (" ..." if len(cached) > len(shown) else ""))
        print(f"swap cache pages: {int(kdata.symbol('mm::swap_cache_pages'))}")


class KVma(Command):
    """k-vma [PID]: the regions of a process, as /proc/PID/maps shows them."""

    def __init__(self):
        super().__init__("k-vma")

    def run(self, arg):
        t = kdata.task_or_current(arg)
        mm = kdata.address_space(t)
        if mm is None:
            print(f"pid {int(t['pid'])} has no user address space")
            return
        for r in kdata.regions(mm):
            print(kdata.maps_line(mm, r))


class KPgtable(Command):
    """k-pgtable [PID]: every present or swapped user PTE, grouped by page table.

A table shared since fork (its mem_map count above 1) says so; a page mapped more than
once (count above 1) shows its count."""

    def __init__(self):
        super().__init__("k-pgtable")

    def run(self, arg):
        t = kdata.task_or_current(arg)
        mm = kdata.address_space(t)
        if mm is None:
            print(f"pid {int(t['pid'])} has no user address space")
            return
        mem = kdata.MemMap()
        for i, pde in kdata.user_tables(mm):
            table = pde >> 12
            sharers = mem.count(table) if mem.counted(table) else 1
            print(f"table pgd[{i}] {i << 22:#010x}-{((i + 1) << 22) - 1:#010x} pfn {table:#x}"
                  + (f" shared by {sharers} processes" if sharers > 1 else ""))
            for j, pte in enumerate(kdata.table_entries(pde)):
                if not pte:
                    continue
                va = (i << 22) | (j << 12)
                if pte & PTE_PRESENT:
                    pfn = pte >> 12
                    count = mem.count(pfn) if mem.counted(pfn) else 0
                    note = f" count={count}" if count != 1 else ""
                    if mem.counted(pfn) and mem.flags(pfn) & kdata.PG_SWAP_CACHE:
                        note += " swap-cache"
                    if not mem.counted(pfn):
                        note = " reserved"
                    print(f"  {va:#010x} pfn {pfn:#x} [{kdata.pte_flag_names(pte)}]{note}")
                else:
                    typ, off = kdata.swap_entry(pte)
                    print(f"  {va:#010x} swap {typ}:{off}")


class KDmesg(Command):
    """k-dmesg: the kernel log (printk's ring, every level)."""

    def __init__(self):
        super().__init__("k-dmesg")

    def run(self, arg):
        print(dmesg_text(), end="")


def dmesg_text():
    size = int(kdata.symbol("sizeof(log_buf)"))
    end = int(kdata.symbol("log_end"))
    base = int(kdata.symbol("&log_buf[0]"))
    n = min(end, size)
    raw = kdata.read(base, size)
    start = (end - n) % size
    text = raw[start:] + raw[:start] if n == size else raw[start:start + n]
    return text.decode(errors="replace")


class KBt(Command):
    """k-bt PID: the kernel stack of a task that is not running, from where switch_to left it."""

    def __init__(self):
        super().__init__("k-bt")

    def run(self, arg):
        if not arg.strip():
            raise gdb.GdbError("usage: k-bt PID")
        t = kdata.find_task(parse_int(arg))
        if int(t) == int(kdata.current_task()):
            gdb.execute("bt")
            return
        # switch_to pushed ebp, ebx, esi, edi and EFLAGS below its return address.
        esp = int(t["kernel_esp"])
        ebp, ret = kdata.u32(esp + 16), kdata.u32(esp + 20)
        print(f"#0  switch_to (kernel_esp {esp:#x})")
        depth = 1
        while ret and depth < 32:
            print(f"#{depth:<2} {ret:#010x} in {describe(ret)}")
            depth += 1
            if not ebp or ebp & 3 or not kdata.PAGE_OFFSET <= ebp:
                break
            try:
                next_ebp, ret = kdata.u32(ebp), kdata.u32(ebp + 4)
            except gdb.MemoryError:
                break
            if next_ebp <= ebp:
                if ret:
                    print(f"#{depth:<2} {ret:#010x} in {describe(ret)}")
                break
            ebp = next_ebp


def describe(ret):
    """The function a return address is in (`info symbol`, which sees through inlining)
    and the line of the call before it."""
    text = gdb.execute(f"info symbol {ret:#x}", to_string=True).strip()
    name = text.split(" in section")[0] if "No symbol" not in text else "??"
    sal = gdb.find_pc_line(ret - 1)
    where = f" at {sal.symtab.filename}:{sal.line}" if sal.symtab else ""
    return f"{name}{where}"


class KPagestates(Command):
    """k-pagestates FILE: writes the page-state dump scripts/memmap.py draws.

The first line holds one character per page frame (R reserved, K kernel, T page table,
A user anonymous, F file, S shared, C swap cache, . free); then one line per process:
`pid PID COMM PFN,PFN,...` for the frames its PTEs map."""

    def __init__(self):
        super().__init__("k-pagestates")

    def run(self, arg):
        if not arg.strip():
            raise gdb.GdbError("usage: k-pagestates FILE")
        states, held, _ = kdata.page_states()
        names = {int(t["pid"]): kdata.comm(t) for t in kdata.tasks()}
        with open(arg.strip(), "w") as f:
            f.write(states + "\n")
            for pid, frames in sorted(held.items()):
                f.write(f"pid {pid} {names.get(pid, '?') or '?'} "
                        f"{','.join(str(p) for p in sorted(frames))}\n")
        print(f"{len(states)} frames, {len(held)} processes written to {arg.strip()}")


class KCurrent(gdb.Function):
    """$k_current(): the running task (Task*)."""

    def __init__(self):
        super().__init__("k_current")

    def invoke(self):
        return kdata.current_task()


class KTask(gdb.Function):
    """$k_task(PID): the task with that pid (Task*)."""

    def __init__(self):
        super().__init__("k_task")

    def invoke(self, pid):
        return kdata.find_task(int(pid))


for command in (KPs, KPte, KPage, KMem, KSwap, KVma, KPgtable, KDmesg, KBt, KPagestates,
                KCurrent, KTask):
    command()
