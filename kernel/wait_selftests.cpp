/*
 * Self-tests of waiting: a kernel thread waits for a mutex, a swap slot or the disk
 * channel that the test holds, is sent SIGKILL, and must go on waiting (state D) without
 * spinning, then finish once the test lets go. An interruptible wait ends at the signal.
 */
#include <arch/interrupts.h>
#include <drivers/ata_channel.h>
#include <drivers/timer.h>
#include <kernel/ktest.h>
#include <kernel/task.h>
#include <mm/swap.h>

namespace {

/* What a waiting thread did, for the test to look at. */
struct Waiter {
    volatile int stage = 0;             /* 1: about to wait; 2: got through */
    WaitResult result = WaitResult::Done;
};

/* Lets every runnable task run until it sleeps or exits (the idle task cannot sleep). */
void let_others_run()
{
    for (int i = 0; i < 4; i++)
        schedule();
}

/* Runs `fn` in a thread, sends it SIGKILL while it waits, and checks that it still waits. */
template <typename Release>
void kill_while_waiting(ktest::Context& ktest_ctx, void (*fn)(void*), Waiter& w, Release release)
{
    Task* t = kernel_thread(fn, &w, "waiter");
    ASSERT_TRUE(t != nullptr);
    let_others_run();
    EXPECT_EQ(w.stage, 1);
    EXPECT_TRUE(t->state == TaskState::DiskSleep);
    send_signal(*t, SIGKILL);
    u32 start = jiffies;
    let_others_run();
    /* Still waiting, and the machine still runs: the clock moves and we got here. */
    EXPECT_TRUE(t->state == TaskState::DiskSleep);
    EXPECT_EQ(w.stage, 1);
    while (jiffies == start)
        arch::safe_halt();
    release();
    let_others_run();
    EXPECT_EQ(w.stage, 2);
    EXPECT_TRUE(reap_kernel_thread(t));
}

Mutex test_mutex;

void lock_mutex(void* arg)
{
    auto& w = *static_cast<Waiter*>(arg);
    w.stage = 1;
    MutexLocker locker(test_mutex);
    w.stage = 2;
}

mm::SwapInfo slot_area;
u8 slot_counts[8];
u8 slot_lockmap[1];

void lock_swap_slot(void* arg)
{
    auto& w = *static_cast<Waiter*>(arg);
    w.stage = 1;
    mm::lock_slot(slot_area, 3);
    w.stage = 2;
    mm::unlock_slot(slot_area, 3);
}

void acquire_channel(void* arg)
{
    auto& w = *static_cast<Waiter*>(arg);
    w.stage = 1;
    if (ata::channel(0).acquire()) {
        w.stage = 2;
        ata::channel(0).release();
    }
}

WaitQueue never;

void wait_interruptibly(void* arg)
{
    auto& w = *static_cast<Waiter*>(arg);
    w.stage = 1;
    w.result = wait_event(never, Interruptible::Yes, [] { return false; });
    w.stage = 2;
}

} // namespace

KTEST(wait, sigkill_to_a_mutex_waiter)
{
    Waiter w;
    test_mutex.lock();
    kill_while_waiting(ktest_ctx, lock_mutex, w, [] { test_mutex.unlock(); });
    EXPECT_FALSE(test_mutex.is_locked());
}

KTEST(wait, sigkill_to_a_swap_slot_waiter)
{
    Waiter w;
    slot_area.map = mm::SwapMap(slot_counts, slot_lockmap, mm::SwapHeader { mm::SwapVersion::V1, 8, 7, 1, 7 });
    mm::lock_slot(slot_area, 3);
    kill_while_waiting(ktest_ctx, lock_swap_slot, w, [] { mm::unlock_slot(slot_area, 3); });
    EXPECT_EQ(slot_lockmap[0], 0);
}

KTEST(wait, sigkill_to_a_disk_channel_waiter)
{
    Waiter w;
    ASSERT_TRUE(ata::channel(0).acquire());
    kill_while_waiting(ktest_ctx, acquire_channel, w, [] { ata::channel(0).release(); });
}

KTEST(wait, a_signal_ends_an_interruptible_wait)
{
    Waiter w;
    Task* t = kernel_thread(wait_interruptibly, &w, "waiter");
    ASSERT_TRUE(t != nullptr);
    let_others_run();
    EXPECT_EQ(w.stage, 1);
    EXPECT_TRUE(t->state == TaskState::Sleeping);
    send_signal(*t, SIGKILL);
    let_others_run();
    EXPECT_EQ(w.stage, 2);
    EXPECT_TRUE(w.result == WaitResult::Interrupted);
    EXPECT_TRUE(reap_kernel_thread(t));
}

KTEST(wait, a_deadline_ends_a_wait)
{
    u32 start = jiffies;
    /* The idle task cannot sleep, so a thread does the waiting. */
    static Waiter w;
    w = Waiter();
    Task* t = kernel_thread([](void*) {
        WaitQueue nobody;
        w.stage = 1;
        w.result = wait_event(nobody, Interruptible::No, [] { return false; }, jiffies + 3);
        w.stage = 2;
    }, nullptr, "sleeper");
    ASSERT_TRUE(t != nullptr);
    while (w.stage != 2 && jiffies - start < 100) {
        let_others_run();
        arch::safe_halt();
    }
    EXPECT_EQ(w.stage, 2);
    EXPECT_TRUE(w.result == WaitResult::TimedOut);
    EXPECT_GE(jiffies - start, 3u);
    EXPECT_TRUE(reap_kernel_thread(t));
}
