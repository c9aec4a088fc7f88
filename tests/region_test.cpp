#include <gtest/gtest.h>
#include <mm/region.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

using mm::Region;
using mm::RegionKind;
using mm::RegionSet;

namespace {

constexpr u32 PAGE = 4096;

/* A set and, beside it, the plain answer: regions by start in a std::map. */
class Regions : public ::testing::Test {
protected:
    Region* add(u32 start, u32 end)
    {
        nodes.push_back(std::make_unique<Region>(Region { start, end, 3, RegionKind::Anonymous }));
        Region* r = nodes.back().get();
        set.insert(r);
        model[start] = end;
        return r;
    }
    void remove(Region* r)
    {
        model.erase(r->start);
        set.erase(r);
    }
    Region* expected_find(u32 addr)
    {
        auto it = model.upper_bound(addr);
        if (it == model.begin())
            return nullptr;
        --it;
        return addr < it->second ? set.find(it->first) : nullptr;
    }
    u32 expected_find_above(u32 addr)
    {
        for (auto [start, end] : model)
            if (end > addr)
                return start;
        return 0;
    }
    /* The first fit, found the slow way: the answer find_gap must give. */
    u32 expected_gap(u32 len, u32 low, u32 high)
    {
        u32 addr = low;
        for (auto [start, end] : model) {
            if (end <= addr)
                continue;
            if (start >= addr + len)
                break;
            addr = end;
        }
        return addr + len > addr && addr + len <= high ? addr : 0;
    }

    RegionSet set;
    std::map<u32, u32> model;
    std::vector<std::unique_ptr<Region>> nodes;
};

TEST_F(Regions, EmptySet)
{
    EXPECT_EQ(set.find(0x1000), nullptr);
    EXPECT_EQ(set.find_above(0), nullptr);
    EXPECT_EQ(set.find_gap(PAGE, 0x40000000, 0xB0000000), 0x40000000u);
    EXPECT_EQ(set.find_gap(PAGE, 0xB0000000, 0xB0000000), 0u);
    EXPECT_TRUE(set.valid());
}

TEST_F(Regions, FindAndNeighbours)
{
    Region* b = add(0x3000, 0x5000);
    Region* a = add(0x1000, 0x2000);
    Region* c = add(0x8000, 0x9000);
    EXPECT_EQ(set.first(), a);
    EXPECT_EQ(set.last(), c);
    EXPECT_EQ(a->next, b);
    EXPECT_EQ(c->prev, b);
    EXPECT_EQ(set.find(0x1fff), a);
    EXPECT_EQ(set.find(0x2000), nullptr);
    EXPECT_EQ(set.find(0x4000), b);
    EXPECT_EQ(set.find_above(0x2000), b);
    EXPECT_EQ(set.find_above(0x9000), nullptr);
    EXPECT_EQ(set.count(), 3u);
    EXPECT_TRUE(set.valid());
}

TEST_F(Regions, GapsFirstFitAboveLow)
{
    add(0x40000000, 0x40002000);
    add(0x40003000, 0x40004000);
    add(0x40010000, 0x40011000);
    EXPECT_EQ(set.find_gap(PAGE, 0x40000000, 0xB0000000), 0x40002000u);
    EXPECT_EQ(set.find_gap(2 * PAGE, 0x40000000, 0xB0000000), 0x40004000u);
    EXPECT_EQ(set.find_gap(0x10000, 0x40000000, 0xB0000000), 0x40011000u);
    EXPECT_EQ(set.find_gap(PAGE, 0x40003800, 0xB0000000), 0x40004000u);
    EXPECT_EQ(set.find_gap(PAGE, 0x3FFFF000, 0xB0000000), 0x3FFFF000u);
    EXPECT_EQ(set.find_gap(0x1000, 0x40011000, 0x40011000), 0u);     /* ends past high */
}

TEST_F(Regions, ResizedRegionKeepsGapsRight)
{
    Region* heap = add(0x1000, 0x2000);
    add(0x10000, 0x11000);
    EXPECT_EQ(set.find_gap(0x8000, 0, 0xB0000000), 0x2000u);
    heap->end = 0x9000;                 /* brk grows the heap */
    set.changed(heap);
    EXPECT_TRUE(set.valid());
    EXPECT_EQ(set.find_gap(0x8000, 0, 0xB0000000), 0x11000u);
    EXPECT_EQ(set.find_gap(0x7000, 0, 0xB0000000), 0x9000u);
}

/* Thousands of random inserts, erases and resizes, every answer checked against the model. */
TEST_F(Regions, RandomAgainstModel)
{
    std::mt19937 rng(12345);
    std::vector<Region*> live;
    for (int step = 0; step < 20000; step++) {
        u32 op = rng() % 10;
        if (op < 5 || live.empty()) {
            u32 start = (rng() % 4096) * PAGE;
            u32 end = start + (1 + rng() % 8) * PAGE;
            auto it = model.lower_bound(start);
            bool overlaps = (it != model.end() && it->first < end)
                         || (it != model.begin() && std::prev(it)->second > start);
            if (!overlaps)
                live.push_back(add(start, end));
        } else if (op < 8) {
            size_t i = rng() % live.size();
            remove(live[i]);
            live.erase(live.begin() + long(i));
        } else {
            Region* r = live[rng() % live.size()];
            u32 limit = r->next ? r->next->start : r->end + 8 * PAGE;
            u32 new_end = r->start + PAGE + (rng() % ((limit - r->start) / PAGE)) * PAGE;
            if (new_end > limit)
                new_end = limit;
            r->end = new_end;
            model[r->start] = new_end;
            set.changed(r);
        }
        ASSERT_EQ(set.count(), model.size());
        if (step % 4 == 0) {
            ASSERT_TRUE(set.valid()) << "step " << step;
        }
        u32 addr = (rng() % 4200) * PAGE + rng() % PAGE;
        ASSERT_EQ(set.find(addr), expected_find(addr)) << "find " << addr;
        Region* above = set.find_above(addr);
        ASSERT_EQ(above ? above->start : 0, expected_find_above(addr));
        u32 len = (1 + rng() % 16) * PAGE, low = (rng() % 4096) * PAGE;
        ASSERT_EQ(set.find_gap(len, low, 4100 * PAGE), expected_gap(len, low, 4100 * PAGE))
            << "len " << len << " low " << low;
    }
    EXPECT_TRUE(set.valid());
}

/* The tree stays shallow: 4096 regions in address order (mmap after mmap). */
TEST_F(Regions, BalancedWhenFilledInOrder)
{
    for (u32 i = 0; i < 4096; i++)
        add(0x40000000 + i * 2 * PAGE, 0x40000000 + i * 2 * PAGE + PAGE);
    EXPECT_TRUE(set.valid());           /* balanced at every node: depth at most 1.44 log2(n) */
    EXPECT_EQ(set.find_gap(2 * PAGE, 0x40000000, 0xB0000000), 0x40000000u + 4096 * 2 * PAGE - PAGE);
}

} // namespace

namespace {

/* fork's copy: regions in address order become a balanced set at once; exit takes them all. */
TEST(RegionSetBulk, AdoptSortedThenTakeAll)
{
    for (u32 n : { 0u, 1u, 2u, 3u, 7u, 100u, 4096u }) {
        std::vector<Region> nodes(n);
        Region* head = nullptr;
        for (u32 i = n; i-- > 0;) {
            nodes[i] = Region { 0x1000 + i * 3 * PAGE, 0x1000 + i * 3 * PAGE + PAGE, 3, RegionKind::Anonymous };
            nodes[i].next = head;
            head = &nodes[i];
        }
        RegionSet set;
        set.adopt_sorted(head, n);
        ASSERT_TRUE(set.valid()) << n;
        EXPECT_EQ(set.count(), n);
        if (n) {
            EXPECT_EQ(set.find(0x1000 + (n - 1) * 3 * PAGE), &nodes[n - 1]);
            EXPECT_EQ(set.find_gap(2 * PAGE, 0, 0xB0000000), 0x1000u + PAGE);
        }
        if (n >= 2) {
            set.erase(&nodes[n / 2]);
            EXPECT_TRUE(set.valid());
        }
        Region* all = set.take_all();
        EXPECT_EQ(all, n ? &nodes[0] : nullptr);
        EXPECT_EQ(set.count(), 0u);
        EXPECT_EQ(set.first(), nullptr);
    }
}

} // namespace
