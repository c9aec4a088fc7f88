"""Reading the kernel's own data structures from a stopped kernel, through gdb alone.

Everything here reads memory (tasks, page tables, mem_map, swap_info, the log ring) the way
the kernel lays it out; nothing asks the running kernel for help. Kernel virtual addresses
are mapped in every page directory, so they can be read whichever process was running.
"""
import struct

import gdb

from kstates import STATE_NAMES  # noqa: F401  (k-mem and k-pagestates name them)

PAGE_SIZE = 4096
PAGE_OFFSET = 0xC0000000
TASK_SIZE = 0xC0000000
USER_PDES = TASK_SIZE >> 22

PTE_PRESENT, PTE_WRITABLE, PTE_USER, PTE_ACCESSED, PTE_DIRTY = 1, 2, 4, 0x20, 0x40
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
PG_SWAP_CACHE, PG_SWAP_ERROR, PG_REFERENCED = 1, 2, 4
SWAP_MAP_BAD = 128
SWP_USED = 1


def inferior():
    return gdb.selected_inferior()


def read(addr, size):
    return bytes(inferior().read_memory(addr, size))


def u32(addr):
    return struct.unpack("<I", read(addr, 4))[0]


def words(addr, count):
    return struct.unpack(f"<{count}I", read(addr, count * 4))


def phys_to_virt(phys):
    return phys + PAGE_OFFSET


def enum_names(type_name):
    """value -> name of a C++ enum's enumerators."""
    return {int(f.enumval): f.name.split("::")[-1] for f in gdb.lookup_type(type_name).fields()}


def symbol(name):
    return gdb.parse_and_eval(name)


# Tasks --------------------------------------------------------------------------------

def tasks():
    """The Task* values of the process table, in slot order."""
    table = symbol("task")
    n = table.type.range()[1] + 1
    return [table[i] for i in range(n) if int(table[i]) != 0]


def find_task(pid):
    for t in tasks():
        if int(t["pid"]) == pid:
            return t
    raise gdb.GdbError(f"no task with pid {pid}")


def current_task():
    return symbol("current")


def state_char(t):
    name = enum_names("TaskState")[int(t["state"])]
    return {"Runnable": "R", "Sleeping": "S", "DiskSleep": "D", "Zombie": "Z"}.get(name, "?")


def comm(t):
    return t["comm"].string(length=16).split("\0")[0]


def address_space(t):
    mm = t["mm"]
    return mm if int(mm) != 0 else None


def pgd_of(mm):
    return int(mm["m_pgd"])


def task_or_current(arg):
    arg = arg.strip()
    return find_task(int(arg, 0)) if arg else current_task()


# mem_map ------------------------------------------------------------------------------

class MemMap:
    """mem_map read at once: count, state, flags and the union word of every frame."""

    def __init__(self):
        alloc = symbol("mm::page_allocator")
        self.nr_pages = int(alloc["m_nr_pages"])
        self.nr_free = int(alloc["m_nr_free"])
        self.nr_reserve = int(alloc["m_nr_reserve"])
        base = int(symbol("mm::mem_map"))
        raw = read(base, self.nr_pages * 8)
        self.entries = list(struct.iter_unpack("<HBBI", raw))
        self.state_names = enum_names("mm::PageState")

    def count(self, pfn):
        return self.entries[pfn][0]

    def state(self, pfn):
        return self.state_names.get(self.entries[pfn][1], "?")

    def flags(self, pfn):
        return self.entries[pfn][2]

    def word(self, pfn):
        return self.entries[pfn][3]

    def counted(self, pfn):
        return pfn < self.nr_pages and self.state(pfn) != "Reserved"


def page_flag_names(flags):
    names = [n for bit, n in ((PG_SWAP_CACHE, "swap_cache"), (PG_SWAP_ERROR, "swap_error"),
                              (PG_REFERENCED, "referenced")) if flags & bit]
    return ",".join(names) or "-"


# Page tables --------------------------------------------------------------------------

def pte_flag_names(pte):
    return " ".join(n for bit, n in ((PTE_PRESENT, "P"), (PTE_WRITABLE, "W"), (PTE_USER, "U"),
                                     (PTE_ACCESSED, "A"), (PTE_DIRTY, "D")) if pte & bit)


def swap_entry(pte):
    """(type, offset) of a not-present, non-zero PTE: the seed's encoding, index << 1."""
    index = pte >> 1
    return index >> 24, index & 0xFFFFFF


def user_tables(mm):
    """(pde index, pde value) of every present user directory entry."""
    pdes = words(pgd_of(mm), USER_PDES)
    return [(i, v) for i, v in enumerate(pdes) if v & PTE_PRESENT]


def table_entries(pde):
    return words(phys_to_virt(pde & ~0xFFF), 1024)


def pte_at(mm, addr):
    """(pde, pte or None) for a user address."""
    pde = u32(pgd_of(mm) + (addr >> 22) * 4)
    if not pde & PTE_PRESENT:
        return pde, None
    return pde, u32(phys_to_virt(pde & ~0xFFF) + ((addr >> 12) & 1023) * 4)


# Regions ------------------------------------------------------------------------------

def regions(mm):
    r = mm["m_set"]["m_first"]
    while int(r) != 0:
        yield r
        r = r["next"]


def region_kind(r):
    return enum_names("mm::RegionKind")[int(r["kind"])]


def find_region(mm, addr):
    for r in regions(mm):
        if int(r["start"]) <= addr < int(r["end"]):
            return r
    return None


def maps_line(mm, r):
    """The region's line as /proc/PID/maps prints it (kernel/proc_pid.cpp)."""
    kind = region_kind(r)
    prot = int(r["prot"])
    offset = dev = ino = 0
    name = ""
    if kind == "File":
        offset, dev, ino = int(r["offset"]), int(r["dev"]), int(r["ino"])
        name = mm["exe_path"].string(length=128).split("\0")[0]
    elif kind == "Heap":
        name = "[heap]"
    elif kind == "Stack":
        name = "[stack]"
    perms = ("r" if prot & PROT_READ else "-") + ("w" if prot & PROT_WRITE else "-") + \
        ("x" if prot & PROT_EXEC else "-") + "p"
    fields = f"{int(r['start']):08x}-{int(r['end']):08x} {perms} {offset:08x} " \
             f"{dev >> 8:02x}:{dev & 0xFF:02x} {ino} "
    return f"{fields:<48} {name}" if name else fields


# Swap ---------------------------------------------------------------------------------

class SwapArea:
    def __init__(self, index, si):
        m = si["map"]
        self.index = index
        self.flags = int(si["flags"])
        self.path = si["path"].string(length=64).split("\0")[0]
        self.prio = int(si["prio"])
        self.pages = int(m["m_pages"])
        self.good = int(m["m_good"])
        self.inuse = int(m["m_inuse"])
        self.lowest = int(m["m_lowest"])
        self.highest = int(m["m_highest"])
        self.counts = read(int(m["m_counts"]), self.pages) if self.pages else b""
        self.cache_addr = int(si["cache"])

    def count(self, offset):
        return self.counts[offset] if offset < self.pages else None

    def bad(self):
        return sum(1 for c in self.counts if c == SWAP_MAP_BAD)

    def cached(self):
        """offset -> pfn of every slot with a swap cache page."""
        if not self.cache_addr or not self.pages:
            return {}
        return {o: v - 1 for o, v in enumerate(words(self.cache_addr, self.pages)) if v}


def swap_areas():
    info = symbol("mm::swap_info")
    n = int(symbol("mm::nr_swapfiles"))
    return [SwapArea(i, info[i]) for i in range(n) if int(info[i]["flags"]) & SWP_USED]


# Page states --------------------------------------------------------------------------

def page_states():
    """One character per frame (STATE_NAMES), and pid -> frames its user PTEs map."""
    mem = MemMap()
    table_frames = set()
    mapped, file_frames, via_shared_table = set(), set(), set()
    held = {}
    for t in tasks():
        mm = address_space(t)
        if mm is None:
            continue
        table_frames.add((pgd_of(mm) - PAGE_OFFSET) >> 12)
        frames = held.setdefault(int(t["pid"]), set())
        file_ranges = [(int(r["start"]), int(r["end"])) for r in regions(mm)
                       if region_kind(r) == "File"]
        for i, pde in user_tables(mm):
            table = pde >> 12
            table_frames.add(table)
            # A table shared since fork maps its pages into every process sharing it, with
            # one reference per page: those pages are shared all the same.
            table_shared = mem.counted(table) and mem.count(table) > 1
            for j, pte in enumerate(table_entries(pde)):
                if not pte & PTE_PRESENT:
                    continue
                pfn = pte >> 12
                frames.add(pfn)
                mapped.add(pfn)
                if table_shared:
                    via_shared_table.add(pfn)
                va = (i << 22) | (j << 12)
                if any(s <= va < e for s, e in file_ranges):
                    file_frames.add(pfn)
    states = []
    for pfn in range(mem.nr_pages):
        state = mem.state(pfn)
        if state == "Free":
            c = "."
        elif state == "Reserved":
            c = "R"
        elif state == "Slab":
            c = "K"
        elif mem.flags(pfn) & PG_SWAP_CACHE:
            c = "C"
        elif pfn in table_frames:
            c = "T"
        elif pfn in mapped:
            shared = mem.count(pfn) > 1 or pfn in via_shared_table
            c = "S" if shared else "F" if pfn in file_frames else "A"
        else:
            c = "K"
        states.append(c)
    return "".join(states), held, mem
