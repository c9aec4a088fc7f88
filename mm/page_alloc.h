/*
 * The page allocator over mem_map: the free list, the reserve list and the priorities of
 * docs/physical-memory.md. Pure code (the host tests run it on a simulated memory); the
 * kernel's single instance and the seed's get_free_page / free_page are in mm/memory.h.
 */
#pragma once

#include <mm/page.h>

namespace mm {

enum class Zero : u8 { Yes, No };

class PageAllocator {
public:
    static constexpr u32 RESERVE_PAGES = 20;
    /* try_to_free_page: true if it freed a page (swap fills this in). */
    using ReclaimHook = bool (*)();
    /* Fault injection: true makes this allocation fail at once (fail_page_alloc=). */
    using FailHook = bool (*)();

    /* Takes over map[0..nr_pages), every page Reserved; page pfn lives at base + pfn * 4 KB. */
    void init(Page* map, u32 nr_pages, uintptr_t base);

    /* Boot: a Reserved page that is in fact free joins the lists (the reserve first). */
    void release_boot_page(Pfn pfn);

    VirtAddr allocate(Gfp gfp, Zero zero);
    void free(VirtAddr addr, const void* caller);
    /* One more reference to an InUse page (sharing). */
    void get(VirtAddr addr, const void* caller);

    void set_reclaim_hook(ReclaimHook hook) { m_reclaim = hook; }
    ReclaimHook reclaim_hook() const { return m_reclaim; }
    void set_fail_hook(FailHook hook) { m_fail = hook; }
    /* Called after an allocation leaves fewer than `low` pages free (kswapd's wake-up). */
    using LowHook = void (*)();
    void set_low_hook(LowHook hook, u32 low) { m_low_hook = hook; m_low = low; }

    u32 nr_free_pages() const { return m_nr_free; }
    u32 nr_reserve_pages() const { return m_nr_reserve; }
    u32 nr_pages() const { return m_nr_pages; }

    bool contains(VirtAddr addr) const;
    /* A page whose references mem_map counts: inside the map and not reserved. */
    bool counted(Pfn pfn) const { return pfn.value() < m_nr_pages && !m_map[pfn.value()].reserved(); }
    Pfn pfn_of(VirtAddr addr) const { return Pfn(u32((addr.value() - m_base) >> PAGE_SHIFT)); }
    VirtAddr address_of(Pfn pfn) const { return VirtAddr(m_base + (uintptr_t(pfn.value()) << PAGE_SHIFT)); }
    Page& page(Pfn pfn) { return m_map[pfn.value()]; }
    const Page& page(Pfn pfn) const { return m_map[pfn.value()]; }

    /* Checks the page behind an address a caller means to free; returns its pfn. */
    Pfn checked_pfn(VirtAddr addr, const char* who, const void* caller) const;

private:
    struct List {
        u32 head = NO_PAGE;
    };
    void push_locked(List& list, Pfn pfn);
    Pfn pop_locked(List& list, const void* caller);
    Pfn take_locked(Gfp gfp, bool reserve_allowed, const void* caller);
    void put_free_locked(Pfn pfn);

    Page* m_map = nullptr;
    u32 m_nr_pages = 0;
    uintptr_t m_base = 0;
    List m_free;
    List m_reserve;
    u32 m_nr_free = 0;
    u32 m_nr_reserve = 0;
    ReclaimHook m_reclaim = nullptr;
    FailHook m_fail = nullptr;
    LowHook m_low_hook = nullptr;
    u32 m_low = 0;
};

} // namespace mm
