/*
 * Timeouts of the system calls that wait (poll, select, futex, sigtimedwait, itimers):
 * Linux's 32-bit time structures and their conversion to jiffies deadlines for
 * wait_event.
 */
#pragma once

#include <drivers/timer.h>
#include <kernel/types.h>

struct Timespec {
    i32 sec, nsec;
};

struct Timeval {
    i32 sec, usec;
};

constexpr u32 TICK_NSEC = 1000000000 / HZ;
/* Longer waits are cut to this, over 120 days: a deadline must stay within 2^31 ticks. */
constexpr u32 MAX_WAIT_TICKS = 1u << 30;

/* Linux's timespec64_valid. */
inline bool timespec_valid(const Timespec& t)
{
    return t.sec >= 0 && t.nsec >= 0 && t.nsec < 1000000000;
}

/*
 * The ticks a wait of sec seconds and nsec nanoseconds takes: rounded up, plus one for
 * the tick already under way, so that it never ends early.
 */
inline u32 ticks_covering(u32 sec, u32 nsec)
{
    if (sec >= MAX_WAIT_TICKS / HZ)
        return MAX_WAIT_TICKS;
    return sec * HZ + (nsec + TICK_NSEC - 1) / TICK_NSEC + 1;
}

/* The jiffies deadline `ticks` from now, never 0 (which means none to wait_event). */
inline u32 deadline_in(u32 ticks)
{
    u32 d = jiffies + ticks;
    return d ? d : 1;
}

/* The ticks until `deadline`; 0 once it has passed. */
inline u32 ticks_until(u32 deadline)
{
    i32 left = i32(deadline - jiffies);
    return left > 0 ? u32(left) : 0;
}

inline Timespec timespec_from_ticks(u32 ticks)
{
    return { i32(ticks / HZ), i32((ticks % HZ) * TICK_NSEC) };
}

inline Timeval timeval_from_ticks(u32 ticks)
{
    return { i32(ticks / HZ), i32((ticks % HZ) * (TICK_NSEC / 1000)) };
}

/* The clock's time now (kernel/time.h). */
Timespec clock_now(int clock);
