/*
 * Self-tests of poll tables: a thread watching two queues sleeps until either is woken,
 * a queue is watched once however often it is named, and a table leaves its queues.
 */
#include <kernel/ktest.h>
#include <kernel/poll.h>
#include <kernel/task.h>

namespace {

struct Watcher {
    WaitQueue a, b;
    volatile int stage = 0;             /* 1: asleep on the table; 2: woken */
    WaitResult result = WaitResult::TimedOut;
};

void let_others_run()
{
    for (int i = 0; i < 4; i++)
        schedule();
}

void watch_both(void* arg)
{
    Watcher& w = *static_cast<Watcher*>(arg);
    PollTable table(current);
    table.watch(w.a);
    table.watch(w.b);
    WaitQueue own;
    w.stage = 1;
    w.result = wait_event(own, Interruptible::Yes, [&table] { return table.triggered; });
    w.stage = 2;
}

} // namespace

KTEST(poll, a_wake_up_of_either_queue_ends_the_wait)
{
    static Watcher w;
    for (int which = 0; which < 2; which++) {
        w.stage = 0;
        Task* t = kernel_thread(watch_both, &w, "poller");
        ASSERT_TRUE(t != nullptr);
        let_others_run();
        EXPECT_EQ(w.stage, 1);
        EXPECT_TRUE(t->state == TaskState::Sleeping);
        wake_up(which ? w.b : w.a);
        let_others_run();
        EXPECT_EQ(w.stage, 2);
        EXPECT_TRUE(w.result == WaitResult::Done);
        EXPECT_TRUE(reap_kernel_thread(t));
        /* The table is gone, and with it the queues' pollers. */
        EXPECT_TRUE(w.a.pollers == nullptr);
        EXPECT_TRUE(w.b.pollers == nullptr);
    }
}

KTEST(poll, a_queue_is_watched_once)
{
    WaitQueue q, other;
    {
        PollTable table(current);
        table.watch(q);
        table.watch(other);
        table.watch(q);
        int on_q = 0;
        for (PollEntry* e = q.pollers; e; e = e->next)
            on_q++;
        EXPECT_EQ(on_q, 1);
        EXPECT_TRUE(!table.triggered);
        wake_up(other);
        EXPECT_TRUE(table.triggered);
    }
    EXPECT_TRUE(q.pollers == nullptr);
    EXPECT_TRUE(other.pollers == nullptr);
}
