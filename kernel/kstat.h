/*
 * What the kernel counts for /proc/stat, /proc/uptime and /proc/loadavg: CPU time by kind,
 * interrupts, context switches, forks, and the load average as Linux's calc_load keeps it.
 */
#pragma once

#include <kernel/types.h>

struct TrapFrame;

struct KernelStat {
    /* Ticks (USER_HZ = HZ = 100) by what the CPU was doing when the timer came. */
    u32 user, nice, system, idle, iowait;
    u32 irqs[16];                       /* interrupts by IRQ line */
    u32 context_switches;
    u32 forks;                          /* processes created since boot */
};
extern KernelStat kstat;

/* Fixed-point load averages over 1, 5 and 15 minutes (FSHIFT fraction bits). */
constexpr u32 FSHIFT = 11;
constexpr u32 FIXED_1 = 1u << FSHIFT;
extern u32 avenrun[3];

/* Tasks running or runnable, and in uninterruptible sleep (excluding the idle task). */
u32 nr_running();
u32 nr_uninterruptible();

/* On every timer tick: charges it to the CPU time kinds, and every 5 s updates avenrun. */
void account_tick(const TrapFrame& frame);
