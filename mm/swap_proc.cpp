/* Swap as user space sees it: swapon/swapoff, /proc/swaps, the swap lines of meminfo. */
#include <drivers/block.h>
#include <fs/file.h>
#include <fs/proc.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/memory.h>
#include <mm/mmtrace.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

#include <new>

namespace mm {
namespace {

SwapDevice* (*device_for)(u32 rdev);

ErrorOr<void> generate_swaps(int, fs::TextBuffer& out)
{
    out.printf("Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    for (int i = 0; i < nr_swapfiles; i++) {
        const SwapInfo& si = swap_info[i];
        if (!(si.flags & SWP_USED))
            continue;
        /* Linux's layout: the name padded to 40 columns, then tab-separated kB. */
        u32 size = si.map.good_pages() * (PAGE_SIZE / 1024), used = si.map.inuse_pages() * (PAGE_SIZE / 1024);
        out.printf("%-40s%s\t%u\t%s%u\t%s%d\n", si.path, "partition", size,
                   used < 10000000 ? "\t" : "", used, si.prio < 1000 ? "\t" : "", si.prio);
    }
    return {};
}

fs::SwapTotals meminfo_totals()
{
    SwapTotal t = swap_totals();
    return { t.pages, t.pages - t.used, swap_cache_pages };
}

/* What a path names for swap: a block device, by its device number. */
ErrorOr<u32> swap_rdev(Userspace<const char*> path_addr, PathBuffer& path)
{
    TRY(path.from_user(path_addr));
    fs::FileStat st;
    TRY(fs::stat(path.get(), st, true));
    if ((st.mode & fs::S_IFMT) != fs::S_IFBLK)
        return Error::from_errno(EINVAL);       /* swap files need a writable file system */
    return st.rdev;
}

int next_prio = -1;

/* Linux's names: pages swapped in and out since boot. */
ErrorOr<void> generate_vmstat(int, fs::TextBuffer& out)
{
    out.printf("nr_free_pages %u\n", nr_free_pages());
    out.printf("nr_swapcached %u\n", swap_cache_pages);
    out.printf("pswpin %u\n", pswpin);
    out.printf("pswpout %u\n", pswpout);
    mmtrace_vmstat(out);
    return {};
}

/* The free-page watermarks kswapd keeps, in the layout of Linux's /proc/zoneinfo. */
ErrorOr<void> generate_zoneinfo(int, fs::TextBuffer& out)
{
    Watermarks w = watermarks();
    out.printf("Node 0, zone   Normal\n");
    out.printf("  pages free     %u\n", nr_free_pages());
    out.printf("        min      %u\n", w.min);
    out.printf("        low      %u\n", w.low);
    out.printf("        high     %u\n", w.high);
    out.printf("        spanned  %u\n", page_allocator.nr_pages());
    out.printf("        present  %u\n", page_allocator.nr_pages());
    out.printf("        managed  %u\n", managed_pages);
    return {};
}

} // namespace

void swap_set_device_source(SwapDevice* (*source)(u32 rdev))
{
    device_for = source;
}

void swap_block_init();

void swap_proc_init()
{
    fs::proc_register({ "swaps", generate_swaps, nullptr });
    fs::proc_register({ "vmstat", generate_vmstat, nullptr });
    fs::proc_register({ "zoneinfo", generate_zoneinfo, nullptr });
    fs::meminfo_set_swap_source(meminfo_totals);
    swap_block_init();
}

} // namespace mm

ErrorOr<void> sys_swapon(Userspace<const char*> path_addr, u32 flags)
{
    constexpr u32 SWAP_FLAG_PREFER = 0x8000, SWAP_FLAG_PRIO_MASK = 0x7FFF;
    PathBuffer path;
    u32 rdev = TRY(mm::swap_rdev(path_addr, path));
    mm::SwapDevice* device = mm::device_for ? mm::device_for(rdev) : nullptr;
    if (!device)
        return Error::from_errno(ENXIO);
    int prio = flags & SWAP_FLAG_PREFER ? int(flags & SWAP_FLAG_PRIO_MASK) : mm::next_prio;
    ErrorOr<void> enabled = mm::swap_enable(device, rdev, path.get(), prio);
    if (enabled.is_error())
        device->release();
    else if (!(flags & SWAP_FLAG_PREFER))
        mm::next_prio--;
    return enabled;
}

ErrorOr<void> sys_swapoff(Userspace<const char*> path_addr)
{
    PathBuffer path;
    u32 rdev = TRY(mm::swap_rdev(path_addr, path));
    return mm::swap_disable(rdev);
}

namespace mm {
namespace {

/* A swap area on a disk or partition of the block layer. */
static_assert(SWAP_CLUSTER_MAX <= block::MAX_REQUEST_PAGES && (1u << PAGE_CLUSTER) <= block::MAX_REQUEST_PAGES);

class BlockSwap final : public SwapDevice {
public:
    explicit BlockSwap(block::BlockDevice& device) : m_device(device) { }
    u32 pages() const override
    {
        u64 n = m_device.pages();
        return n > SwapEntry::MAX_OFFSET + 1u ? SwapEntry::MAX_OFFSET + 1u : u32(n);
    }
    ErrorOr<void> read_page(u32 index, void* page) override
    {
        return result(m_device.read_page(index, page));
    }
    ErrorOr<void> write_page(u32 index, const void* page) override
    {
        return result(m_device.write_page(index, page));
    }
    /* A cluster in one request (at most block::MAX_REQUEST_PAGES, as swap's batches are). */
    ErrorOr<void> read_pages(u32 index, u32 count, void* const pages[]) override
    {
        return result(m_device.read_pages(index, count, pages));
    }
    ErrorOr<void> write_pages(u32 index, u32 count, void* const pages[]) override
    {
        return result(m_device.write_pages(index, count, pages));
    }
    void release() override { delete this; }
private:
    /* The block layer answers 0 or -errno. */
    static ErrorOr<void> result(long err)
    {
        if (err)
            return Error::from_errno(int(-err));
        return {};
    }

    block::BlockDevice& m_device;
};

SwapDevice* block_swap_device(u32 rdev)
{
    block::BlockDevice* device = block::find_device(rdev);
    return device ? new (std::nothrow) BlockSwap(*device) : nullptr;
}

} // namespace

void swap_block_init()
{
    swap_set_device_source(block_swap_device);
}

} // namespace mm
