#include <arch/interrupts.h>
#include <kernel/printk.h>
#include <mm/pgtable.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

namespace mm {

u32 swap_cache_pages;

namespace {

SwapInfo& area(SwapEntry entry) { return area_of(entry, "swap cache"); }

/* The clock hand of shrink_swap_cache over mem_map. */
u32 shrink_hand;

} // namespace

SwapEntry swap_cache_entry(PhysAddr frame)
{
    return SwapEntry::from_index(page_of(frame).swap_index);
}

bool lookup_swap_cache(SwapEntry entry, PhysAddr& frame)
{
    SwapInfo& si = area(entry);
    u32 cached = si.cache[entry.offset()];
    if (!cached)
        return false;
    frame = Pfn(cached - 1).addr();
    page_allocator.get(to_virt(frame), __builtin_return_address(0));
    return true;
}

void add_to_swap_cache(PhysAddr frame, SwapEntry entry)
{
    SwapInfo& si = area(entry);
    Page& page = page_of(frame);
    if ((page.flags & PG_SWAP_CACHE) || si.cache[entry.offset()])
        panic("add_to_swap_cache: page %#x or slot %#x cached already", frame.value(), entry.index());
    page.flags |= PG_SWAP_CACHE;
    page.swap_index = entry.index();
    si.cache[entry.offset()] = frame.pfn().value() + 1;
    swap_cache_pages++;
}

void delete_from_swap_cache(PhysAddr frame)
{
    Page& page = page_of(frame);
    SwapEntry entry = swap_cache_entry(frame);
    SwapInfo& si = area(entry);
    if (!(page.flags & PG_SWAP_CACHE) || si.cache[entry.offset()] != frame.pfn().value() + 1)
        panic("delete_from_swap_cache: page %#x is not the copy of slot %#x", frame.value(), entry.index());
    si.cache[entry.offset()] = 0;
    swap_cache_pages--;
    bool failed = page.flags & PG_SWAP_ERROR;
    page.flags &= u8(~(PG_SWAP_CACHE | PG_SWAP_ERROR | PG_REFERENCED));
    page.swap_index = NO_PAGE;
    {
        arch::InterruptDisabler guard;
        if (si.map.release(entry.offset()) == SwapMap::Release::Freed) {
            if (failed)
                si.map.retire(entry.offset());  /* its write failed: never used again */
            else
                note_swap_progress();
        }
    }
    free_page(to_virt(frame));
}

bool reuse_cached_page(PhysAddr frame)
{
    SwapEntry entry = swap_cache_entry(frame);
    SwapInfo& si = area(entry);
    /* Ours and the cache's references, and only the cache's on the slot. */
    if (page_of(frame).count != 2 || si.map.count(entry.offset()) != 1 || si.map.locked(entry.offset()))
        return false;
    delete_from_swap_cache(frame);
    return true;
}

void free_swap_cache_if_unused(SwapEntry entry)
{
    SwapInfo& si = area(entry);
    u32 cached = si.cache[entry.offset()];
    if (!cached || si.map.count(entry.offset()) != 1 || si.map.locked(entry.offset()))
        return;
    PhysAddr frame = Pfn(cached - 1).addr();
    if (page_of(frame).count == 1)
        delete_from_swap_cache(frame);
}

void put_cached_user_page(PhysAddr frame)
{
    /* Our reference and the cache's: if no PTE names the slot either, both go. */
    SwapEntry entry = swap_cache_entry(frame);
    free_page(to_virt(frame));
    free_swap_cache_if_unused(entry);
}

u32 shrink_swap_cache(u32 want)
{
    /*
     * A bounded look each time, the hand going on from where it stopped: most cached pages
     * are mapped, and a whole lap of mem_map per reclaim would cost more than the pages.
     */
    constexpr u32 LOOK = 16 * SWAP_CLUSTER_MAX;
    u32 freed = 0, n = page_allocator.nr_pages();
    for (u32 looked = 0; looked < LOOK && freed < want && swap_cache_pages; looked++) {
        shrink_hand = shrink_hand + 1 < n ? shrink_hand + 1 : 0;
        PhysAddr frame = Pfn(shrink_hand).addr();
        Page& page = page_of(frame);
        if (page.state != PageState::InUse || !(page.flags & PG_SWAP_CACHE) || page.count != 1)
            continue;
        if (page.flags & PG_SWAP_ERROR)
            continue;                   /* memory holds the only copy */
        SwapEntry entry = swap_cache_entry(frame);
        if (area(entry).map.locked(entry.offset()))
            continue;                   /* being read or written */
        if (page.flags & PG_REFERENCED) {
            page.flags &= u8(~PG_REFERENCED);   /* read ahead and unused yet: one more round */
            continue;
        }
        delete_from_swap_cache(frame);
        freed++;
    }
    return freed;
}

void drop_swap_cache(u32 type)
{
    SwapInfo& si = swap_info[type];
    for (u32 offset = 0; offset < si.map.pages(); offset++) {
        if (si.cache[offset] && si.map.locked(offset)) {
            lock_slot(si, offset);      /* its write ends first */
            unlock_slot(si, offset);
        }
        if (u32 cached = si.cache[offset])
            delete_from_swap_cache(Pfn(cached - 1).addr());
    }
}

} // namespace mm
