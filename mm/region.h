/*
 * The regions of an address space (the seed's "memory areas", Linux's vm_area_struct)
 * and the set that holds them: a sorted, doubly linked list for walking them in order and
 * neighbours, and beside it a balanced tree (AVL, as Linux 2.0 kept beside its list) for
 * lookups. Every node also keeps the largest gap before any region of its subtree, so
 * that the search for a free gap is a descent too: a fault, mmap, munmap and mprotect
 * cost O(log n) in the number of regions. Pure code: the host tests run it.
 */
#pragma once

#include <kernel/types.h>

namespace fs { class File; }

namespace mm {

class AddressSpace;
class ShmObject;

/* Shared: MAP_SHARED memory (anonymous, a tmpfs file, a SysV segment), one ShmObject's pages. */
enum class RegionKind : u8 { Anonymous, File, Heap, Stack, Shared };

/* Region::flags, Linux's names. */
constexpr u8 VM_LOCKED = 1u << 0;       /* mlock: its pages stay in memory, never swapped out */
constexpr u8 VM_LOCKONFAULT = 1u << 1;  /* with VM_LOCKED: pages are locked as they arrive, not faulted in */
constexpr u8 VM_DONTCOPY = 1u << 2;     /* MADV_DONTFORK: a child does not get the region */
constexpr u8 VM_WIPEONFORK = 1u << 3;   /* MADV_WIPEONFORK: a child gets it empty (zeros) */

struct Region {
    u32 start, end;                     /* [start, end), page aligned */
    u32 prot;
    RegionKind kind;
    u8 flags = 0;                       /* VM_LOCKED and the others below */
    fs::File* file = nullptr;           /* File: the backing file (one reference held) */
    u32 offset = 0;                     /* File: file offset of `start` */
    u32 file_end = 0;                   /* File: data ends at this address; zero after */
    u32 dev = 0, ino = 0;               /* File: identity, for share_page */
    /*
     * Shared: the object mapped (one reference held; `offset` is the object's offset of
     * `start`), the space this region is in, and its links on the object's attach list.
     * `file`, if set, is what it maps (for /proc/PID/maps and msync); `shm_key` names a
     * SysV segment's key there, and `max_prot` is what the file was opened for.
     */
    ShmObject* shm = nullptr;
    AddressSpace* space = nullptr;
    Region* shm_next = nullptr;
    Region* shm_prev = nullptr;
    u32 max_prot = 7;
    i32 shm_key = 0;
    bool sysv = false;
    bool shared = false;                /* MAP_SHARED: 's' in /proc/PID/maps */

    /* Links, owned by RegionSet: a copy of a Region is not linked. */
    Region* next = nullptr;             /* in address order */
    Region* prev = nullptr;
    Region* left = nullptr;             /* the tree */
    Region* right = nullptr;
    Region* parent = nullptr;
    u32 height = 0;
    u32 max_gap = 0;                    /* the largest gap before a region of this subtree */

    bool contains(u32 addr) const { return addr >= start && addr < end; }
    /* The free space just below this region (from the previous one's end, or from 0). */
    u32 gap_before() const { return start - (prev ? prev->end : 0); }
    /* The same fields, without the links: what a copy (fork, split) starts from. */
    Region unlinked() const;
};

class RegionSet {
public:
    Region* first() const { return m_first; }
    Region* last() const { return m_last; }
    u32 count() const { return m_count; }

    /* The region containing addr, or nullptr. Remembers the last answer (mmap_cache). */
    Region* find(u32 addr) const;
    /* The first region ending above addr: the one containing it, or the next one. */
    Region* find_above(u32 addr) const;
    /* Links r in; it must not overlap another region. */
    void insert(Region* r);
    /* Unlinks r (the caller frees it). */
    void erase(Region* r);
    /*
     * Links in, in O(n), regions already in address order through `next` (a copy for fork);
     * the set must be empty.
     */
    void adopt_sorted(Region* first, u32 count);
    /* Unlinks every region at once and returns the first; the rest follow through `next`. */
    Region* take_all();
    /* r's start or end moved, keeping it between its neighbours: the gaps are refreshed. */
    void changed(Region* r);
    /* The lowest address >= low where len bytes are free and end by `high`, or 0. */
    u32 find_gap(u32 len, u32 low, u32 high) const;
    /* Checks every invariant (order, links, balance, gaps); for the tests. */
    bool valid() const;

private:
    void replace_child(Region* parent, Region* from, Region* to);
    Region* rotate_right(Region* y);
    Region* rotate_left(Region* x);
    void fix_up(Region* n);
    Region* build(Region*& cursor, u32 count, Region* parent);

    Region* m_root = nullptr;
    Region* m_first = nullptr;
    Region* m_last = nullptr;
    u32 m_count = 0;
    mutable Region* m_cache = nullptr;
};

} // namespace mm
