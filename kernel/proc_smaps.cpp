/*
 * /proc/PID/smaps and /proc/PID/smaps_rollup in Linux 6.1's format (fs/proc/task_mmu.c):
 * each region's maps line, then its sizes in kB, one a line, labels padded to 16 columns
 * and numbers to 8, in Linux's order; the rollup sums every region under one header line.
 * The counting is mm's (add_region_usage).
 */
#include <fs/proc.h>
#include <kernel/errno.h>
#include <kernel/format.h>
#include <kernel/proc_pid.h>
#include <kernel/task.h>
#include <mm/vm.h>

namespace {

void line(fs::TextBuffer& out, const char* label, u64 bytes)
{
    out.printf("%-16s%8lu kB\n", label, (unsigned long)(bytes >> 10));
}

u64 pss_bytes(u64 pss) { return pss >> mm::PSS_SHIFT; }

/* __show_smap: the lines a region and the rollup share; Pss_Anon and the like in the rollup only. */
void print_usage(fs::TextBuffer& out, const mm::RegionUsage& u, bool rollup)
{
    line(out, "Rss:", u.rss);
    line(out, "Pss:", pss_bytes(u.pss));
    line(out, "Pss_Dirty:", pss_bytes(u.pss_dirty));
    if (rollup) {
        line(out, "Pss_Anon:", pss_bytes(u.pss_anon));
        line(out, "Pss_File:", pss_bytes(u.pss_file));
        line(out, "Pss_Shmem:", pss_bytes(u.pss_shmem));
    }
    line(out, "Shared_Clean:", u.shared_clean);
    line(out, "Shared_Dirty:", u.shared_dirty);
    line(out, "Private_Clean:", u.private_clean);
    line(out, "Private_Dirty:", u.private_dirty);
    line(out, "Referenced:", u.referenced);
    line(out, "Anonymous:", u.anonymous);
    line(out, "LazyFree:", 0);          /* MADV_FREE frees at once */
    line(out, "AnonHugePages:", 0);
    line(out, "ShmemPmdMapped:", 0);
    line(out, "FilePmdMapped:", 0);
    line(out, "Shared_Hugetlb:", 0);
    out.printf("Private_Hugetlb: %7u kB\n", 0u);
    line(out, "Swap:", u.swap);
    line(out, "SwapPss:", pss_bytes(u.swap_pss));
    line(out, "Locked:", pss_bytes(u.pss_locked));
}

/* show_smap_vma_flags: Linux's two-letter names, in its order, for the flags a region has. */
void print_vm_flags(fs::TextBuffer& out, const mm::Region& r)
{
    bool writable = r.prot & mm::PROT_WRITE;
    out.printf("VmFlags:");
    if (r.prot & mm::PROT_READ)
        out.printf(" rd");
    if (writable)
        out.printf(" wr");
    if (r.prot & mm::PROT_EXEC)
        out.printf(" ex");
    if (r.shared)
        out.printf(" sh");
    /* What mprotect may grant: a shared mapping only what its file was opened for. */
    u32 may = r.shared ? r.max_prot : mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC;
    if (may & mm::PROT_READ)
        out.printf(" mr");
    if (may & mm::PROT_WRITE)
        out.printf(" mw");
    if (may & mm::PROT_EXEC)
        out.printf(" me");
    if (r.shared)
        out.printf(" ms");
    if (r.kind == mm::RegionKind::Stack)
        out.printf(" gd");
    if (r.flags & mm::VM_LOCKED)
        out.printf(" lo");
    if (r.flags & mm::VM_DONTCOPY)
        out.printf(" dc");
    if (writable && !r.shared)
        out.printf(" ac");              /* private and writable: charged to commit */
    if (r.flags & mm::VM_WIPEONFORK)
        out.printf(" wf");
    out.printf(" \n");
}

mm::AddressSpace* space_of(int pid, ErrorOr<void>& error)
{
    Task* t = find_task(pid);
    if (!t)
        error = Error::from_errno(ESRCH);
    return t ? t->mm : nullptr;         /* a zombie has no memory left */
}

ErrorOr<void> generate_smaps(int pid, fs::TextBuffer& out)
{
    ErrorOr<void> error;
    mm::AddressSpace* as = space_of(pid, error);
    for (mm::Region* r = as ? as->regions() : nullptr; r; r = r->next) {
        mm::RegionUsage usage;
        mm::add_region_usage(*as, *r, usage);
        print_maps_line(out, *as, *r);
        line(out, "Size:", r->end - r->start);
        line(out, "KernelPageSize:", PAGE_SIZE);
        line(out, "MMUPageSize:", PAGE_SIZE);
        print_usage(out, usage, false);
        out.printf("THPeligible:    0\n");
        print_vm_flags(out, *r);
    }
    return error;
}

ErrorOr<void> generate_smaps_rollup(int pid, fs::TextBuffer& out)
{
    ErrorOr<void> error;
    mm::AddressSpace* as = space_of(pid, error);
    mm::Region* first = as ? as->regions() : nullptr;
    if (!first)
        return error;                   /* Linux prints nothing for a space without regions */
    mm::RegionUsage total;
    mm::Region* last = first;
    for (mm::Region* r = first; r; r = r->next) {
        mm::add_region_usage(*as, *r, total);
        last = r;
    }
    char fields[64];
    kfmt::snprintf(fields, sizeof fields, "%08x-%08x ---p 00000000 00:00 0 ", first->start, last->end);
    out.printf("%-48s [rollup]\n", fields);
    print_usage(out, total, true);
    return {};
}

} // namespace

void proc_smaps_init()
{
    fs::proc_register_per_process({ "smaps", generate_smaps, nullptr });
    fs::proc_register_per_process({ "smaps_rollup", generate_smaps_rollup, nullptr });
}
