/*
 * Process address spaces: page directories, regions, copy-on-write fork and the page
 * fault handlers of the seed (docs/processes.md).
 */
#pragma once

#include <arch/paging.h>
#include <kernel/error.h>
#include <kernel/types.h>
#include <mm/layout.h>
#include <mm/region.h>
#include <mm/types.h>

struct Task;

namespace mm {

constexpr u32 PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
constexpr u32 STACK_TOP = 0xC0000000;
constexpr u32 STACK_LIMIT = 8u << 20;           /* RLIMIT_STACK */
constexpr u32 MMAP_BASE = 0x40000000;           /* where mmap looks first, as Linux i386 */

enum class PageFaultResponse : u8 { Continue, Segv, AccessError, OutOfMemory, BusError };

/* How populate touches pages: as mlock (writable regions written), or read, or written. */
enum class FaultIn : u8 { AsMlock, Read, Write };
/* What populate does at a page it cannot fault in: stop there (mlock), or go on (mlockall). */
enum class OnError : u8 { Stop, Skip };

class AddressSpace {
public:
    /* A fresh space: kernel half shared, no user mappings. nullptr without memory. */
    static AddressSpace* create();
    /* fork: copy_page_tables and the regions; nullptr (nothing leaked) without memory. */
    AddressSpace* fork_copy();
    ~AddressSpace();

    /* exec: drops every user mapping and region (clear_page_tables). */
    void clear();

    PhysAddr directory_phys() const;
    arch::Pde* directory() const { return m_pgd; }

    Region* find(u32 addr) const { return m_set.find(addr); }
    /* The first region ending above addr (the one containing it, or the next). */
    Region* find_above(u32 addr) const { return m_set.find_above(addr); }
    /* Adds a region over [start, end), which must be free. ENOMEM. */
    ErrorOr<void> map(const Region& shape);
    /* Removes [start, end) from every region, freeing its pages. ENOMEM. */
    ErrorOr<void> unmap(u32 start, u32 end);
    /* mprotect over [start, end), which must be fully mapped. ENOMEM. */
    ErrorOr<void> protect(u32 start, u32 end, u32 prot);
    /* A free gap of len bytes for mmap at or above `hint`, or 0. */
    u32 find_free(u32 len, u32 hint) const;
    bool range_mapped(u32 start, u32 end) const;

    /*
     * Region calls of mm/mremap.cpp, mm/mlock.cpp and mm/madvise.cpp, with Linux's
     * semantics; the system calls have checked alignment and flags.
     * remap: mremap's shrink, grow in place, or move (the PTEs move, the pages stay).
     */
    ErrorOr<u32> remap(u32 addr, u32 old_len, u32 new_len, u32 flags, u32 new_addr);
    /* Sets the lock flags (VM_LOCKED, VM_LOCKONFAULT or none) of [start, end), which must be mapped. */
    ErrorOr<void> set_lock(u32 start, u32 end, u8 lock);
    /*
     * Faults in the pages of [start, end) of the running process, for writing where `how`
     * says so. EAGAIN without memory (or, for a lock, past the locked pages' share);
     * EFAULT at a region without access (PROT_NONE), where OnError::Skip goes on instead.
     */
    ErrorOr<void> populate(u32 start, u32 end, FaultIn how, OnError on_error = OnError::Stop);
    /* MADV_DONTNEED: drops the pages and swap entries of [start, end) inside one region. */
    ErrorOr<void> discard(u32 start, u32 end);
    /*
     * Region flags set and cleared over [start, end), which is mapped, splitting regions at
     * its ends and merging what becomes alike (mlock, MADV_DONTFORK and the like).
     */
    ErrorOr<void> set_region_flags(u32 start, u32 end, u8 set, u8 clear);
    /* The pages of the locked regions, in memory or not (Linux's locked_vm: VmLck). */
    u32 locked_pages() const;
    /* mlockall(MCL_FUTURE): the lock flags every new region gets (Linux's def_flags). */
    u8 def_flags = 0;

    /* The PTE for addr, or nullptr if its page table does not exist. Read it only. */
    arch::Pte* pte(u32 addr) const;
    /*
     * The PTE for addr in a table of this process's own, to change: the table is created,
     * or copied if it is shared since fork (unshare_table). nullptr without memory.
     */
    arch::Pte* pte_alloc(u32 addr);
    /* Whether the table covering addr is shared with other processes since fork. */
    bool table_shared(u32 addr) const;
    /* Makes the table of directory entry `index` private (a copy if shared). ENOMEM. */
    ErrorOr<void> unshare_table(u32 index);
    ErrorOr<void> unshare_range(u32 start, u32 end);
    void flush_if_current() const;

    /* Calls fn(i) for each directory entry i of the user half that has a table. */
    template <typename Fn>
    void for_each_table(Fn fn) const
    {
        for (u32 w = 0; w < TABLE_WORDS; w++)
            for (u32 bits = m_tables[w]; bits; bits &= bits - 1)
                fn(w * 32 + u32(__builtin_ctz(bits)));
    }
    void note_table(u32 index) { m_tables[index / 32] |= 1u << (index % 32); }

    u32 start_code = 0, end_code = 0, start_data = 0, end_data = 0;
    u32 start_brk = 0, brk = 0, start_stack = 0;
    u32 arg_start = 0, arg_end = 0;     /* argv's strings on the stack: /proc/PID/cmdline */
    u32 rss = 0;                        /* present user pages (the zero page not counted) */
    /* swap_out's hand in this space: where its scan resumes, and what is left of its visit. */
    u32 swap_address = 0, swap_cnt = 0;
    char exe_path[128] = { };           /* the executable, named in /proc/PID/maps */
    /*
     * The tasks running on this space (Linux's mm_users): 1, or 2 while a vforked child
     * borrows its parent's. It is freed with its last user (mmput).
     */
    u32 users = 1;
    u32 count_regions() const { return m_set.count(); }
    /* The first region; the others follow through `next`, in address order. */
    Region* regions() const { return m_set.first(); }
    /* Moves the end of r (brk), which must stay below the next region. */
    void resize(Region* r, u32 end);
    /* Moves the start of r down (the stack growing), above the region before it. */
    void move_start(Region* r, u32 start);

private:
    AddressSpace() = default;
    ErrorOr<void> split(u32 addr);      /* makes addr a region boundary */
    /* Joins r with its neighbours where they are alike (anonymous, same protection). */
    void merge_around(Region* r);
    void zap_range(u32 start, u32 end); /* unmaps the pages, keeps regions */
    /* remap's move: [addr, addr + old_len), one whole region, goes to new_addr with new_len. */
    ErrorOr<u32> move_region(Region* r, u32 new_addr, u32 new_len, bool keep_old);
    /* remap with old_len 0: a second mapping of a shared region's pages from addr, at `to`. */
    ErrorOr<u32> duplicate(Region* r, u32 addr, u32 to, u32 len);
    /* remap's grow in place: r's end to new_end, which must be free. */
    void grow_region(Region* r, u32 new_end);
    void free_region(Region* r);
    void adopt(Region* r);

    arch::Pde* m_pgd = nullptr;         /* kernel virtual address of the directory page */
    RegionSet m_set;                    /* non-overlapping, by address */
    /* Which user directory entries have a table: the walks of all tables skip the rest. */
    static constexpr u32 TABLE_WORDS = arch::pgd_index(TASK_SIZE) / 32;    /* the user half */
    u32 m_tables[TABLE_WORDS] = { };
};

/* The fault handler: decides, the trap layer turns the answer into a signal or fixup. */
PageFaultResponse do_page_fault(u32 address, u32 error_code);

/* Drops a present or swapped user PTE of a private table, releasing what it referenced. */
void release_pte(AddressSpace& as, arch::Pte& pte);

/* fork's page-table work: every user page table shared copy-on-write with `to`. */
void copy_page_tables(AddressSpace& from, AddressSpace& to);

/*
 * The seed's names for the other page-table steps, as one-line calls of the methods that
 * do them, used where the seed's kernel used them: the fault handler's table for an
 * address (made or unshared), exec's emptying of the user half, exit's freeing of it all.
 * Out of line, so that each is a symbol gdb can break on (docs/tour.md).
 */
arch::Pte* get_empty_pgtable(AddressSpace& as, u32 addr);
void clear_page_tables(AddressSpace& as);
void free_page_tables(AddressSpace* as);

/* A task lets go of its address space (exit, exec): free_page_tables with its last user. */
void mmput(AddressSpace* as);

/*
 * Whether walks over every task (swap_out, swapoff, rss accounting) should visit t's
 * address space through t: t has one and is the first task in task[] running on it, so
 * that a space a vforked child borrows is visited once.
 */
bool first_user(const Task& t);

/* rss += delta for the process whose PTE at addr changed, and for all sharing its table. */
void account_rss(AddressSpace& as, u32 addr, int delta);

/*
 * What /proc/PID/smaps reports of a region, as Linux counts it: sizes in bytes, and the
 * proportional ones (each page divided among the processes mapping it) in bytes << PSS_SHIFT.
 */
constexpr u32 PSS_SHIFT = 12;
struct RegionUsage {
    u32 rss = 0, shared_clean = 0, shared_dirty = 0, private_clean = 0, private_dirty = 0;
    u32 referenced = 0, anonymous = 0, swap = 0;
    u64 pss = 0, pss_dirty = 0, pss_anon = 0, pss_file = 0, pss_shmem = 0, swap_pss = 0, pss_locked = 0;
};
/* Adds what r's pages in `as` count to `usage` (mm/region_usage.cpp). */
void add_region_usage(const AddressSpace& as, const Region& r, RegionUsage& usage);

/* The pages in memory in locked regions of every process (Mlocked, Unevictable of meminfo). */
u32 mlocked_pages();

/* The page of zeros that read faults on untouched anonymous memory map. */
PhysAddr zero_page();

} // namespace mm
