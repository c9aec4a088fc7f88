/*
 * Interval timers (setitimer, getitimer, alarm): ITIMER_REAL counts jiffies and sends
 * SIGALRM, ITIMER_VIRTUAL counts the ticks a process runs in user mode (SIGVTALRM),
 * ITIMER_PROF those in user and kernel mode (SIGPROF). Each re-arms with its interval.
 * They survive exec; a forked child starts with none, as in Linux.
 */
#pragma once

#include <kernel/types.h>

struct IntervalTimers {
    u32 real_deadline = 0;              /* jiffies at which SIGALRM is due; 0: off */
    u32 real_interval = 0;              /* ticks */
    u32 virt_left = 0, virt_interval = 0;
    u32 prof_left = 0, prof_interval = 0;
};

struct Task;
/* On every timer tick, for the task that ran it (user: whether in user mode). */
void itimer_tick(Task& running, bool user);
/* On every timer tick, for each task: fires its ITIMER_REAL when due. */
void itimer_real_check(Task& t);
