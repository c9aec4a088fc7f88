/* Self-tests of PageHolder: each page it owns is freed exactly once, by whoever holds it last. */
#include <kernel/ktest.h>
#include <mm/page_holder.h>

#include <type_traits>
#include <utility>

namespace {

u32 count_of(VirtAddr page)
{
    return mm::page_allocator.page(mm::page_allocator.pfn_of(page)).count;
}

} // namespace

KTEST(page_holder, moved_holder_frees_once)
{
    const u32 before = nr_free_pages();
    {
        mm::PageHolder first(__get_free_page(Gfp::Kernel));
        ASSERT_TRUE(bool(first));
        VirtAddr page = first.addr();
        mm::PageHolder second(std::move(first));
        EXPECT_FALSE(bool(first));
        EXPECT_EQ(second.addr(), page);
        mm::PageHolder third;
        third = std::move(second);
        EXPECT_FALSE(bool(second));
        EXPECT_EQ(third.addr(), page);
        EXPECT_EQ(count_of(page), 1u);
        EXPECT_EQ(nr_free_pages(), before - 1);
    }
    /* Freed by the last holder alone: a second free_page would have stopped the kernel. */
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(page_holder, assignment_frees_the_page_held_before)
{
    const u32 before = nr_free_pages();
    mm::PageHolder holder(__get_free_page(Gfp::Kernel));
    ASSERT_TRUE(bool(holder));
    holder = mm::PageHolder(__get_free_page(Gfp::Kernel));
    ASSERT_TRUE(bool(holder));
    EXPECT_EQ(nr_free_pages(), before - 1);
    holder.reset();
    EXPECT_FALSE(bool(holder));
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(page_holder, release_hands_the_page_over)
{
    const u32 before = nr_free_pages();
    VirtAddr page;
    {
        mm::PageHolder holder(__get_free_page(Gfp::Kernel));
        ASSERT_TRUE(bool(holder));
        page = holder.release();
        EXPECT_FALSE(bool(holder));
    }
    EXPECT_EQ(nr_free_pages(), before - 1);     /* the caller owns it now */
    EXPECT_EQ(count_of(page), 1u);
    free_page(page);
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(page_holder, empty_holder_frees_nothing)
{
    const u32 before = nr_free_pages();
    {
        mm::PageHolder failed{VirtAddr()};      /* what a failed allocation gives */
        EXPECT_FALSE(bool(failed));
        mm::PageHolder moved(std::move(failed));
        EXPECT_FALSE(bool(moved));
    }
    EXPECT_EQ(nr_free_pages(), before);
}

/* Copying would free the page twice: the type refuses it. */
static_assert(!std::is_copy_constructible_v<mm::PageHolder> && !std::is_copy_assignable_v<mm::PageHolder>);
