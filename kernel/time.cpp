/* The clocks (kernel/time.h) and the system calls that set CLOCK_REALTIME. */
#include <drivers/rtc.h>
#include <drivers/timer.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>

namespace {

constexpr i32 NSEC_PER_SEC = 1000000000;
constexpr i32 NSEC_PER_TICK = NSEC_PER_SEC / HZ;

/*
 * CLOCK_REALTIME at jiffies == 0. Setting the clock moves this, not the ticks, so the
 * monotonic clocks and every sleep on them go on undisturbed, as in Linux.
 */
Timespec realtime_at_boot;
i32 tz_minuteswest, tz_dsttime;
bool timezone_set;

constexpr int CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
constexpr int CLOCK_REALTIME_COARSE = 5;

Timespec from_ticks(u32 ticks)
{
    return { i32(ticks / HZ), i32(ticks % HZ) * NSEC_PER_TICK };
}

Timespec add(Timespec a, Timespec b)
{
    a.sec += b.sec;
    a.nsec += b.nsec;
    if (a.nsec >= NSEC_PER_SEC) {
        a.nsec -= NSEC_PER_SEC;
        a.sec++;
    }
    return a;
}

/* Makes `t` CLOCK_REALTIME's time now. */
void set_realtime(Timespec t)
{
    Timespec since_boot = from_ticks(jiffies);
    t.sec -= since_boot.sec;
    t.nsec -= since_boot.nsec;
    if (t.nsec < 0) {
        t.nsec += NSEC_PER_SEC;
        t.sec--;
    }
    realtime_at_boot = t;
}

/*
 * Linux asks for CAP_SYS_TIME; every process here runs as root (getuid is 0 for all), so
 * the check has nobody to refuse yet.
 */
bool may_set_time()
{
    return sys_getuid() == 0;
}

} // namespace

void time_init()
{
    realtime_at_boot = { i32(rtc::read_seconds()), 0 };
    set_realtime(realtime_at_boot);     /* the ticks before this call are already in it */
}

u32 read_rtc()
{
    return rtc::read_seconds();
}

bool clock_id_valid(int clock)
{
    return clock >= 0 && clock <= 7;
}

Timespec clock_now(int clock)
{
    if (clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID)
        return from_ticks(current->utime + current->stime);
    Timespec uptime = from_ticks(jiffies);
    if (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)
        return add(realtime_at_boot, uptime);
    return uptime;                      /* MONOTONIC, its RAW and COARSE forms, BOOTTIME */
}

u32 real_time_seconds()
{
    return u32(clock_now(CLOCK_REALTIME).sec);
}

i32 boot_time()
{
    return realtime_at_boot.sec;
}

void current_timezone(i32& minuteswest, i32& dsttime)
{
    minuteswest = tz_minuteswest;
    dsttime = tz_dsttime;
}

ErrorOr<void> sys_clock_settime(int clock, Userspace<const Timespec*> from)
{
    if (!clock_id_valid(clock))
        return Error::from_errno(EINVAL);
    Timespec t;
    TRY(copy_from_user(t, from));
    /* Only CLOCK_REALTIME can be set; a time before 1970 or a bad nsec is refused. */
    if (clock != CLOCK_REALTIME || t.sec < 0 || t.nsec < 0 || t.nsec >= NSEC_PER_SEC)
        return Error::from_errno(EINVAL);
    if (!may_set_time())
        return Error::from_errno(EPERM);
    set_realtime(t);
    return {};
}

/* As Linux's settimeofday: either part may be NULL; the timezone is only remembered. */
ErrorOr<void> sys_settimeofday(Userspace<const TwoWords*> tv_addr, Userspace<const TwoWords*> tz_addr)
{
    TwoWords tv = { }, tz = { };
    if (!tv_addr.is_null()) {
        TRY(copy_from_user(tv, tv_addr));
        if (tv.first < 0 || tv.second < 0 || tv.second >= 1000000)
            return Error::from_errno(EINVAL);
    }
    if (!tz_addr.is_null()) {
        TRY(copy_from_user(tz, tz_addr));
        if (tz.first < -15 * 60 || tz.first > 15 * 60)
            return Error::from_errno(EINVAL);
    }
    if (!may_set_time())
        return Error::from_errno(EPERM);
    if (!tz_addr.is_null()) {
        tz_minuteswest = tz.first;
        tz_dsttime = tz.second;
        /*
         * As Linux's timekeeping_warp_clock: the first timezone set without a time says
         * that the CMOS clock kept local time (hwclock --systz), so the clock moves to UTC.
         */
        if (!timezone_set && tv_addr.is_null() && tz.first != 0)
            realtime_at_boot.sec += tz.first * 60;
        timezone_set = true;
    }
    if (!tv_addr.is_null())
        set_realtime({ tv.first, tv.second * 1000 });
    return {};
}
