/*
 * Process address spaces: page directories, regions, copy-on-write fork and the page
 * fault handlers of the seed (docs/processes.md).
 */
#pragma once

#include <arch/i386/paging.h>
#include <kernel/types.h>
#include <mm/types.h>

namespace fs { class File; }

namespace mm {

constexpr u32 PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
constexpr u32 STACK_TOP = 0xC0000000;
constexpr u32 STACK_LIMIT = 8u << 20;           /* RLIMIT_STACK */
constexpr u32 MMAP_BASE = 0x40000000;           /* where mmap looks first, as Linux i386 */

enum class RegionKind : u8 { Anonymous, File, Heap, Stack };

struct Region {
    u32 start, end;                     /* [start, end), page aligned */
    u32 prot;
    RegionKind kind;
    fs::File* file = nullptr;           /* File: the backing file (one reference held) */
    u32 offset = 0;                     /* File: file offset of `start` */
    u32 file_end = 0;                   /* File: data ends at this address; zero after */
    u32 dev = 0, ino = 0;               /* File: identity, for share_page */
    Region* next = nullptr;

    bool contains(u32 addr) const { return addr >= start && addr < end; }
};

enum class PageFaultResponse : u8 { Continue, Segv, AccessError, OutOfMemory, BusError };

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
    arch::Pte* directory() const { return m_pgd; }

    Region* find(u32 addr) const;
    /* The first region ending above addr (the one containing it, or the next). */
    Region* find_above(u32 addr) const;
    /* Adds a region over [start, end), which must be free. 0 or -ENOMEM. */
    long map(const Region& shape);
    /* Removes [start, end) from every region, freeing its pages. 0 or -ENOMEM. */
    long unmap(u32 start, u32 end);
    /* mprotect over [start, end), which must be fully mapped. 0, -ENOMEM. */
    long protect(u32 start, u32 end, u32 prot);
    /* A free gap of len bytes for mmap at or above `hint`, or 0. */
    u32 find_free(u32 len, u32 hint) const;
    bool range_mapped(u32 start, u32 end) const;

    /* The PTE for addr, or nullptr if its page table does not exist. */
    arch::Pte* pte(u32 addr) const;
    /* The same, creating the page table; nullptr without memory. */
    arch::Pte* pte_alloc(u32 addr);

    u32 start_code = 0, end_code = 0, start_data = 0, end_data = 0;
    u32 start_brk = 0, brk = 0, start_stack = 0;
    u32 rss = 0;                        /* present user pages */
    char exe_path[128] = { };           /* the executable, named in /proc/PID/maps */
    u32 count_regions() const;
    Region* regions() const { return m_regions; }

private:
    AddressSpace() = default;
    long split(u32 addr);               /* makes addr a region boundary */
    void merge_adjacent();
    void zap_range(u32 start, u32 end); /* unmaps the pages, keeps regions */
    void free_region(Region* r);

    arch::Pte* m_pgd = nullptr;         /* kernel virtual address of the directory page */
    Region* m_regions = nullptr;        /* sorted by address, non-overlapping */
};

/* The fault handler: decides, the trap layer turns the answer into a signal or fixup. */
PageFaultResponse do_page_fault(u32 address, u32 error_code);

/* Drops a present or swapped user PTE, releasing what it referenced. */
void release_pte(AddressSpace& as, arch::Pte& pte);

} // namespace mm
