#include <arch/interrupts.h>
#include <drivers/power.h>
#include <kernel/console.h>
#include <kernel/format.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/syslog.h>
#include <kernel/uaccess.h>

int console_loglevel = 7;

/*
 * The kernel log: every message, whatever its level, in a ring that keeps the last
 * LOG_BUF_LEN characters. log_end counts every character ever logged, so the text is
 * log_buf[(log_end - n) % LOG_BUF_LEN ...] for n up to min(log_end, LOG_BUF_LEN). gdb's
 * k-dmesg reads it from a stopped kernel.
 */
char log_buf[LOG_BUF_LEN];
u32 log_end;

namespace {
constexpr int default_message_level = 4;

/* The level of the message being written, for the lines it starts (syslog's "<level>"). */
int message_level = default_message_level;
bool at_line_start = true;

void write_console(void*, const char* s, size_t n) { console_write(s, n); }

void write_log(void*, const char* s, size_t n)
{
    arch::InterruptDisabler guard;      /* an interrupt's message cannot tear this piece */
    for (size_t i = 0; i < n; i++) {
        if (at_line_start)
            log_line_start(log_end, message_level);
        at_line_start = s[i] == '\n';
        log_buf[log_end++ % LOG_BUF_LEN] = s[i];
    }
}

void write_log_and_console(void*, const char* s, size_t n)
{
    write_log(nullptr, s, n);
    console_write(s, n);
}
} // namespace

int printk_level(const char*& fmt)
{
    if (fmt[0] == KERN_SOH[0] && fmt[1] >= '0' && fmt[1] <= '7') {
        int level = fmt[1] - '0';
        fmt += 2;
        return level;
    }
    return default_message_level;
}

void vprintk(const char* fmt, va_list ap)
{
    int level = printk_level(fmt);
    message_level = level;
    kfmt::vformat(level < console_loglevel ? write_log_and_console : write_log, nullptr, fmt, ap);
    log_wake_readers();
}

void printk(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void show_backtrace(u32 ebp)
{
    console_print("Call trace:\n");
    for (int depth = 0; ebp && depth < 24; depth++) {
        u32 next, ret;
        if ((ebp & 3) || !probe_read_u32(ebp, next) || !probe_read_u32(ebp + 4, ret))
            break;
        print_symbol(" ", ret);
        if (next <= ebp)        /* stacks grow down: the caller's frame is above ours */
            break;
        ebp = next;
    }
}

void show_backtrace()
{
    show_backtrace(u32(__builtin_frame_address(0)));
}

void panic(const char* fmt, ...)
{
    arch::cli();
    va_list ap;
    va_start(ap, fmt);
    console_print("Kernel panic: ");
    kfmt::vformat(write_console, nullptr, fmt, ap);
    va_end(ap);
    console_print("\n");
    show_backtrace();
    halt_after_panic();
}
