/*
 * Shared memory objects: memory that several address spaces map as one (MAP_SHARED of
 * anonymous memory or of a tmpfs file, SysV segments), and that read and write reach too.
 * An object owns its pages by index, each nothing yet, a frame, or a swap entry, as
 * Linux 1.0's shm segment owns shm_pages; the regions that map it are on its attach list,
 * so that swapping one of its pages out finds every PTE that maps it.
 * docs/shared-memory.md has the design.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>
#include <kernel/userspace.h>
#include <mm/swap_entry.h>
#include <mm/types.h>

namespace mm {

class ShmObject;
class AddressSpace;
struct Region;

/* A new object of `size` bytes, zero-filled, with one reference. ENOMEM, EFBIG. */
ErrorOr<ShmObject*> shm_create(u64 size);
void shm_get(ShmObject*);
/* The last reference frees the object's pages and swap slots. */
void shm_put(ShmObject*);
u64 shm_size(const ShmObject*);
/* The pages it holds, in RAM or in swap. */
u32 shm_pages(const ShmObject*);
/*
 * A shrink frees the pages past the end (unmapping them from every region) and zeroes
 * the tail of the last one; growth reads as zeros. EFBIG, ENOMEM.
 */
ErrorOr<void> shm_truncate(ShmObject*, u64 size);
/*
 * Copies to or from a user buffer: EFAULT on a bad pointer (the bytes done so far if some
 * were copied); read stops at the size, write past the end grows it. ENOMEM without a page.
 */
ErrorOr<size_t> shm_read(ShmObject*, u64 offset, Userspace<void*> buf, size_t n);
ErrorOr<size_t> shm_write(ShmObject*, u64 offset, Userspace<const void*> buf, size_t n);

/* The largest object: page indexes fit the slot table (4 GB less a page). */
constexpr u64 SHM_MAX_SIZE = 0xFFFFF000ull;

/*
 * What a SysV segment (or anything else owning an object) hears when a region attaches
 * to or detaches from its object: shmat, fork and splits attach; shmdt, munmap and exit
 * detach (Linux's shm_open and shm_close, which keep shm_nattch).
 */
class ShmWatcher {
public:
    virtual void attached(ShmObject*) = 0;
    virtual void detached(ShmObject*) = 0;

protected:
    ~ShmWatcher() = default;
};

class ShmObject {
public:
    u64 size() const { return m_size; }
    u32 pages_held() const { return m_held; }
    u32 pages_resident() const { return m_resident; }
    u32 ino() const { return m_ino; }           /* for /proc/PID/maps of anonymous ones */
    u32 attach_count() const { return m_nattach; }
    void set_watcher(ShmWatcher* w) { m_watcher = w; }

    /*
     * The frame of page `index`, with one reference for the caller: brought back from swap
     * if it is there; a hole gets a new zeroed page if `alloc` is Yes, else the answer is
     * a null PhysAddr (it reads as zeros). May sleep. ENOMEM, EIO.
     */
    enum class Alloc : u8 { No, Yes };
    ErrorOr<PhysAddr> get_page(u32 index, Alloc alloc);

    /* Internal to mm/shmem*.cpp (the page slots and lists); public for their helpers. */
    static constexpr u32 SLOTS_PER_TABLE = PAGE_SIZE / sizeof(u32);
    /*
     * A page slot: 0 nothing yet; a frame's physical address with bit 0 set (the object
     * holds one reference on the frame); or a swap entry's PTE value (bit 0 clear), the
     * object holding one reference on the slot. Tables live as long as the object, so a
     * slot pointer stays good across a sleep (its value may not).
     */
    u32* slot(u32 index, Alloc alloc);
    static constexpr bool holds_frame(u32 v) { return v & 1; }
    static constexpr PhysAddr frame_of(u32 v) { return PhysAddr(v & PAGE_MASK); }
    void free_pages_from(u32 first);

    u32 m_refs = 1;
    u64 m_size = 0;
    u32 m_held = 0;                     /* slots holding a frame or a swap entry */
    u32 m_resident = 0;                 /* slots holding a frame */
    bool m_locked = false;              /* SHM_LOCK: its pages stay in memory */
    u32 m_ino = 0;
    u32** m_tables = nullptr;           /* a page of slots per 1024 pages, made on demand */
    u32 m_nr_tables = 0;                /* entries of m_tables */
    /* Every object, for shm_swap's hand and swapoff. */
    ShmObject* m_next = nullptr;
    ShmObject* m_prev = nullptr;
    /* The regions that map it (Region::shm_next): Linux 1.0's shp->attaches. */
    Region* m_attaches = nullptr;
    u32 m_nattach = 0;
    ShmWatcher* m_watcher = nullptr;
    u32 m_swap_hand = 0;                /* where shm_swap looks next in this object */
};

/*
 * A Shared region (r->shm and r->space set) joins its object's attach list, or leaves
 * it; the region's reference on the object is the caller's business.
 */
void shm_attach(Region* r);
void shm_detach(Region* r);
/* Clears every PTE, in every region, that maps a page of obj from index `first` on. */
void shm_unmap_pages(ShmObject* obj, u32 first);

/*
 * Linux 1.0's shm_swap: looks at up to `budget` pages of the objects (a hand going round
 * them), and writes out those no sharer used since the last look: each is written once,
 * every PTE mapping it cleared, its slot recorded in the object. Pages freed, up to `want`.
 */
u32 shm_swap(u32 budget, u32 want);
/* swapoff: every page of the objects in area `type` back in memory. ENOMEM, EIO. */
ErrorOr<void> shm_unuse(u32 type);
/* The first of all objects; the others follow through m_next (for shm_swap and swapoff). */
ShmObject* shm_first_object();

/* Frames held by objects in RAM: Shmem of /proc/meminfo. */
extern u32 shmem_pages;

} // namespace mm
