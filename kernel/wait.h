/*
 * Wait queues: a task sleeps on one until something it waits for may have happened.
 * Sleepers re-check their condition after waking (wakeups may be spurious), and a signal
 * wakes an interruptible sleeper early.
 */
#pragma once

#include <kernel/types.h>

struct Task;

struct WaitQueue {
    Task* head = nullptr;
};

/* Sleeps until woken or signalled. Call with interrupts off, after checking the condition. */
void sleep_on(WaitQueue& queue);
/* As sleep_on, but also wakes at `deadline` (jiffies). */
void sleep_on_until(WaitQueue& queue, u32 deadline);
/* Makes every sleeper on the queue runnable. Safe from interrupt handlers. */
void wake_up(WaitQueue& queue);
