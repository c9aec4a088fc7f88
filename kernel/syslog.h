/*
 * The kernel log: every printk message, whatever its level, kept in a ring of
 * SYSLOG_BUF_LEN bytes in the syslog format ("<level>text\n" a line) for syslog [103] and
 * dmesg to read.
 */
#pragma once

#include <kernel/types.h>
#include <stdarg.h>

constexpr u32 SYSLOG_BUF_LEN = 16384;

/* Appends a message of the given level; any context, interrupts on or off. */
void log_store(int level, const char* fmt, va_list ap);
