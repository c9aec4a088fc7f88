#include <drivers/ata_prd.h>
#include <gtest/gtest.h>

using ata::Prd;
using ata::PrdBuilder;

namespace {

struct Table {
    Prd entries[8] = { };
    PrdBuilder builder { entries, 8 };
};

} // namespace

TEST(PrdTable, PagesAnywhereOneEntryEach)
{
    Table t;
    const u32 pages[] = { 0x00345000, 0x00120000, 0x00121000 - 0x2000, 0x01FFF000 };
    for (u32 p : pages)
        for (u32 s = 0; s < 8; s++)
            ASSERT_TRUE(t.builder.add(p + s * 512, 512));
    ASSERT_EQ(t.builder.finish(), 4u);
    for (u32 i = 0; i < 4; i++) {
        EXPECT_EQ(t.entries[i].address, pages[i]);
        EXPECT_EQ(t.entries[i].bytes, 4096u);
        EXPECT_EQ(t.entries[i].flags, i == 3 ? ata::PRD_END_OF_TABLE : 0);
    }
}

TEST(PrdTable, NeighboursMergeWithinAWindowOnly)
{
    Table t;
    /* Three contiguous pages: 0x1E000 and 0x1F000 share a window, 0x20000 starts the next. */
    for (u32 p = 0x1E000; p < 0x21000; p += 512)
        ASSERT_TRUE(t.builder.add(p, 512));
    ASSERT_EQ(t.builder.finish(), 2u);
    EXPECT_EQ(t.entries[0].address, 0x1E000u);
    EXPECT_EQ(t.entries[0].bytes, 0x2000u);
    EXPECT_EQ(t.entries[0].flags, 0);
    EXPECT_EQ(t.entries[1].address, 0x20000u);
    EXPECT_EQ(t.entries[1].bytes, 0x1000u);
    EXPECT_EQ(t.entries[1].flags, ata::PRD_END_OF_TABLE);
}

TEST(PrdTable, SectorAcrossAWindowIsCut)
{
    Table t;
    /* A word-aligned buffer: its second sector straddles 0x30000. */
    ASSERT_TRUE(t.builder.add(0x2FD02, 512));
    ASSERT_TRUE(t.builder.add(0x2FF02, 512));
    ASSERT_EQ(t.builder.finish(), 2u);
    EXPECT_EQ(t.entries[0].address, 0x2FD02u);
    EXPECT_EQ(t.entries[0].bytes, 0x30000u - 0x2FD02);
    EXPECT_EQ(t.entries[1].address, 0x30000u);
    EXPECT_EQ(t.entries[1].bytes, 0x2FF02u + 512 - 0x30000);
}

TEST(PrdTable, AWholeWindowIsCountZero)
{
    Table t;
    for (u32 p = 0x40000; p < 0x60000; p += 512)
        ASSERT_TRUE(t.builder.add(p, 512));
    ASSERT_EQ(t.builder.finish(), 2u);
    EXPECT_EQ(t.entries[0].address, 0x40000u);
    EXPECT_EQ(t.entries[0].bytes, 0u);          /* 64 KB */
    EXPECT_EQ(t.entries[1].address, 0x50000u);
    EXPECT_EQ(t.entries[1].bytes, 0u);
}

TEST(PrdTable, FullTableRefusesEmptyIsZero)
{
    Table t;
    for (u32 i = 0; i < 8; i++)
        ASSERT_TRUE(t.builder.add(0x100000 + i * 0x2000, 512));
    EXPECT_FALSE(t.builder.add(0x200000, 512));
    EXPECT_TRUE(t.builder.add(0x100000 + 7 * 0x2000 + 512, 512));   /* merges: no new entry */
    Table empty;
    EXPECT_EQ(empty.builder.finish(), 0u);
}
