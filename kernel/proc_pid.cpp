/* The per-process files of /proc: maps, stat, status, pagemap (CONTRACT §7), in Linux's formats. */
#include <drivers/timer.h>
#include <fs/file.h>
#include <fs/proc.h>
#include <kernel/errno.h>
#include <kernel/format.h>
#include <kernel/proc_pid.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <kernel/tty.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/vm.h>

void print_maps_line(fs::TextBuffer& out, const mm::AddressSpace& as, const mm::Region& r)
{
    const char* name = "";
    char shm_name[32];
    u32 offset = 0, dev = 0, ino = 0;
    if (r.kind == mm::RegionKind::Shared) {
        /* As Linux names shmem: a SysV segment by its key, shared anonymous memory as /dev/zero. */
        offset = r.offset;
        dev = r.dev;
        ino = r.ino;
        if (r.sysv)
            kfmt::snprintf(shm_name, sizeof shm_name, "/SYSV%08x (deleted)", u32(r.shm_key));
        name = r.sysv ? shm_name : r.file ? "" : "/dev/zero (deleted)";
    } else if (r.kind == mm::RegionKind::File) {
        offset = r.offset;
        dev = r.dev;
        ino = r.ino;
        name = *r.file->path() ? r.file->path() : as.exe_path;
    } else if (r.kind == mm::RegionKind::Heap) {
        name = "[heap]";
    } else if (r.kind == mm::RegionKind::Stack) {
        name = "[stack]";
    }
    /* As Linux: the fields, then (for named regions) padding to column 48 and the name. */
    char fields[64];
    kfmt::snprintf(fields, sizeof fields, "%08x-%08x %c%c%c%c %08x %02x:%02x %u ", r.start,
                   r.end, r.prot & mm::PROT_READ ? 'r' : '-',
                   r.prot & mm::PROT_WRITE ? 'w' : '-', r.prot & mm::PROT_EXEC ? 'x' : '-',
                   r.shared ? 's' : 'p', offset, dev >> 8, dev & 0xFF, ino);
    if (*name)
        out.printf("%-48s %s\n", fields, name);
    else
        out.printf("%s\n", fields);
}

namespace {

Task* live_task(int pid)
{
    Task* t = find_task(pid);
    return t && t->state != TaskState::Zombie ? t : nullptr;
}

ErrorOr<void> generate_maps(int pid, fs::TextBuffer& out)
{
    Task* t = find_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    mm::AddressSpace* as = t->mm;
    if (!as)
        return {};                      /* a zombie has no memory left */
    for (mm::Region* r = as->regions(); r; r = r->next)
        print_maps_line(out, *as, *r);
    return {};
}

ErrorOr<void> generate_stat(int pid, fs::TextBuffer& out)
{
    Task* t = find_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    char state = t->state == TaskState::Zombie ? 'Z' : t->state == TaskState::Sleeping ? 'S'
               : t->state == TaskState::DiskSleep ? 'D' : t->state == TaskState::Stopped ? 'T' : 'R';
    mm::AddressSpace* as = t->mm;
    u32 vsize = 0;
    if (as)
        for (mm::Region* r = as->regions(); r; r = r->next)
            vsize += r->end - r->start;
    int ppid = t->parent ? t->parent->pid : 0;
    u32 ignored = 0, caught = 0;
    for (int sig = 1; sig < 32; sig++) {
        if (t->actions[sig].handler == SIG_IGN)
            ignored |= 1u << (sig - 1);
        else if (t->actions[sig].handler != SIG_DFL)
            caught |= 1u << (sig - 1);
    }
    /* tty_nr: the console's device number (5, 1) for a process it controls; tpgid its foreground. */
    int tpgid = t->tty ? tty_foreground(*t->tty) : -1;
    /* proc(5)'s 52 fields; times in USER_HZ (= HZ) ticks, the memory layout last. */
    out.printf("%d (%s) %c %d %d %d %u %d %u %u %u %u %u %u %u %u %u %d %d 1 0 %u %u %u "
               "4294967295 %u %u %u 0 0 %u %u %u %u 0 0 0 %d 0 0 0 0 0 0 ",
               t->pid, t->comm, state, ppid, t->pgid, t->sid, t->tty ? (5u << 8 | 1) : 0u, tpgid,
               t->thread_fn ? 0x00200040u : 0x00400000u, t->min_flt, t->cmin_flt, t->maj_flt,
               t->cmaj_flt, t->utime, t->stime, t->cutime, t->cstime, 20 + t->nice, t->nice,
               t->start_time, vsize, as ? as->rss : 0, as ? as->start_code : 0,
               as ? as->end_code : 0, as ? as->start_stack : 0, u32(t->pending) & 0x7FFFFFFF,
               u32(t->blocked) & 0x7FFFFFFF, ignored & 0x7FFFFFFF, caught & 0x7FFFFFFF,
               t->exit_signal);
    out.printf("%u %u %u %u %u 0 0 %d\n", as ? as->start_data : 0, as ? as->end_data : 0,
               as ? as->start_brk : 0, as ? as->arg_start : 0, as ? as->arg_end : 0,
               t->state == TaskState::Zombie ? t->exit_status : 0);
    return {};
}

/*
 * The first lines of Linux's status, and the count of i686 instructions the kernel
 * emulated for the process (docs/old-cpus.md), which Linux does not have.
 */
ErrorOr<void> generate_status(int pid, fs::TextBuffer& out)
{
    Task* t = find_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    const char* state = t->state == TaskState::Zombie ? "Z (zombie)"
                      : t->state == TaskState::Sleeping ? "S (sleeping)"
                      : t->state == TaskState::DiskSleep ? "D (disk sleep)"
                      : t->state == TaskState::Stopped ? "T (stopped)" : "R (running)";
    int ppid = t->parent ? t->parent->pid : 0;
    u32 rss_kb = t->mm ? t->mm->rss * (PAGE_SIZE / 1024) : 0;
    u32 locked_kb = t->mm ? t->mm->locked_pages() * (PAGE_SIZE / 1024) : 0;
    out.printf("Name:\t%s\nState:\t%s\nPid:\t%d\nPPid:\t%d\nVmLck:\t%8u kB\nVmRSS:\t%8u kB\n"
               "EmulatedInsns:\t%u\n", t->comm, state, t->pid, ppid, locked_kb, rss_kb,
               t->emulated_insns);
    return {};
}

/*
 * Linux's statm, in pages: size, resident, shared (resident pages of files), text, lib
 * (0), data (everything writable and private: data, brk, stack, anonymous maps), dt (0).
 */
ErrorOr<void> generate_statm(int pid, fs::TextBuffer& out)
{
    Task* t = find_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    mm::AddressSpace* as = t->mm;
    u32 size = 0, shared = 0, data = 0;
    for (mm::Region* r = as ? as->regions() : nullptr; r; r = r->next) {
        size += (r->end - r->start) / PAGE_SIZE;
        if (r->kind == mm::RegionKind::File) {
            for (u32 va = r->start; va < r->end; va += PAGE_SIZE)
                if (arch::Pte* pte = as->pte(va); pte && pte->present())
                    shared++;
        } else if (r->prot & mm::PROT_WRITE) {
            data += (r->end - r->start) / PAGE_SIZE;
        }
    }
    u32 text = as ? (page_align_up(as->end_code) - page_align_down(as->start_code)) / PAGE_SIZE : 0;
    out.printf("%u %u %u %u 0 %u 0\n", size, as ? as->rss : 0, shared, text, data);
    return {};
}

/*
 * argv's strings, each with its NUL, read from the process's own memory as Linux does
 * (a program that rewrites its argv changes what ps shows). A page of them that is not in
 * memory ends what is returned (Linux would fault it in); a kernel thread has none.
 */
ErrorOr<size_t> read_cmdline(int pid, u64 offset, void* buf, size_t n)
{
    Task* t = live_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    mm::AddressSpace* as = t->mm;
    if (!as || offset >= as->arg_end - as->arg_start)
        return size_t(0);
    u32 from = as->arg_start + u32(offset);
    size_t done = 0;
    while (done < n && from < as->arg_end) {
        arch::Pte* pte = as->pte(from);
        if (!pte || !pte->present())
            break;
        u32 in_page = PAGE_SIZE - from % PAGE_SIZE;
        size_t chunk = n - done < in_page ? n - done : in_page;
        if (chunk > as->arg_end - from)
            chunk = as->arg_end - from;
        memcpy(static_cast<u8*>(buf) + done, to_virt(pte->frame()).as_ptr<u8>() + from % PAGE_SIZE, chunk);
        done += chunk;
        from += u32(chunk);
    }
    return done;
}

/* 8 bytes per virtual page: present, swapped, exclusive, and the frame number. */
ErrorOr<size_t> read_pagemap(int pid, u64 offset, void* buf, size_t n)
{
    Task* t = live_task(pid);
    if (!t || !t->mm)
        return Error::from_errno(ESRCH);
    if (offset % 8 || n % 8)
        return Error::from_errno(EINVAL);
    constexpr u64 PM_PRESENT = 1ull << 63, PM_SWAP = 1ull << 62, PM_EXCLUSIVE = 1ull << 56;
    constexpr u64 end = u64(TASK_SIZE / PAGE_SIZE) * 8;
    auto* entries = static_cast<u64*>(buf);
    size_t count = 0;
    for (u64 pos = offset; pos < end && count < n / 8; pos += 8, count++) {
        u32 va = u32(pos / 8) * PAGE_SIZE;
        arch::Pte* pte = t->mm->pte(va);
        u64 e = 0;
        if (pte && pte->present()) {
            u32 pfn = pte->frame().pfn().value();
            e = PM_PRESENT | pfn;
            /* Exclusive: one reference, from a table no other process shares. */
            /* The swap cache's own reference maps nothing. */
            if (mm::page_allocator.counted(Pfn(pfn)) && !t->mm->table_shared(va)
                && mm::mem_map[pfn].count - ((mm::mem_map[pfn].flags & mm::PG_SWAP_CACHE) ? 1 : 0) == 1)
                e |= PM_EXCLUSIVE;
        } else if (pte && pte->swapped_out()) {
            SwapEntry entry = pte->swap_entry();
            e = PM_SWAP | (entry.type() & 0x1F) | (u64(entry.offset()) << 5);
        }
        entries[count] = e;
    }
    return count * 8;
}

bool pid_exists(int pid) { return find_task(pid) != nullptr; }

int next_pid(int after)
{
    int best = -1;
    for (Task* t : task)
        if (t && t->pid > after && (best < 0 || t->pid < best))
            best = t->pid;
    return best;
}

int self_pid() { return current ? current->pid : -1; }

} // namespace

void proc_pid_init()
{
    fs::proc_set_process_directory({ pid_exists, next_pid, self_pid });
    fs::proc_register_per_process({ "maps", generate_maps, nullptr });
    fs::proc_register_per_process({ "stat", generate_stat, nullptr });
    fs::proc_register_per_process({ "status", generate_status, nullptr });
    fs::proc_register_per_process({ "pagemap", nullptr, read_pagemap });
    fs::proc_register_per_process({ "cmdline", nullptr, read_cmdline });
    fs::proc_register_per_process({ "statm", generate_statm, nullptr });
    proc_smaps_init();
}
