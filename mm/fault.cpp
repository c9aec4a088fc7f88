/*
 * The seed's page fault handlers: do_page_fault decides from the region and the PTE, and
 * hands a missing page to do_no_page (demand zero, the executable's file, share_page, or
 * swap_in) and a write to a read-only page to do_wp_page (copy-on-write). What they
 * answer, the trap layer turns into a signal or a fixup. docs/processes.md has the design.
 */
#include <arch/cpu.h>
#include <fs/file.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/mmtrace.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

namespace mm {

using arch::Pte;

namespace {

/*
 * The seed's empty_zero_page: a read fault on untouched anonymous memory maps this one
 * page read-only, and the first write takes a fresh page. It is part of the kernel's bss,
 * reserved in mem_map: never counted, freed, stolen or written.
 */
alignas(PAGE_SIZE) u8 empty_zero_page[PAGE_SIZE];

void note_rss(AddressSpace& as)
{
    as.rss++;
    if (current && as.rss > current->max_rss)
        current->max_rss = as.rss;
}

} // namespace

PhysAddr zero_page()
{
    return PhysAddr(virt_to_phys(u32(empty_zero_page)));
}

namespace {

[[gnu::noinline]] PageFaultResponse do_wp_page(AddressSpace& as, u32 addr, Pte& pte)
{
    PhysAddr old = pte.frame();
    if (counted(old) && (page_of(old).count == 1 || reuse_swap_page(old))) {
        /* Sole owner: the page becomes writable in place (leaving the swap cache). */
        pte = pte.made_writable();
        arch::invlpg(addr);
        current->min_flt++;
        return PageFaultResponse::Continue;
    }
    /* The zero page is not copied: a fresh page is zero already. */
    bool zero = old == zero_page();
    VirtAddr copy = zero ? get_free_page(Gfp::User) : __get_free_page(Gfp::User);
    if (!copy)
        return PageFaultResponse::OutOfMemory;
    /*
     * Allocating may have reclaimed: swap_out can have dropped this very PTE and freed
     * its page. Copy only from the page still mapped; otherwise fault again.
     */
    if (!pte.present() || pte.frame() != old) {
        free_page(copy);
        return PageFaultResponse::Continue;
    }
    if (!zero)
        memcpy(copy.as_ptr(), to_virt(old).as_ptr(), PAGE_SIZE);
    pte = Pte::mapping(to_phys(copy), Pte::USER | Pte::WRITABLE | Pte::DIRTY);
    arch::invlpg(addr);
    mm_event(zero ? MmEvent::DemandZero : MmEvent::CowCopy, current->pid, addr, to_phys(copy));
    if (counted(old))
        put_user_page(old);
    else
        note_rss(as);                   /* the zero page was not counted in rss */
    current->min_flt++;
    return PageFaultResponse::Continue;
}

/*
 * share_page: another process maps the same page of the same file and has not written
 * it; both then map it read-only and a write later copies it.
 */
[[gnu::noinline]] bool share_page(AddressSpace& as, const Region& r, u32 addr, Pte& pte)
{
    u32 file_offset = r.offset + (addr - r.start);
    for (int slot = 0; slot < NR_TASKS; slot++) {
        Task* t = task[slot];
        if (!t || !t->mm || t->mm == &as || t->state == TaskState::Zombie)
            continue;
        for (Region* q = t->mm->regions(); q; q = q->next) {
            if (q->kind != RegionKind::File || q->dev != r.dev || q->ino != r.ino)
                continue;
            if (file_offset < q->offset || file_offset - q->offset >= q->end - q->start)
                continue;
            u32 their_addr = q->start + (file_offset - q->offset);
            if (their_addr + PAGE_SIZE > q->file_end)
                continue;
            Pte* theirs = t->mm->pte(their_addr);
            if (!theirs || !theirs->present() || theirs->dirty() || !counted(theirs->frame()))
                continue;
            page_allocator.get(to_virt(theirs->frame()), __builtin_return_address(0));
            *theirs = theirs->write_protected();
            arch::invlpg(their_addr);   /* their table may be ours too (shared since fork) */
            pte = Pte::mapping(theirs->frame(), user_pte_flags(r.prot, false));
            return true;
        }
    }
    return false;
}

[[gnu::noinline]] PageFaultResponse do_no_page(AddressSpace& as, const Region& r, u32 addr, Pte& pte, bool write)
{
    if (!pte.none())
        return swap_in(as, r, addr, pte, pte.swap_entry(), write);

    if (r.kind == RegionKind::File && addr < r.file_end) {
        if (addr + PAGE_SIZE <= r.file_end && share_page(as, r, addr, pte)) {
            mm_event(MmEvent::SharePage, current->pid, addr, pte.frame());
            note_rss(as);
            arch::invlpg(addr);
            current->min_flt++;
            return PageFaultResponse::Continue;
        }
        VirtAddr page = __get_free_page(Gfp::User);
        if (!page)
            return PageFaultResponse::OutOfMemory;
        ErrorOr<size_t> got = r.file->read_page(r.offset + (addr - r.start), page.as_ptr());
        if (got.is_error() || !pte.none()) {
            /* An error, or (after the allocation and the read) the PTE is no longer empty. */
            free_page(page);
            return got.is_error() ? PageFaultResponse::BusError : PageFaultResponse::Continue;
        }
        if (r.file_end < addr + PAGE_SIZE)     /* the bss starts inside this page */
            memset(page.as_ptr<u8>() + (r.file_end - addr), 0, addr + PAGE_SIZE - r.file_end);
        pte = Pte::mapping(to_phys(page), user_pte_flags(r.prot, true));
        current->maj_flt++;
        vm_events.pgmajfault++;
        mm_event(MmEvent::FileFault, current->pid, addr, to_phys(page));
    } else if (!write) {
        /* A read of memory never written: the zero page, read-only, costs no RAM. */
        pte = Pte::mapping(zero_page(), user_pte_flags(r.prot, false));
        arch::invlpg(addr);
        current->min_flt++;
        mm_event(MmEvent::DemandZero, current->pid, addr, zero_page());
        return PageFaultResponse::Continue;
    } else {
        /* The seed's get_empty_page: a zeroed page of its own at the address. */
        VirtAddr page = get_free_page(Gfp::User);
        if (!page)
            return PageFaultResponse::OutOfMemory;
        if (!pte.none()) {              /* filled while we allocated */
            free_page(page);
            return PageFaultResponse::Continue;
        }
        pte = Pte::mapping(to_phys(page), user_pte_flags(r.prot, true));
        current->min_flt++;
        mm_event(MmEvent::DemandZero, current->pid, addr, to_phys(page));
    }
    note_rss(as);
    arch::invlpg(addr);
    return PageFaultResponse::Continue;
}

/*
 * A missing page of a shared region: the object's page (a new zeroed one on first touch,
 * or read back from swap), mapped writable if the region is: all who map it write the
 * same page, so there is no copy-on-write. Past the object's end (a file truncated under
 * its mapping): a bus error, as Linux.
 */
PageFaultResponse do_shared_page(AddressSpace& as, const Region& r, u32 addr, Pte& pte)
{
    u64 at = u64(r.offset) + (addr - r.start);
    if (at >= shm_size(r.shm))
        return PageFaultResponse::BusError;
    ErrorOr<PhysAddr> got = r.shm->get_page(u32(at >> PAGE_SHIFT), ShmObject::Alloc::Yes);
    if (got.is_error())
        return got.error().code() == ENOMEM ? PageFaultResponse::OutOfMemory : PageFaultResponse::BusError;
    PhysAddr frame = got.value();
    /* get_page may have slept: someone else may have mapped it, or the file shrunk. */
    if (!pte.none() || at >= shm_size(r.shm)) {
        free_page(to_virt(frame));
        return pte.none() ? PageFaultResponse::BusError : PageFaultResponse::Continue;
    }
    pte = Pte::mapping(frame, user_pte_flags(r.prot, true));
    note_rss(as);
    arch::invlpg(addr);
    current->min_flt++;
    return PageFaultResponse::Continue;
}

/* The stack grows down to its limit, keeping a page of gap above the region below it. */
Region* grow_stack(AddressSpace& as, u32 addr)
{
    Region* above = as.find_above(addr);
    if (!above || above->kind != RegionKind::Stack || addr < STACK_TOP - STACK_LIMIT)
        return nullptr;
    u32 new_start = page_align_down(addr);
    if (above->prev && above->prev->end + PAGE_SIZE > new_start)
        return nullptr;
    as.move_start(above, new_start);
    return above;
}

} // namespace

PageFaultResponse do_page_fault(u32 address, u32 error_code)
{
    constexpr u32 PF_WRITE = 2;     /* bit 1 of the error code: a write */
    AddressSpace* as = current ? current->mm : nullptr;
    vm_events.pgfault++;
    if (!as || address >= TASK_SIZE)
        return PageFaultResponse::Segv;

    Region* r = as->find(address);
    if (!r && !(r = grow_stack(*as, address)))
        return PageFaultResponse::Segv;
    bool write = error_code & PF_WRITE;
    if (write ? !(r->prot & PROT_WRITE) : !(r->prot & (PROT_READ | PROT_EXEC)))
        return PageFaultResponse::AccessError;

    u32 page_addr = page_align_down(address);
    /* The seed's get_empty_pgtable: in every case, first a page table covering the address. */
    Pte* pte = get_empty_pgtable(*as, page_addr);
    if (!pte)
        return PageFaultResponse::OutOfMemory;
    if (pte->present()) {
        if (write && !pte->writable() && r->kind == RegionKind::Shared) {
            /* Write-protected by fork's table sharing only: the page is everyone's. */
            *pte = pte->made_writable();
            arch::invlpg(page_addr);
            current->min_flt++;
            return PageFaultResponse::Continue;
        }
        if (write && !pte->writable())
            return do_wp_page(*as, page_addr, *pte);
        /* Present and allowed: another path already resolved it, or a stale TLB entry. */
        arch::invlpg(page_addr);
        return PageFaultResponse::Continue;
    }
    if (r->kind == RegionKind::Shared)
        return do_shared_page(*as, *r, page_addr, *pte);
    return do_no_page(*as, *r, page_addr, *pte, write);
}

} // namespace mm
