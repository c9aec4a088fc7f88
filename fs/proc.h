/*
 * /proc: files that the kernel generates. Text files are generated whole when they are
 * opened (so a reader sees one consistent snapshot); binary, seekable files such as
 * pagemap are read at an offset on each read.
 */
#pragma once

#include <kernel/types.h>

namespace fs {

/* Where a text generator writes; formats like printk and never overflows. */
class TextBuffer {
public:
    TextBuffer(char* buf, size_t capacity) : m_buf(buf), m_capacity(capacity) { }
    void printf(const char* fmt, ...) __printf(2, 3);
    size_t length() const { return m_length; }
    bool overflowed() const { return m_overflow; }
private:
    char* m_buf;
    size_t m_capacity;
    size_t m_length = 0;
    bool m_overflow = false;
};

struct ProcEntry {
    const char* name;
    /* Text: fills out for `pid` (-1 for files outside /proc/PID); 0 or -errno. */
    long (*generate)(int pid, TextBuffer& out) = nullptr;
    /* Binary: n bytes from offset into buf; bytes or -errno. */
    long (*read_at)(int pid, u64 offset, void* buf, size_t n) = nullptr;
};

/* /proc/NAME */
void proc_register(const ProcEntry& entry);
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

} // namespace fs
