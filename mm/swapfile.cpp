/*
 * The swap areas: the seed's swap_info, get_swap_page, swap_duplicate and swap_free over
 * each area's SwapMap, the slot locks, and swapon and swapoff (swap_enable, swap_disable).
 * docs/swap.md has the design.
 */
#include <arch/interrupts.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/memory.h>
#include <mm/page_holder.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>
#include <mm/vmalloc.h>

namespace mm {

SwapInfo swap_info[MAX_SWAPFILES];
int nr_swapfiles;

namespace {

WaitQueue lock_wait;                    /* sleepers on any swap_lockmap bit */

[[noreturn]] void bad_entry(const char* who, SwapEntry entry)
{
    panic("%s: bad swap entry %#x (area %u, page %u)", who, entry.index(), entry.type(),
          entry.offset());
}

/* nr_swapfiles: one past the last slot in use. */
void shrink_swapfiles()
{
    while (nr_swapfiles && !(swap_info[nr_swapfiles - 1].flags & SWP_USED))
        nr_swapfiles--;
}

} // namespace

SwapInfo& area_of(SwapEntry entry, const char* who)
{
    if (entry && entry.type() < u32(nr_swapfiles)) {
        SwapInfo& si = swap_info[entry.type()];
        if ((si.flags & SWP_USED) && si.map.valid(entry.offset()))
            return si;
    }
    bad_entry(who, entry);
}

void lock_slot(SwapInfo& si, u32 offset)
{
    wait_event(lock_wait, Interruptible::No, [&si, offset] { return si.map.try_lock(offset); });
}

void unlock_slot(SwapInfo& si, u32 offset)
{
    arch::InterruptDisabler guard;
    si.map.unlock(offset);
    wake_up(lock_wait);
}

SwapEntry get_swap_page()
{
    arch::InterruptDisabler guard;
    for (int type = 0; type < nr_swapfiles; type++) {
        SwapInfo& si = swap_info[type];
        if ((si.flags & SWP_WRITEOK) != SWP_WRITEOK)
            continue;
        if (u32 offset = si.map.allocate())
            return SwapEntry::make(u32(type), offset);
    }
    return SwapEntry();
}

void swap_duplicate(SwapEntry entry)
{
    SwapInfo& si = area_of(entry, "swap_duplicate");
    arch::InterruptDisabler guard;
    if (!si.map.duplicate(entry.offset()))
        bad_entry("swap_duplicate: count out of range", entry);
}

void swap_free(SwapEntry entry)
{
    SwapInfo& si = area_of(entry, "swap_free");
    arch::InterruptDisabler guard;
    switch (si.map.release(entry.offset())) {
    case SwapMap::Release::WasFree:
        bad_entry("swap_free: slot already free", entry);
    case SwapMap::Release::Freed:
        note_swap_progress();
        break;
    case SwapMap::Release::StillUsed:
        /* The last PTE naming it may be gone, leaving the cache's copy unreachable. */
        free_swap_cache_if_unused(entry);
        break;
    case SwapMap::Release::Bad:         /* a slot a write failed on: it stays bad */
        break;
    }
}

void retire_slot(SwapEntry entry, bool drop_reference)
{
    SwapInfo& si = area_of(entry, "retire_slot");
    arch::InterruptDisabler guard;
    if (drop_reference)
        si.map.release(entry.offset());
    si.map.retire(entry.offset());      /* once nobody holds it any more */
}

namespace {

/* Page 0 of the area read into `header` (a page, if there was memory for one) and parsed. */
ErrorOr<void> read_header(SwapDevice* device, VirtAddr header, SwapHeader& h)
{
    if (!header)
        return Error::from_errno(ENOMEM);
    if (device->read_page(0, header.as_ptr()).is_error())
        return Error::from_errno(EIO);
    return parse_swap_header(header.as_ptr<u8>(), device->pages(), h);
}

} // namespace

ErrorOr<void> swap_enable(SwapDevice* device, u32 rdev, const char* path, int prio)
{
    for (int i = 0; i < nr_swapfiles; i++)
        if ((swap_info[i].flags & SWP_USED) && swap_info[i].rdev == rdev)
            return Error::from_errno(EBUSY);
    int type = 0;
    while (type < MAX_SWAPFILES && (swap_info[type].flags & SWP_USED))
        type++;
    if (type == MAX_SWAPFILES)
        return Error::from_errno(EPERM);
    SwapInfo& si = swap_info[type];
    si = SwapInfo();
    si.flags = SWP_USED;                /* the slot is ours while we read the header */
    if (type >= nr_swapfiles)
        nr_swapfiles = type + 1;

    PageHolder header(get_free_page(Gfp::Kernel));
    SwapHeader h { };
    u8* counts = nullptr;
    u8* lock_bits = nullptr;
    u32* cache = nullptr;
    ErrorOr<void> result = read_header(device, header.addr(), h);
    if (!result.is_error()) {
        counts = static_cast<u8*>(vmalloc(h.nr_pages));
        lock_bits = static_cast<u8*>(vmalloc((h.nr_pages + 7) / 8));
        cache = static_cast<u32*>(vmalloc(h.nr_pages * sizeof *cache));
        if (!counts || !lock_bits || !cache)
            result = Error::from_errno(ENOMEM);
    }
    if (!result.is_error()) {
        fill_swap_map(header.as_ptr<u8>(), h, counts, h.nr_pages);
        si.map = SwapMap(counts, lock_bits, h);
        memset(cache, 0, h.nr_pages * sizeof *cache);
        si.cache = cache;
        si.device = device;
        si.rdev = rdev;
        size_t n = 0;
        for (; path[n] && n < sizeof si.path - 1; n++)
            si.path[n] = path[n];
        si.prio = prio;
        si.flags = SWP_WRITEOK;
        page_allocator.set_reclaim_hook(try_to_free_page);
        printk(KERN_INFO "Adding swap: %uk swap-space (priority %d) on %s\n",
               h.nr_good_pages * (PAGE_SIZE / 1024), prio, si.path);
    } else {
        vfree(counts);
        vfree(lock_bits);
        vfree(cache);
        si = SwapInfo();
        shrink_swapfiles();
    }
    return result;
}

ErrorOr<void> swap_disable(u32 rdev)
{
    int type = 0;
    while (type < nr_swapfiles && !((swap_info[type].flags & SWP_USED) && swap_info[type].rdev == rdev))
        type++;
    if (type == nr_swapfiles)
        return Error::from_errno(EINVAL);
    SwapInfo& si = swap_info[type];
    if ((si.flags & SWP_WRITEOK) != SWP_WRITEOK)
        return Error::from_errno(EBUSY);        /* being turned off already */
    si.flags = SWP_USED;                /* no new pages go there */
    /*
     * Every page back in memory, then out of the swap cache. A fork while we sleep can
     * copy entries into a process already passed: go round again while pages remain.
     */
    for (int round = 0; si.map.inuse_pages() && round < 8; round++) {
        if (ErrorOr<void> unused = try_to_unuse(u32(type)); unused.is_error()) {
            si.flags = SWP_WRITEOK;
            return unused;
        }
        drop_swap_cache(u32(type));
    }
    if (si.map.inuse_pages()) {
        printk(KERN_ERR "swapoff: %u pages of %s still in use\n", si.map.inuse_pages(), si.path);
        si.flags = SWP_WRITEOK;
        return Error::from_errno(EBUSY);
    }
    vfree(si.map.counts());
    vfree(si.map.lock_bits());
    vfree(si.cache);
    SwapDevice* device = si.device;
    si = SwapInfo();
    shrink_swapfiles();
    bool any = false;
    for (int i = 0; i < nr_swapfiles; i++)
        any |= (swap_info[i].flags & SWP_WRITEOK) == SWP_WRITEOK;
    if (!any)
        page_allocator.set_reclaim_hook(nullptr);
    device->release();
    return {};
}

SwapTotal swap_totals()
{
    SwapTotal t { 0, 0 };
    for (int i = 0; i < nr_swapfiles; i++)
        if (swap_info[i].flags & SWP_USED) {
            t.pages += swap_info[i].map.good_pages();
            t.used += swap_info[i].map.inuse_pages();
        }
    return t;
}

} // namespace mm
