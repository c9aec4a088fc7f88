/*
 * Watching the memory manager work: a counter for each thing it does (/proc/vmstat) and,
 * when switched on (the `mmtrace` or `mmtrace=LIST` command-line parameter, or writing to
 * /proc/sys/vm/mmtrace), a console line as each happens, rate limited as Linux's
 * printk_ratelimit. docs/tour.md shows a session.
 */
#pragma once
#include <kernel/types.h>
#include <mm/swap_entry.h>
#include <mm/types.h>

namespace fs { class TextBuffer; }

namespace mm {

/* The traced events and their names in LIST (comma-separated; `all`). */
enum class MmEvent : u8 {
    CowCopy,            /* cow:     do_wp_page copied a shared page for a write */
    DemandZero,         /* zero:    do_no_page gave untouched anonymous memory a zeroed page */
    FileFault,          /* file:    do_no_page read a page of the executable's file */
    SharePage,          /* share:   share_page found the page in another process */
    SwapOut,            /* swapout: a page written to its swap slot */
    SwapIn,             /* swapin:  swap_in mapped a page from its slot (read, or from the swap cache) */
    OomKill,            /* oom:     a process killed for lack of memory */
    Count
};

constexpr const char* mm_event_names[] = { "cow", "zero", "file", "share", "swapout", "swapin", "oom" };
static_assert(sizeof mm_event_names / sizeof mm_event_names[0] == u32(MmEvent::Count));

constexpr u32 MMTRACE_ALL = (1u << u32(MmEvent::Count)) - 1;

/*
 * LIST (`all`, `1`, `0`, or event names joined by commas) as a mask of events; false if a
 * name is unknown. Pure: the command-line parser (and the host tests) use it too.
 */
constexpr bool parse_mmtrace_list(const char* s, u32& mask)
{
    auto is = [](const char* a, size_t n, const char* b) {
        for (size_t i = 0; i < n; i++)
            if (a[i] != b[i])
                return false;
        return b[n] == '\0';
    };
    mask = 0;
    while (*s) {
        size_t n = 0;
        while (s[n] && s[n] != ',' && s[n] != '\n')
            n++;
        if (is(s, n, "all") || is(s, n, "1")) {
            mask = MMTRACE_ALL;
        } else if (!is(s, n, "0")) {
            u32 e = 0;
            while (e < u32(MmEvent::Count) && !is(s, n, mm_event_names[e]))
                e++;
            if (e == u32(MmEvent::Count))
                return false;
            mask |= 1u << e;
        }
        s += n;
        if (*s == ',' || *s == '\n')
            s++;
    }
    return true;
}

/* The /proc/vmstat counters of the events, and of every page fault (pgfault, pgmajfault). */
struct VmEvents {
    u32 pgfault, pgmajfault;
    u32 count[u32(MmEvent::Count)];
};
extern VmEvents vm_events;

/* Counts the event and, if it is traced and the rate limit allows, prints it. */
void mm_event(MmEvent event, int pid, u32 addr, PhysAddr frame, SwapEntry slot = SwapEntry());

/* The counters' lines of /proc/vmstat. */
void mmtrace_vmstat(fs::TextBuffer& out);

/* Boot: the command line's mmtrace, and /proc/sys/vm/mmtrace. */
void mmtrace_init();

} // namespace mm
