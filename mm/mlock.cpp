/*
 * mlock, munlock, mlockall, munlockall and mlock2, as Linux: a locked region has its pages
 * faulted in at once (written, where it is writable, so that no copy-on-write is left to
 * do) and the swap-out scan passes it by (swap.cpp's scan_space). Locks are not inherited
 * by fork (fork_copy) and end at exec (clear).
 *
 * RLIMIT_MEMLOCK bounds what a process without CAP_IPC_LOCK may lock. Every process here
 * runs as root, which holds that capability, so the limit (8 MiB, Linux's default) is
 * reported by getrlimit and never reached.
 */
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/pgtable.h>
#include <mm/vm.h>

namespace mm {

using arch::Pte;

namespace {

constexpr u8 LOCK_MASK = VM_LOCKED | VM_LOCKONFAULT;

} // namespace

ErrorOr<void> AddressSpace::set_lock(u32 start, u32 end, u8 lock)
{
    if (!range_mapped(start, end))
        return Error::from_errno(ENOMEM);
    /* A table shared since fork would let the other process's scan steal our pages. */
    if (lock)
        TRY(unshare_range(start, end));
    return set_region_flags(start, end, lock, LOCK_MASK);
}

/*
 * Root may lock any amount (CAP_IPC_LOCK), and Linux's OOM killer would then pick the
 * process holding the memory. Here a fault that finds no memory kills the process that
 * faulted, which may be any other: so faulting in for a lock stops (EAGAIN, "could not be
 * locked") once locked pages hold half of memory, leaving the rest to be shared by paging.
 */
namespace {

u32 locked_page_budget()
{
    u32 cap = managed_pages / 2, locked = mlocked_pages();
    return locked < cap ? cap - locked : 0;
}

} // namespace

ErrorOr<void> AddressSpace::populate(u32 start, u32 end, FaultIn how, OnError on_error)
{
    constexpr u32 PF_WRITE = 2;
    if (!current || current->mm != this)
        panic("populate: address space %p is not the running process's", this);
    u32 budget = how == FaultIn::AsMlock ? locked_page_budget() : ~0u;
    ErrorOr<void> result;
    for (u32 addr = start; addr < end;) {
        Region* r = find(addr);
        if (!r) {
            r = find_above(addr);
            if (!r || r->start >= end)
                break;
            addr = r->start;
            continue;
        }
        u32 stop = r->end < end ? r->end : end;
        bool write = how == FaultIn::Write || (how == FaultIn::AsMlock && (r->prot & PROT_WRITE));
        if (!(r->prot & (PROT_READ | PROT_WRITE | PROT_EXEC))) {
            /* PROT_NONE: nothing may be touched. */
            if (on_error == OnError::Stop)
                return Error::from_errno(EFAULT);
            addr = stop;
            continue;
        }
        /* One page at a time: each fault may sleep, and only our own regions can change. */
        for (; addr < stop; addr += PAGE_SIZE) {
            Pte* p = pte(addr);
            if (p && p->present() && (!write || p->writable()))
                continue;
            if (!budget--)
                return Error::from_errno(EAGAIN);
            switch (do_page_fault(addr, write ? PF_WRITE : 0)) {
            case PageFaultResponse::Continue:
                break;
            case PageFaultResponse::OutOfMemory:
                return Error::from_errno(EAGAIN);
            default:
                if (on_error == OnError::Stop)
                    return Error::from_errno(EFAULT);
                result = Error::from_errno(EFAULT);
            }
        }
    }
    return result;
}

u32 AddressSpace::locked_pages() const
{
    u32 pages = 0;
    for (Region* r = m_set.first(); r; r = r->next)
        if (r->flags & VM_LOCKED)
            pages += (r->end - r->start) / PAGE_SIZE;
    return pages;
}

u32 mlocked_pages()
{
    u32 pages = 0;
    for (Task* t : task) {
        if (!t || !t->mm || t->state == TaskState::Zombie)
            continue;
        for (Region* r = t->mm->regions(); r; r = r->next) {
            if (!(r->flags & VM_LOCKED))
                continue;
            for (u32 addr = r->start; addr < r->end;) {
                Pte* p = t->mm->pte(addr);
                if (!p) {
                    addr = arch::pgdir_next(addr);
                    continue;
                }
                pages += p->present() && counted(p->frame());
                addr += PAGE_SIZE;
            }
        }
    }
    return pages;
}

} // namespace mm

namespace {

constexpr u32 MLOCK_ONFAULT = 1;
constexpr u32 MCL_CURRENT = 1, MCL_FUTURE = 2, MCL_ONFAULT = 4;

/* Linux's rounding: the whole pages that [start, start + len) touches. */
ErrorOr<void> lock_range(u32 start, u32 len, u8 lock)
{
    u32 first = page_align_down(start);
    u32 size = page_align_up(len + (start - first));
    if (size < len || first + size < first)
        return Error::from_errno(EINVAL);
    if (!size)
        return {};
    mm::AddressSpace& as = *current->mm;
    TRY(as.set_lock(first, first + size, lock));
    if ((lock & mm::VM_LOCKED) && !(lock & mm::VM_LOCKONFAULT)) {
        ErrorOr<void> filled = as.populate(first, first + size, mm::FaultIn::AsMlock);
        if (filled.is_error())          /* Linux: EFAULT becomes ENOMEM, ENOMEM EAGAIN */
            return Error::from_errno(filled.error().code() == EFAULT ? ENOMEM : EAGAIN);
    }
    return {};
}

} // namespace

ErrorOr<void> sys_mlock(u32 start, u32 len)
{
    return lock_range(start, len, mm::VM_LOCKED);
}

ErrorOr<void> sys_mlock2(u32 start, u32 len, u32 flags)
{
    if (flags & ~MLOCK_ONFAULT)
        return Error::from_errno(EINVAL);
    return lock_range(start, len, mm::VM_LOCKED | (flags & MLOCK_ONFAULT ? mm::VM_LOCKONFAULT : 0));
}

ErrorOr<void> sys_munlock(u32 start, u32 len)
{
    return lock_range(start, len, 0);
}

namespace {

/* Sets the lock flags of every region, one region at a time (they may merge meanwhile). */
ErrorOr<void> lock_every_region(mm::AddressSpace& as, u8 lock)
{
    for (u32 addr = 0; mm::Region* r = as.find_above(addr);) {
        u32 end = r->end;
        TRY(as.set_lock(r->start < addr ? addr : r->start, end, lock));
        addr = end;
    }
    return {};
}

} // namespace

ErrorOr<void> sys_mlockall(u32 flags)
{
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
        return Error::from_errno(EINVAL);
    mm::AddressSpace& as = *current->mm;
    u8 lock = mm::VM_LOCKED | (flags & MCL_ONFAULT ? mm::VM_LOCKONFAULT : 0);
    as.def_flags = flags & MCL_FUTURE ? lock : 0;
    if (!(flags & MCL_CURRENT))
        return {};
    TRY(lock_every_region(as, lock));
    /* As Linux's mm_populate here: what cannot be faulted in now arrives on touch. */
    if (!(flags & MCL_ONFAULT))
        (void)as.populate(0, TASK_SIZE, mm::FaultIn::AsMlock, mm::OnError::Skip).is_error();
    return {};
}

ErrorOr<void> sys_munlockall()
{
    mm::AddressSpace& as = *current->mm;
    as.def_flags = 0;
    return lock_every_region(as, 0);
}
