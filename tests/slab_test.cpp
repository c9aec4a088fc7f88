#include <gtest/gtest.h>
#include <mm/slab.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using mm::Gfp;
using mm::SlabAllocator;

namespace {

class Slab : public ::testing::Test {
protected:
    static constexpr u32 nr_pages = 512;

    void SetUp() override
    {
        memory = static_cast<u8*>(std::aligned_alloc(PAGE_SIZE, nr_pages * PAGE_SIZE));
        map.resize(nr_pages);
        pages.init(map.data(), nr_pages, reinterpret_cast<uintptr_t>(memory));
        for (u32 pfn = nr_pages; pfn-- > 1;)
            pages.release_boot_page(Pfn(pfn));
        slab.init(pages);
        free_at_start = free_pages();
    }
    void TearDown() override { std::free(memory); }
    u32 free_pages() const { return pages.nr_free_pages() + pages.nr_reserve_pages(); }

    u8* memory = nullptr;
    std::vector<mm::Page> map;
    mm::PageAllocator pages;
    SlabAllocator slab;
    u32 free_at_start = 0;
};

} // namespace

TEST_F(Slab, ClassesCoverEightToAPage)
{
    EXPECT_EQ(SlabAllocator::class_for(1), 0);
    EXPECT_EQ(SlabAllocator::class_for(8), 0);
    EXPECT_EQ(SlabAllocator::class_for(9), 1);
    EXPECT_EQ(SlabAllocator::class_for(2048), 8);
    EXPECT_EQ(SlabAllocator::class_for(2049), -1);
    EXPECT_EQ(slab.allocate(0, Gfp::Kernel), nullptr);
    EXPECT_EQ(slab.allocate(PAGE_SIZE + 1, Gfp::Kernel), nullptr);
}

TEST_F(Slab, PageHoldsExactlyItsShare)
{
    /* 4096 / 64 objects fit one page; the next one needs a second page. */
    std::vector<void*> objects;
    for (int i = 0; i < 64; i++)
        objects.push_back(slab.allocate(64, Gfp::Kernel));
    EXPECT_EQ(free_pages(), free_at_start - 1);
    objects.push_back(slab.allocate(64, Gfp::Kernel));
    EXPECT_EQ(free_pages(), free_at_start - 2);
    for (void* p : objects)
        slab.free(p, nullptr);
    EXPECT_EQ(free_pages(), free_at_start);
}

TEST_F(Slab, RandomMixKeepsContentsAndGivesPagesBack)
{
    std::mt19937 rng(1234);
    struct Object {
        u8* p;
        size_t size;
        u8 tag;
    };
    std::vector<Object> live;
    for (int round = 0; round < 20000; round++) {
        if (live.empty() || rng() % 3 != 0) {
            size_t size = rng() % 8 == 0 ? 1 + rng() % PAGE_SIZE : 1 + rng() % 300;
            auto* p = static_cast<u8*>(slab.allocate(size, Gfp::Kernel));
            if (!p)
                break;
            u8 tag = u8(rng());
            std::memset(p, tag, size);
            ASSERT_GE(slab.object_size(p), size);
            live.push_back({ p, size, tag });
        } else {
            size_t i = rng() % live.size();
            for (size_t b = 0; b < live[i].size; b++)
                ASSERT_EQ(live[i].p[b], live[i].tag);
            slab.free(live[i].p, nullptr);
            live[i] = live.back();
            live.pop_back();
        }
    }
    std::sort(live.begin(), live.end(), [](const Object& a, const Object& b) { return a.p < b.p; });
    for (size_t i = 1; i < live.size(); i++)
        ASSERT_LE(live[i - 1].p + live[i - 1].size, live[i].p);
    for (auto& o : live) {
        for (size_t b = 0; b < o.size; b++)
            ASSERT_EQ(o.p[b], o.tag);
        slab.free(o.p, nullptr);
    }
    EXPECT_EQ(free_pages(), free_at_start);
}

TEST_F(Slab, FailsCleanlyWhenMemoryRunsOut)
{
    std::vector<void*> objects;
    while (void* p = slab.allocate(2048, Gfp::Kernel))
        objects.push_back(p);
    EXPECT_EQ(objects.size(), 2u * (nr_pages - 1));
    EXPECT_EQ(slab.allocate(8, Gfp::Kernel), nullptr);
    for (void* p : objects)
        slab.free(p, nullptr);
    EXPECT_EQ(free_pages(), free_at_start);
}

TEST_F(Slab, FreedMarkerInUserDataIsNotADoubleFree)
{
    auto* a = static_cast<u32*>(slab.allocate(16, Gfp::Kernel));
    auto* b = static_cast<u32*>(slab.allocate(16, Gfp::Kernel));
    a[1] = 0x6b6b6b6b;          /* looks like the free marker, but the object is live */
    slab.free(a, nullptr);
    slab.free(b, nullptr);
    EXPECT_EQ(free_pages(), free_at_start);
}

using SlabDeathTest = Slab;

TEST_F(SlabDeathTest, DoubleFreeIsFatal)
{
    void* a = slab.allocate(32, Gfp::Kernel);
    void* keep = slab.allocate(32, Gfp::Kernel);
    slab.free(a, nullptr);
    EXPECT_DEATH(slab.free(a, nullptr), "already free");
    slab.free(keep, nullptr);
}

TEST_F(SlabDeathTest, InteriorPointerIsFatal)
{
    auto* a = static_cast<u8*>(slab.allocate(32, Gfp::Kernel));
    EXPECT_DEATH(slab.free(a + 8, nullptr), "not the start of an object");
}

TEST_F(SlabDeathTest, NonSlabPageIsFatal)
{
    VirtAddr page = pages.allocate(Gfp::Kernel, mm::Zero::No);
    EXPECT_DEATH(slab.free(page.as_ptr(), nullptr), "no kmalloc objects");
}
