/* The memory manager's event counters and live trace (mm/mmtrace.h). */
#include <drivers/timer.h>
#include <fs/proc.h>
#include <kernel/cmdline.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <mm/mmtrace.h>

namespace mm {

VmEvents vm_events;

namespace {

u32 traced;                             /* mask of MmEvent bits */

/* Linux's printk_ratelimit: at most RATELIMIT_BURST lines every RATELIMIT_INTERVAL. */
constexpr u32 RATELIMIT_INTERVAL = 5 * HZ;
constexpr u32 RATELIMIT_BURST = 10;
u32 window_start, printed, suppressed;

bool ratelimit_allows()
{
    if (jiffies - window_start >= RATELIMIT_INTERVAL) {
        if (suppressed)
            printk(KERN_INFO "mmtrace: %u messages suppressed\n", suppressed);
        window_start = jiffies;
        printed = suppressed = 0;
    }
    if (printed < RATELIMIT_BURST) {
        printed++;
        return true;
    }
    suppressed++;
    return false;
}

ErrorOr<void> generate_mmtrace(int, fs::TextBuffer& out)
{
    if (!traced)
        out.printf("0\n");
    for (u32 e = 0, first = 1; e < u32(MmEvent::Count); e++)
        if (traced & (1u << e)) {
            out.printf("%s%s", first ? "" : ",", mm_event_names[e]);
            first = 0;
        }
    if (traced)
        out.printf("\n");
    return {};
}

ErrorOr<void> write_mmtrace(const char* text)
{
    u32 mask;
    if (!parse_mmtrace_list(text, mask))
        return Error::from_errno(EINVAL);
    traced = mask;
    return {};
}

/* Linux's names where Linux counts the same thing (pgfault, pgmajfault, oom_kill). */
constexpr const char* vmstat_names[] = { "cow_fault", "zero_fault", "file_fault", "share_page",
                                         nullptr, nullptr, "oom_kill" };
static_assert(sizeof vmstat_names / sizeof vmstat_names[0] == u32(MmEvent::Count));

} // namespace

void mmtrace_vmstat(fs::TextBuffer& out)
{
    out.printf("pgfault %u\npgmajfault %u\n", vm_events.pgfault, vm_events.pgmajfault);
    /* Swap-outs and swap-ins are pswpout and pswpin, counted per page where the I/O is. */
    for (u32 e = 0; e < u32(MmEvent::Count); e++)
        if (vmstat_names[e])
            out.printf("%s %u\n", vmstat_names[e], vm_events.count[e]);
}

void mm_event(MmEvent event, int pid, u32 addr, PhysAddr frame, SwapEntry slot)
{
    vm_events.count[u32(event)]++;
    if (!(traced & (1u << u32(event))) || !ratelimit_allows())
        return;
    const char* name = mm_event_names[u32(event)];
    if (event == MmEvent::OomKill)
        printk(KERN_INFO "mmtrace: %s pid %d\n", name, pid);
    else if (event == MmEvent::SwapOut || event == MmEvent::SwapIn)
        printk(KERN_INFO "mmtrace: %s pid %d addr %#x frame %#x slot %u:%u\n", name, pid, addr,
               frame.pfn().value(), slot.type(), slot.offset());
    else
        printk(KERN_INFO "mmtrace: %s pid %d addr %#x frame %#x\n", name, pid, addr,
               frame.pfn().value());
}

void mmtrace_init()
{
    if (command_line.mmtrace)
        parse_mmtrace_list(command_line.mmtrace, traced);     /* checked by the parser */
    fs::proc_register_sys_vm({ "mmtrace", generate_mmtrace, write_mmtrace });
}

} // namespace mm
