/*
 * Page stealing and bringing pages back: the seed's try_to_swap_out and swap_out (with
 * a hand per address space, as Linux 1.x), try_to_free_page, swap_in and swapoff's
 * try_to_unuse. The areas and their slots are in swapfile.cpp; docs/swap.md has the design.
 */
#include <arch/i386/io.h>
#include <drivers/timer.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/pgtable.h>
#include <mm/swap.h>
#include <mm/swap_header.h>
#include <mm/vmalloc.h>

namespace mm {

using arch::Pte;

namespace {

/*
 * Clean pages dropped since swap last made progress (a page written out, or a slot given
 * back). With swap full, dropping clean pages only trades one process's text for
 * another's, which fault straight back in: past a memory's worth of such drops,
 * try_to_free_page gives up, and the process that needs a page dies instead of all of
 * them thrashing for ever.
 */
u32 clean_drops;





/*
 * The seed's stealing policy for one PTE. Returns true if a page was freed.
 * Every change is followed by invlpg, whichever process the PTE belongs to: the running one
 * may share the page table (fork), and its TLB must not keep what the table no longer says.
 * Not present or reserved: nothing. Accessed: a second chance (the bit is cleared).
 * Dirty: swapped out if this is its only user, the entry in the PTE before the write.
 * Clean: dropped; the next fault reads it from the file again or zeroes it.
 */
bool try_to_swap_out(Task& owner, AddressSpace& as, u32 addr, Pte& pte)
{
    int slot = owner.slot;
    if (!pte.present() || !counted(pte.frame()))
        return false;
    if (pte.accessed()) {
        pte = Pte(pte.raw() & ~Pte::ACCESSED);
        arch::invlpg(addr);
        return false;
    }
    PhysAddr frame = pte.frame();
    Page& page = page_of(frame);
    if (!pte.dirty()) {
        bool last = page.count == 1;
        pte = Pte();
        arch::invlpg(addr);
        account_rss(as, addr, -1);
        free_page(to_virt(frame));
        clean_drops += last;
        return last;
    }
    if (page.count > 1)
        return false;                   /* a dirty shared page stays: copy-on-write needs it */
    SwapEntry entry = get_swap_page();
    if (!entry)
        return false;
    SwapInfo& si = swap_info[entry.type()];
    Pte saved = pte;
    pte = Pte(entry.pte_value());       /* before the write: a fault now waits for it */
    arch::invlpg(addr);
    account_rss(as, addr, -1);
    lock_slot(si, entry.offset());
    if (si.device->write_page(entry.offset(), to_virt(frame).as_ptr()).is_error()) {
        /* The slot is bad from now on; the page stays where it was, if its owner does. */
        printk(KERN_ERR "swap: write error on %s page %u: keeping the page in memory\n",
               si.path, entry.offset());
        bool alive = task[slot] == &owner && owner.mm == &as;
        Pte* now = alive ? as.pte(addr) : nullptr;
        bool restored = now && now->raw() == entry.pte_value();
        if (restored) {
            *now = saved;
            account_rss(as, addr, +1);
        }
        retire_slot(entry, restored);
        unlock_slot(si, entry.offset());
        if (!restored)
            free_page(to_virt(frame));
        return false;
    }
    unlock_slot(si, entry.offset());
    free_page(to_virt(frame));
    clean_drops = 0;
    return true;
}

/*
 * Looks at present PTEs of one process from *cursor on, at most `budget` of them (and at
 * most `quota`, when given); true once a page is freed.
 */
bool scan_space(Task& t, AddressSpace& as, u32& cursor, u32& budget, u32* quota = nullptr)
{
    int slot = t.slot;
    while (cursor < TASK_SIZE && budget && (!quota || *quota)) {
        Pte* pte = as.pte(cursor);
        if (!pte) {
            cursor = (cursor | ((4u << 20) - 1)) + 1;
            continue;
        }
        u32 addr = cursor;
        cursor += PAGE_SIZE;
        if (!pte->present())
            continue;
        budget--;
        if (quota)
            --*quota;
        if (try_to_swap_out(t, as, addr, *pte))
            return true;
        if (task[slot] != &t || t.mm != &as)
            return false;               /* the write slept and the task went away */
    }
    return false;
}

/* The process swap_out is visiting: the hand moves on when its quota is used up. */
int scan_slot = 1;

/*
 * swap_out, as Linux 1.x: visits the processes round-robin, each from where its own scan
 * stopped last time (swap_address), looking at a quota of its present pages in one visit
 * (swap_cnt, a share of its rss) before the next process's turn, so that no process's
 * memory is spared because the hand is busy elsewhere. Looks at up to `budget` pages in
 * all, until one page is freed.
 */
bool swap_out(u32 budget)
{
    for (int visits = 0; visits <= 2 * NR_TASKS && budget; visits++) {
        Task* t = task[scan_slot];
        AddressSpace* as = t && t->state != TaskState::Zombie ? t->mm : nullptr;
        if (as && as->rss) {
            if (!as->swap_cnt)
                as->swap_cnt = as->rss / 8 + 1;
            if (as->swap_address >= TASK_SIZE)
                as->swap_address = 0;
            if (scan_space(*t, *as, as->swap_address, budget, &as->swap_cnt))
                return true;
            if (task[scan_slot] == t && t->mm == as && as->swap_cnt && as->swap_address < TASK_SIZE)
                continue;               /* out of budget: this visit goes on next time */
            if (task[scan_slot] == t && t->mm == as)
                as->swap_cnt = 0;
        }
        scan_slot = scan_slot % (NR_TASKS - 1) + 1;
    }
    return false;
}
/*
 * Reads the slot of `entry` into a new page. `still_wanted()` is asked after each sleep
 * (the allocation, the slot's lock, the read); when it says no, the page is null. Errors:
 * ENOMEM, EIO.
 */
template <typename StillWanted>
ErrorOr<VirtAddr> read_swap_slot(SwapEntry entry, StillWanted still_wanted)
{
    SwapInfo* si = &area_of(entry, "swap_in");
    VirtAddr page = __get_free_page(Gfp::User);
    if (!page)
        return Error::from_errno(ENOMEM);
    lock_slot(*si, entry.offset());
    /* While we waited, another path may have brought the page in (or the PTE changed). */
    bool failed = false;
    if (still_wanted()) {
        failed = si->device->read_page(entry.offset(), page.as_ptr()).is_error();
        if (failed)
            printk(KERN_ERR "swap: read error on %s page %u\n", si->path, entry.offset());
    }
    unlock_slot(*si, entry.offset());
    if (failed || !still_wanted()) {
        free_page(page);
        if (failed)
            return Error::from_errno(EIO);
        return VirtAddr();
    }
    return page;
}

/* Maps the page read back from `entry` at the PTE that still holds the entry; drops the entry. */
void install_swapped_page(AddressSpace& as, u32 prot, u32 addr, Pte& pte, SwapEntry entry, VirtAddr page)
{
    u32 flags = Pte::PRESENT | Pte::DIRTY | (prot != PROT_NONE ? Pte::USER : 0)
              | (prot & PROT_WRITE ? Pte::WRITABLE : 0);
    pte = Pte::make(to_phys(page), flags);
    arch::invlpg(addr);
    as.rss++;
    swap_free(entry);
}

/*
 * try_to_unuse for one process: brings back every page its PTEs hold in area `type`.
 * False if the task went away first; ENOMEM if memory ran out. The process is another
 * one, which may exit or unmap while we sleep: nothing read before a sleep is used after
 * it without looking again.
 */
ErrorOr<bool> unuse_entry(Task& t, u32 type)
{
    AddressSpace* as = t.mm;
    int slot = t.slot;
    auto alive = [&] { return task[slot] == &t && t.mm == as; };
    for (u32 addr = 0; as && addr < TASK_SIZE;) {
        Pte* pte = as->pte(addr);
        if (!pte) {
            addr = (addr | ((4u << 20) - 1)) + 1;
            continue;
        }
        if (pte->present() || pte->none() || SwapEntry::from_pte_value(pte->raw()).type() != type) {
            addr += PAGE_SIZE;
            continue;
        }
        SwapEntry entry = SwapEntry::from_pte_value(pte->raw());
        auto holds_entry = [&] {
            Pte* now = alive() ? as->pte(addr) : nullptr;
            return now && now->raw() == entry.pte_value();
        };
        ErrorOr<VirtAddr> read = read_swap_slot(entry, holds_entry);
        if (read.is_error() && read.error().code() == ENOMEM)
            return read.error();
        VirtAddr page = read.is_error() ? VirtAddr() : read.value();
        if (!alive()) {
            if (page)
                free_page(page);
            return false;               /* it exited while we read */
        }
        if (page) {
            Region* r = as->find(addr);
            install_swapped_page(*as, r ? r->prot : PROT_READ | PROT_WRITE, addr, *as->pte(addr), entry, page);
        } else if (read.is_error() && read.error().code() == EIO && holds_entry()) {
            /* Unreadable: the process cannot have that page back. */
            send_signal(t, SIGBUS);
            release_pte(*as, *as->pte(addr));
        }
        /* Look at the same PTE again. */
    }
    return true;
}

} // namespace






void note_swap_progress()
{
    clean_drops = 0;
}

ErrorOr<void> try_to_unuse(u32 type)
{
    for (int slot = 0; slot < NR_TASKS; slot++)
        if (Task* t = task[slot]; t && t->mm)
            TRY(unuse_entry(*t, type));        /* false, a task gone, is no error */
    return {};
}

PageFaultResponse swap_in(AddressSpace& as, const Region& r, u32 addr, Pte& pte, SwapEntry entry)
{
    /* The faulting process cannot go away while it sleeps here: only its PTE can change. */
    ErrorOr<VirtAddr> read = read_swap_slot(entry, [&] { return pte.raw() == entry.pte_value(); });
    if (read.is_error())
        return read.error().code() == ENOMEM ? PageFaultResponse::OutOfMemory : PageFaultResponse::BusError;
    VirtAddr page = read.value();
    if (!page)
        return PageFaultResponse::Continue;
    install_swapped_page(as, r.prot, addr, pte, entry, page);
    if (current)
        current->maj_flt++;
    return PageFaultResponse::Continue;
}

u32 swap_out_space(Task& owner, AddressSpace& as)
{
    u32 freed = 0;
    for (int round = 0; round < 2; round++) {   /* the first round uses up second chances */
        u32 cursor = 0, budget = ~0u;
        while (scan_space(owner, as, cursor, budget))
            freed++;
    }
    return freed;
}

bool try_to_free_page()
{
    if (clean_drops > page_allocator.nr_pages() / 2)
        return false;
    /* Rising effort, as Linux 1.0: a larger share of all pages looked at each round. */
    for (int priority = 6; priority >= 0; priority--) {
        u32 budget = (page_allocator.nr_pages() >> priority) + 32;
        if (swap_out(budget))
            return true;
    }
    return false;
}




} // namespace mm
