#include <gtest/gtest.h>
#include <mm/swap_entry.h>

TEST(SwapEntry, NoneIsZero)
{
    SwapEntry none;
    EXPECT_TRUE(none.none());
    EXPECT_FALSE(bool(none));
    EXPECT_EQ(none.pte_value(), 0u);
    EXPECT_EQ(SwapEntry::from_pte_value(0), none);
}

TEST(SwapEntry, SeedEncoding)
{
    /* index = (type << 24) | offset; the PTE holds index << 1. */
    SwapEntry e = SwapEntry::make(3, 0x12345);
    EXPECT_EQ(e.index(), 0x03012345u);
    EXPECT_EQ(e.pte_value(), 0x0602468Au);
    EXPECT_EQ(e.type(), 3u);
    EXPECT_EQ(e.offset(), 0x12345u);
    EXPECT_TRUE(bool(e));
    EXPECT_EQ(SwapEntry::from_index(0x03012345), e);
}

TEST(SwapEntry, RoundTripsThroughAPte)
{
    for (u32 type : { 0u, 1u, 7u, 64u, 127u }) {
        for (u32 offset : { 1u, 2u, 255u, 4096u, 32687u, 0xFFFFFFu }) {
            ASSERT_TRUE(SwapEntry::fits(type, offset));
            SwapEntry e = SwapEntry::make(type, offset);
            u32 pte = e.pte_value();
            EXPECT_EQ(pte & 1, 0u) << "present bit set for " << type << ":" << offset;
            EXPECT_NE(pte, 0u);
            SwapEntry back = SwapEntry::from_pte_value(pte);
            EXPECT_EQ(back.type(), type);
            EXPECT_EQ(back.offset(), offset);
        }
    }
}

TEST(SwapEntry, Limits)
{
    EXPECT_EQ(SwapEntry::MAX_TYPES, 128u);
    EXPECT_EQ(SwapEntry::MAX_OFFSET, 0xFFFFFFu);
    EXPECT_FALSE(SwapEntry::fits(128, 1));
    EXPECT_FALSE(SwapEntry::fits(0, 0x1000000));
    /* Bit 31 of an index has no meaning: it would not survive the shift into a PTE. */
    EXPECT_EQ(SwapEntry::from_index(0x80000001).index(), 1u);
}
