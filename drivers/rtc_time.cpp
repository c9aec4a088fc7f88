/* The pure half of the clock: registers to seconds (host-tested in tests/rtc_time_test.cpp). */
#include <drivers/rtc.h>

namespace rtc {

namespace {

u32 from_bcd(u8 v) { return (v & 0x0F) + (v >> 4) * 10; }

/* Days from 1970-01-01 to year-mon-day (the proleptic Gregorian calendar). */
u32 days_from_civil(u32 year, u32 mon, u32 day)
{
    u32 y = mon <= 2 ? year - 1 : year;
    u32 era = y / 400, yoe = y - era * 400;
    u32 doy = (153 * (mon > 2 ? mon - 3 : mon + 9) + 2) / 5 + day - 1;
    u32 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

} // namespace

u32 seconds_since_epoch(const Registers& r)
{
    bool binary = r.status_b & RTC_DM_BINARY;
    auto value = [binary](u8 v) { return binary ? u32(v) : from_bcd(v); };
    u32 sec = value(r.sec), min = value(r.min), day = value(r.day), mon = value(r.mon);
    u32 year = value(r.year);
    /* In 12-hour mode bit 7 is PM whatever the format; 12 AM is midnight, 12 PM noon. */
    u32 hour = r.status_b & RTC_24H ? value(r.hour) : value(r.hour & 0x7F) % 12 + (r.hour & 0x80 ? 12 : 0);
    u32 century = r.century ? value(r.century) : 0;
    if (century == 19 || century == 20)
        year += century * 100;
    else
        year += year < 70 ? 2000 : 1900;
    return days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
}

} // namespace rtc
