/*
 * The clocks as Linux's i386 system calls see them. CLOCK_REALTIME is the CMOS clock's
 * time at boot plus the ticks since, until settimeofday or clock_settime moves it; the
 * monotonic clocks are the ticks since boot; the CPU-time clocks the caller's ticks.
 */
#pragma once

#include <kernel/timeout.h>           /* struct Timespec */
#include <kernel/types.h>

/* struct timeval and struct timezone of i386: two 32-bit fields each. */
struct TwoWords {
    i32 first, second;
};

constexpr int CLOCK_REALTIME = 0;

/* A clock id that clock_gettime accepts (Linux's 0..7; no per-process CPU clocks). */
bool clock_id_valid(int clock);
/* The clock's time now; `clock` is valid. */
Timespec clock_now(int clock);
/* Seconds since 1970 at boot (jiffies == 0) by the real-time clock as it now stands. */
i32 boot_time();
/* The timezone settimeofday last set (minutes west of Greenwich, DST type). */
void current_timezone(i32& minuteswest, i32& dsttime);
