/*
 * mremap, as Linux 6.1's: a shrink unmaps the tail (munmap's path: pages, swap slots and
 * swap cache copies go); a grow extends the region in place when the gap above it allows;
 * otherwise, with MREMAP_MAYMOVE, the region moves. A move carries the page-table entries
 * to the new place, present and swapped alike: no page is copied and no swap slot read,
 * so the frames a process sees in its pagemap are the same after the move.
 */
#include <arch/cpu.h>
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/pgtable.h>
#include <mm/vm.h>

#include <new>

namespace mm {

using arch::Pte;

namespace {

constexpr u32 MREMAP_MAYMOVE = 1, MREMAP_FIXED = 2, MREMAP_DONTUNMAP = 4;

/*
 * Whether a region's pages are one memory for several mappers. Such a region may be
 * "duplicated" by mremap with old_len 0: a second mapping of the same pages.
 */
bool shares_pages(const Region& r)
{
    switch (r.kind) {
    case RegionKind::Anonymous:
    case RegionKind::File:
    case RegionKind::Heap:
    case RegionKind::Stack:
        return false;
    case RegionKind::Shared:
        return true;
    }
    return false;
}

/*
 * The bytes of file data a File region has from `from` on once it is new_len bytes long
 * there (old_len now): as before, and where the data reached the old end, as far as the
 * file goes now. An executable's segment keeps its end of data (the bss follows it).
 */
u32 data_length(const Region& r, u32 from, u32 old_len, u32 new_len)
{
    u32 had = r.file_end > from ? r.file_end - from : 0;
    if (had > old_len)
        had = old_len;
    if (had < old_len || new_len <= old_len)
        return had < new_len ? had : new_len;
    fs::FileStat st { };
    u32 offset = r.offset + (from - r.start);
    if (r.file->stat(st).is_error() || st.size <= offset)
        return had;
    u64 data = st.size - offset;
    return data >= new_len ? new_len : u32(data) > had ? u32(data) : had;
}

} // namespace

void AddressSpace::grow_region(Region* r, u32 new_end)
{
    u32 old_end = r->end;
    if (r->kind == RegionKind::File)
        r->file_end = r->start + data_length(*r, r->start, old_end - r->start, new_end - r->start);
    r->end = new_end;
    m_set.changed(r);
    u8 lock = r->flags;
    merge_around(r);
    /* As Linux's mm_populate after a locked grow: what cannot come now arrives on touch. */
    if ((lock & VM_LOCKED) && !(lock & VM_LOCKONFAULT))
        (void)populate(old_end, new_end, FaultIn::AsMlock, OnError::Skip).is_error();
}

ErrorOr<u32> AddressSpace::move_region(Region* src, u32 new_addr, u32 new_len, bool keep_old)
{
    u32 addr = src->start, old_len = src->end - src->start;
    TRY(unshare_range(addr, addr + old_len));
    Region* moved = new (std::nothrow) Region(src->unlinked());
    if (!moved)
        return Error::from_errno(ENOMEM);
    moved->start = new_addr;
    moved->end = new_addr + new_len;
    if (moved->kind == RegionKind::Heap || moved->kind == RegionKind::Stack)
        moved->kind = RegionKind::Anonymous;    /* brk and stack growth stay where they were */
    if (moved->kind == RegionKind::File)
        moved->file_end = new_addr + data_length(*src, addr, old_len, new_len);

    /* The destination's tables first: allocating may sleep, and nothing has moved yet. */
    for (u32 i = 0; i < old_len;) {
        Pte* from = pte(addr + i);
        if (!from) {
            i = arch::pgdir_next(addr + i) - addr;
            continue;
        }
        if (!from->none() && !pte_alloc(new_addr + i)) {
            delete moved;
            return Error::from_errno(ENOMEM);
        }
        i += PAGE_SIZE;
    }
    /* Then the entries, without sleeping: the tables are ours alone and stay so. */
    for (u32 i = 0; i < old_len;) {
        Pte* from = pte(addr + i);
        if (!from) {
            i = arch::pgdir_next(addr + i) - addr;
            continue;
        }
        if (!from->none()) {
            *pte(new_addr + i) = *from;
            *from = Pte();
            arch::invlpg(addr + i);
            arch::invlpg(new_addr + i);
        }
        i += PAGE_SIZE;
    }
    adopt(moved);
    m_set.insert(moved);
    if (keep_old) {
        src->flags &= u8(~(VM_LOCKED | VM_LOCKONFAULT));  /* as Linux: the emptied range is not locked */
        merge_around(src);
    } else {
        m_set.erase(src);
        free_region(src);
    }
    u8 lock = moved->flags;
    merge_around(moved);
    if ((lock & VM_LOCKED) && !(lock & VM_LOCKONFAULT) && new_len > old_len)
        (void)populate(new_addr + old_len, new_addr + new_len, FaultIn::AsMlock, OnError::Skip).is_error();
    return new_addr;
}

ErrorOr<u32> AddressSpace::duplicate(Region* r, u32 addr, u32 to, u32 len)
{
    Region* copy = new (std::nothrow) Region(r->unlinked());
    if (!copy)
        return Error::from_errno(ENOMEM);
    copy->offset += addr - r->start;
    copy->start = to;
    copy->end = to + len;
    copy->flags &= u8(~(VM_LOCKED | VM_LOCKONFAULT));
    adopt(copy);
    m_set.insert(copy);
    return to;
}

ErrorOr<u32> AddressSpace::remap(u32 addr, u32 old_len, u32 new_len, u32 flags, u32 new_addr)
{
    /* The region [addr, addr + old_len) lies in, if it may become new_len long: vma_to_resize. */
    auto resizable = [&]() -> ErrorOr<Region*> {
        Region* r = find(addr);
        if (!r)
            return Error::from_errno(EFAULT);
        if (!old_len && !shares_pages(*r))
            return Error::from_errno(EINVAL);
        if (old_len > r->end - addr)
            return Error::from_errno(EFAULT);   /* not within one region */
        return r;
    };
    /* Makes [addr, addr + old_len) a region of its own and moves it to `to`. */
    auto move_to = [&](u32 to, bool keep_old) -> ErrorOr<u32> {
        if (!old_len)
            return duplicate(find(addr), addr, to, new_len);
        TRY(split(addr));
        if (addr + old_len < TASK_SIZE)
            TRY(split(addr + old_len));
        return move_region(find(addr), to, new_len, keep_old);
    };

    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
        if (new_addr % PAGE_SIZE || new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len)
            return Error::from_errno(EINVAL);
        if (u64(addr) + old_len > new_addr && u64(new_addr) + new_len > addr)
            return Error::from_errno(EINVAL);   /* the two ranges overlap */
        if (flags & MREMAP_FIXED)
            TRY(unmap(new_addr, new_addr + new_len));
        if (old_len > new_len) {
            if (addr >= TASK_SIZE || old_len > TASK_SIZE - addr)
                return Error::from_errno(EINVAL);
            TRY(unmap(addr + new_len, addr + old_len));
            old_len = new_len;
        }
        TRY(resizable());
        u32 to = flags & MREMAP_FIXED ? new_addr : find_free(new_len, new_addr);
        if (!to)
            return Error::from_errno(ENOMEM);
        return move_to(to, flags & MREMAP_DONTUNMAP);
    }

    if (old_len >= new_len) {
        /* Always allowed: the tail goes as munmap would take it. */
        if (old_len == new_len)
            return addr;
        if (addr >= TASK_SIZE || old_len > TASK_SIZE - addr)
            return Error::from_errno(EINVAL);
        TRY(unmap(addr + new_len, addr + old_len));
        return addr;
    }

    Region* r = TRY(resizable());
    if (addr + old_len == r->end && new_len <= TASK_SIZE - addr
        && (!r->next || r->next->start >= addr + new_len)) {
        grow_region(r, addr + new_len);
        return addr;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return Error::from_errno(ENOMEM);
    u32 to = find_free(new_len, 0);
    if (!to)
        return Error::from_errno(ENOMEM);
    return move_to(to, false);
}

} // namespace mm

ErrorOr<u32> sys_mremap(u32 addr, u32 old_len, u32 new_len, u32 flags, u32 new_addr)
{
    constexpr u32 MAYMOVE = 1, FIXED = 2, DONTUNMAP = 4;
    if (flags & ~(MAYMOVE | FIXED | DONTUNMAP))
        return Error::from_errno(EINVAL);
    if ((flags & FIXED) && !(flags & MAYMOVE))
        return Error::from_errno(EINVAL);
    if ((flags & DONTUNMAP) && (!(flags & MAYMOVE) || old_len != new_len))
        return Error::from_errno(EINVAL);
    if (addr % PAGE_SIZE)
        return Error::from_errno(EINVAL);
    u32 old_size = page_align_up(old_len), new_size = page_align_up(new_len);
    if (!new_size || old_size < old_len || new_size < new_len)
        return Error::from_errno(EINVAL);
    return current->mm->remap(addr, old_size, new_size, flags, new_addr);
}
