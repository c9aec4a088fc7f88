#include <arch/paging.h>
#include <bit>
#include <gtest/gtest.h>

using arch::Pde;
using arch::Pte;

namespace {

/* What the CPU reads: the entry's 32 bits. */
template<typename Entry>
u32 bits(Entry e) { return std::bit_cast<u32>(e); }

const PhysAddr frame(0x00345000);

} // namespace

TEST(Paging, Geometry)
{
    EXPECT_EQ(PGDIR_SIZE, 4 << 20);
    EXPECT_EQ(arch::pgd_index(0xC0000000), 768u);
    EXPECT_EQ(arch::pgd_index(0xFFFFFFFF), PTRS_PER_TABLE - 1u);
    EXPECT_EQ(arch::pte_index(0xC0345678), 0x345u);
    EXPECT_EQ(arch::pte_index(0x003FF000), PTRS_PER_TABLE - 1u);
    EXPECT_EQ(arch::pgdir_next(0x00400000), 0x00800000u);
    EXPECT_EQ(arch::pgdir_next(0x007FFFFF), 0x00800000u);
    EXPECT_EQ(arch::pgdir_next(0xFFC00000), 0u) << "past the top wraps to 0";
}

TEST(Paging, NoneIsZero)
{
    EXPECT_EQ(bits(Pte()), 0u);
    EXPECT_TRUE(Pte().none());
    EXPECT_FALSE(Pte().present());
    EXPECT_FALSE(Pte().swapped_out());
    EXPECT_EQ(bits(Pde()), 0u);
    EXPECT_TRUE(Pde().none());
    EXPECT_FALSE(Pde().shared());
}

TEST(Paging, MappingsInTheHardwareFormat)
{
    EXPECT_EQ(bits(Pte::mapping(frame, 0)), 0x00345001u);
    EXPECT_EQ(bits(Pte::mapping(frame, Pte::WRITABLE | Pte::USER)), 0x00345007u);
    EXPECT_EQ(bits(Pte::mapping(frame, Pte::USER | Pte::WRITABLE | Pte::DIRTY)), 0x00345047u);
    EXPECT_EQ(bits(Pte::kernel_page(frame)), 0x00345003u);
    Pte p = Pte::mapping(frame, Pte::USER | Pte::ACCESSED);
    EXPECT_TRUE(p.present());
    EXPECT_TRUE(p.user());
    EXPECT_TRUE(p.accessed());
    EXPECT_FALSE(p.writable());
    EXPECT_FALSE(p.dirty());
    EXPECT_FALSE(p.swapped_out());
    EXPECT_EQ(p.frame(), frame);
}

TEST(Paging, WithersChangeOneBit)
{
    Pte all = Pte::mapping(frame, Pte::WRITABLE | Pte::USER | Pte::ACCESSED | Pte::DIRTY);
    EXPECT_EQ(bits(all), 0x00345067u);
    EXPECT_EQ(bits(all.write_protected()), 0x00345065u);
    EXPECT_EQ(bits(all.with_accessed_cleared()), 0x00345047u);
    EXPECT_EQ(bits(all.with_dirty_cleared()), 0x00345027u);
    EXPECT_EQ(all.write_protected().made_writable(), all);
    EXPECT_EQ(all.write_protected().write_protected(), all.write_protected());
    EXPECT_EQ(all.with_accessed_cleared().with_dirty_cleared().frame(), frame);
    EXPECT_EQ(bits(Pte::mapping(frame, Pte::USER).made_dirty()), 0x00345045u);
    EXPECT_EQ(all.with_dirty_cleared().made_dirty(), all);
}

TEST(Paging, NewPermissionsKeepAccessedAndDirty)
{
    Pte p = Pte::mapping(frame, Pte::WRITABLE | Pte::USER | Pte::DIRTY);
    EXPECT_EQ(bits(p.with_permissions(0)), 0x00345041u) << "PROT_NONE: present, not user";
    EXPECT_EQ(bits(p.with_permissions(Pte::USER)), 0x00345045u);
    Pte clean = Pte::mapping(frame, Pte::USER | Pte::ACCESSED);
    EXPECT_EQ(bits(clean.with_permissions(Pte::USER | Pte::WRITABLE)), 0x00345027u);
}

TEST(Paging, SwapEntriesRoundTrip)
{
    for (u32 type : { 0u, 1u, 5u, 127u }) {
        for (u32 offset : { 1u, 2u, 4096u, SwapEntry::MAX_OFFSET }) {
            SwapEntry e = SwapEntry::make(type, offset);
            Pte p = Pte::swapped(e);
            EXPECT_EQ(bits(p), e.pte_value()) << "the seed's encoding: index << 1";
            EXPECT_FALSE(p.present()) << type << ":" << offset;
            EXPECT_FALSE(p.none());
            EXPECT_TRUE(p.swapped_out());
            EXPECT_EQ(p.swap_entry(), e);
            EXPECT_EQ(p, Pte::swapped(e));
            EXPECT_NE(p, Pte::swapped(SwapEntry::make(type, offset - 1)));
        }
    }
    EXPECT_EQ(bits(Pte::swapped(SwapEntry::make(3, 0x12345))), 0x0602468Au);
    EXPECT_EQ(Pte::swapped(SwapEntry()), Pte()) << "no entry is an empty PTE";
}

TEST(Paging, DirectoryEntries)
{
    EXPECT_EQ(bits(Pde::kernel_table(frame)), 0x00345003u);
    EXPECT_EQ(bits(Pde::user_table(frame)), 0x00345007u);
    EXPECT_EQ(bits(Pde::shared_table(frame)), 0x00345005u) << "SHARED_PDE: write-protected";
    EXPECT_FALSE(Pde::user_table(frame).shared());
    EXPECT_FALSE(Pde::kernel_table(frame).shared());
    EXPECT_TRUE(Pde::shared_table(frame).shared());
    EXPECT_EQ(Pde::shared_table(frame).frame(), frame);
    EXPECT_EQ(Pde::shared_table(frame).unshared(), Pde::user_table(frame));
    Pde touched = std::bit_cast<Pde>(0x00345025u);     /* shared, and the CPU set ACCESSED */
    EXPECT_TRUE(touched.accessed());
    EXPECT_EQ(bits(touched.unshared()), 0x00345027u);
    EXPECT_TRUE(Pde::user_table(frame).user());
    EXPECT_FALSE(Pde::kernel_table(frame).user());
}
