/*
 * Waiting: wait queues, one wait primitive that takes the condition, and a sleeping mutex.
 *
 * A task waits with wait_event(queue, how, condition): the condition is tested with
 * interrupts off, and the task sleeps on the queue until it holds, so a wake_up between
 * the test and the sleep cannot be missed. Wakeups may be spurious: the condition is
 * tested again after each. An interruptible wait (Linux's TASK_INTERRUPTIBLE, `S` in ps)
 * also ends when a signal is pending; an uninterruptible one (TASK_UNINTERRUPTIBLE, `D`)
 * ends only when the condition holds or its deadline passes, whatever is sent to the task.
 * Waits for a disk or a swap slot are uninterruptible, as in Linux: a transfer in flight
 * cannot be abandoned.
 */
#pragma once

#include <arch/interrupts.h>
#include <kernel/types.h>

struct Task;
struct PollEntry;

/*
 * Tasks sleeping on the queue, and the poll/select calls watching it (kernel/poll.h): a
 * task polls many queues at once, so it cannot sleep on each; wake_up tells its entries.
 */
struct WaitQueue {
    Task* head = nullptr;
    PollEntry* pollers = nullptr;
};

/* Killable: uninterruptible, except that SIGKILL ends it (Linux's TASK_KILLABLE). */
enum class Interruptible : u8 { No, Yes, Killable };
enum class WaitResult : u8 { Done, Interrupted, TimedOut };

/*
 * One sleep on the queue, until woken (by wake_up, a signal if interruptible, or the
 * deadline in jiffies; 0 for none). Interrupts off. The building block of wait_event.
 */
void sleep_on_once(WaitQueue& queue, Interruptible how, u32 deadline);
/* Why a wait must end without its condition, if it must. Interrupts off. */
bool wait_must_end(Interruptible how, u32 deadline, WaitResult& why);
/* Makes every sleeper on the queue runnable, and its pollers. Safe from interrupt handlers. */
void wake_up(WaitQueue& queue);

/*
 * Sleeps on `queue` until `condition()` is true (Done), a signal is pending and the wait
 * is interruptible (Interrupted), or `deadline` passes (TimedOut; 0 for none). The
 * condition runs with interrupts off and may take what it found (set a lock bit, say),
 * so that nothing comes between finding and taking.
 */
template <typename Condition>
WaitResult wait_event(WaitQueue& queue, Interruptible how, Condition condition, u32 deadline = 0)
{
    arch::InterruptDisabler guard;
    for (;;) {
        if (condition())
            return WaitResult::Done;
        WaitResult why;
        if (wait_must_end(how, deadline, why))
            return why;
        sleep_on_once(queue, how, deadline);
    }
}

/*
 * A lock held across sleeps (a disk transfer, say). lock() waits uninterruptibly;
 * try_lock() never waits. Not for interrupt handlers.
 */
class Mutex {
public:
    void lock()
    {
        wait_event(m_queue, Interruptible::No, [this] { return try_lock_locked(); });
    }
    bool try_lock()
    {
        arch::InterruptDisabler guard;
        return try_lock_locked();
    }
    void unlock()
    {
        arch::InterruptDisabler guard;
        m_locked = false;
        wake_up(m_queue);
    }
    bool is_locked() const { return m_locked; }

private:
    bool try_lock_locked()
    {
        if (m_locked)
            return false;
        m_locked = true;
        return true;
    }

    volatile bool m_locked = false;
    WaitQueue m_queue;
};

class MutexLocker {
public:
    explicit MutexLocker(Mutex& mutex) : m_mutex(mutex) { m_mutex.lock(); }
    ~MutexLocker() { m_mutex.unlock(); }
    MutexLocker(const MutexLocker&) = delete;
    MutexLocker& operator=(const MutexLocker&) = delete;

private:
    Mutex& m_mutex;
};
