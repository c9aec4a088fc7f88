/* brk, mmap2, munmap, mprotect: address space changes; pages arrive on first touch. */
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/shmem.h>
#include <mm/vm.h>

namespace {
constexpr u32 MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
constexpr u32 MAP_GROWSDOWN = 0x100, MAP_DENYWRITE = 0x800, MAP_EXECUTABLE = 0x1000,
              MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000, MAP_STACK = 0x20000;
constexpr u32 known_flags = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN
                          | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_NORESERVE | MAP_POPULATE | MAP_STACK;

bool valid_prot(u32 prot) { return !(prot & ~(mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC)); }
} // namespace

/* brk never fails for want of RAM (overcommit): it only moves the heap region's end. */
long sys_brk(u32 addr)
{
    mm::AddressSpace& as = *current->mm;
    if (addr < as.start_brk)
        return long(as.brk);
    u32 old_end = page_align_up(as.brk), new_end = page_align_up(addr);
    if (new_end < addr || new_end > mm::STACK_TOP - mm::STACK_LIMIT)
        return long(as.brk);
    if (new_end > old_end) {
        mm::Region* next = as.find_above(old_end);
        if (next && next->start < new_end + PAGE_SIZE)
            return long(as.brk);        /* would run into the next mapping */
        mm::Region heap { old_end, new_end, mm::PROT_READ | mm::PROT_WRITE, mm::RegionKind::Heap };
        mm::Region* prev = old_end > as.start_brk ? as.find(old_end - 1) : nullptr;
        if (prev && prev->kind == mm::RegionKind::Heap)
            as.resize(prev, new_end);
        else if (as.map(heap).is_error())
            return long(as.brk);
    } else if (new_end < old_end) {
        if (as.unmap(new_end, old_end).is_error())
            return long(as.brk);
    }
    as.brk = addr;
    return long(addr);
}

ErrorOr<u32> sys_mmap2(u32 addr, u32 len, u32 prot, u32 flags, int fd, u32 pgoff)
{
    mm::AddressSpace& as = *current->mm;
    if (!len || (flags & ~known_flags) || !valid_prot(prot))
        return Error::from_errno(EINVAL);
    if ((flags & (MAP_SHARED | MAP_PRIVATE)) == (MAP_SHARED | MAP_PRIVATE) || !(flags & (MAP_SHARED | MAP_PRIVATE)))
        return Error::from_errno(EINVAL);
    u32 size = page_align_up(len);
    if (size < len || size > TASK_SIZE)
        return Error::from_errno(ENOMEM);
    if ((flags & MAP_FIXED) && (addr % PAGE_SIZE || addr > TASK_SIZE - size))
        return Error::from_errno(EINVAL);
    if (pgoff > (~0u >> PAGE_SHIFT) - (size >> PAGE_SHIFT))
        return Error::from_errno(EOVERFLOW);

    fs::File* file = nullptr;
    fs::FileStat st { };
    u32 max_prot = mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC;
    if (!(flags & MAP_ANONYMOUS)) {
        if (fd < 0 || fd >= NR_OPEN || !(file = current->files[fd]))
            return Error::from_errno(EBADF);
        if ((file->flags() & fs::O_ACCMODE) == fs::O_WRONLY)
            return Error::from_errno(EACCES);
        TRY(file->stat(st));
        if ((st.mode & fs::S_IFMT) != fs::S_IFREG)
            return Error::from_errno(ENODEV);
        /* Shared and opened read-only: never writable, not even by mprotect later (Linux's VM_MAYWRITE). */
        if ((flags & MAP_SHARED) && (file->flags() & fs::O_ACCMODE) != fs::O_RDWR) {
            if (prot & mm::PROT_WRITE)
                return Error::from_errno(EACCES);
            max_prot &= ~mm::PROT_WRITE;
        }
    }

    u32 start = flags & MAP_FIXED ? addr : as.find_free(size, addr);
    if (!start)
        return Error::from_errno(ENOMEM);
    TRY(as.unmap(start, start + size));
    mm::Region r { start, start + size, prot, mm::RegionKind::Anonymous };
    r.max_prot = max_prot;
    r.shared = flags & MAP_SHARED;
    mm::ShmObject* obj = file ? file->shm_object() : nullptr;
    if (r.shared && (obj || !file)) {
        /* One memory for all who map it: a tmpfs file's object, or a new one (anonymous). */
        if (obj)
            mm::shm_get(obj);
        else
            obj = TRY(mm::shm_create(size));
        r.kind = mm::RegionKind::Shared;
        r.shm = obj;
        r.offset = file ? pgoff << PAGE_SHIFT : 0;
        r.file = file;
        r.dev = file ? st.dev : 1;
        r.ino = file ? st.ino : obj->ino();
        ErrorOr<void> mapped = as.map(r);       /* the region takes its own reference */
        mm::shm_put(obj);
        TRY(mapped);
        return start;
    }
    if (file) {
        r.kind = mm::RegionKind::File;
        r.file = file;
        r.offset = pgoff << PAGE_SHIFT;
        u64 data_end = st.size > r.offset ? st.size - r.offset : 0;
        r.file_end = data_end >= size ? start + size : start + u32(data_end);
        r.dev = st.dev;
        r.ino = st.ino;
    }
    TRY(as.map(r));
    /* mlockall(MCL_FUTURE): the new region is locked, and filled now unless MCL_ONFAULT. */
    if ((as.def_flags & mm::VM_LOCKED) && !(as.def_flags & mm::VM_LOCKONFAULT))
        (void)as.populate(start, start + size, mm::FaultIn::AsMlock, mm::OnError::Skip).is_error();
    return start;
}

ErrorOr<void> sys_munmap(u32 addr, u32 len)
{
    if (addr % PAGE_SIZE || !len || addr >= TASK_SIZE || page_align_up(len) > TASK_SIZE - addr)
        return Error::from_errno(EINVAL);
    return current->mm->unmap(addr, addr + page_align_up(len));
}

ErrorOr<void> sys_mprotect(u32 addr, u32 len, u32 prot)
{
    if (addr % PAGE_SIZE || !valid_prot(prot))
        return Error::from_errno(EINVAL);
    u32 size = page_align_up(len);
    if (size < len || addr >= TASK_SIZE || size > TASK_SIZE - addr)
        return Error::from_errno(ENOMEM);
    if (!size)
        return {};
    return current->mm->protect(addr, addr + size, prot);
}

/*
 * msync: shared memory objects and the read-only root have nothing to write back, so it
 * checks what Linux checks and answers as Linux: EINVAL for unknown flags, MS_SYNC with
 * MS_ASYNC, or an unaligned address; ENOMEM if any of the range is unmapped.
 */
ErrorOr<void> sys_msync(u32 addr, u32 len, int flags)
{
    constexpr int MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
    if ((flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) || addr % PAGE_SIZE
        || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return Error::from_errno(EINVAL);
    u32 size = page_align_up(len);
    if (size < len || size > ~0u - addr)
        return Error::from_errno(ENOMEM);
    if (!size)
        return {};
    if (addr >= TASK_SIZE || size > TASK_SIZE - addr || !current->mm->range_mapped(addr, addr + size))
        return Error::from_errno(ENOMEM);
    return {};
}
