/*
 * The bus master's physical region descriptor table (SFF-8038i): what a DMA command moves,
 * as physical stretches of memory. Pure code (host tests in tests/ata_prd_test.cpp).
 */
#pragma once

#include <kernel/types.h>

namespace ata {

/*
 * One stretch within one 64 KB window (the controller's address counter does not carry
 * beyond it), byte count 0 meaning 64 KB, the last entry marked.
 */
struct Prd {
    u32 address;
    u16 bytes;
    u16 flags;
};
static_assert(sizeof(Prd) == 8);
constexpr u16 PRD_END_OF_TABLE = 0x8000;
constexpr u32 PRD_WINDOW = 0x10000;

/* Fills a table from physical ranges in order, merging adjacent ones within a window. */
class PrdBuilder {
public:
    PrdBuilder(Prd* table, u32 capacity) : m_table(table), m_capacity(capacity) { }

    /* false if the table is full (the table is then unusable). */
    bool add(u32 phys, u32 bytes);
    /* Marks the last entry; the number of entries, 0 if nothing was added. */
    u32 finish();

private:
    Prd* m_table;
    u32 m_capacity;
    u32 m_count = 0;
    u32 m_last_bytes = 0;               /* the last entry's, which may be 64 KB */
};

} // namespace ata
