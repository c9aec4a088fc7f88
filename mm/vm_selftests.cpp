/*
 * Self-tests of copy_page_tables and the fault handlers on a synthetic address space: the
 * idle task borrows it, and plain kernel reads and writes of its user addresses take real
 * page faults.
 */
#include <arch/cpu.h>
#include <kernel/ktest.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/selftest_support.h>
#include <mm/vm.h>

namespace {

constexpr u32 base = 0x10000000;
constexpr u32 pages = 16;

volatile u32& word(u32 page, u32 index = 0)
{
    return *reinterpret_cast<volatile u32*>(base + page * PAGE_SIZE + index * 4);
}

/* Faults change counters behind the compiler's back: read them afresh. */
u32 minor_faults()
{
    arch::barrier();
    return current->min_flt;
}

mm::Page& page_at(mm::AddressSpace& as, u32 addr)
{
    return mm::mem_map[as.pte(addr)->frame().pfn().value()];
}

} // namespace

KTEST(vm, demand_zero_then_copy_on_write)
{
    const u32 before = nr_free_pages();
    mm::AddressSpace* parent = mm::AddressSpace::create();
    ASSERT_TRUE(parent != nullptr);
    ASSERT_EQ(to_syscall_result(parent->map({ base, base + pages * PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                            mm::RegionKind::Anonymous })), 0);
    {
        BorrowedAddressSpace borrow(parent);
        u32 faults = minor_faults();
        EXPECT_EQ(word(3, 5), 0u);                      /* fresh memory reads zero */
        EXPECT_EQ(minor_faults(), faults + 1);
        EXPECT_EQ(parent->pte(base + 3 * PAGE_SIZE)->frame(), mm::zero_page());
        EXPECT_EQ(parent->rss, 0u);                     /* which costs no RAM */
        for (u32 p = 0; p < pages; p++)
            word(p) = 0x1000 + p;
        arch::barrier();
        EXPECT_EQ(parent->rss, pages);
        /* One fault per page, and one more for page 3, read first, then written. */
        EXPECT_EQ(minor_faults(), faults + pages + 1);
        EXPECT_NE(parent->pte(base + 3 * PAGE_SIZE)->frame(), mm::zero_page());

        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        EXPECT_EQ(child->rss, pages);
        PhysAddr shared = parent->pte(base)->frame();
        /*
         * One page table, shared: write-protected in both directories and counted twice;
         * the pages in it keep their single count until the table is copied.
         */
        EXPECT_EQ(child->pte(base), parent->pte(base));
        EXPECT_TRUE(parent->table_shared(base));
        EXPECT_FALSE(parent->directory()[arch::pgd_index(base)].writable());
        EXPECT_FALSE(child->directory()[arch::pgd_index(base)].writable());
        PhysAddr table = parent->directory()[arch::pgd_index(base)].frame();
        EXPECT_EQ(mm::mem_map[table.pfn().value()].count, 2);
        EXPECT_EQ(page_at(*parent, base).count, 1);

        /* The parent writes: its own table first, then its own copy of the page. */
        word(0) = 0xAAAA;
        EXPECT_FALSE(parent->table_shared(base));
        EXPECT_FALSE(child->table_shared(base));
        EXPECT_NE(child->pte(base), parent->pte(base));
        EXPECT_FALSE(child->pte(base)->writable());     /* copy-on-write from here on */
        EXPECT_NE(parent->pte(base)->frame(), shared);
        EXPECT_TRUE(parent->pte(base)->writable());
        EXPECT_EQ(page_at(*child, base).count, 1);

        /* The child, now sole owner, writes in place: same frame, made writable. */
        borrow.use(child);
        EXPECT_EQ(word(0), 0x1000u);
        word(0) = 0xBBBB;
        EXPECT_EQ(child->pte(base)->frame(), shared);
        EXPECT_EQ(word(1), 0x1001u);                    /* unwritten pages still shared */
        EXPECT_EQ(page_at(*child, base + PAGE_SIZE).count, 2);

        borrow.use(parent);
        EXPECT_EQ(word(0), 0xAAAAu);
        EXPECT_EQ(word(1), 0x1001u);
        delete child;
        EXPECT_EQ(page_at(*parent, base + PAGE_SIZE).count, 1);
    }
    delete parent;
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(vm, protection_and_unmapped_addresses_refused)
{
    const u32 before = nr_free_pages();
    mm::AddressSpace* as = mm::AddressSpace::create();
    ASSERT_TRUE(as != nullptr);
    ASSERT_EQ(to_syscall_result(as->map({ base, base + 2 * PAGE_SIZE, mm::PROT_READ, mm::RegionKind::Anonymous })), 0);
    {
        BorrowedAddressSpace borrow(as);
        EXPECT_EQ(mm::do_page_fault(base, 0), mm::PageFaultResponse::Continue);
        EXPECT_EQ(mm::do_page_fault(base, 2), mm::PageFaultResponse::AccessError);
        EXPECT_EQ(mm::do_page_fault(base + 2 * PAGE_SIZE, 0), mm::PageFaultResponse::Segv);
        EXPECT_EQ(mm::do_page_fault(PAGE_OFFSET, 0), mm::PageFaultResponse::Segv);
        EXPECT_READABLE(base);
        EXPECT_WRITE_FAULTS(base);                      /* kernel writes obey it too */
        EXPECT_READ_FAULTS(base + 2 * PAGE_SIZE);
        EXPECT_EQ(to_syscall_result(as->protect(base, base + PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE)), 0);
        EXPECT_EQ(as->count_regions(), 2u);
        EXPECT_TRUE(probe_write_u32(base, 7));
        EXPECT_EQ(to_syscall_result(as->unmap(base, base + PAGE_SIZE)), 0);
        EXPECT_READ_FAULTS(base);
        EXPECT_EQ(as->rss, 0u);
    }
    delete as;
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(vm, fork_out_of_memory_leaks_nothing)
{
    const u32 before = nr_free_pages();
    mm::AddressSpace* as = mm::AddressSpace::create();
    ASSERT_TRUE(as != nullptr);
    /*
     * Two page tables' worth of mappings. fork shares the tables without allocating; what
     * it allocates (the directory, the regions) may fail at any point.
     */
    ASSERT_EQ(to_syscall_result(as->map({ base, base + PGDIR_SIZE + PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                        mm::RegionKind::Anonymous })), 0);
    {
        BorrowedAddressSpace borrow(as);
        word(0) = 1;
        *reinterpret_cast<volatile u32*>(base + PGDIR_SIZE) = 2;
        /* Take memory away until fork_copy fails, then check it gave everything back. */
        u32 held = 0;
        VirtAddr chain;
        auto hold_one = [&] {
            VirtAddr page = get_free_page(Gfp::Kernel);
            *page.as_ptr<uintptr_t>() = chain.value();
            chain = page;
            held++;
        };
        while (nr_free_pages() > 16)
            hold_one();
        for (;;) {
            u32 free_now = nr_free_pages();
            mm::AddressSpace* child = as->fork_copy();
            if (!child)
                EXPECT_EQ(nr_free_pages(), free_now);
            else
                delete child;
            if (!child || free_now == 0)
                break;
            hold_one();
        }
        EXPECT_GT(held, 0u);
        while (chain) {
            VirtAddr next(*chain.as_ptr<uintptr_t>());
            free_page(chain);
            chain = next;
        }
        EXPECT_EQ(word(0), 1u);
    }
    delete as;
    EXPECT_EQ(nr_free_pages(), before);
}

namespace {

/*
 * A reclaim step for the race below: the first time, it drops the PTE at `addr` as
 * swap_out drops a page; every time, it gives back one of the pages the test holds
 * so that the allocation that called it succeeds.
 */
struct ReclaimRace {
    mm::AddressSpace* as;
    u32 addr;
    VirtAddr held;                      /* a chain of pages through their first word */
    u32 calls;
} race;

bool reclaim_drops_the_faulting_pte()
{
    if (race.calls++ == 0) {
        arch::Pte* p = race.as->pte(race.addr);
        if (p && p->present()) {
            mm::release_pte(*race.as, *p);
            arch::invlpg(race.addr);
        }
    }
    if (!race.held)
        return false;
    VirtAddr next(*race.held.as_ptr<uintptr_t>());
    free_page(race.held);
    race.held = next;
    return true;
}

} // namespace

/*
 * do_wp_page allocates its copy, and allocating may reclaim: here the reclaim drops the
 * very PTE being copied. The fault must then start again, not copy from and free a page
 * it no longer maps (which freed the child's page under it and later panicked).
 */
KTEST(vm, copy_on_write_after_reclaim_dropped_the_pte)
{
    const u32 before = nr_free_pages();
    mm::AddressSpace* parent = mm::AddressSpace::create();
    ASSERT_TRUE(parent != nullptr);
    ASSERT_EQ(to_syscall_result(parent->map({ base, base + 2 * PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                            mm::RegionKind::Anonymous })), 0);
    BorrowedAddressSpace borrow(parent);
    word(0) = 1;
    word(1) = 2;
    mm::AddressSpace* child = parent->fork_copy();
    ASSERT_TRUE(child != nullptr);
    word(1) = 3;                                        /* the parent's own table from here */
    EXPECT_EQ(page_at(*child, base).count, 2);

    /* Every free page held, so that the copy's allocation has to reclaim. */
    race = { parent, base, VirtAddr(), 0 };
    while (VirtAddr page = __get_free_page(Gfp::Buffer)) {
        *page.as_ptr<uintptr_t>() = race.held.value();
        race.held = page;
    }
    auto saved_hook = mm::page_allocator.reclaim_hook();
    mm::page_allocator.set_reclaim_hook(reclaim_drops_the_faulting_pte);
    arch::barrier();   /* the hook is in place before the write faults */
    word(0) = 0x1234;
    arch::barrier();
    mm::page_allocator.set_reclaim_hook(saved_hook);
    EXPECT_GE(race.calls, 1u);
    race.calls++;                       /* the rest only gives the held pages back */
    while (race.held)
        reclaim_drops_the_faulting_pte();

    EXPECT_EQ(word(0), 0x1234u);
    EXPECT_EQ(page_at(*child, base).count, 1);          /* the child's page is its own now */
    borrow.use(child);
    EXPECT_EQ(word(0), 1u);
    EXPECT_EQ(word(1), 2u);
    borrow.use(parent);
    delete child;
    delete parent;
    EXPECT_EQ(nr_free_pages(), before);
}

/*
 * Everything that changes entries of a table shared since fork first gives that process
 * its own table: munmap, mprotect and brk's shrinking in the child leave the parent's view
 * alone; exec (clear) of one sharer leaves the other's pages; the last sharer's table is
 * freed with its pages, and nothing is left over.
 */
KTEST(vm, shared_tables_unshare_on_change)
{
    const u32 before = nr_free_pages();
    mm::AddressSpace* parent = mm::AddressSpace::create();
    ASSERT_TRUE(parent != nullptr);
    ASSERT_EQ(to_syscall_result(parent->map({ base, base + pages * PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                            mm::RegionKind::Anonymous })), 0);
    {
        BorrowedAddressSpace borrow(parent);
        for (u32 p = 0; p < pages; p++)
            word(p) = 0x2000 + p;
        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        mm::AddressSpace* grandchild = child->fork_copy();
        ASSERT_TRUE(grandchild != nullptr);
        EXPECT_EQ(page_at(*parent, base).count, 1);             /* one table, three sharers */
        EXPECT_EQ(mm::mem_map[parent->directory()[arch::pgd_index(base)].frame().pfn().value()].count, 3);

        /* munmap and mprotect in the child: its own table, the others untouched. */
        borrow.use(child);
        EXPECT_EQ(to_syscall_result(child->unmap(base, base + 2 * PAGE_SIZE)), 0);
        EXPECT_EQ(to_syscall_result(child->protect(base + 2 * PAGE_SIZE, base + 4 * PAGE_SIZE, mm::PROT_READ)), 0);
        EXPECT_FALSE(child->table_shared(base));
        EXPECT_TRUE(parent->table_shared(base));               /* with the grandchild */
        EXPECT_READ_FAULTS(base);
        EXPECT_WRITE_FAULTS(base + 2 * PAGE_SIZE);
        EXPECT_EQ(word(5), 0x2005u);
        EXPECT_EQ(child->rss, pages - 2);
        borrow.use(parent);
        EXPECT_EQ(word(0), 0x2000u);
        word(2) = 0xAAAA;                                       /* writable for the parent still */
        EXPECT_FALSE(parent->table_shared(base));
        EXPECT_EQ(page_at(*parent, base + 5 * PAGE_SIZE).count, 3);

        /* exec of the grandchild (clear): the last user of the original table frees it. */
        grandchild->clear();
        EXPECT_EQ(grandchild->rss, 0u);
        EXPECT_EQ(page_at(*parent, base + 5 * PAGE_SIZE).count, 2);
        borrow.use(child);
        EXPECT_EQ(word(2), 0x2002u);
        borrow.use(parent);
        delete grandchild;
        delete child;
        EXPECT_EQ(page_at(*parent, base + 5 * PAGE_SIZE).count, 1);
        EXPECT_EQ(word(15), 0x200Fu);
        EXPECT_EQ(word(2), 0xAAAAu);
    }
    delete parent;
    EXPECT_EQ(nr_free_pages(), before);
}
