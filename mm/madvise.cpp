/*
 * madvise and mincore, as Linux 6.1's, for the regions there are: advice that changes
 * memory (MADV_DONTNEED and MADV_FREE drop pages and swap slots, MADV_WILLNEED starts
 * reading swapped pages back, MADV_POPULATE_* fault pages in, MADV_DONTFORK and
 * MADV_WIPEONFORK change what a child gets), advice Linux takes as a hint about access
 * patterns, dumps, KSM or huge pages (accepted; there is nothing here to tune), and
 * mincore's one byte per page.
 */
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>
#include <mm/vm.h>

namespace mm {

ErrorOr<void> AddressSpace::discard(u32 start, u32 end)
{
    TRY(unshare_range(start, end));     /* a table shared since fork is the other process's too */
    zap_range(start, end);
    return {};
}

ErrorOr<void> AddressSpace::set_region_flags(u32 start, u32 end, u8 set, u8 clear)
{
    TRY(split(start));
    if (end < TASK_SIZE)
        TRY(split(end));
    Region* last = nullptr;
    for (Region* r = find(start); r && r->start < end; r = r->next) {
        last = r;
        r->flags = u8((r->flags & ~clear) | set);
    }
    for (Region* r = last; r && r->end > start;) {
        Region* prev = r->prev;
        merge_around(r);
        r = prev;
    }
    return {};
}

} // namespace mm

namespace {

enum Advice : int {
    MADV_NORMAL = 0, MADV_RANDOM = 1, MADV_SEQUENTIAL = 2, MADV_WILLNEED = 3, MADV_DONTNEED = 4,
    MADV_FREE = 8, MADV_REMOVE = 9, MADV_DONTFORK = 10, MADV_DOFORK = 11, MADV_MERGEABLE = 12,
    MADV_UNMERGEABLE = 13, MADV_HUGEPAGE = 14, MADV_NOHUGEPAGE = 15, MADV_DONTDUMP = 16,
    MADV_DODUMP = 17, MADV_WIPEONFORK = 18, MADV_KEEPONFORK = 19, MADV_COLD = 20,
    MADV_PAGEOUT = 21, MADV_POPULATE_READ = 22, MADV_POPULATE_WRITE = 23,
    MADV_DONTNEED_LOCKED = 24,
};

bool advice_known(int advice)
{
    return (advice >= MADV_NORMAL && advice <= MADV_DONTNEED)
        || (advice >= MADV_FREE && advice <= MADV_DONTNEED_LOCKED);
}

bool anonymous(const mm::Region& r)
{
    switch (r.kind) {
    case mm::RegionKind::Anonymous:
    case mm::RegionKind::Heap:
    case mm::RegionKind::Stack:
        return true;
    case mm::RegionKind::File:
    case mm::RegionKind::Shared:        /* shmem, as Linux: not anonymous memory */
        return false;
    }
    return false;
}

/* MADV_WILLNEED: reads of the swapped pages of [start, end) start; nothing is mapped. */
void will_need(mm::AddressSpace& as, u32 start, u32 end)
{
    for (u32 addr = start; addr < end; addr += PAGE_SIZE)
        if (arch::Pte* p = as.pte(addr); p && p->swapped_out())
            (void)mm::swap_read_cluster(p->swap_entry()).is_error();     /* a hint: faults read it later */
}

/* One piece of the advice: [start, end) inside region r. Linux's errors, region by region. */
ErrorOr<void> advise_region(mm::AddressSpace& as, mm::Region& r, u32 start, u32 end, int advice)
{
    bool locked = r.flags & mm::VM_LOCKED;
    switch (advice) {
    case MADV_DONTNEED:
    case MADV_FREE:
        /* MADV_FREE may free lazily; freeing now reads back as zeros, which it allows. */
        if (locked || (advice == MADV_FREE && !anonymous(r)))
            return Error::from_errno(EINVAL);
        return as.discard(start, end);
    case MADV_DONTNEED_LOCKED:
        return as.discard(start, end);
    case MADV_REMOVE:
        /*
         * Only shared, writable memory can have its backing punched out; shared memory
         * objects cannot punch holes (Linux's answer for a filesystem without them).
         */
        if (locked || anonymous(r))
            return Error::from_errno(EINVAL);
        if (r.kind != mm::RegionKind::Shared || !(r.prot & mm::PROT_WRITE))
            return Error::from_errno(EACCES);
        return Error::from_errno(EOPNOTSUPP);
    case MADV_WILLNEED:
        will_need(as, start, end);
        return {};
    case MADV_COLD:
    case MADV_PAGEOUT:
        return locked ? Error::from_errno(EINVAL) : ErrorOr<void>();
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE: {
        bool write = advice == MADV_POPULATE_WRITE;
        if (!(r.prot & (write ? mm::PROT_WRITE : mm::PROT_READ)))
            return Error::from_errno(EINVAL);
        ErrorOr<void> done = as.populate(start, end, write ? mm::FaultIn::Write : mm::FaultIn::Read);
        if (done.is_error())
            return Error::from_errno(done.error().code() == EAGAIN ? ENOMEM : EFAULT);
        return {};
    }
    case MADV_DONTFORK:
        return as.set_region_flags(start, end, mm::VM_DONTCOPY, 0);
    case MADV_DOFORK:
        return as.set_region_flags(start, end, 0, mm::VM_DONTCOPY);
    case MADV_WIPEONFORK:
        if (!anonymous(r))
            return Error::from_errno(EINVAL);
        return as.set_region_flags(start, end, mm::VM_WIPEONFORK, 0);
    case MADV_KEEPONFORK:
        return as.set_region_flags(start, end, 0, mm::VM_WIPEONFORK);
    default:
        return {};                      /* a hint: access pattern, dumps, KSM, huge pages */
    }
}

} // namespace

ErrorOr<void> sys_madvise(u32 start, u32 len, int advice)
{
    if (!advice_known(advice) || start % PAGE_SIZE)
        return Error::from_errno(EINVAL);
    u32 size = page_align_up(len);
    if ((len && !size) || start + size < start)
        return Error::from_errno(EINVAL);
    u32 end = start + size;
    if (end == start)
        return {};
    mm::AddressSpace& as = *current->mm;
    /* Region by region, as Linux: holes are ENOMEM once the mapped parts are done. */
    bool hole = false;
    for (u32 addr = start; addr < end;) {
        mm::Region* r = as.find_above(addr);
        if (!r || r->start >= end) {
            hole = true;
            break;
        }
        if (r->start > addr)
            hole = true;
        u32 from = r->start > addr ? r->start : addr;
        u32 to = r->end < end ? r->end : end;
        TRY(advise_region(as, *r, from, to, advice));
        addr = to;                      /* r may be gone (split, merged): go by address */
    }
    if (hole)
        return Error::from_errno(ENOMEM);
    return {};
}

namespace {

/* A shared region's page that no PTE maps here is in memory if its object holds a frame. */
bool object_page_resident(const mm::Region& r, u32 addr)
{
    u64 index = (u64(r.offset) + (addr - r.start)) / PAGE_SIZE;
    u32* slot = r.shm->slot(u32(index), mm::ShmObject::Alloc::No);
    return slot && mm::ShmObject::holds_frame(*slot);
}

} // namespace

/*
 * One byte per page, bit 0 set when the page is in memory: mapped, or swapped out with
 * its swap cache copy still in memory, or (shared memory) held by its object in memory,
 * as Linux counts it. ENOMEM where no region is
 * (after the bytes before it are written), EFAULT for a vector that cannot be written.
 */
ErrorOr<void> sys_mincore(u32 start, u32 len, Userspace<u8*> vec)
{
    if (start % PAGE_SIZE)
        return Error::from_errno(EINVAL);
    if (start >= TASK_SIZE || len > TASK_SIZE - start)
        return Error::from_errno(ENOMEM);
    u32 pages = len / PAGE_SIZE + (len % PAGE_SIZE != 0);
    if (!user_range_ok(vec, pages))
        return Error::from_errno(EFAULT);
    mm::AddressSpace& as = *current->mm;
    u8 bytes[128];
    for (u32 done = 0; done < pages;) {
        u32 addr = start + done * PAGE_SIZE;
        mm::Region* r = as.find(addr);
        if (!r)
            return Error::from_errno(ENOMEM);
        u32 n = (r->end - addr) / PAGE_SIZE;
        if (n > pages - done)
            n = pages - done;
        if (n > sizeof bytes)
            n = sizeof bytes;
        for (u32 i = 0; i < n; i++) {
            arch::Pte* p = as.pte(addr + i * PAGE_SIZE);
            bool resident = p && p->present();
            if (p && p->swapped_out())
                resident = mm::swap_cached(p->swap_entry());
            else if (!resident && r->kind == mm::RegionKind::Shared)
                resident = object_page_resident(*r, addr + i * PAGE_SIZE);
            bytes[i] = resident;
        }
        TRY(copy_to_user(vec.offset(done), bytes, n));
        done += n;
    }
    return {};
}
