#include <mm/swap_map.h>

namespace mm {

SwapMap::SwapMap(u8* counts, u8* lock_bits, const SwapHeader& header)
    : m_counts(counts), m_lock_bits(lock_bits), m_pages(header.nr_pages),
      m_lowest(header.lowest_bit), m_highest(header.highest_bit), m_good(header.nr_good_pages)
{
    for (u32 i = 0; i < (m_pages + 7) / 8; i++)
        m_lock_bits[i] = 0;
}

bool SwapMap::take(u32 offset)
{
    if (m_counts[offset] || locked(offset))
        return false;
    m_counts[offset] = 1;
    m_inuse++;
    m_next = offset + 1;
    if (offset == m_lowest)
        m_lowest++;                     /* still no free slot below it */
    return true;
}

u32 SwapMap::allocate()
{
    if (m_inuse >= m_good)
        return 0;                       /* full until a release */
    u32 start = m_next > m_lowest && m_next <= m_highest ? m_next : m_lowest;
    for (u32 offset = start; offset <= m_highest; offset++)
        if (take(offset))
            return offset;
    for (u32 offset = m_lowest; offset < start; offset++)
        if (take(offset))
            return offset;
    return 0;                           /* the free ones are being read or written */
}

bool SwapMap::duplicate(u32 offset)
{
    u8& count = m_counts[offset];
    if (count == 0 || count >= SWAP_MAP_MAX)
        return false;
    count++;
    return true;
}

SwapMap::Release SwapMap::release(u32 offset)
{
    u8& count = m_counts[offset];
    if (count == SWAP_MAP_BAD)
        return Release::Bad;
    if (count == 0)
        return Release::WasFree;
    if (--count)
        return Release::StillUsed;
    m_inuse--;
    if (offset < m_lowest)
        m_lowest = offset;
    return Release::Freed;
}

void SwapMap::retire(u32 offset)
{
    if (m_counts[offset] != 0)
        return;
    m_counts[offset] = SWAP_MAP_BAD;
    m_good--;
}

bool SwapMap::try_lock(u32 offset)
{
    if (locked(offset))
        return false;
    m_lock_bits[offset / 8] |= bit(offset);
    return true;
}

} // namespace mm
