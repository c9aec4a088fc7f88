/* syslog [103]: the kernel log in syslog's format (kernel/syslog.h). */
#include <arch/interrupts.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <kernel/syslog.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/page_holder.h>

namespace {

/*
 * Where the last NR_LINES lines start in the log, and their levels: line i at
 * line_pos[i % NR_LINES]. An older line, or text whose line start has left the ring,
 * reads as the default level, 4.
 */
constexpr u32 NR_LINES = 1024;
constexpr int default_level = 4;
u32 line_pos[NR_LINES];
u8 line_level[NR_LINES];
u32 nr_lines;

/* Log positions, as log_end counts them. */
u32 read_start;                         /* what READ (2) has not yet taken */
u32 clear_start;                        /* where READ_ALL (3) starts: CLEAR (5) moves it */
WaitQueue log_wait;                     /* READ waits here for text */
int saved_console_loglevel = -1;        /* CONSOLE_OFF's, for CONSOLE_ON */

u32 oldest() { return log_end > LOG_BUF_LEN ? log_end - LOG_BUF_LEN : 0; }

/* A position, moved up to the oldest text the ring still has. */
u32 kept(u32 pos)
{
    u32 o = oldest();
    return i32(pos - o) < 0 ? o : pos;
}

/*
 * Hands syslog's text of the log positions [from, to) to put(s, n) in pieces, a line's
 * "<level>" with its first character, until put refuses one. The position reached.
 * Interrupts off.
 */
template <typename Put>
u32 walk_locked(u32 from, u32 to, Put put)
{
    u32 line = nr_lines > NR_LINES ? nr_lines - NR_LINES : 0;
    while (line < nr_lines && i32(line_pos[line % NR_LINES] - from) < 0)
        line++;
    u32 p = from;
    for (; p != to; p++) {
        char piece[4];
        size_t n = 0;
        bool starts = line < nr_lines && line_pos[line % NR_LINES] == p;
        /* The oldest text may be the end of a line whose start is gone. */
        if (starts || (p == from && p == oldest() && p)) {
            piece[n++] = '<';
            piece[n++] = char('0' + (starts ? line_level[line % NR_LINES] : default_level));
            piece[n++] = '>';
        }
        if (starts)
            line++;
        piece[n++] = log_buf[p % LOG_BUF_LEN];
        if (!put(piece, n))
            break;
    }
    return p;
}

/* The length of syslog's text of [from, to). */
u32 text_length(u32 from, u32 to)
{
    arch::InterruptDisabler guard;
    u32 length = 0;
    walk_locked(from, to, [&length](const char*, size_t n) {
        length += u32(n);
        return true;
    });
    return length;
}

/*
 * Copies syslog's text from `from` on, up to the log's end and `len` bytes, to the user;
 * the bytes copied, and in `reached` the position after the text they hold.
 */
ErrorOr<u32> copy_out(Userspace<char*> buf, u32 len, u32 from, u32& reached)
{
    mm::PageHolder page = transfer_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    char* staging = page.as_ptr<char>();
    u32 done = 0;
    reached = from;
    for (;;) {
        u32 filled = 0;
        u32 room = len - done < PAGE_SIZE ? len - done : PAGE_SIZE;
        {
            arch::InterruptDisabler guard;
            reached = walk_locked(kept(reached), log_end, [&](const char* s, size_t n) {
                if (filled + n > room)
                    return false;
                for (size_t i = 0; i < n; i++)
                    staging[filled++] = s[i];
                return true;
            });
        }
        if (!filled)
            return done;
        TRY(copy_to_user(Userspace<void*>(buf.offset(done)), staging, filled));
        done += filled;
    }
}

/* The position after the line that `pos` is in (or the log's end). */
u32 next_line(u32 pos)
{
    arch::InterruptDisabler guard;
    while (pos != log_end && log_buf[pos % LOG_BUF_LEN] != '\n')
        pos++;
    return pos == log_end ? pos : pos + 1;
}

/* The newest whole lines since clear_start that fit in len bytes. */
ErrorOr<int> read_all(Userspace<char*> buf, u32 len)
{
    u32 start = kept(clear_start), end = log_end;
    u32 total = text_length(start, end);
    while (total > len) {
        u32 next = next_line(start);
        total -= text_length(start, next);
        start = next;
    }
    u32 reached;
    return int(TRY(copy_out(buf, total, start, reached)));
}

} // namespace

void log_line_start(u32 pos, int level)
{
    line_pos[nr_lines % NR_LINES] = pos;
    line_level[nr_lines % NR_LINES] = u8(level);
    nr_lines++;
}

void log_wake_readers()
{
    if (log_wait.head)
        wake_up(log_wait);
}

ErrorOr<int> sys_syslog(int type, Userspace<char*> buf, int len)
{
    enum { CLOSE, OPEN, READ, READ_ALL, READ_CLEAR, CLEAR, CONSOLE_OFF, CONSOLE_ON,
           CONSOLE_LEVEL, SIZE_UNREAD, SIZE_BUFFER };
    switch (type) {
    case CLOSE:
    case OPEN:
        return 0;
    case READ:
    case READ_ALL:
    case READ_CLEAR:
        if (buf.is_null() || len < 0)
            return Error::from_errno(EINVAL);
        if (!len)
            return 0;
        if (!user_range_ok(buf, u32(len)))
            return Error::from_errno(EFAULT);
        if (type == READ) {
            if (wait_event(log_wait, Interruptible::Yes, [] { return kept(read_start) != log_end; })
                == WaitResult::Interrupted)
                return Error::from_errno(EINTR);
            u32 reached;
            u32 n = TRY(copy_out(buf, u32(len), kept(read_start), reached));
            read_start = reached;
            return int(n);
        } else {
            int n = TRY(read_all(buf, u32(len)));
            if (type == READ_CLEAR)
                clear_start = log_end;
            return n;
        }
    case CLEAR:
        clear_start = log_end;
        return 0;
    case CONSOLE_OFF:
        if (saved_console_loglevel < 0)
            saved_console_loglevel = console_loglevel;
        console_loglevel = 1;           /* Linux's minimum_console_loglevel: panics still show */
        return 0;
    case CONSOLE_ON:
        if (saved_console_loglevel >= 0) {
            console_loglevel = saved_console_loglevel;
            saved_console_loglevel = -1;
        }
        return 0;
    case CONSOLE_LEVEL:
        if (len < 1 || len > 8)
            return Error::from_errno(EINVAL);
        console_loglevel = len;
        saved_console_loglevel = -1;
        return 0;
    case SIZE_UNREAD:
        return int(text_length(kept(read_start), log_end));
    case SIZE_BUFFER:
        return int(LOG_BUF_LEN);
    default:
        return Error::from_errno(EINVAL);
    }
}
