#include <gtest/gtest.h>
#include <mm/page_alloc.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <vector>

using mm::Gfp;
using mm::PageAllocator;
using mm::PageState;
using mm::Zero;

namespace {

/* A simulated machine: N pages of memory and their mem_map, all free but page 0. */
class SimulatedMemory : public ::testing::Test {
protected:
    static constexpr u32 nr_pages = 256;

    void SetUp() override
    {
        memory = static_cast<u8*>(std::aligned_alloc(PAGE_SIZE, nr_pages * PAGE_SIZE));
        std::memset(memory, 0xEE, nr_pages * PAGE_SIZE);
        map.resize(nr_pages);
        alloc.init(map.data(), nr_pages, reinterpret_cast<uintptr_t>(memory));
        for (u32 pfn = nr_pages; pfn-- > 1;)
            alloc.release_boot_page(Pfn(pfn));
    }
    void TearDown() override { std::free(memory); }

    std::vector<VirtAddr> drain(Gfp gfp)
    {
        std::vector<VirtAddr> pages;
        while (VirtAddr p = alloc.allocate(gfp, Zero::No))
            pages.push_back(p);
        return pages;
    }
    void free_all(std::vector<VirtAddr>& pages)
    {
        for (VirtAddr p : pages)
            alloc.free(p, nullptr);
        pages.clear();
    }

    u8* memory = nullptr;
    std::vector<mm::Page> map;
    PageAllocator alloc;
};

int reclaim_calls;

} // namespace

TEST_F(SimulatedMemory, BootFillsReserveFirst)
{
    EXPECT_EQ(alloc.nr_reserve_pages(), PageAllocator::RESERVE_PAGES);
    EXPECT_EQ(alloc.nr_free_pages(), nr_pages - 1 - PageAllocator::RESERVE_PAGES);
    EXPECT_EQ(map[0].state, PageState::Reserved);
    EXPECT_EQ(map[1].state, PageState::Free);
}

TEST_F(SimulatedMemory, EveryPageOnceThenAllBack)
{
    auto pages = drain(Gfp::Kernel);
    EXPECT_EQ(pages.size(), nr_pages - 1);
    std::set<uintptr_t> distinct;
    for (VirtAddr p : pages) {
        distinct.insert(p.value());
        EXPECT_TRUE(p.page_aligned());
        EXPECT_EQ(map[alloc.pfn_of(p).value()].state, PageState::InUse);
        EXPECT_EQ(map[alloc.pfn_of(p).value()].count, 1);
    }
    EXPECT_EQ(distinct.size(), pages.size());
    EXPECT_EQ(distinct.count(reinterpret_cast<uintptr_t>(memory)), 0u);   /* page 0 reserved */
    EXPECT_FALSE(alloc.allocate(Gfp::Atomic, Zero::No));
    free_all(pages);
    EXPECT_EQ(alloc.nr_free_pages() + alloc.nr_reserve_pages(), nr_pages - 1);
}

TEST_F(SimulatedMemory, LowestPagesFirst)
{
    VirtAddr p = alloc.allocate(Gfp::Kernel, Zero::No);
    EXPECT_EQ(alloc.pfn_of(p).value(), 1u);
}

TEST_F(SimulatedMemory, ZeroedOnlyWhenAsked)
{
    VirtAddr raw = alloc.allocate(Gfp::Kernel, Zero::No);
    EXPECT_EQ(raw.as_ptr<u8>()[100], 0xEE);
    VirtAddr zeroed = alloc.allocate(Gfp::Kernel, Zero::Yes);
    for (u32 i = 0; i < PAGE_SIZE; i++)
        ASSERT_EQ(zeroed.as_ptr<u8>()[i], 0) << i;
}

TEST_F(SimulatedMemory, BufferNeverTouchesReserve)
{
    auto pages = drain(Gfp::Buffer);
    EXPECT_EQ(pages.size(), nr_pages - 1 - PageAllocator::RESERVE_PAGES);
    EXPECT_EQ(alloc.nr_reserve_pages(), PageAllocator::RESERVE_PAGES);
    EXPECT_TRUE(alloc.allocate(Gfp::Atomic, Zero::No));
    EXPECT_EQ(alloc.nr_reserve_pages(), PageAllocator::RESERVE_PAGES - 1);
}

TEST_F(SimulatedMemory, ReclaimBeforeReserveForKernelAndUser)
{
    auto pages = drain(Gfp::Buffer);
    reclaim_calls = 0;
    alloc.set_reclaim_hook([] { reclaim_calls++; return false; });
    EXPECT_TRUE(alloc.allocate(Gfp::Kernel, Zero::No));
    EXPECT_EQ(reclaim_calls, 1);
    EXPECT_TRUE(alloc.allocate(Gfp::User, Zero::No));
    EXPECT_EQ(reclaim_calls, 2);
    EXPECT_TRUE(alloc.allocate(Gfp::Atomic, Zero::No));
    EXPECT_FALSE(alloc.allocate(Gfp::Buffer, Zero::No));
    EXPECT_EQ(reclaim_calls, 2);
}

TEST_F(SimulatedMemory, LyingReclaimHookDoesNotHang)
{
    auto pages = drain(Gfp::Buffer);
    reclaim_calls = 0;
    alloc.set_reclaim_hook([] { reclaim_calls++; return true; });
    EXPECT_TRUE(alloc.allocate(Gfp::Kernel, Zero::No));     /* from the reserve, in the end */
    EXPECT_GT(reclaim_calls, 1);
    EXPECT_LT(reclaim_calls, 100);
}

TEST_F(SimulatedMemory, FreeRefillsReserveFirst)
{
    auto all = drain(Gfp::Kernel);
    EXPECT_EQ(alloc.nr_reserve_pages(), 0u);
    alloc.free(all.back(), nullptr);
    all.pop_back();
    EXPECT_EQ(alloc.nr_reserve_pages(), 1u);
    EXPECT_EQ(alloc.nr_free_pages(), 0u);
    free_all(all);
    EXPECT_EQ(alloc.nr_reserve_pages(), PageAllocator::RESERVE_PAGES);
}

TEST_F(SimulatedMemory, SharedPageFreedOnLastReference)
{
    VirtAddr p = alloc.allocate(Gfp::Kernel, Zero::No);
    u32 free_before = alloc.nr_free_pages();
    alloc.get(p, nullptr);
    EXPECT_EQ(map[alloc.pfn_of(p).value()].count, 2);
    alloc.free(p, nullptr);
    EXPECT_EQ(alloc.nr_free_pages(), free_before);
    alloc.free(p, nullptr);
    EXPECT_EQ(alloc.nr_free_pages(), free_before + 1);
}

using SimulatedMemoryDeathTest = SimulatedMemory;

TEST_F(SimulatedMemoryDeathTest, DoubleFreeIsFatal)
{
    VirtAddr p = alloc.allocate(Gfp::Kernel, Zero::No);
    alloc.free(p, nullptr);
    EXPECT_DEATH(alloc.free(p, nullptr), "already free");
}

TEST_F(SimulatedMemoryDeathTest, FreeingReservedIsFatal)
{
    EXPECT_DEATH(alloc.free(VirtAddr(memory), nullptr), "reserved");
}

TEST_F(SimulatedMemoryDeathTest, UnalignedOrOutsideIsFatal)
{
    VirtAddr p = alloc.allocate(Gfp::Kernel, Zero::No);
    EXPECT_DEATH(alloc.free(p.offset(8), nullptr), "not a page address");
    EXPECT_DEATH(alloc.free(VirtAddr(memory + nr_pages * PAGE_SIZE), nullptr), "not a page address");
}

TEST_F(SimulatedMemoryDeathTest, CorruptFreeListIsFatal)
{
    map[1].state = PageState::InUse;      /* the head of the list, as a stray write might leave it */
    EXPECT_DEATH(alloc.allocate(Gfp::Kernel, Zero::No), "not free");
}

namespace {
int fail_calls;
bool fail_every_second()
{
    return ++fail_calls % 2 == 0;
}
} // namespace

TEST_F(SimulatedMemory, FailHookFailsWithoutTouchingTheLists)
{
    u32 free_before = alloc.nr_free_pages();
    alloc.set_fail_hook(fail_every_second);
    fail_calls = 0;
    VirtAddr first = alloc.allocate(Gfp::Kernel, Zero::No);
    VirtAddr second = alloc.allocate(Gfp::Atomic, Zero::No);
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
    EXPECT_EQ(alloc.nr_free_pages(), free_before - 1);
    alloc.set_fail_hook(nullptr);
    alloc.free(first, nullptr);
    EXPECT_EQ(alloc.nr_free_pages(), free_before);
}
