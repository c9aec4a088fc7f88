/*
 * Where a swapped-out page lives: an area (the index into swap_info) and a page offset
 * inside it. The seed's encoding, kept bit for bit: index = (type << 24) | offset, and a
 * not-present PTE holds index << 1, so bit 0 (present) stays clear and the CPU faults.
 *
 * Entry 0 (area 0, offset 0) means "no entry". No real entry is ever 0, because offset 0
 * is the header page of every area and never allocated. Pure code; it builds for the host
 * tests too.
 */
#pragma once

#include <kernel/types.h>

class SwapEntry {
public:
    static constexpr u32 TYPE_BITS = 7;
    static constexpr u32 OFFSET_BITS = 24;
    static constexpr u32 MAX_TYPES = 1u << TYPE_BITS;           /* areas swap_info can name */
    static constexpr u32 MAX_OFFSET = (1u << OFFSET_BITS) - 1;  /* the last page of an area */

    /* "No entry". */
    constexpr SwapEntry() = default;

    /* Whether (type, offset) has an encoding; make() requires it. */
    static constexpr bool fits(u32 type, u32 offset) { return type < MAX_TYPES && offset <= MAX_OFFSET; }
    static constexpr SwapEntry make(u32 type, u32 offset) { return SwapEntry((type << OFFSET_BITS) | offset); }

    static constexpr SwapEntry from_index(u32 index) { return SwapEntry(index & INDEX_MASK); }
    /* The entry a not-present PTE holds; the caller has checked that it is not present. */
    static constexpr SwapEntry from_pte_value(u32 pte) { return SwapEntry(pte >> 1); }

    constexpr u32 type() const { return m_index >> OFFSET_BITS; }
    constexpr u32 offset() const { return m_index & MAX_OFFSET; }
    constexpr u32 index() const { return m_index; }
    /* The value to store in a PTE: never present, and 0 only for "no entry". */
    constexpr u32 pte_value() const { return m_index << 1; }

    constexpr bool none() const { return m_index == 0; }
    constexpr explicit operator bool() const { return m_index != 0; }
    constexpr bool operator==(const SwapEntry&) const = default;

private:
    static constexpr u32 INDEX_MASK = (1u << (TYPE_BITS + OFFSET_BITS)) - 1;

    constexpr explicit SwapEntry(u32 index) : m_index(index) { }

    u32 m_index = 0;
};
static_assert(sizeof(SwapEntry) == 4);
static_assert(SwapEntry::TYPE_BITS + SwapEntry::OFFSET_BITS + 1 == 32, "an entry fills a PTE but its present bit");
static_assert(SwapEntry().none() && SwapEntry().pte_value() == 0);
static_assert(SwapEntry::make(0, 1).pte_value() == 2, "the first usable page of area 0 is not 'none'");
static_assert(SwapEntry::make(1, 0).index() == 1u << 24);
static_assert(SwapEntry::make(127, SwapEntry::MAX_OFFSET).pte_value() == 0xFFFFFFFEu);
static_assert((SwapEntry::make(127, SwapEntry::MAX_OFFSET).pte_value() & 1) == 0, "present stays clear");
static_assert(SwapEntry::from_pte_value(SwapEntry::make(5, 1234).pte_value()) == SwapEntry::make(5, 1234));
static_assert(SwapEntry::make(5, 1234).type() == 5 && SwapEntry::make(5, 1234).offset() == 1234);
static_assert(!SwapEntry::fits(128, 0) && !SwapEntry::fits(0, 1u << 24) && SwapEntry::fits(127, (1u << 24) - 1));
