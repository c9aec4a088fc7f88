/*
 * Swap: the seed's swap_info, swap_map and swap_lockmap, page stealing (swap_out,
 * try_to_swap_out) and bringing pages back (swap_in). docs/swap.md has the design.
 */
#pragma once

#include <arch/i386/paging.h>
#include <kernel/wait.h>
#include <mm/swap_entry.h>
#include <mm/vm.h>

struct Task;

namespace mm {

/* What an area is kept on: whole pages by index (page 0 is the header). */
class SwapDevice {
public:
    virtual ~SwapDevice() = default;
    virtual u32 pages() const = 0;
    virtual long read_page(u32 index, void* page) = 0;          /* 0 or -EIO */
    virtual long write_page(u32 index, const void* page) = 0;
    virtual void release() { }          /* the area is off: the device may go */
};

constexpr int MAX_SWAPFILES = 8;
constexpr u32 SWP_USED = 1, SWP_WRITEOK = 3;

struct SwapInfo {
    u32 flags = 0;
    SwapDevice* device = nullptr;
    u32 rdev = 0;                       /* what swapon named, to find it again */
    char path[64] = { };
    u8* swap_map = nullptr;             /* a count per page; 128 = bad or absent */
    u8* swap_lockmap = nullptr;         /* a bit per page, set while it is read or written */
    u32 pages = 0;
    u32 lowest_bit = 0, highest_bit = 0;
    u32 good_pages = 0;                 /* usable */
    u32 inuse_pages = 0;                /* usable and holding a page */
    int prio = 0;
};

extern SwapInfo swap_info[MAX_SWAPFILES];
extern int nr_swapfiles;

/* swapon: page 0 parsed, swap_map built. 0 or -EINVAL, -EBUSY, -EPERM, -ENOMEM. */
long swap_enable(SwapDevice* device, u32 rdev, const char* path, int prio);
/* swapoff: every page brought back first (try_to_unuse). 0, -EINVAL or -ENOMEM. */
long swap_disable(u32 rdev);

/*
 * The seed's swap_lockmap: one read or write of a slot at a time. lock_slot waits,
 * uninterruptibly, while another holds the slot.
 */
void lock_slot(SwapInfo& si, u32 offset);
void unlock_slot(SwapInfo& si, u32 offset);

SwapEntry get_swap_page();
void swap_duplicate(SwapEntry entry);
void swap_free(SwapEntry entry);

/* Brings the page of `entry` in for the PTE at `addr` of `as` if the PTE still holds it. */
PageFaultResponse swap_in(AddressSpace& as, const Region& r, u32 addr, arch::Pte& pte,
                          SwapEntry entry);

/* Steals every page of one address space that the policy lets go (for tests): how many. */
u32 swap_out_space(Task& owner, AddressSpace& as);

/* Frees a page by stealing one from a process; true if one was freed. get_free_page's hook. */
bool try_to_free_page();

/* Where swapon finds the SwapDevice for a block device number (the block layer sets it). */
void swap_set_device_source(SwapDevice* (*source)(u32 rdev));
void swap_proc_init();

struct SwapTotal {
    u32 pages, used;
};
SwapTotal swap_totals();

} // namespace mm
