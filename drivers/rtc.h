/*
 * The CMOS real-time clock (MC146818 and its successors) as Linux reads it
 * (drivers/rtc/rtc-mc146818-lib.c): the registers copied while no update runs, then turned
 * into seconds since 1970 by what status register B says of their format.
 */
#pragma once

#include <kernel/types.h>

namespace rtc {

/* Status register B's format bits. */
constexpr u8 RTC_24H = 0x02;            /* hours 0..23; without it 1..12 with bit 7 = PM */
constexpr u8 RTC_DM_BINARY = 0x04;      /* binary; without it BCD */

/* The clock's registers as read, before any conversion. */
struct Registers {
    u8 sec, min, hour, day, mon, year;
    u8 century;                         /* register 0x32; 0 when it holds nothing usable */
    u8 status_b;
};

/*
 * Seconds since 1970-01-01 00:00 UTC (QEMU's and Linux's convention: the clock keeps UTC).
 * The century comes from its register where that holds 19 or 20, otherwise as Linux
 * guesses it: years 70..99 are 19xx, 00..69 are 20xx.
 */
u32 seconds_since_epoch(const Registers& r);

/* Reads the clock now; waits for an update in progress to end. */
u32 read_seconds();

} // namespace rtc
