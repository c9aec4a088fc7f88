/*
 * Physical memory before mem_map exists: a sorted set of free page ranges, built from the
 * loader's map with the kernel, the modules and the BIOS areas taken out. paging_init and
 * mem_init take their page tables and mem_map from it; mem_init frees what is left.
 * Pure code: it also builds for the host tests.
 */
#pragma once

#include <mm/types.h>

namespace mm {

struct PhysRange {
    u64 start, end;             /* [start, end), page aligned */
    u64 pages() const { return (end - start) >> PAGE_SHIFT; }
};

class BootMemory {
public:
    static constexpr size_t max_ranges = 64;

    /* Adds usable RAM; partial pages at the edges are dropped. */
    void add_usable(u64 start, u64 end);
    /* Removes [start, end), widened to whole pages. */
    void reserve(u64 start, u64 end);
    /* Removes everything at or above limit. */
    void clip(u64 limit) { reserve(limit, ~u64(0) & ~u64(PAGE_SIZE - 1)); }

    /*
     * Takes `pages` contiguous pages that end at or below `below`, preferring addresses at
     * or above `prefer_from`. Returns PhysAddr(0) when nothing fits: page 0 is never free.
     */
    PhysAddr allocate(u32 pages, u64 below, u64 prefer_from = 0);

    u64 end() const { return m_count ? m_ranges[m_count - 1].end : 0; }
    u64 free_pages() const;
    size_t count() const { return m_count; }
    const PhysRange& range(size_t i) const { return m_ranges[i]; }
    /* Ranges that did not fit in the table; nonzero means memory was lost. */
    size_t dropped() const { return m_dropped; }

private:
    void insert(size_t at, PhysRange r);
    void remove(size_t at);

    PhysRange m_ranges[max_ranges];
    size_t m_count = 0;
    size_t m_dropped = 0;
};

} // namespace mm
