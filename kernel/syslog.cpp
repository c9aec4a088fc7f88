/* The kernel log and syslog [103] (kernel/syslog.h). */
#include <arch/interrupts.h>
#include <kernel/errno.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <kernel/syslog.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>

namespace {

/*
 * Positions count every byte ever logged; byte p is at syslog_buf[p % SYSLOG_BUF_LEN]. Text
 * older than syslog_end - SYSLOG_BUF_LEN is gone, and the read positions move up with it.
 */
char syslog_buf[SYSLOG_BUF_LEN];
u32 syslog_end;
u32 read_start;                         /* what syslog's READ (2) has not yet taken */
u32 clear_start;                        /* where READ_ALL (3) starts: CLEAR (5) moves it */
bool at_line_start = true;
WaitQueue log_wait;                     /* READ waits here for text */
int saved_console_loglevel = -1;        /* CONSOLE_OFF's, for CONSOLE_ON */

void put(char c)
{
    syslog_buf[syslog_end % SYSLOG_BUF_LEN] = c;
    syslog_end++;
    u32 oldest = syslog_end - SYSLOG_BUF_LEN;
    if (syslog_end > SYSLOG_BUF_LEN) {
        if (i32(read_start - oldest) < 0)
            read_start = oldest;
        if (i32(clear_start - oldest) < 0)
            clear_start = oldest;
    }
}

void store(void* level, const char* s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (at_line_start) {
            put('<');
            put(char('0' + *static_cast<int*>(level)));
            put('>');
        }
        put(s[i]);
        at_line_start = s[i] == '\n';
    }
}

/* Copies the log's bytes [from, from + n) to the user; EFAULT if the buffer is bad. */
ErrorOr<void> copy_out(Userspace<char*> to, u32 from, u32 n)
{
    while (n) {
        u32 at = from % SYSLOG_BUF_LEN;
        u32 piece = SYSLOG_BUF_LEN - at < n ? SYSLOG_BUF_LEN - at : n;
        TRY(copy_to_user(Userspace<void*>(to), syslog_buf + at, piece));
        to = to.offset(piece);
        from += piece;
        n -= piece;
    }
    return {};
}

/* The newest whole lines since clear_start that fit in len bytes. */
ErrorOr<int> read_all(Userspace<char*> buf, u32 len)
{
    u32 end = syslog_end, start = clear_start;
    if (end - start > len) {
        start = end - len;
        /* Start on a line: a cut record would lose its level. */
        while (start != end && syslog_buf[(start - 1) % SYSLOG_BUF_LEN] != '\n')
            start++;
    }
    TRY(copy_out(buf, start, end - start));
    return int(end - start);
}

} // namespace

void log_store(int level, const char* fmt, va_list ap)
{
    arch::InterruptDisabler guard;
    kfmt::vformat(store, &level, fmt, ap);
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
            if (wait_event(log_wait, Interruptible::Yes, [] { return read_start != syslog_end; })
                == WaitResult::Interrupted)
                return Error::from_errno(EINTR);
            u32 n = syslog_end - read_start < u32(len) ? syslog_end - read_start : u32(len);
            u32 from = read_start;
            read_start += n;
            TRY(copy_out(buf, from, n));
            return int(n);
        } else {
            int n = TRY(read_all(buf, u32(len)));
            if (type == READ_CLEAR)
                clear_start = syslog_end;
            return n;
        }
    case CLEAR:
        clear_start = syslog_end;
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
        return int(syslog_end - read_start);
    case SIZE_BUFFER:
        return int(SYSLOG_BUF_LEN);
    default:
        return Error::from_errno(EINVAL);
    }
}
