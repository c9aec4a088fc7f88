/* CPU time, the load average and the counters of kernel/kstat.h. */
#include <arch/interrupts.h>
#include <drivers/block.h>
#include <drivers/timer.h>
#include <kernel/kstat.h>
#include <kernel/task.h>

KernelStat kstat;
u32 avenrun[3];

namespace {

/* Linux's calc_load: every 5 s (and a tick), avenrun = avenrun * e + active * (1 - e). */
constexpr u32 LOAD_FREQ = 5 * HZ + 1;
constexpr u32 EXP_1 = 1884, EXP_5 = 2014, EXP_15 = 2037;     /* 1/exp(5s/1min) etc., fixed point */

u32 calc_load(u32 load, u32 exp, u32 active)
{
    u32 newload = load * exp + active * (FIXED_1 - exp);
    if (active >= load)
        newload += FIXED_1 - 1;         /* as Linux 4.x on: round up while rising */
    return newload / FIXED_1;
}

/*
 * Processes in `state`. Kernel threads count while they run; kswapd waits for work
 * uninterruptibly here (Linux's sleeps interruptibly), which must not count as load.
 */
u32 count_state(TaskState state)
{
    u32 n = 0;
    for (Task* t : task)
        if (t && t != task[0] && t->state == state && (t->mm || state == TaskState::Runnable))
            n++;
    return n;
}

u32 load_countdown = LOAD_FREQ;

} // namespace

u32 nr_running() { return count_state(TaskState::Runnable); }
u32 nr_uninterruptible() { return count_state(TaskState::DiskSleep); }

void account_tick(const TrapFrame& frame)
{
    if (current == task[0])
        (block::requests_in_flight() ? kstat.iowait : kstat.idle)++;
    else if (frame.from_user())
        kstat.user++;
    else
        kstat.system++;

    if (--load_countdown == 0) {
        load_countdown = LOAD_FREQ;
        u32 active = (nr_running() + nr_uninterruptible()) * FIXED_1;
        avenrun[0] = calc_load(avenrun[0], EXP_1, active);
        avenrun[1] = calc_load(avenrun[1], EXP_5, active);
        avenrun[2] = calc_load(avenrun[2], EXP_15, active);
    }
}
