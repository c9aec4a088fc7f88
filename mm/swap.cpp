/*
 * Page stealing and bringing pages back: the seed's try_to_swap_out and swap_out (with a
 * hand per address space, as Linux 1.x), try_to_free_page and kswapd, swap_in with
 * read-ahead into the swap cache, and swapoff's try_to_unuse. The areas and their slots
 * are in swapfile.cpp, the swap cache in swap_cache.cpp; docs/swap.md has the design.
 */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <drivers/timer.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/task.h>
#include <mm/mmtrace.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

namespace mm {

using arch::Pte;

u32 pswpin, pswpout;

ErrorOr<void> SwapDevice::read_pages(u32 index, u32 count, void* const pages[])
{
    for (u32 i = 0; i < count; i++)
        TRY(read_page(index + i, pages[i]));
    return {};
}

ErrorOr<void> SwapDevice::write_pages(u32 index, u32 count, void* const pages[])
{
    for (u32 i = 0; i < count; i++)
        TRY(write_page(index + i, pages[i]));
    return {};
}

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
 * Pages on their way to swap: each is in the swap cache with its slot locked, its PTE
 * naming the slot already. flush_writes writes them, adjacent slots in one request. One
 * batch, on no kernel stack (a page-sized stack has no room for it): swap_out runs one
 * at a time, under swap_out_lock.
 */
struct Victim {
    PhysAddr frame;
    SwapEntry entry;
    Task* owner;
    int slot;                           /* the owner's, to see whether it is still there */
    AddressSpace* as;
    u32 addr;
    Pte saved;                          /* its PTE before, to put back if the write fails */
};
struct WriteBatch {
    Victim victims[SWAP_CLUSTER_MAX];
    u32 count = 0;
    bool full() const { return count == SWAP_CLUSTER_MAX; }
};
WriteBatch batch;
Mutex swap_out_lock;

/*
 * A page whose write failed stays in memory and its slot is retired: put back into its
 * PTE if the PTE still names the slot, kept (and marked dirty) if a fault mapped it from
 * the cache meanwhile, else left in the cache marked PG_SWAP_ERROR until it is let go.
 */
void write_failed(SwapInfo& si, const Victim& v)
{
    printk(KERN_ERR "swap: write error on %s page %u: keeping the page in memory\n",
           si.path, v.entry.offset());
    Page& page = page_of(v.frame);
    page.flags |= PG_SWAP_ERROR;
    /* The owner may have exited during the write: look at it only if the table still has it. */
    bool alive = task[v.slot] == v.owner && v.owner->mm == v.as;
    Pte* now = alive ? v.as->pte(v.addr) : nullptr;
    unlock_slot(si, v.entry.offset());
    if (now && *now == Pte::swapped(v.entry)) {
        page_allocator.get(to_virt(v.frame), __builtin_return_address(0));
        {
            arch::InterruptDisabler guard;
            si.map.release(v.entry.offset());   /* the PTE's reference */
        }
        /* A fork during the write gave the slot another user: share the page copy-on-write. */
        bool shared = si.map.count(v.entry.offset()) > 1;
        *now = shared ? v.saved.write_protected() : v.saved;
        arch::invlpg(v.addr);
        account_rss(*v.as, v.addr, +1);
    } else if (now && now->present() && now->frame() == v.frame) {
        *now = now->made_dirty();    /* no copy of it but this one now */
    }
    if (si.cache[v.entry.offset()] && si.map.count(v.entry.offset()) == 1)
        delete_from_swap_cache(v.frame);        /* the last reference: the slot retires */
}

/*
 * The write_swap_page step of the seed, for the batch: runs of adjacent slots of one
 * area go in one request; a run that fails is written again page by page, so that only
 * the pages whose slots fail stay behind. A page written and mapped by nobody leaves
 * memory. Returns the pages freed.
 */
u32 flush_writes()
{
    u32 freed = 0;
    for (u32 first = 0; first < batch.count;) {
        SwapEntry start = batch.victims[first].entry;
        u32 n = 1;
        while (first + n < batch.count && batch.victims[first + n].entry.type() == start.type()
               && batch.victims[first + n].entry.offset() == start.offset() + n)
            n++;
        SwapInfo& si = swap_info[start.type()];
        void* pages[SWAP_CLUSTER_MAX];
        for (u32 i = 0; i < n; i++)
            pages[i] = to_virt(batch.victims[first + i].frame).as_ptr();
        bool run_failed = si.device->write_pages(start.offset(), n, pages).is_error();
        for (u32 i = 0; i < n; i++) {
            const Victim& v = batch.victims[first + i];
            if (run_failed && (n == 1 || si.device->write_page(v.entry.offset(), pages[i]).is_error())) {
                write_failed(si, v);
                continue;
            }
            pswpout++;
            mm_event(MmEvent::SwapOut, task[v.slot] == v.owner ? v.owner->pid : 0, v.addr, v.frame, v.entry);
            unlock_slot(si, v.entry.offset());
            if (page_of(v.frame).count == 1) {  /* the cache's reference alone */
                delete_from_swap_cache(v.frame);
                freed++;
            }
        }
        first += n;
    }
    batch.count = 0;
    if (freed)
        clean_drops = 0;
    return freed;
}

/*
 * The seed's stealing policy for one PTE. Returns true if a page was freed; a dirty page
 * goes into the batch instead (freed when the batch is written).
 * Every change is followed by invlpg, whichever process the PTE belongs to: the running one
 * may share the page table (fork), and its TLB must not keep what the table no longer says.
 * Not present or reserved: nothing. Accessed: a second chance (the bit is cleared).
 * In the swap cache: the PTE names the slot, which holds the same data; no write.
 * Dirty: if this is its only user, into the swap cache and the batch, the PTE naming the
 * slot before the write. Clean: dropped; the next fault reads it from the file again.
 */
[[gnu::noinline]] bool try_to_swap_out(Task& owner, AddressSpace& as, u32 addr, Pte& pte)
{
    if (!pte.present() || !counted(pte.frame()))
        return false;
    if (pte.accessed()) {
        pte = pte.with_accessed_cleared();
        arch::invlpg(addr);
        return false;
    }
    PhysAddr frame = pte.frame();
    Page& page = page_of(frame);
    if (page.flags & PG_SWAP_CACHE) {
        if (page.flags & PG_SWAP_ERROR)
            return false;               /* its slot holds nothing: memory is its only copy */
        SwapEntry entry = swap_cache_entry(frame);
        swap_duplicate(entry);
        pte = Pte::swapped(entry);
        arch::invlpg(addr);
        account_rss(as, addr, -1);
        bool last = page.count == 2 && !swap_info[entry.type()].map.locked(entry.offset());
        free_page(to_virt(frame));
        if (!last)
            return false;               /* others map it, or its write is in flight */
        delete_from_swap_cache(frame);
        clean_drops = 0;
        return true;
    }
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
    si.map.try_lock(entry.offset());    /* free slots are handed out unlocked */
    Pte saved = pte;
    /* The PTE's page reference and the slot's first go to the cache; the PTE gets a second. */
    add_to_swap_cache(frame, entry);
    swap_duplicate(entry);
    pte = Pte::swapped(entry);          /* before the write: a fault now finds the cache */
    arch::invlpg(addr);
    account_rss(as, addr, -1);
    batch.victims[batch.count++] = { frame, entry, &owner, owner.slot, &as, addr, saved };
    return false;
}

/*
 * Looks at present PTEs of one process from *cursor on, at most `budget` of them (and at
 * most `quota`, when given), until `want` pages are freed or batched. Never sleeps.
 */
u32 scan_space(Task& t, AddressSpace& as, u32& cursor, u32& budget, u32* quota, u32 want)
{
    u32 freed = 0;
    while (cursor < TASK_SIZE && budget && (!quota || *quota) && freed + batch.count < want
           && !batch.full()) {
        Pte* pte = as.pte(cursor);
        if (!pte) {
            cursor = (cursor | (PGDIR_SIZE - 1)) + 1;
            continue;
        }
        u32 addr = cursor;
        cursor += PAGE_SIZE;
        if (!pte->present())
            continue;
        if (const Region* r = as.find(addr); r && (r->flags & VM_LOCKED)) {
            cursor = r->end;            /* mlocked: never stolen */
            continue;
        }
        budget--;
        if (quota)
            --*quota;
        freed += try_to_swap_out(t, as, addr, *pte);
    }
    return freed;
}

/* The process swap_out is visiting: the hand moves on when its quota is used up. */
int scan_slot = 1;

/*
 * swap_out, as Linux 1.x: visits the processes round-robin, each from where its own scan
 * stopped last time (swap_address), looking at a quota of its present pages in one visit
 * (swap_cnt, a share of its rss) before the next process's turn, so that no process's
 * memory is spared because the hand is busy elsewhere. Looks at up to `budget` pages in
 * all, until `want` pages are freed; dirty ones are gathered and written together.
 * Returns the pages freed.
 */
[[gnu::noinline]] u32 swap_out(u32 budget, u32 want)
{
    MutexLocker lock(swap_out_lock);
    u32 freed = 0;
    for (int visits = 0; visits <= 2 * NR_TASKS && budget && freed < want; visits++) {
        Task* t = task[scan_slot];
        AddressSpace* as = t && t->state != TaskState::Zombie && first_user(*t) ? t->mm : nullptr;
        if (as && as->rss) {
            if (!as->swap_cnt)
                as->swap_cnt = as->rss / 8 + 1;
            if (as->swap_address >= TASK_SIZE)
                as->swap_address = 0;
            freed += scan_space(*t, *as, as->swap_address, budget, &as->swap_cnt, want - freed);
            if (batch.full() || freed + batch.count >= want)
                freed += flush_writes();        /* sleeps: the next visit looks at task[] again */
            if (freed >= want || !budget)
                break;                  /* this visit goes on next time */
            if (task[scan_slot] == t && t->mm == as)
                as->swap_cnt = 0;
        }
        scan_slot = scan_slot % (NR_TASKS - 1) + 1;
    }
    return freed + flush_writes();
}

/*
 * Reads the aligned cluster of slots around `entry` into the swap cache, in one request
 * per run of adjacent slots: the faulting slot (waiting for its lock) and those of its
 * neighbours that are in use, not cached and not busy, as far as free memory allows
 * without reclaiming. ENOMEM, or EIO if the faulting slot could not be read.
 */
ErrorOr<void> read_cluster(SwapEntry entry)
{
    SwapInfo& si = area_of(entry, "swap_in");
    u32 offset = entry.offset();
    VirtAddr own = __get_free_page(Gfp::User);
    if (!own)
        return Error::from_errno(ENOMEM);
    lock_slot(si, offset);
    u32 count = si.map.count(offset);
    if (si.cache[offset] || count == 0 || count >= SWAP_MAP_MAX) {
        /* Read meanwhile, or freed; or too many users to give the cache one more. */
        unlock_slot(si, offset);
        free_page(own);
        return {};
    }
    constexpr u32 CLUSTER = 1u << PAGE_CLUSTER;
    u32 base = offset & ~(CLUSTER - 1);
    VirtAddr pages[CLUSTER] = { };
    for (u32 i = 0; i < CLUSTER; i++) {
        u32 o = base + i;
        if (o == offset) {
            pages[i] = own;
            continue;
        }
        u32 c = o < si.map.pages() ? si.map.count(o) : 0;
        if (c == 0 || c >= SWAP_MAP_MAX || si.cache[o] || !si.map.try_lock(o))
            continue;
        if (!(pages[i] = __get_free_page(Gfp::Buffer)))
            si.map.unlock(o);
    }
    ErrorOr<void> result;
    for (u32 i = 0; i < CLUSTER;) {
        if (!pages[i]) {
            i++;
            continue;
        }
        u32 n = 1;
        while (i + n < CLUSTER && pages[i + n])
            n++;
        void* run[CLUSTER];
        for (u32 j = 0; j < n; j++)
            run[j] = pages[i + j].as_ptr();
        bool run_failed = si.device->read_pages(base + i, n, run).is_error();
        for (u32 j = i; j < i + n; j++) {
            u32 o = base + j;
            bool failed = run_failed && (n == 1 || si.device->read_page(o, pages[j].as_ptr()).is_error());
            if (failed) {
                if (o == offset) {
                    printk(KERN_ERR "swap: read error on %s page %u\n", si.path, o);
                    result = Error::from_errno(EIO);
                }
                free_page(pages[j]);
            } else {
                pswpin++;
                /* The cache's slot reference; the count cannot have moved while locked. */
                swap_duplicate(SwapEntry::make(entry.type(), o));
                add_to_swap_cache(to_phys(pages[j]), SwapEntry::make(entry.type(), o));
                if (o != offset)
                    page_of(to_phys(pages[j])).flags |= PG_REFERENCED;
            }
            unlock_slot(si, o);
        }
        i += n;
    }
    return result;
}

/* Maps a page read for `entry` outside the cache, private and dirty; drops the entry. */
void install_swapped_page(AddressSpace& as, u32 prot, u32 addr, Pte& pte, SwapEntry entry, VirtAddr page)
{
    pte = Pte::mapping(to_phys(page), user_pte_flags(prot, true) | Pte::DIRTY);
    arch::invlpg(addr);
    as.rss++;
    swap_free(entry);
}

/*
 * Reads the slot of `entry` into a new page outside the swap cache. `still_wanted()` is
 * asked after each sleep (the allocation, the slot's lock, the read); when it says no, the
 * page is null. Errors: ENOMEM, EIO.
 */
template <typename StillWanted>
ErrorOr<VirtAddr> read_swap_slot(SwapEntry entry, StillWanted still_wanted)
{
    SwapInfo& si = area_of(entry, "swap_in");
    VirtAddr page = __get_free_page(Gfp::User);
    if (!page)
        return Error::from_errno(ENOMEM);
    lock_slot(si, entry.offset());
    bool failed = false;
    if (still_wanted()) {
        failed = si.device->read_page(entry.offset(), page.as_ptr()).is_error();
        if (failed)
            printk(KERN_ERR "swap: read error on %s page %u\n", si.path, entry.offset());
        else
            pswpin++;
    }
    unlock_slot(si, entry.offset());
    if (failed || !still_wanted()) {
        free_page(page);
        if (failed)
            return Error::from_errno(EIO);
        return VirtAddr();
    }
    return page;
}

/*
 * try_to_unuse for one process: brings back every page its PTEs hold in area `type`, and
 * marks dirty the PTEs that map pages cached from it (they are about to leave the cache,
 * and a clean page outside it would be dropped as if a file held it).
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
            addr = arch::pgdir_next(addr);
            continue;
        }
        if (pte->present()) {
            if (in_swap_cache(pte->frame()) && swap_cache_entry(pte->frame()).type() == type)
                *pte = pte->made_dirty();
            addr += PAGE_SIZE;
            continue;
        }
        if (pte->none() || pte->swap_entry().type() != type) {
            addr += PAGE_SIZE;
            continue;
        }
        SwapEntry entry = pte->swap_entry();
        Region* r = as->find(addr);
        u32 prot = r ? r->prot : PROT_READ | PROT_WRITE;
        PhysAddr cached;
        if (lookup_swap_cache(entry, cached)) {
            /* Shared with whoever else maps it: read-only, and dirty, as it leaves the cache. */
            *pte = Pte::mapping(cached, user_pte_flags(prot, false) | Pte::DIRTY);
            as->rss++;
            swap_free(entry);
            continue;
        }
        auto holds_entry = [&] {
            Pte* now = alive() ? as->pte(addr) : nullptr;
            return now && *now == Pte::swapped(entry);
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
            install_swapped_page(*as, prot, addr, *as->pte(addr), entry, page);
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

ErrorOr<void> swap_read_cluster(SwapEntry entry)
{
    return read_cluster(entry);
}

void note_swap_progress()
{
    clean_drops = 0;
}

ErrorOr<void> try_to_unuse(u32 type)
{
    /* Shared memory objects name their slots themselves: no PTE does. */
    TRY(shm_unuse(type));
    for (int slot = 0; slot < NR_TASKS; slot++)
        if (Task* t = task[slot]; t && first_user(*t))
            TRY(unuse_entry(*t, type));        /* false, a task gone, is no error */
    return {};
}

PageFaultResponse swap_in(AddressSpace& as, const Region& r, u32 addr, Pte& pte, SwapEntry entry, bool write)
{
    /* The faulting process cannot go away while it sleeps here: only its PTE can change. */
    PhysAddr frame;
    bool read = false;
    for (int tries = 0; !lookup_swap_cache(entry, frame); tries++) {
        if (pte != Pte::swapped(entry))
            return PageFaultResponse::Continue;
        if (tries == 2) {
            /* Its slot has too many users for the cache to take one more: a private copy. */
            ErrorOr<VirtAddr> slot = read_swap_slot(entry, [&] { return pte == Pte::swapped(entry); });
            if (slot.is_error())
                return slot.error().code() == ENOMEM ? PageFaultResponse::OutOfMemory
                                                     : PageFaultResponse::BusError;
            VirtAddr page = slot.value();
            if (!page)
                return PageFaultResponse::Continue;
            install_swapped_page(as, r.prot, addr, pte, entry, page);
            current->maj_flt++;
            vm_events.pgmajfault++;
            mm_event(MmEvent::SwapIn, current->pid, addr, to_phys(page), entry);
            return PageFaultResponse::Continue;
        }
        if (ErrorOr<void> cluster = read_cluster(entry); cluster.is_error()) {
            if (cluster.error().code() == ENOMEM)
                return PageFaultResponse::OutOfMemory;
            return pte == Pte::swapped(entry) ? PageFaultResponse::BusError : PageFaultResponse::Continue;
        }
        read = true;
    }
    if (pte != Pte::swapped(entry)) {
        put_user_page(frame);           /* brought in by another path while we slept */
        return PageFaultResponse::Continue;
    }
    page_of(frame).flags &= u8(~PG_REFERENCED);
    pte = Pte::mapping(frame, user_pte_flags(r.prot, false));   /* clean, read-only: cached */
    as.rss++;
    if (current && as.rss > current->max_rss)
        current->max_rss = as.rss;
    swap_free(entry);                   /* the PTE's reference; the cache keeps its own */
    if (write && (r.prot & PROT_WRITE) && reuse_swap_page(frame))
        pte = Pte::mapping(frame, user_pte_flags(r.prot, true) | Pte::DIRTY);
    arch::invlpg(addr);
    if (read)
        current->maj_flt++;
    else
        current->min_flt++;
    vm_events.pgmajfault += read;
    mm_event(MmEvent::SwapIn, current->pid, addr, frame, entry);
    return PageFaultResponse::Continue;
}

bool swap_cached(SwapEntry entry)
{
    return area_of(entry, "swap_cached").cache[entry.offset()] != 0;
}

u32 swap_out_space(Task& owner, AddressSpace& as)
{
    MutexLocker lock(swap_out_lock);
    int slot = owner.slot;
    u32 freed = 0;
    for (int round = 0; round < 2; round++) {   /* the first round uses up second chances */
        u32 cursor = 0, budget = ~0u;
        while (cursor < TASK_SIZE && task[slot] == &owner && owner.mm == &as) {
            freed += scan_space(owner, as, cursor, budget, nullptr, ~0u);
            freed += flush_writes();
        }
    }
    return freed;
}

bool try_to_free_page()
{
    if (clean_drops > page_allocator.nr_pages() / 2)
        return false;
    /*
     * The seed calls shrink_buffers before swap_out in each round. There is no buffer cache
     * here (block I/O goes straight to the disk); the swap cache's clean pages go first.
     */
    if (shrink_swap_cache(SWAP_CLUSTER_MAX))
        return true;
    /* Rising effort, as Linux 1.0: a larger share of all pages looked at each round. */
    for (int priority = 6; priority >= 0; priority--) {
        u32 budget = (page_allocator.nr_pages() >> priority) + SWAP_CLUSTER_MAX;
        /* Shared memory objects first, as Linux 1.0's shm_swap came before swap_out. */
        if (shm_swap(budget, SWAP_CLUSTER_MAX))
            return true;
        if (swap_out(budget, SWAP_CLUSTER_MAX))
            return true;
    }
    return false;
}

} // namespace mm

namespace mm {

namespace {

WaitQueue kswapd_wait;
WaitQueue kswapd_rest;                  /* nobody wakes it: a timed rest */
Task* kswapd_task;

void wake_kswapd()
{
    wake_up(kswapd_wait);
}

bool below(u32 mark) { return nr_free_pages() < mark && page_allocator.reclaim_hook(); }

/*
 * Woken when free memory falls below the low watermark, frees pages until it is above
 * the high one. When nothing more can be freed it rests a tenth of a second, so that a
 * machine out of swap does not spend its time here.
 */
[[noreturn, gnu::noinline]] void kswapd(void*)
{
    for (;;) {
        wait_event(kswapd_wait, Interruptible::No, [] { return below(watermarks().low); });
        while (below(watermarks().high)) {
            if (!try_to_free_page()) {
                /* Not on kswapd_wait: each allocation below the mark would end the rest. */
                wait_event(kswapd_rest, Interruptible::No, [] { return false; }, jiffies + HZ / 10);
                break;
            }
        }
    }
}

} // namespace

Watermarks watermarks()
{
    /*
     * min: allocations reclaim for themselves once only the reserve is left. low and high:
     * Linux 1.3's proportions, twice and three times a 128th of memory (at least the reserve).
     */
    u32 step = page_allocator.nr_pages() / 128;
    if (step < PageAllocator::RESERVE_PAGES)
        step = PageAllocator::RESERVE_PAGES;
    return { PageAllocator::RESERVE_PAGES, 2 * step, 3 * step };
}

void start_kswapd()
{
    if (kswapd_task)
        return;
    kswapd_task = kernel_thread(kswapd, nullptr, "kswapd");
    if (!kswapd_task) {
        printk(KERN_WARNING "swap: no memory for kswapd: processes reclaim for themselves\n");
        return;
    }
    kswapd_task->parent = task[0];      /* nobody's child: no wait() ever sees it */
    page_allocator.set_low_hook(wake_kswapd, watermarks().low);
}

} // namespace mm
