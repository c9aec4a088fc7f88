/* Building a PRD table: ranges cut at 64 KB windows, neighbours merged. */
#include <drivers/ata_prd.h>

namespace ata {

bool PrdBuilder::add(u32 phys, u32 bytes)
{
    while (bytes) {
        u32 chunk = PRD_WINDOW - (phys & (PRD_WINDOW - 1));
        if (chunk > bytes)
            chunk = bytes;
        Prd* last = m_count ? &m_table[m_count - 1] : nullptr;
        if (last && last->address + m_last_bytes == phys &&
            last->address / PRD_WINDOW == phys / PRD_WINDOW) {
            m_last_bytes += chunk;
        } else {
            if (m_count == m_capacity)
                return false;
            last = &m_table[m_count++];
            *last = Prd { phys, 0, 0 };
            m_last_bytes = chunk;
        }
        last->bytes = u16(m_last_bytes);        /* 64 KB is 0 */
        phys += chunk;
        bytes -= chunk;
    }
    return true;
}

u32 PrdBuilder::finish()
{
    if (m_count)
        m_table[m_count - 1].flags = PRD_END_OF_TABLE;
    return m_count;
}

} // namespace ata
