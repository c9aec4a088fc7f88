#include <gtest/gtest.h>
#include <mm/bootmem.h>

using mm::BootMemory;

namespace {
constexpr u64 K = 1024, M = 1024 * 1024;

/* QEMU's map for -m 64: low memory, the EBDA, the BIOS, RAM from 1 MB, ACPI at the top. */
BootMemory qemu_64m()
{
    BootMemory b;
    b.add_usable(0, 0x9FC00);
    b.add_usable(M, 0x3FE0000);
    return b;
}
} // namespace

TEST(BootMemory, PartialPagesAreDropped)
{
    BootMemory b = qemu_64m();
    ASSERT_EQ(b.count(), 2u);
    EXPECT_EQ(b.range(0).start, 0u);
    EXPECT_EQ(b.range(0).end, 0x9F000u);            /* 0x9FC00 rounded down */
    EXPECT_EQ(b.end(), 0x3FE0000u);
}

TEST(BootMemory, AddMergesOverlappingAndAdjacent)
{
    BootMemory b;
    b.add_usable(8 * M, 9 * M);
    b.add_usable(M, 2 * M);
    b.add_usable(2 * M, 3 * M);                      /* adjacent: merges */
    b.add_usable(64 * K, 68 * K);                    /* apart: stays its own range */
    b.add_usable(1536 * K, 8 * M + 4096);            /* swallows the rest */
    ASSERT_EQ(b.count(), 2u);
    EXPECT_EQ(b.range(0).start, 64 * K);
    EXPECT_EQ(b.range(1).start, M);
    EXPECT_EQ(b.range(1).end, 9 * M);
}

TEST(BootMemory, ReserveSplitsAndWidensToPages)
{
    BootMemory b = qemu_64m();
    u64 before = b.free_pages();
    b.reserve(0x200800, 0x201001);                   /* touches pages 0x200 and 0x201 */
    EXPECT_EQ(b.free_pages(), before - 2);
    ASSERT_EQ(b.count(), 3u);
    EXPECT_EQ(b.range(1).end, 0x200000u);
    EXPECT_EQ(b.range(2).start, 0x202000u);
    b.reserve(0, 0x1000);
    EXPECT_EQ(b.range(0).start, 0x1000u);
}

TEST(BootMemory, ClipDropsEverythingAbove)
{
    BootMemory b = qemu_64m();
    b.clip(6 * M);
    EXPECT_EQ(b.end(), 6 * M);
    b.clip(512 * K);
    EXPECT_EQ(b.count(), 1u);
    EXPECT_EQ(b.end(), 512 * K);
}

TEST(BootMemory, AllocatePrefersHighAndRespectsLimit)
{
    BootMemory b = qemu_64m();
    PhysAddr p = b.allocate(1, 4 * M, M);
    EXPECT_EQ(p.value(), M);
    p = b.allocate(2, 4 * M, M);
    EXPECT_EQ(p.value(), M + 4096);
    /* Nothing fits above 1 MB below the limit: low memory is used instead. */
    b.reserve(0, 4096);                              /* as boot does: page 0 is never free */
    p = b.allocate(1, M + 3 * 4096, M);
    EXPECT_EQ(p.value(), 4096u);
    /* Too big for any range. */
    EXPECT_EQ(b.allocate(1u << 20, ~0ull, 0).value(), 0u);
}

TEST(BootMemory, AllocateContiguousSkipsSmallRanges)
{
    BootMemory b;
    b.add_usable(M, M + 8 * K);
    b.add_usable(2 * M, 3 * M);
    PhysAddr p = b.allocate(4, 4 * M, M);
    EXPECT_EQ(p.value(), 2 * M);
    EXPECT_EQ(b.range(0).pages(), 2u);
}

TEST(BootMemory, TooManyRangesCounted)
{
    BootMemory b;
    for (u64 i = 0; i < BootMemory::max_ranges + 5; i++)
        b.add_usable(i * 2 * 4096, i * 2 * 4096 + 4096);
    EXPECT_EQ(b.count(), BootMemory::max_ranges);
    EXPECT_EQ(b.dropped(), 5u);
}
