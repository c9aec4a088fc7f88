#include <mm/bootmem.h>

#include <initializer_list>

namespace mm {
namespace {
constexpr u64 page_mask = ~u64(PAGE_SIZE - 1);
u64 align_up(u64 v) { return (v + PAGE_SIZE - 1) & page_mask; }
u64 align_down(u64 v) { return v & page_mask; }
} // namespace

void BootMemory::insert(size_t at, PhysRange r)
{
    if (m_count == max_ranges) {
        m_dropped++;
        return;
    }
    for (size_t i = m_count; i > at; i--)
        m_ranges[i] = m_ranges[i - 1];
    m_ranges[at] = r;
    m_count++;
}

void BootMemory::remove(size_t at)
{
    for (size_t i = at; i + 1 < m_count; i++)
        m_ranges[i] = m_ranges[i + 1];
    m_count--;
}

void BootMemory::add_usable(u64 start, u64 end)
{
    start = align_up(start);
    end = align_down(end);
    if (start >= end)
        return;
    /* Merge with every range it touches or overlaps, then insert in order. */
    size_t i = 0;
    while (i < m_count && m_ranges[i].end < start)
        i++;
    while (i < m_count && m_ranges[i].start <= end) {
        if (m_ranges[i].start < start)
            start = m_ranges[i].start;
        if (m_ranges[i].end > end)
            end = m_ranges[i].end;
        remove(i);
    }
    insert(i, { start, end });
}

void BootMemory::reserve(u64 start, u64 end)
{
    start = align_down(start);
    end = align_up(end);
    for (size_t i = 0; i < m_count;) {
        PhysRange r = m_ranges[i];
        if (r.end <= start || r.start >= end) {
            i++;
            continue;
        }
        remove(i);
        if (r.start < start)
            insert(i++, { r.start, start });
        if (r.end > end)
            insert(i++, { end, r.end });
    }
}

PhysAddr BootMemory::allocate(u32 pages, u64 below, u64 prefer_from)
{
    u64 size = u64(pages) << PAGE_SHIFT;
    for (u64 from : { prefer_from, u64(0) }) {
        for (size_t i = 0; i < m_count; i++) {
            u64 start = m_ranges[i].start > from ? m_ranges[i].start : from;
            if (start + size > m_ranges[i].end || start + size > below)
                continue;
            reserve(start, start + size);
            return PhysAddr(u32(start));
        }
    }
    return PhysAddr(0);
}

u64 BootMemory::free_pages() const
{
    u64 n = 0;
    for (size_t i = 0; i < m_count; i++)
        n += m_ranges[i].pages();
    return n;
}

} // namespace mm
