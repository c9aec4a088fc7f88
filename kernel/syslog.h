/*
 * syslog [103]: the kernel log (printk's ring, kernel/printk.h) in syslog's format, a line
 * "<level>text\n" for each message line. The ring keeps the text alone, as gdb's k-dmesg
 * shows it; the level of each line is kept here.
 */
#pragma once

#include <kernel/types.h>

/* printk's part: a line of the given level starts at log position pos. Interrupts off. */
void log_line_start(u32 pos, int level);
/* printk's part: text was logged; syslog's READ may go on. */
void log_wake_readers();
