/*
 * The bookkeeping of one swap area, the seed's swap_map and swap_lockmap: a use count per
 * slot (0 free, SWAP_MAP_BAD never handed out) and a lock bit per slot, held while the
 * slot is read or written. lowest_bit and highest_bit bound where free slots may be, so
 * that get_swap_page does not scan the whole map. Slots are handed out next-fit, from
 * where the last one was taken (Linux's cluster_next), so pages stolen one after the
 * other get adjacent slots and go to disk in one request. Pure code with no locking of its own
 * (its callers hold interrupts off) and no allocation: it builds for the host tests too.
 */
#pragma once

#include <mm/swap_header.h>

namespace mm {

constexpr u8 SWAP_MAP_MAX = 127;        /* a count never reaches SWAP_MAP_BAD */

class SwapMap {
public:
    SwapMap() = default;
    /*
     * Takes over counts[0..header.nr_pages), already set by fill_swap_map, and lock bits
     * for as many slots, all clear.
     */
    SwapMap(u8* counts, u8* lock_bits, const SwapHeader& header);

    u32 pages() const { return m_pages; }
    u32 good_pages() const { return m_good; }           /* usable */
    u32 inuse_pages() const { return m_inuse; }         /* usable and referenced */
    u8 count(u32 offset) const { return m_counts[offset]; }
    bool valid(u32 offset) const { return offset < m_pages; }
    /* The arrays handed to the constructor, for their owner to free. */
    u8* counts() const { return m_counts; }
    u8* lock_bits() const { return m_lock_bits; }

    /*
     * get_swap_page's part: a free, unlocked slot, now with count 1; 0 if there is none.
     * The first free one at or after the last slot handed out, wrapping around.
     */
    u32 allocate();
    /* swap_duplicate: one more reference. False (nothing changed) if the slot is not in use. */
    bool duplicate(u32 offset);

    enum class Release : u8 { StillUsed, Freed, Bad, WasFree };
    /* swap_free: one reference less. Bad slots stay bad; a free one is the caller's bug. */
    Release release(u32 offset);
    /* A slot a write failed on, with no reference left: never handed out again. */
    void retire(u32 offset);

    bool locked(u32 offset) const { return m_lock_bits[offset / 8] & bit(offset); }
    /* Takes the slot's lock bit if it is clear. */
    bool try_lock(u32 offset);
    void unlock(u32 offset) { m_lock_bits[offset / 8] &= u8(~bit(offset)); }

private:
    static constexpr u8 bit(u32 offset) { return u8(1u << (offset % 8)); }
    bool take(u32 offset);

    u8* m_counts = nullptr;
    u8* m_lock_bits = nullptr;
    u32 m_pages = 0;
    u32 m_lowest = 0, m_highest = 0;    /* the seed's lowest_bit and highest_bit */
    u32 m_next = 0;                     /* where the next search starts */
    u32 m_good = 0, m_inuse = 0;
};

} // namespace mm
