/* mem_map: one Page record per physical page. See docs/physical-memory.md. */
#pragma once

#include <mm/types.h>

namespace mm {

enum class PageState : u8 {
    Reserved,   /* kernel image, page tables, mem_map, BIOS, initrd: never freed or swapped */
    Free,       /* on the free list or the reserve list */
    InUse,      /* handed out by get_free_page; count says how often it is referenced */
    Slab,       /* carved into kmalloc objects */
};

enum class Gfp : u8 {
    Buffer,     /* never reclaims, never takes from the reserve */
    Atomic,     /* interrupt context: never reclaims, may take from the reserve */
    User,       /* may reclaim, then falls back to the reserve */
    Kernel,     /* as User */
};

constexpr u32 NO_PAGE = ~0u;

/* Page::flags of an InUse page (a Slab page keeps its size class there instead). */
constexpr u8 PG_SWAP_CACHE = 1u << 0;   /* a copy of swap slot swap_index (mm/swap_cache.h) */
constexpr u8 PG_SWAP_ERROR = 1u << 1;   /* its write to that slot failed: only memory holds it */
constexpr u8 PG_REFERENCED = 1u << 2;   /* read ahead and not yet used, or used since the last look */

struct Page {
    u16 count = 0;
    PageState state = PageState::Reserved;
    u8 flags = 0;
    union {
        u32 next_free;          /* Free: pfn of the next page on the same list, or NO_PAGE */
        u32 swap_index;         /* InUse with PG_SWAP_CACHE: the SwapEntry index of its slot */
        struct {
            u32 next_partial : 21;      /* Slab: next page of the class with free objects */
            u32 first_free : 11;        /* Slab: index of the first free object */
        } slab;
    };

    Page() : next_free(NO_PAGE) { }
    bool reserved() const { return state == PageState::Reserved; }
};
static_assert(sizeof(Page) == 8, "mem_map costs 8 bytes per page");

/*
 * A broken invariant found by the allocators: the kernel panics naming the page and
 * the caller; the host tests abort.
 */
[[noreturn]] void bad_page(const char* what, u32 pfn, const void* caller);

} // namespace mm
