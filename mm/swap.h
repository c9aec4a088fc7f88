/*
 * Swap: the seed's swap_info with a SwapMap per area (swap_map.h), swapon and swapoff
 * (swapfile.cpp), page stealing (swap_out, try_to_swap_out, kswapd) and bringing pages
 * back (swap_in) in swap.cpp, the swap cache in swap_cache.h, and what user space sees
 * (the system calls, /proc/swaps, the swap lines of meminfo, areas on block devices) in
 * swap_proc.cpp. docs/swap.md has the design.
 */
#pragma once

#include <arch/paging.h>
#include <kernel/wait.h>
#include <mm/swap_entry.h>
#include <mm/swap_map.h>
#include <mm/vm.h>

struct Task;

namespace mm {

/* What an area is kept on: whole pages by index (page 0 is the header). */
class SwapDevice {
public:
    virtual ~SwapDevice() = default;
    virtual u32 pages() const = 0;
    virtual ErrorOr<void> read_page(u32 index, void* page) = 0;         /* EIO */
    virtual ErrorOr<void> write_page(u32 index, const void* page) = 0;
    /*
     * count pages at consecutive indexes from `index` on, in one request where the device
     * can: EIO for the whole request. By default, one page at a time.
     */
    virtual ErrorOr<void> read_pages(u32 index, u32 count, void* const pages[]);
    virtual ErrorOr<void> write_pages(u32 index, u32 count, void* const pages[]);
    virtual void release() { }          /* the area is off: the device may go */
};

constexpr int MAX_SWAPFILES = 8;
constexpr u32 SWP_USED = 1, SWP_WRITEOK = 3;

struct SwapInfo {
    u32 flags = 0;
    SwapDevice* device = nullptr;
    u32 rdev = 0;                       /* what swapon named, to find it again */
    char path[64] = { };
    SwapMap map;                        /* swap_map and swap_lockmap */
    u32* cache = nullptr;               /* per slot: pfn + 1 of its swap cache page, or 0 */
    int prio = 0;                       /* for /proc/swaps: get_swap_page goes by index */
};

extern SwapInfo swap_info[MAX_SWAPFILES];
extern int nr_swapfiles;

/* swapon: page 0 parsed, swap_map built. EINVAL, EBUSY, EPERM, EIO, ENOMEM. */
ErrorOr<void> swap_enable(SwapDevice* device, u32 rdev, const char* path, int prio);
/* swapoff: every page brought back first (try_to_unuse). EINVAL, EBUSY or ENOMEM. */
ErrorOr<void> swap_disable(u32 rdev);
/* The seed's try_to_unuse: every page of area `type` back in memory. ENOMEM. */
ErrorOr<void> try_to_unuse(u32 type);
/* A page went to swap, or a slot came free: reclaim is making progress. */
void note_swap_progress();

/*
 * The seed's swap_lockmap: one read or write of a slot at a time. lock_slot waits,
 * uninterruptibly, while another holds the slot.
 */
void lock_slot(SwapInfo& si, u32 offset);
void unlock_slot(SwapInfo& si, u32 offset);

SwapEntry get_swap_page();
void swap_duplicate(SwapEntry entry);
void swap_free(SwapEntry entry);
/* The area of a valid entry; panics naming `who` on one no area holds. */
SwapInfo& area_of(SwapEntry entry, const char* who);
/* A slot a write failed on: the page stays in memory, the slot is never used again. */
void retire_slot(SwapEntry entry, bool drop_reference);

/*
 * Brings the page of `entry` in for the PTE at `addr` of `as` if the PTE still holds it,
 * from the swap cache or by reading the cluster of slots around it (read-ahead).
 */
PageFaultResponse swap_in(AddressSpace& as, const Region& r, u32 addr, arch::Pte& pte,
                          SwapEntry entry, bool write);

/*
 * Reads the slot of `entry` and its neighbours into the swap cache (swap_in's read-ahead),
 * for pages no PTE names (shared memory objects). ENOMEM, EIO.
 */
ErrorOr<void> swap_read_cluster(SwapEntry entry);
/* Whether entry's slot has a copy in the swap cache (mincore counts it as in memory). */
bool swap_cached(SwapEntry entry);

/* Slots read around a faulting one: 1 << page_cluster, aligned (Linux's page-cluster). */
constexpr u32 PAGE_CLUSTER = 3;
/* The most pages one swap_out gathers and writes in a go (Linux's SWAP_CLUSTER_MAX). */
constexpr u32 SWAP_CLUSTER_MAX = 32;

/* Pages read from and written to swap since boot (pswpin, pswpout of /proc/vmstat). */
extern u32 pswpin, pswpout;

/* Steals every page of one address space that the policy lets go (for tests): how many. */
u32 swap_out_space(Task& owner, AddressSpace& as);

/* Frees pages by stealing them from processes; true if any was freed. get_free_page's hook. */
bool try_to_free_page();

/*
 * kswapd: a kernel thread that keeps free memory between the low and high watermarks
 * while swap is on, so that a process rarely waits for a write. Started at boot, after
 * init. Below the minimum (the allocator's reserve), allocations reclaim themselves.
 */
struct Watermarks {
    u32 min, low, high;                 /* free pages */
};
Watermarks watermarks();
void start_kswapd();

/* Where swapon finds the SwapDevice for a device number: swap_proc_init sets the block layer's. */
void swap_set_device_source(SwapDevice* (*source)(u32 rdev));
void swap_proc_init();

struct SwapTotal {
    u32 pages, used;
};
SwapTotal swap_totals();

} // namespace mm
