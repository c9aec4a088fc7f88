/*
 * /proc: files that the kernel generates. Text files are generated whole when they are
 * opened (so a reader sees one consistent snapshot); binary, seekable files such as
 * pagemap are read at an offset on each read.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>

namespace fs {

/* Where a text generator writes; formats like printk and never overflows. */
class TextBuffer {
public:
    static constexpr size_t PAGE = 4096;
    using PageAllocator = char* (*)();

    /* One contiguous buffer, kept NUL-terminated while there is room. */
    TextBuffer(char* buf, size_t capacity) : m_buf(buf), m_capacity(capacity) { }
    /*
     * Text kept a page at a time in pages[0 .. max_pages), each taken from `allocate`
     * when the text reaches it; the caller frees them. A failed allocation ends the text
     * as running out of room does, and out_of_memory() says so.
     */
    TextBuffer(char** pages, size_t max_pages, PageAllocator allocate)
        : m_buf(nullptr), m_capacity(max_pages * PAGE), m_pages(pages), m_allocate(allocate) { }

    void printf(const char* fmt, ...) __printf(2, 3);
    void write(const char* s, size_t n);
    size_t length() const { return m_length; }
    bool overflowed() const { return m_overflow; }
    bool out_of_memory() const { return m_out_of_memory; }
private:
    char* m_buf;
    size_t m_capacity;
    size_t m_length = 0;
    bool m_overflow = false;
    char** m_pages = nullptr;
    PageAllocator m_allocate = nullptr;
    bool m_out_of_memory = false;
};

struct ProcEntry {
    const char* name;
    /* Text: fills out for `pid` (-1 for files outside /proc/PID). */
    ErrorOr<void> (*generate)(int pid, TextBuffer& out) = nullptr;
    /* Binary: n bytes from offset into buf; how many. */
    ErrorOr<size_t> (*read_at)(int pid, u64 offset, void* buf, size_t n) = nullptr;
    /* A symbolic link: its target for `pid`, a string that outlives the path walk; null: ENOENT. */
    const char* (*link)(int pid) = nullptr;
};

/* /proc/NAME */
void proc_register(const ProcEntry& entry);
/* /proc/sysvipc/NAME */
void proc_register_sysvipc(const ProcEntry& entry);
/* /proc/PID/NAME for every process */
void proc_register_per_process(const ProcEntry& entry);

/*
 * The process table, as /proc sees it: whether a pid exists, the pid after `after` (for
 * listing; -1 at the end), and the caller's pid (for /proc/self).
 */
struct ProcessDirectory {
    bool (*exists)(int pid);
    int (*next)(int after);
    int (*self)();
};
void proc_set_process_directory(const ProcessDirectory& directory);

/*
 * /proc/sys/vm/NAME, a setting as text: generated at open for reads, and written whole by
 * `write` (which returns EINVAL for text it does not take). fs/proc_sys.cpp.
 */
struct ProcSysEntry {
    const char* name;
    ErrorOr<void> (*generate)(int pid, TextBuffer& out);
    ErrorOr<void> (*write)(const char* text);
};
void proc_register_sys_vm(const ProcSysEntry& entry);
class Node;
const Node* proc_sys_directory();          /* /proc/sys */

/* The swap lines of /proc/meminfo, in pages; 0 until swap sets a source. */
struct SwapTotals {
    u32 total_pages;
    u32 free_pages;
    u32 cached_pages;           /* in the swap cache */
};
void meminfo_set_swap_source(SwapTotals (*source)());

} // namespace fs
