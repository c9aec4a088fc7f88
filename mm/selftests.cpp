/* Self-tests of the physical memory layer on the real machine's memory. */
#include <arch/paging.h>
#include <kernel/cmdline.h>
#include <kernel/ktest.h>
#include <mm/layout.h>
#include <mm/memory.h>

extern CommandLine command_line;
extern BootInfo boot_information;

namespace {

using mm::PageState;

mm::Page& page_of(VirtAddr addr) { return mm::page_allocator.page(mm::page_allocator.pfn_of(addr)); }

/* Pages taken by a test, chained through their first word so no other memory is needed. */
struct PageChain {
    VirtAddr head;
    u32 length = 0;

    void push(VirtAddr page)
    {
        *page.as_ptr<uintptr_t>() = head.value();
        head = page;
        length++;
    }
    VirtAddr pop()
    {
        VirtAddr page = head;
        head = VirtAddr(*page.as_ptr<uintptr_t>());
        length--;
        return page;
    }
    void free_all()
    {
        while (length)
            free_page(pop());
    }
};

bool page_is_zero(VirtAddr page)
{
    const u32* words = page.as_ptr<u32>();
    u32 acc = 0;
    for (u32 i = 0; i < PAGE_SIZE / 4; i++)
        acc |= words[i];
    return acc == 0;
}

u32 xorshift(u32& state)
{
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

u32 reclaim_calls;
PageChain* reclaim_source;

bool reclaim_fails()
{
    reclaim_calls++;
    return false;
}

bool reclaim_frees_one()
{
    reclaim_calls++;
    if (!reclaim_source || !reclaim_source->length)
        return false;
    free_page(reclaim_source->pop());
    return true;
}

} // namespace

KTEST(mm, boot_map_rows_match_mem_map)
{
    const mm::MapItem* items;
    size_t n = mm::boot_map(items);
    ASSERT_GE(n, 8u);
    u32 free_rows = 0;
    bool saw_mem_map = false;
    for (size_t i = 0; i < n; i++) {
        bool free_row = strcmp(items[i].name, "free") == 0;
        saw_mem_map |= strcmp(items[i].name, "mem_map") == 0;
        for (u32 a = items[i].start; a < items[i].end && a < mm::memory_end; a += PAGE_SIZE) {
            PageState state = mm::mem_map[a >> PAGE_SHIFT].state;
            if (free_row) {
                free_rows++;
                EXPECT_NE(state, PageState::Reserved);
            } else if (state != PageState::Reserved) {
                EXPECT_EQ(state, PageState::Reserved);
                break;
            }
        }
    }
    EXPECT_TRUE(saw_mem_map);
    EXPECT_EQ(mm::mem_map[0].state, PageState::Reserved);
    EXPECT_EQ(mm::mem_map[virt_to_phys(u32(_text)) >> PAGE_SHIFT].state, PageState::Reserved);
    EXPECT_EQ(mm::mem_map[virt_to_phys(u32(mm::mem_map)) >> PAGE_SHIFT].state, PageState::Reserved);
    /* Every free page of the boot map is on a list or was handed out since boot. */
    EXPECT_GE(free_rows, nr_free_pages());
    EXPECT_EQ(mm::low_memory_start, virt_to_phys(u32(_end)));
    EXPECT_GE(mm::memory_start, mm::low_memory_start);
}

KTEST(mm, memory_end_and_limit)
{
    EXPECT_LE(mm::memory_end, MAX_MAPPED_MEMORY);
    EXPECT_EQ(mm::memory_end % PAGE_SIZE, 0u);
    EXPECT_EQ(mm::page_allocator.nr_pages(), mm::memory_end >> PAGE_SHIFT);
    if (command_line.mem_limit) {
        /* mem= below the end of the kernel and initrd is raised to keep them. */
        u32 keep = virt_to_phys(u32(_end));
        for (size_t i = 0; i < boot_information.nr_modules; i++)
            if (boot_information.modules[i].end > keep)
                keep = page_align_up(boot_information.modules[i].end);
        EXPECT_LE(mm::memory_end, command_line.mem_limit > keep ? u32(command_line.mem_limit) : keep);
    }
    EXPECT_READABLE(phys_to_virt(mm::memory_end - PAGE_SIZE));
    if (mm::memory_end < MAX_MAPPED_MEMORY)
        EXPECT_READ_FAULTS(phys_to_virt(mm::memory_end));
}

KTEST(mm, linear_map_agrees_with_page_tables)
{
    auto* directory = swapper_pg_dir;
    u32 checked = 0;
    /* Every page of the first 4 MB, then one page in 61 (a prime stride) up to memory_end. */
    for (u32 phys = PAGE_SIZE; phys < mm::memory_end;
         phys += phys < PGDIR_SIZE ? PAGE_SIZE : 61 * PAGE_SIZE) {
        u32 va = phys_to_virt(phys);
        arch::Pte pte = arch::walk(directory, va);
        bool text = va >= u32(_text) && va < u32(_erodata);
        if (!pte.present() || pte.frame().value() != phys || pte.user() || pte.writable() == text) {
            EXPECT_TRUE(pte.present());
            EXPECT_EQ(pte.frame().value(), phys);
            EXPECT_FALSE(pte.user());
            EXPECT_EQ(pte.writable(), !text);
            break;
        }
        checked++;
    }
    EXPECT_GT(checked, 900u);
    EXPECT_FALSE(arch::walk(directory, PAGE_OFFSET).present());
    EXPECT_FALSE(arch::walk(directory, phys_to_virt(mm::memory_end)).present());

    VirtAddr page = get_free_page(Gfp::Kernel);
    ASSERT_TRUE(bool(page));
    EXPECT_EQ(arch::walk(directory, u32(page.value())).frame(), to_phys(page));
    free_page(page);
}

KTEST(mm, allocate_every_page_then_free_all)
{
    const u32 before = nr_free_pages();
    PageChain chain;
    /* Dirty every page first, so that the second round proves get_free_page zeroes. */
    while (VirtAddr page = __get_free_page(Gfp::Kernel)) {
        mm::Page& p = page_of(page);
        if (p.state != PageState::InUse || p.count != 1) {
            EXPECT_EQ(p.state, PageState::InUse);
            EXPECT_EQ(p.count, 1);
        }
        for (u32 i = 0; i < PAGE_SIZE / 4; i++)
            page.as_ptr<u32>()[i] = 0xA5A5A5A5;
        chain.push(page);
    }
    EXPECT_EQ(chain.length, before);
    EXPECT_EQ(nr_free_pages(), 0u);
    /* Exhaustion is a clean failure at every priority. */
    EXPECT_FALSE(bool(get_free_page(Gfp::Atomic)));
    EXPECT_FALSE(bool(get_free_page(Gfp::Buffer)));
    EXPECT_FALSE(bool(get_free_page(Gfp::User)));
    EXPECT_EQ(kmalloc(PAGE_SIZE, Gfp::Kernel), nullptr);   /* needs a page of its own */
    chain.free_all();       /* a page handed out twice would be freed twice: a panic */
    EXPECT_EQ(nr_free_pages(), before);

    u32 not_zero = 0;
    while (VirtAddr page = get_free_page(Gfp::Kernel)) {
        not_zero += !page_is_zero(page);
        EXPECT_FALSE(page_of(page).reserved());
        chain.push(page);
    }
    EXPECT_EQ(not_zero, 0u);
    EXPECT_EQ(chain.length, before);
    chain.free_all();
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(mm, reserve_is_a_last_resort)
{
    const u32 before = nr_free_pages();
    const u32 reserve = mm::page_allocator.nr_reserve_pages();
    ASSERT_EQ(reserve, mm::PageAllocator::RESERVE_PAGES);
    PageChain held;
    while (VirtAddr page = get_free_page(Gfp::Buffer))
        held.push(page);
    EXPECT_EQ(mm::page_allocator.nr_free_pages(), 0u);
    EXPECT_EQ(mm::page_allocator.nr_reserve_pages(), reserve);     /* Buffer never dips in */
    EXPECT_EQ(held.length, before - reserve);

    /* Atomic takes from the reserve at once; nothing reclaims for it. */
    reclaim_calls = 0;
    mm::page_allocator.set_reclaim_hook(reclaim_fails);
    VirtAddr atomic = get_free_page(Gfp::Atomic);
    EXPECT_TRUE(bool(atomic));
    EXPECT_EQ(reclaim_calls, 0u);
    EXPECT_EQ(mm::page_allocator.nr_reserve_pages(), reserve - 1);

    /* Kernel and User try to reclaim first, and fall back to the reserve when that fails. */
    VirtAddr kernel = get_free_page(Gfp::Kernel);
    EXPECT_TRUE(bool(kernel));
    EXPECT_EQ(reclaim_calls, 1u);
    VirtAddr user = get_free_page(Gfp::User);
    EXPECT_TRUE(bool(user));
    EXPECT_EQ(reclaim_calls, 2u);
    EXPECT_EQ(mm::page_allocator.nr_reserve_pages(), reserve - 3);
    EXPECT_FALSE(bool(get_free_page(Gfp::Buffer)));
    EXPECT_EQ(reclaim_calls, 2u);

    /* free_page refills the reserve before the free list. */
    free_page(atomic);
    free_page(kernel);
    free_page(user);
    EXPECT_EQ(mm::page_allocator.nr_reserve_pages(), reserve);
    EXPECT_EQ(mm::page_allocator.nr_free_pages(), 0u);

    /* A reclaim that frees a page satisfies the request without touching the reserve. */
    reclaim_calls = 0;
    reclaim_source = &held;
    mm::page_allocator.set_reclaim_hook(reclaim_frees_one);
    VirtAddr expected = held.head;
    VirtAddr got = get_free_page(Gfp::Kernel);
    EXPECT_EQ(got, expected);
    EXPECT_EQ(reclaim_calls, 1u);
    EXPECT_EQ(mm::page_allocator.nr_reserve_pages(), reserve);
    mm::page_allocator.set_reclaim_hook(nullptr);
    reclaim_source = nullptr;
    free_page(got);
    held.free_all();
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(mm, kmalloc_sizes)
{
    const u32 before = nr_free_pages();
    EXPECT_EQ(kmalloc(0, Gfp::Kernel), nullptr);
    EXPECT_EQ(kmalloc(PAGE_SIZE + 1, Gfp::Kernel), nullptr);
    void* page = kmalloc(PAGE_SIZE, Gfp::Kernel);
    EXPECT_TRUE(VirtAddr(page).page_aligned());
    void* big = kmalloc(2049, Gfp::Kernel);
    EXPECT_TRUE(VirtAddr(big).page_aligned());
    EXPECT_EQ(mm::slab_allocator.object_size(big), size_t(PAGE_SIZE));
    for (size_t size : { 1u, 8u, 9u, 100u, 1024u, 2048u }) {
        void* p = kmalloc(size, Gfp::Kernel);
        size_t usable = mm::slab_allocator.object_size(p);
        EXPECT_GE(usable, size);
        EXPECT_LT(usable, size < 8 ? 9 : 2 * size);
        EXPECT_EQ(uintptr_t(p) % usable, 0u);
        kfree(p);
    }
    kfree(page);
    kfree(big);
    kfree(nullptr);
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(mm, kmalloc_random_mix)
{
    const u32 before = nr_free_pages();
    constexpr u32 count = 1000;
    VirtAddr pointers_page = get_free_page(Gfp::Kernel);
    VirtAddr sizes_page = get_free_page(Gfp::Kernel);
    ASSERT_TRUE(pointers_page && sizes_page);
    auto* objects = pointers_page.as_ptr<u8*>();
    auto* sizes = sizes_page.as_ptr<u32>();

    u32 seed = 0x2545F491;
    for (u32 i = 0; i < count; i++) {
        u32 r = xorshift(seed);
        /* Mostly small objects, some large: the mix kernels see. */
        u32 size = r % 8 == 0 ? 1 + r % PAGE_SIZE : 1 + r % 200;
        objects[i] = static_cast<u8*>(kmalloc(size, Gfp::Kernel));
        sizes[i] = size;
        ASSERT_TRUE(objects[i] != nullptr);
        for (u32 b = 0; b < size; b++)
            objects[i][b] = u8(i * 7 + b);
    }
    /* No two objects overlap: every pattern is intact, and the ranges are disjoint. */
    u32 corrupt = 0;
    for (u32 i = 0; i < count; i++)
        for (u32 b = 0; b < sizes[i]; b++)
            corrupt += objects[i][b] != u8(i * 7 + b);
    EXPECT_EQ(corrupt, 0u);
    for (u32 i = 1; i < count; i++)            /* insertion sort by address, sizes alongside */
        for (u32 j = i; j > 0 && objects[j] < objects[j - 1]; j--) {
            u8* p = objects[j]; objects[j] = objects[j - 1]; objects[j - 1] = p;
            u32 s = sizes[j]; sizes[j] = sizes[j - 1]; sizes[j - 1] = s;
        }
    for (u32 i = 1; i < count; i++)
        if (objects[i - 1] + sizes[i - 1] > objects[i]) {
            EXPECT_LE(objects[i - 1] + sizes[i - 1], objects[i]);
            break;
        }
    /* Free in a shuffled order. */
    for (u32 i = count - 1; i > 0; i--) {
        u32 j = xorshift(seed) % (i + 1);
        u8* p = objects[i]; objects[i] = objects[j]; objects[j] = p;
    }
    for (u32 i = 0; i < count; i++)
        kfree(objects[i]);
    free_page(pointers_page);
    free_page(sizes_page);
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(mm, operator_new_and_delete)
{
    const u32 before = nr_free_pages();
    struct Node {
        u32 value;
        Node* next;
    };
    Node* list = nullptr;
    for (u32 i = 0; i < 600; i++)
        list = new Node { i, list };
    u32 sum = 0;
    while (list) {
        Node* next = list->next;
        sum += list->value;
        delete list;
        list = next;
    }
    EXPECT_EQ(sum, 599u * 600u / 2);
    EXPECT_EQ(nr_free_pages(), before);
}

/* These end in a panic on purpose; the test runner reads the message. */
KTEST_EXPLICIT(crash, double_free_page)
{
    VirtAddr page = get_free_page(Gfp::Kernel);
    free_page(page);
    free_page(page);
}

KTEST_EXPLICIT(crash, free_reserved_page)
{
    free_page(VirtAddr(uintptr_t(_text)));
}

KTEST_EXPLICIT(crash, double_kfree)
{
    void* p = kmalloc(32, Gfp::Kernel);
    void* keeps_the_page = kmalloc(32, Gfp::Kernel);
    kfree(p);
    kfree(p);
    kfree(keeps_the_page);
}
