/*
 * Waiting for any of several files: poll, select and their signal-mask forms.
 *
 * A File's poll(table) says which events are ready now (Linux's POLLIN, POLLOUT, ...) and,
 * given a table, registers the table on each wait queue whose wake_up may change that
 * answer. poll and select scan their files with the table, sleep until a registered queue
 * is woken (or a signal, or the deadline), and scan again; the table's entries leave
 * their queues when the call ends.
 */
#pragma once

#include <kernel/poll_events.h>
#include <kernel/types.h>
#include <kernel/wait.h>

/* One queue a table watches; linked on the queue's pollers. */
struct PollEntry {
    WaitQueue* queue;
    PollEntry* next;
    PollTable* table;
};

class PollTable {
public:
    explicit PollTable(Task* task) : m_task(task) { }
    ~PollTable();
    PollTable(const PollTable&) = delete;
    PollTable& operator=(const PollTable&) = delete;

    /* Watches `queue` until the table is destroyed; a queue already watched is skipped. */
    void watch(WaitQueue& queue);
    /* Set by a wake_up of a watched queue; cleared before each scan. */
    volatile bool triggered = false;
    Task* task() const { return m_task; }
    /* Whether some queue could not be watched (no memory): the caller must not sleep long. */
    bool overflowed() const { return m_overflow; }

private:
    static constexpr int max_entries = 64;
    Task* m_task;
    PollEntry* m_entries = nullptr;     /* an array of max_entries, allocated on first use */
    int m_count = 0;
    bool m_overflow = false;
};

/* Called by wake_up for a queue with pollers. Interrupts off. */
void poll_wake_locked(WaitQueue& queue);
