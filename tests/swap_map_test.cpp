/* The swap area bookkeeping (mm/swap_map.cpp): allocation, references, bad slots, locks. */
#include <mm/swap_map.h>

#include <gtest/gtest.h>

#include <vector>

using mm::SwapMap;

namespace {

/* An area of `pages` slots, page 0 the header, the listed slots bad. */
struct Area {
    std::vector<u8> counts;
    std::vector<u8> locks;
    SwapMap map;

    explicit Area(u32 pages, std::initializer_list<u32> bad = {})
        : counts(pages, mm::SWAP_MAP_FREE), locks((pages + 7) / 8, 0xFF)
    {
        counts[0] = mm::SWAP_MAP_BAD;
        for (u32 b : bad)
            counts[b] = mm::SWAP_MAP_BAD;
        mm::SwapHeader h;
        h.nr_pages = pages;
        h.nr_good_pages = pages - 1 - u32(bad.size());
        h.lowest_bit = 1;
        h.highest_bit = pages - 1;
        map = SwapMap(counts.data(), locks.data(), h);
    }
};

} // namespace

TEST(SwapMap, AllocatesInOrderAndSkipsBadSlots)
{
    Area a(6, { 2 });
    EXPECT_EQ(a.map.allocate(), 1u);
    EXPECT_EQ(a.map.allocate(), 3u);
    EXPECT_EQ(a.map.allocate(), 4u);
    EXPECT_EQ(a.map.allocate(), 5u);
    EXPECT_EQ(a.map.allocate(), 0u);            /* full */
    EXPECT_EQ(a.map.inuse_pages(), 4u);
    EXPECT_EQ(a.map.good_pages(), 4u);
}

TEST(SwapMap, ConstructorClearsTheLockBits)
{
    Area a(20);
    for (u32 i = 0; i < 20; i++)
        EXPECT_FALSE(a.map.locked(i));
}

TEST(SwapMap, AFreedSlotIsHandedOutAgain)
{
    Area a(4);
    u32 first = a.map.allocate(), second = a.map.allocate(), third = a.map.allocate();
    EXPECT_EQ(a.map.allocate(), 0u);
    EXPECT_EQ(a.map.release(second), SwapMap::Release::Freed);
    EXPECT_EQ(a.map.allocate(), second);
    EXPECT_NE(first, third);
}

TEST(SwapMap, DuplicatedSlotsNeedEveryRelease)
{
    Area a(4);
    u32 s = a.map.allocate();
    EXPECT_TRUE(a.map.duplicate(s));
    EXPECT_EQ(a.map.count(s), 2);
    EXPECT_EQ(a.map.release(s), SwapMap::Release::StillUsed);
    EXPECT_EQ(a.map.inuse_pages(), 1u);
    EXPECT_EQ(a.map.release(s), SwapMap::Release::Freed);
    EXPECT_EQ(a.map.inuse_pages(), 0u);
    EXPECT_EQ(a.map.release(s), SwapMap::Release::WasFree);
}

TEST(SwapMap, DuplicateRefusesFreeBadAndFullSlots)
{
    Area a(4, { 3 });
    EXPECT_FALSE(a.map.duplicate(1));           /* free */
    EXPECT_FALSE(a.map.duplicate(3));           /* bad */
    u32 s = a.map.allocate();
    while (a.map.count(s) < mm::SWAP_MAP_MAX)
        ASSERT_TRUE(a.map.duplicate(s));
    EXPECT_FALSE(a.map.duplicate(s));
    EXPECT_EQ(a.map.count(s), mm::SWAP_MAP_MAX);
}

TEST(SwapMap, ARetiredSlotIsNeverHandedOut)
{
    Area a(3);
    u32 s = a.map.allocate();
    EXPECT_EQ(a.map.release(s), SwapMap::Release::Freed);
    a.map.retire(s);
    EXPECT_EQ(a.map.good_pages(), 1u);
    EXPECT_EQ(a.map.release(s), SwapMap::Release::Bad);
    EXPECT_EQ(a.map.allocate(), 2u);
    EXPECT_EQ(a.map.allocate(), 0u);
}

TEST(SwapMap, RetireWaitsForTheLastReference)
{
    Area a(3);
    u32 s = a.map.allocate();
    a.map.retire(s);                            /* still referenced: nothing happens */
    EXPECT_EQ(a.map.count(s), 1);
    EXPECT_EQ(a.map.good_pages(), 2u);
}

TEST(SwapMap, LockedSlotsAreNotAllocated)
{
    Area a(3);
    EXPECT_TRUE(a.map.try_lock(1));
    EXPECT_FALSE(a.map.try_lock(1));
    EXPECT_EQ(a.map.allocate(), 2u);
    a.map.unlock(1);
    EXPECT_FALSE(a.map.locked(1));
    EXPECT_EQ(a.map.allocate(), 1u);
}

TEST(SwapMap, HandsOutNextFitSoStolenPagesGetAdjacentSlots)
{
    Area a(12);
    for (u32 i = 1; i <= 6; i++)
        ASSERT_EQ(a.map.allocate(), i);
    /* Slots come free behind the cursor: the next ones still follow on. */
    a.map.release(2);
    a.map.release(3);
    EXPECT_EQ(a.map.allocate(), 7u);
    EXPECT_EQ(a.map.allocate(), 8u);
    EXPECT_EQ(a.map.allocate(), 9u);
    EXPECT_EQ(a.map.allocate(), 10u);
    EXPECT_EQ(a.map.allocate(), 11u);
    /* At the end it wraps around to the holes. */
    EXPECT_EQ(a.map.allocate(), 2u);
    EXPECT_EQ(a.map.allocate(), 3u);
    EXPECT_EQ(a.map.allocate(), 0u);
}

TEST(SwapMap, FullIsKnownWithoutAScan)
{
    Area a(3);
    a.map.allocate();
    a.map.allocate();
    EXPECT_EQ(a.map.inuse_pages(), a.map.good_pages());
    EXPECT_EQ(a.map.allocate(), 0u);
    a.map.release(1);
    EXPECT_EQ(a.map.allocate(), 1u);
}
