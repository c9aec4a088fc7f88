/*
 * The swap cache (Linux 1.3's, grown up as in 2.2): a page in memory that is a copy of a
 * swap slot. A page read back from swap stays a copy of its slot while it is clean, so
 * evicting it again costs no write; read-ahead puts the slots around a faulting one here;
 * and a page being written out sits here while its write is in flight, where a fault finds
 * it without reading.
 *
 * Invariants (docs/swap.md):
 * - A cached page has PG_SWAP_CACHE, its slot's index in Page::swap_index, and the area's
 *   cache[offset] names its frame. The cache holds one reference on the page and one on
 *   the slot.
 * - Every PTE that maps a cached page is read-only, so the page cannot become dirty: it
 *   leaves the cache (reuse_swap_page) before any write through a PTE.
 * - A cached page that no PTE maps and no PTE's swap entry names is dropped at once.
 */
#pragma once

#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/swap_entry.h>
#include <mm/types.h>

namespace mm {

/* Pages in the swap cache (SwapCached of /proc/meminfo). */
extern u32 swap_cache_pages;

inline bool in_swap_cache(PhysAddr frame)
{
    return page_allocator.counted(frame.pfn()) && (mem_map[frame.pfn().value()].flags & PG_SWAP_CACHE);
}
/* The slot a cached page is a copy of. */
SwapEntry swap_cache_entry(PhysAddr frame);
/* The page caching entry's slot, with one more reference for the caller; false if none. */
bool lookup_swap_cache(SwapEntry entry, PhysAddr& frame);
/* Caches frame as the copy of entry; the cache takes a page and a slot reference from the caller. */
void add_to_swap_cache(PhysAddr frame, SwapEntry entry);
/* Drops frame from the cache: the cache's slot and page references go. */
void delete_from_swap_cache(PhysAddr frame);
/*
 * A write fault on a cached page: when the faulting PTE is its only user (no other PTE
 * maps it or names its slot), the page leaves the cache and may be written in place.
 */
bool reuse_cached_page(PhysAddr frame);
inline bool reuse_swap_page(PhysAddr frame) { return in_swap_cache(frame) && reuse_cached_page(frame); }
/* Drops the cached copy of entry if nothing can ever ask for it again. */
void free_swap_cache_if_unused(SwapEntry entry);
/* A PTE's reference to a counted user page goes (unmap, exit, copy-on-write done). */
void put_cached_user_page(PhysAddr frame);
inline void put_user_page(PhysAddr frame)
{
    const Page& page = mem_map[frame.pfn().value()];
    if ((page.flags & PG_SWAP_CACHE) && page.count == 2)
        put_cached_user_page(frame);
    else
        free_page(to_virt(frame));
}
/* Frees up to `want` cached pages nobody maps (read ahead, or left behind): how many. */
u32 shrink_swap_cache(u32 want);
/* swapoff: every cached page of area `type` leaves the cache. */
void drop_swap_cache(u32 type);

} // namespace mm
