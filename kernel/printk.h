/*
 * Kernel messages. A message may start with a level (KERN_ERR "..."), as in Linux; it
 * reaches the consoles when its level is below console_loglevel (loglevel= on the command
 * line). Messages without a level are KERN_WARNING's level, 4.
 */
#pragma once

#include <kernel/types.h>
#include <stdarg.h>

#define KERN_SOH        "\001"
#define KERN_EMERG      KERN_SOH "0"
#define KERN_ALERT      KERN_SOH "1"
#define KERN_CRIT       KERN_SOH "2"
#define KERN_ERR        KERN_SOH "3"
#define KERN_WARNING    KERN_SOH "4"
#define KERN_NOTICE     KERN_SOH "5"
#define KERN_INFO       KERN_SOH "6"
#define KERN_DEBUG      KERN_SOH "7"

extern int console_loglevel;

/* The kernel log ring (printk.cpp says how to read it). */
constexpr u32 LOG_BUF_LEN = 16384;
extern char log_buf[LOG_BUF_LEN];
extern u32 log_end;

void printk(const char* fmt, ...) __printf(1, 2);
void vprintk(const char* fmt, va_list ap);

/* Level prefix of a message: the level (0..7) and the text after it. */
int printk_level(const char*& fmt);

[[noreturn]] void panic(const char* fmt, ...) __printf(1, 2);

/* Prints the call chain starting at the given frame pointer, one function per line. */
void show_backtrace(u32 ebp);
void show_backtrace();
