/*
 * Self-tests of the swap core on a RAM-backed area: the idle task borrows an address
 * space, its pages are stolen and faulted back, across fork, swapoff and I/O errors.
 */
#include <arch/cpu.h>
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/selftest_support.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

namespace {

constexpr u32 area_pages = 64;
constexpr u32 bad_page = 5;
constexpr u32 base = 0x20000000;
constexpr u32 pages = 16;
constexpr u32 rdev = 0xFFF0;

/* A swap area in pages of RAM, which can be told to fail. */
class RamSwap final : public mm::SwapDevice {
public:
    bool create()
    {
        for (u32 i = 0; i < area_pages; i++)
            if (!(m_pages[i] = get_free_page(Gfp::Kernel)))
                return false;
        /* A version 0 header: every page usable but the header and bad_page. */
        u8* header = m_pages[0].as_ptr<u8>();
        for (u32 p = 1; p < area_pages; p++)
            if (p != bad_page)
                header[p / 8] |= u8(1u << (p % 8));
        memcpy(header + PAGE_SIZE - 10, "SWAP-SPACE", 10);
        return true;
    }
    ~RamSwap() override
    {
        for (VirtAddr p : m_pages)
            if (p)
                free_page(p);
    }
    u32 pages() const override { return area_pages; }
    ErrorOr<void> read_page(u32 index, void* page) override
    {
        if (void (*hook)() = on_read) {
            on_read = nullptr;
            hook();                     /* what happens while a real disk would be reading */
        }
        if (fail_reads || index == fail_read_index)
            return Error::from_errno(EIO);
        memcpy(page, m_pages[index].as_ptr(), PAGE_SIZE);
        return {};
    }
    ErrorOr<void> write_page(u32 index, const void* page) override
    {
        if (fail_writes)
            return Error::from_errno(EIO);
        writes[index]++;
        memcpy(m_pages[index].as_ptr(), page, PAGE_SIZE);
        return {};
    }

    ErrorOr<void> read_pages(u32 index, u32 count, void* const pages[]) override
    {
        requests++;
        return SwapDevice::read_pages(index, count, pages);
    }
    ErrorOr<void> write_pages(u32 index, u32 count, void* const pages[]) override
    {
        write_requests++;
        return SwapDevice::write_pages(index, count, pages);
    }

    bool fail_reads = false, fail_writes = false;
    u32 fail_read_index = ~0u;          /* one slot that cannot be read */
    u32 requests = 0, write_requests = 0;
    void (*on_read)() = nullptr;        /* runs once, at the next read */
    u32 writes[area_pages] = { };
private:
    VirtAddr m_pages[area_pages];
};


volatile u32& word(u32 page) { return *reinterpret_cast<volatile u32*>(base + page * PAGE_SIZE); }
u32 pattern(u32 page) { return 0x5A000000 + page * 0x1111; }

mm::AddressSpace* filled_space()
{
    mm::AddressSpace* as = mm::AddressSpace::create();
    if (as && as->map({ base, base + pages * PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                        mm::RegionKind::Anonymous }).is_error()) {
        delete as;
        return nullptr;
    }
    return as;
}

/* A RAM area, swapped on; nullptr (nothing left behind) if that failed. */
RamSwap* ram_area_on()
{
    RamSwap* ram = new RamSwap;
    if (ram->create() && !mm::swap_enable(ram, rdev, "ram", 0).is_error())
        return ram;
    delete ram;
    return nullptr;
}

void write_patterns()
{
    for (u32 p = 0; p < pages; p++)
        word(p) = pattern(p);
}

/* Pages of [base, base + pages) that do not hold their pattern. */
u32 wrong_pages()
{
    u32 wrong = 0;
    for (u32 p = 0; p < pages; p++)
        wrong += word(p) != pattern(p);
    return wrong;
}

u32 swapped_ptes(mm::AddressSpace& as)
{
    u32 n = 0;
    for (u32 p = 0; p < pages; p++) {
        arch::Pte* pte = as.pte(base + p * PAGE_SIZE);
        n += pte && !pte->present() && !pte->none();
    }
    return n;
}

} // namespace

KTEST(swap, out_and_back_across_fork)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    EXPECT_EQ(to_syscall_result(mm::swap_enable(ram, rdev, "ram", 0)), -EBUSY);
    EXPECT_EQ(mm::swap_totals().pages, area_pages - 2);
    const u32 with_area = nr_free_pages();
    mm::AddressSpace* parent = filled_space();
    ASSERT_TRUE(parent != nullptr);
    {
        BorrowedAddressSpace borrow(parent);
        write_patterns();
        u32 free_before_out = nr_free_pages();
        EXPECT_EQ(mm::swap_out_space(*current, *parent), pages);
        EXPECT_EQ(swapped_ptes(*parent), pages);
        EXPECT_EQ(parent->rss, 0u);
        EXPECT_EQ(nr_free_pages(), free_before_out + pages);
        EXPECT_EQ(mm::swap_totals().used, pages);
        EXPECT_EQ(ram->writes[bad_page], 0u);               /* a bad page is never written */
        EXPECT_EQ(ram->writes[0], 0u);

        /* fork while the pages are out: both sides hold each entry. */
        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        EXPECT_EQ(swapped_ptes(*child), pages);
        EXPECT_EQ(mm::swap_totals().used, pages);           /* shared slots, counted twice */

        arch::barrier();
        u32 major = current->maj_flt, read = mm::pswpin;
        EXPECT_EQ(wrong_pages(), 0u);
        arch::barrier();
        /* Slots 1..17 (5 is bad) lie in three aligned clusters of 8: one read each. */
        EXPECT_EQ(current->maj_flt, major + 3);
        EXPECT_EQ(mm::pswpin, read + pages);
        EXPECT_EQ(mm::swap_cache_pages, pages);
        word(0) = 0xDEAD;                                   /* the parent's own copy */

        borrow.use(child);
        EXPECT_EQ(wrong_pages(), 0u);
        EXPECT_EQ(mm::pswpin, read + pages);                /* from the cache, not the disk */
        /* Both map the clean copies read-only; the cache holds their slots. */
        EXPECT_EQ(mm::swap_totals().used, pages);
        borrow.use(parent);
        EXPECT_EQ(word(0), 0xDEADu);
        delete child;
    }
    delete parent;
    EXPECT_EQ(mm::swap_totals().used, 0u);                  /* the last user gone: every slot back */
    EXPECT_EQ(mm::swap_cache_pages, 0u);
    EXPECT_EQ(nr_free_pages(), with_area);
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), -EINVAL);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(swap, swapoff_brings_pages_back)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);               /* try_to_unuse */
        EXPECT_EQ(swapped_ptes(*as), 0u);
        EXPECT_EQ(as->rss, pages);
        EXPECT_EQ(wrong_pages(), 0u);
    }
    delete as;
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/*
 * swapoff reads a page back for a process that exits during the read: the page must
 * not be installed into the page tables the exit freed, nor its slot freed twice.
 */
KTEST(swap, swapoff_while_the_owner_exits)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
    }
    /* The idle task owns it now, as far as swapoff can see, and "exits" mid-read. */
    current->mm = as;
    ram->on_read = [] {
        mm::AddressSpace* gone = current->mm;
        current->mm = nullptr;
        delete gone;
    };
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    EXPECT_TRUE(current->mm == nullptr);
    EXPECT_TRUE(ram->on_read == nullptr);
    current->mm = nullptr;
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(swap, io_errors)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        /* A failed write keeps every page in memory and retires the slots it tried. */
        ram->fail_writes = true;
        EXPECT_EQ(mm::swap_out_space(*current, *as), 0u);
        EXPECT_EQ(swapped_ptes(*as), 0u);
        EXPECT_EQ(as->rss, pages);
        EXPECT_LT(mm::swap_totals().pages, area_pages - 2);
        EXPECT_EQ(mm::swap_totals().used, 0u);
        EXPECT_EQ(wrong_pages(), 0u);
        /* A failed read is a bus error for the process that needed the page. */
        ram->fail_writes = false;
        EXPECT_GT(mm::swap_out_space(*current, *as), 0u);
        ram->fail_reads = true;
        u32 addr = 0;
        for (u32 p = 0; p < pages && !addr; p++) {
            arch::Pte* pte = as->pte(base + p * PAGE_SIZE);
            if (pte && !pte->present() && !pte->none())
                addr = base + p * PAGE_SIZE;
        }
        ASSERT_NE(addr, 0u);
        EXPECT_EQ(mm::do_page_fault(addr, 0), mm::PageFaultResponse::BusError);
        ram->fail_reads = false;
    }
    delete as;                          /* frees the swapped entries too */
    EXPECT_EQ(mm::swap_totals().used, 0u);
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(swap, bad_headers_refused)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = new RamSwap;
    ASSERT_TRUE(ram->create());
    ram->fail_reads = true;
    EXPECT_EQ(to_syscall_result(mm::swap_enable(ram, rdev, "ram", 0)), -EIO);
    ram->fail_reads = false;
    VirtAddr blank = get_free_page(Gfp::Kernel);
    ASSERT_TRUE(bool(blank));
    EXPECT_FALSE(ram->write_page(0, blank.as_ptr()).is_error());    /* no signature */
    EXPECT_EQ(to_syscall_result(mm::swap_enable(ram, rdev, "ram", 0)), -EINVAL);
    memcpy(blank.as_ptr<u8>() + PAGE_SIZE - 10, "SWAP-SPACE", 10);
    EXPECT_FALSE(ram->write_page(0, blank.as_ptr()).is_error());    /* a signature, but no usable page */
    EXPECT_EQ(to_syscall_result(mm::swap_enable(ram, rdev, "ram", 0)), -EINVAL);
    EXPECT_EQ(mm::nr_swapfiles, 0);
    free_page(blank);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

namespace {

/* A task that only holds an address space, so that swap_out and rss see a second process. */
struct Holder {
    volatile bool done = false;
    WaitQueue queue;
} holder;

void hold(void*)
{
    wait_event(holder.queue, Interruptible::No, [] { return holder.done; });
}

u32 swap_count(mm::AddressSpace& as, u32 addr)
{
    SwapEntry e = as.pte(addr)->swap_entry();
    return mm::swap_info[e.type()].map.count(e.offset());
}

} // namespace

/*
 * Page tables shared since fork, with swap: a page the shared table alone holds goes out
 * into that table (every sharer's rss drops), its slot is counted once for the table,
 * and the first sharer to fault it back first takes a private table of its own.
 */
KTEST(swap, shared_tables_after_fork)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* parent = filled_space();
    ASSERT_TRUE(parent != nullptr);
    holder = { };
    Task* other = kernel_thread(hold, nullptr, "holder");
    ASSERT_TRUE(other != nullptr);
    {
        BorrowedAddressSpace borrow(parent);
        write_patterns();
        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        other->mm = child;
        ASSERT_TRUE(parent->table_shared(base));
        EXPECT_EQ(child->rss, pages);
        EXPECT_EQ(word(0), pattern(0));                 /* sets ACCESSED in the parent's PDE */

        /* Count 1 in a shared table is the table's own: the pages may go. */
        EXPECT_EQ(mm::swap_out_space(*current, *parent), pages);
        EXPECT_EQ(swapped_ptes(*child), pages);         /* the same table */
        EXPECT_EQ(parent->rss, 0u);
        EXPECT_EQ(child->rss, 0u);
        EXPECT_EQ(swap_count(*parent, base), 1u);       /* one table, one count */

        /* The child faults one back: its own table first, then the page. */
        borrow.use(child);
        EXPECT_EQ(word(1), pattern(1));
        EXPECT_FALSE(child->table_shared(base));
        EXPECT_EQ(child->rss, 1u);
        EXPECT_EQ(parent->rss, 0u);
        EXPECT_EQ(swapped_ptes(*parent), pages);
        /* Both tables hold it, and the cache: read ahead with page 1. */
        EXPECT_EQ(swap_count(*parent, base + 2 * PAGE_SIZE), 3u);
        EXPECT_EQ(wrong_pages(), 0u);

        /* swapoff meets the parent's table, now its alone, and brings the rest back. */
        borrow.use(parent);
        EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
        EXPECT_EQ(swapped_ptes(*parent), 0u);
        EXPECT_EQ(parent->rss, pages);
        EXPECT_EQ(wrong_pages(), 0u);
        other->mm = nullptr;
        delete child;
    }
    delete parent;
    holder.done = true;
    wake_up(holder.queue);
    for (int i = 0; i < 4; i++)
        schedule();
    EXPECT_TRUE(reap_kernel_thread(other));
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/*
 * A space two tasks run on (a vforked child on its parent's, users 2) is one space to
 * the walks over all tasks: stealing pages from a table it shares since fork lowers its
 * rss once, and the first of its tasks is the one that stands for it. mmput by one of
 * them leaves it to the other.
 */
KTEST(swap, borrowed_space_counted_once)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* parent = filled_space();
    ASSERT_TRUE(parent != nullptr);
    holder = { };
    Task* owner = kernel_thread(hold, nullptr, "holder");
    Task* borrower = kernel_thread(hold, nullptr, "holder");
    ASSERT_TRUE(owner != nullptr && borrower != nullptr);
    ASSERT_TRUE(owner->slot < borrower->slot);
    {
        BorrowedAddressSpace borrow(parent);
        write_patterns();
        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        owner->mm = borrower->mm = child;
        child->users = 2;
        EXPECT_TRUE(mm::first_user(*owner));
        EXPECT_FALSE(mm::first_user(*borrower));
        EXPECT_EQ(child->rss, pages);

        EXPECT_EQ(mm::swap_out_space(*current, *parent), pages);
        EXPECT_EQ(parent->rss, 0u);
        EXPECT_EQ(child->rss, 0u);                      /* once, not once per task */

        owner->mm = nullptr;
        mm::mmput(child);                               /* the other still runs on it */
        EXPECT_EQ(child->users, 1u);
        EXPECT_TRUE(mm::first_user(*borrower));
        EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
        EXPECT_EQ(wrong_pages(), 0u);
        borrower->mm = nullptr;
        mm::mmput(child);
    }
    delete parent;
    holder.done = true;
    wake_up(holder.queue);
    for (int i = 0; i < 4; i++)
        schedule();
    EXPECT_TRUE(reap_kernel_thread(owner));
    EXPECT_TRUE(reap_kernel_thread(borrower));
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/*
 * The swap cache: a page read back and not written keeps its slot, so stealing it again
 * costs no write; a write fault takes it out of the cache and frees the slot.
 */
KTEST(swap, a_clean_page_goes_out_again_without_a_write)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        u32 written = mm::pswpout;
        EXPECT_EQ(wrong_pages(), 0u);                       /* read back: cached, clean */
        EXPECT_EQ(mm::swap_cache_pages, pages);
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        EXPECT_EQ(mm::pswpout, written);                    /* no write the second time */
        EXPECT_EQ(mm::swap_cache_pages, 0u);
        EXPECT_EQ(swapped_ptes(*as), pages);
        EXPECT_EQ(wrong_pages(), 0u);

        /* A write leaves the cache: the slot is free, the page private and dirty. */
        word(3) = 0xBEEF;
        arch::Pte* pte = as->pte(base + 3 * PAGE_SIZE);
        EXPECT_TRUE(pte->present() && pte->writable() && pte->dirty());
        EXPECT_FALSE(mm::in_swap_cache(pte->frame()));
        EXPECT_EQ(mm::swap_cache_pages, pages - 1);
        EXPECT_EQ(mm::swap_totals().used, pages - 1);
        /* Stolen again, only the written page is written. */
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        EXPECT_EQ(mm::pswpout, written + 1);
        EXPECT_EQ(word(3), 0xBEEFu);
    }
    delete as;
    EXPECT_EQ(mm::swap_totals().used, 0u);
    EXPECT_EQ(mm::swap_cache_pages, 0u);
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/* Adjacent slots go to the disk in one request, and read-ahead brings a cluster in one. */
KTEST(swap, writes_and_reads_in_clusters)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        ram->write_requests = 0;
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        /* Slots 1-4 and 6-17 (5 is bad): two runs, two requests. */
        EXPECT_EQ(ram->write_requests, 2u);
        ram->requests = 0;
        arch::barrier();                                    /* the fault reads requests */
        EXPECT_EQ(word(9), pattern(9));
        arch::barrier();                                    /* slot 11: the cluster 8..15 */
        EXPECT_EQ(ram->requests, 1u);
        EXPECT_EQ(mm::swap_cache_pages, 8u);
        EXPECT_EQ(wrong_pages(), 0u);
    }
    delete as;
    EXPECT_EQ(mm::swap_cache_pages, 0u);
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/*
 * A read error in the middle of a read-ahead cluster: the faulting page and the other
 * neighbours come in, the bad slot is not cached, and only a fault on it is a bus error.
 */
KTEST(swap, a_read_error_inside_a_cluster_hurts_only_its_page)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* as = filled_space();
    ASSERT_TRUE(as != nullptr);
    {
        BorrowedAddressSpace borrow(as);
        write_patterns();
        EXPECT_EQ(mm::swap_out_space(*current, *as), pages);
        ram->fail_read_index = 3;                           /* page 2's slot */
        arch::barrier();
        EXPECT_EQ(word(0), pattern(0));                     /* cluster 0..7: slots 1-4, 6, 7 */
        arch::barrier();
        EXPECT_EQ(mm::swap_cache_pages, 5u);                /* all but slot 3 */
        for (u32 p : { 1u, 3u, 4u, 5u })
            EXPECT_EQ(word(p), pattern(p));
        EXPECT_EQ(mm::do_page_fault(base + 2 * PAGE_SIZE, 0), mm::PageFaultResponse::BusError);
        ram->fail_read_index = ~0u;
        EXPECT_EQ(word(2), pattern(2));                     /* the slot reads again: no loss */
        EXPECT_EQ(wrong_pages(), 0u);
    }
    delete as;
    EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}

/* swapoff with pages in the swap cache, some shared after fork: all come back, still shared. */
KTEST(swap, swapoff_with_pages_in_the_cache)
{
    const u32 before = nr_free_pages();
    RamSwap* ram = ram_area_on();
    ASSERT_TRUE(ram != nullptr);
    mm::AddressSpace* parent = filled_space();
    ASSERT_TRUE(parent != nullptr);
    {
        BorrowedAddressSpace borrow(parent);
        write_patterns();
        EXPECT_EQ(mm::swap_out_space(*current, *parent), pages);
        EXPECT_EQ(word(0), pattern(0));                     /* reads a cluster into the cache */
        u32 cached = mm::swap_cache_pages;
        EXPECT_GT(cached, 1u);
        mm::AddressSpace* child = parent->fork_copy();
        ASSERT_TRUE(child != nullptr);
        current->mm = child;                                /* swapoff sees the child too */
        EXPECT_EQ(to_syscall_result(mm::swap_disable(rdev)), 0);
        current->mm = parent;
        EXPECT_EQ(mm::swap_cache_pages, 0u);
        EXPECT_EQ(swapped_ptes(*parent), 0u);
        EXPECT_EQ(swapped_ptes(*child), 0u);
        /* Page 0 is shared read-only and dirty: a write copies it, the child keeps its own. */
        arch::Pte* pte = parent->pte(base);
        EXPECT_TRUE(pte->present() && pte->dirty());
        word(0) = 0xF00D;
        EXPECT_EQ(wrong_pages(), 1u);
        borrow.use(child);
        EXPECT_EQ(wrong_pages(), 0u);
        borrow.use(parent);
        delete child;
    }
    delete parent;
    delete ram;
    EXPECT_EQ(nr_free_pages(), before);
}
