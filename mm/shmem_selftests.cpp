/* Self-tests of ShmObject: pages by index, truncation, references, and what they cost. */
#include <kernel/ktest.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/shmem.h>

namespace {

using mm::ShmObject;

/* The page at index, which must be there, as bytes; the reference taken is dropped at once. */
u8* page_bytes(ShmObject* obj, u32 index)
{
    ErrorOr<PhysAddr> got = obj->get_page(index, ShmObject::Alloc::No);
    if (got.is_error() || got.value() == PhysAddr())
        return nullptr;
    free_page(to_virt(got.value()));    /* the object still holds it */
    return to_virt(got.value()).as_ptr<u8>();
}

} // namespace

KTEST(shmem, pages_arrive_on_touch_and_go_with_the_last_reference)
{
    const u32 free_before = nr_free_pages(), shmem_before = mm::shmem_pages;
    ErrorOr<ShmObject*> made = mm::shm_create(64 * PAGE_SIZE);
    ASSERT_FALSE(made.is_error());
    ShmObject* obj = made.value();
    EXPECT_EQ(mm::shm_pages(obj), 0u);
    EXPECT_EQ(mm::shm_size(obj), u64(64 * PAGE_SIZE));
    /* A hole: no page, and no page is made by looking. */
    ErrorOr<PhysAddr> hole = obj->get_page(3, ShmObject::Alloc::No);
    ASSERT_FALSE(hole.is_error());
    EXPECT_TRUE(hole.value() == PhysAddr());
    for (u32 index : { 0u, 1u, 40u }) {
        ErrorOr<PhysAddr> got = obj->get_page(index, ShmObject::Alloc::Yes);
        ASSERT_FALSE(got.is_error());
        EXPECT_EQ(to_virt(got.value()).as_ptr<u32>()[7], 0u);      /* zero-filled */
        free_page(to_virt(got.value()));
    }
    EXPECT_EQ(mm::shm_pages(obj), 3u);
    EXPECT_EQ(mm::shmem_pages, shmem_before + 3);
    /* The same index is the same page. */
    page_bytes(obj, 1)[5] = 0x5A;
    EXPECT_EQ(page_bytes(obj, 1)[5], 0x5A);
    mm::shm_get(obj);
    mm::shm_put(obj);
    EXPECT_EQ(mm::shm_pages(obj), 3u);  /* one reference is left */
    mm::shm_put(obj);
    EXPECT_EQ(mm::shmem_pages, shmem_before);
    EXPECT_EQ(nr_free_pages(), free_before);
}

KTEST(shmem, truncate_frees_past_the_end_and_zeroes_the_tail)
{
    const u32 free_before = nr_free_pages();
    ShmObject* obj = mm::shm_create(8 * PAGE_SIZE).value();
    for (u32 index = 0; index < 8; index++) {
        ErrorOr<PhysAddr> got = obj->get_page(index, ShmObject::Alloc::Yes);
        ASSERT_FALSE(got.is_error());
        for (u32 i = 0; i < PAGE_SIZE; i++)
            to_virt(got.value()).as_ptr<u8>()[i] = 0xAB;
        free_page(to_virt(got.value()));
    }
    ASSERT_FALSE(mm::shm_truncate(obj, PAGE_SIZE + 100).is_error());
    EXPECT_EQ(mm::shm_pages(obj), 2u);
    EXPECT_EQ(mm::shm_size(obj), u64(PAGE_SIZE + 100));
    u8* tail = page_bytes(obj, 1);
    ASSERT_TRUE(tail != nullptr);
    EXPECT_EQ(tail[99], 0xAB);
    EXPECT_EQ(tail[100], 0);
    EXPECT_EQ(tail[PAGE_SIZE - 1], 0);
    /* Growth reads as zeros: the pages past the old end are holes. */
    ASSERT_FALSE(mm::shm_truncate(obj, 8 * PAGE_SIZE).is_error());
    EXPECT_TRUE(page_bytes(obj, 5) == nullptr);
    EXPECT_EQ(mm::shm_pages(obj), 2u);
    EXPECT_TRUE(mm::shm_truncate(obj, mm::SHM_MAX_SIZE + 1).is_error());
    mm::shm_put(obj);
    EXPECT_EQ(nr_free_pages(), free_before);
}
