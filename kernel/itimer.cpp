/* Interval timers: alarm [27], setitimer [104], getitimer [105] (kernel/itimer.h). */
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/timeout.h>
#include <kernel/uaccess.h>

struct ITimerval {
    Timeval interval, value;
};

namespace {

constexpr int ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

/* A count of ticks that ran out: the signal, and the count again from its interval. */
void expire(Task& t, u32& left, u32 interval, int sig)
{
    if (left && --left == 0) {
        left = interval;
        send_signal(t, sig);
    }
}

/* A time as whole ticks, rounded up: a timer never fires early. */
u32 ticks_of(const Timeval& tv)
{
    if (u32(tv.sec) >= MAX_WAIT_TICKS / HZ)
        return MAX_WAIT_TICKS;
    u32 usec_per_tick = TICK_NSEC / 1000;
    return u32(tv.sec) * HZ + (u32(tv.usec) + usec_per_tick - 1) / usec_per_tick;
}

ITimerval get(const Task& t, int which)
{
    const IntervalTimers& it = t.itimers;
    switch (which) {
    case ITIMER_REAL: {
        u32 left = it.real_deadline ? ticks_until(it.real_deadline) : 0;
        /* Due but not yet fired: a running timer never reads as stopped. */
        if (it.real_deadline && !left)
            left = 1;
        return { timeval_from_ticks(it.real_interval), timeval_from_ticks(left) };
    }
    case ITIMER_VIRTUAL:
        return { timeval_from_ticks(it.virt_interval), timeval_from_ticks(it.virt_left) };
    default:
        return { timeval_from_ticks(it.prof_interval), timeval_from_ticks(it.prof_left) };
    }
}

void set(Task& t, int which, const ITimerval& v)
{
    IntervalTimers& it = t.itimers;
    u32 value = ticks_of(v.value), interval = ticks_of(v.interval);
    arch::InterruptDisabler guard;
    switch (which) {
    case ITIMER_REAL:
        it.real_deadline = value ? deadline_in(value) : 0;
        it.real_interval = interval;
        break;
    case ITIMER_VIRTUAL:
        it.virt_left = value;
        it.virt_interval = interval;
        break;
    default:
        it.prof_left = value;
        it.prof_interval = interval;
    }
}

bool valid(const Timeval& tv)
{
    return tv.sec >= 0 && tv.usec >= 0 && tv.usec < 1000000;
}

} // namespace

void itimer_tick(Task& t, bool user)
{
    if (user)
        expire(t, t.itimers.virt_left, t.itimers.virt_interval, SIGVTALRM);
    expire(t, t.itimers.prof_left, t.itimers.prof_interval, SIGPROF);
}

void itimer_real_check(Task& t)
{
    IntervalTimers& it = t.itimers;
    if (ticks_until(it.real_deadline))
        return;
    it.real_deadline = it.real_interval ? deadline_in(it.real_interval) : 0;
    send_signal(t, SIGALRM);
}

ErrorOr<void> sys_getitimer(int which, Userspace<ITimerval*> to)
{
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return Error::from_errno(EINVAL);
    return copy_to_user(to, get(*current, which));
}

ErrorOr<void> sys_setitimer(int which, Userspace<const ITimerval*> from, Userspace<ITimerval*> old)
{
    if (which < ITIMER_REAL || which > ITIMER_PROF)
        return Error::from_errno(EINVAL);
    /* As Linux, no new value is a stopped timer. */
    ITimerval next = { };
    if (!from.is_null())
        TRY(copy_from_user(next, from));
    if (!valid(next.value) || !valid(next.interval))
        return Error::from_errno(EINVAL);
    ITimerval was = get(*current, which);
    set(*current, which, next);
    if (!old.is_null())
        TRY(copy_to_user(old, was));
    return {};
}

/* The seconds that were left, rounded to the nearest, and never 0 for a running alarm. */
long sys_alarm(u32 seconds)
{
    ITimerval was = get(*current, ITIMER_REAL);
    ITimerval next = { };
    next.value.sec = seconds > u32(INT32_MAX) ? INT32_MAX : i32(seconds);
    set(*current, ITIMER_REAL, next);
    long left = was.value.sec;
    if ((!left && was.value.usec) || was.value.usec >= 500000)
        left++;
    return left;
}
