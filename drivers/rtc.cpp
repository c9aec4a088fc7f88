/* Reading the CMOS clock's registers; drivers/rtc_time.cpp makes seconds of them. */
#include <arch/cmos.h>
#include <arch/interrupts.h>
#include <drivers/rtc.h>

namespace rtc {

namespace {

constexpr u8 RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04, RTC_DAY = 0x07;
constexpr u8 RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_STATUS_A = 0x0A, RTC_STATUS_B = 0x0B;
constexpr u8 RTC_CENTURY = 0x32;        /* where PC BIOSes and QEMU keep it (ACPI's FADT says so) */
constexpr u8 RTC_UIP = 0x80;            /* status A: an update is in progress */

/*
 * One copy of the registers; false when an update was in progress at either end (the copy
 * could mix the seconds before a carry with the minutes after). UIP goes up 244 us before
 * the registers change, so a copy that begins and ends with it clear is consistent.
 */
bool copy_registers(Registers& r)
{
    arch::InterruptDisabler guard;
    bool updating = arch::cmos_read(RTC_STATUS_A) & RTC_UIP;
    r.sec = arch::cmos_read(RTC_SECONDS);
    r.min = arch::cmos_read(RTC_MINUTES);
    r.hour = arch::cmos_read(RTC_HOURS);
    r.day = arch::cmos_read(RTC_DAY);
    r.mon = arch::cmos_read(RTC_MONTH);
    r.year = arch::cmos_read(RTC_YEAR);
    r.century = arch::cmos_read(RTC_CENTURY);
    r.status_b = arch::cmos_read(RTC_STATUS_B);
    return !updating && !(arch::cmos_read(RTC_STATUS_A) & RTC_UIP);
}

} // namespace

u32 read_seconds()
{
    /*
     * An update lasts under 2 ms and a try takes some microseconds; a clock whose UIP
     * never clears (a broken one) is read as it is after a second or so.
     */
    Registers r, again;
    for (int tries = 0; tries < 100000; tries++) {
        bool steady = copy_registers(r);
        steady = copy_registers(again) && steady;
        if (steady && r.sec == again.sec)       /* as Linux: the same second twice in a row */
            break;
    }
    return seconds_since_epoch(r);
}

} // namespace rtc
