/* The scheduler, context switches and wait queues. */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <arch/io.h>
#include <arch/segments.h>
#include <drivers/block.h>
#include <drivers/timer.h>
#include <kernel/kstat.h>
#include <kernel/poll.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/vm.h>

extern "C" void switch_to(Task* prev, Task* next);

Task* current;
Task* task[NR_TASKS];
volatile bool need_resched;

namespace {

Task idle_task;

/* Everything about the CPU that belongs to one task, loaded before its stack is. */
void load_task_state(Task* prev, Task* next)
{
    arch::fpu_save(prev->fpu);
    tss.esp0 = next->esp0;
    /*
     * A task with no address space of its own (the idle task, kswapd) runs on the page
     * directory it finds, as Linux's active_mm: the kernel half is the same in all, and
     * no TLB flush is paid going there and back. A directory is freed only after the CPU
     * has left it (exit loads swapper_pg_dir first).
     */
    if (next->mm) {
        u32 cr3 = next->mm->directory_phys().value();
        if (arch::read_cr3() != cr3)
            arch::write_cr3(cr3);
    }
    for (int i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++)
        gdt[GDT_ENTRY_TLS_MIN + i] = next->tls[i];
    arch::fpu_restore(next->fpu);
}

/* Takes t off the queue it sleeps on and makes it runnable. Interrupts off. */
void wake_task_locked(Task* t)
{
    if (t->state != TaskState::Sleeping && t->state != TaskState::DiskSleep)
        return;
    if (WaitQueue* q = t->waiting_on) {
        Task** link = &q->head;
        while (*link && *link != t)
            link = &(*link)->wait_next;
        if (*link)
            *link = t->wait_next;
    }
    t->waiting_on = nullptr;
    t->wait_next = nullptr;
    t->timeout = 0;
    t->state = TaskState::Runnable;
    /*
     * A kernel thread woken (kswapd, by the allocator or its disk) runs at the next
     * return to user mode, not when the running process's slice ends: the free memory
     * it makes is what that process is about to need.
     */
    if (current == &idle_task || !t->mm)
        need_resched = true;
}

} // namespace

void wake_task(Task& t)
{
    arch::InterruptDisabler guard;
    wake_task_locked(&t);
}

/*
 * Nice 0 runs TIME_SLICE ticks at a turn, nice -20 twice that, nice 19 one tick: a nice 19
 * spinner beside a nice 0 one gets about a sixth of the CPU.
 */
int time_slice(const Task& t)
{
    int slice = TIME_SLICE * (20 - t.nice) / 20;
    return slice > 0 ? slice : 1;
}

void sched_init()
{
    idle_task.pid = 0;
    idle_task.slot = 0;
    idle_task.kernel_stack = VirtAddr(uintptr_t(boot_stack_top) - 8192);
    idle_task.esp0 = u32(boot_stack_top);
    memcpy(idle_task.comm, "swapper", 8);
    arch::fpu_init();
    arch::fpu_init_state(idle_task.fpu);
    task[0] = &idle_task;
    current = &idle_task;
}

void schedule()
{
    arch::InterruptDisabler guard;
    need_resched = false;
    Task* prev = current;
    Task* next = task[0];
    for (int i = 1; i <= NR_TASKS; i++) {
        int slot = (prev->slot + i) % NR_TASKS;
        Task* t = task[slot];
        if (slot != 0 && t && t->state == TaskState::Runnable) {
            next = t;
            break;
        }
    }
    if (next->counter <= 0)
        next->counter = time_slice(*next);
    if (next == prev)
        return;
    kstat.context_switches++;
    load_task_state(prev, next);
    current = next;
    switch_to(prev, next);
}

void scheduler_tick(const TrapFrame& frame)
{
    Task* t = current;
    account_tick(frame);
    if (t != &idle_task) {
        if (frame.from_user())
            t->utime++;
        else
            t->stime++;
        itimer_tick(*t, frame.from_user());
        if (--t->counter <= 0)
            need_resched = true;
    }
    for (Task* s : task) {
        if (s && s->timeout && i32(jiffies - s->timeout) >= 0)
            wake_task_locked(s);
        if (s && s->itimers.real_deadline)
            itimer_real_check(*s);
    }
}

/*
 * Linux's idle=poll, only while a disk request is in flight: its interrupt is near, and
 * taking it in a loop rather than out of hlt saves the wake-up from halt; under QEMU's
 * -icount, where a halted guest's clock jumps to its next timer, it saves that jump for
 * every request. A while, then hlt. Interrupts off on entry and on return; true if
 * something woke a task.
 */
bool poll_for_wakeup()
{
    constexpr u32 POLL_LOOPS = 20000;
    arch::sti();
    for (u32 i = 0; i < POLL_LOOPS && !need_resched; i++)
        arch::io_delay();
    arch::cli();
    return need_resched;
}

void cpu_idle()
{
    for (;;) {
        arch::cli();
        if (need_resched) {
            schedule();
            continue;
        }
        if (block::requests_in_flight() && poll_for_wakeup())
            continue;
        arch::safe_halt();                  /* sti's shadow: no wakeup is missed */
        schedule();
    }
}

void sleep_on_once(WaitQueue& queue, Interruptible how, u32 deadline)
{
    Task* t = current;
    if (t == task[0])
        panic("sleep_on_once: the idle task cannot sleep");
    t->state = how == Interruptible::Yes ? TaskState::Sleeping : TaskState::DiskSleep;
    t->killable = how == Interruptible::Killable;
    t->waiting_on = &queue;
    t->wait_next = queue.head;
    queue.head = t;
    t->timeout = deadline;
    schedule();
}

bool wait_must_end(Interruptible how, u32 deadline, WaitResult& why)
{
    if (how == Interruptible::Yes && signal_pending(*current)) {
        why = WaitResult::Interrupted;
        return true;
    }
    if (how == Interruptible::Killable && (current->pending & sigmask(SIGKILL))) {
        why = WaitResult::Interrupted;
        return true;
    }
    if (deadline && i32(jiffies - deadline) >= 0) {
        why = WaitResult::TimedOut;
        return true;
    }
    return false;
}

void wake_up(WaitQueue& queue)
{
    arch::InterruptDisabler guard;
    while (queue.head)
        wake_task_locked(queue.head);
    if (queue.pollers)
        poll_wake_locked(queue);
}

Task* find_task(int pid)
{
    for (Task* t : task)
        if (t && t->pid == pid && pid > 0)
            return t;
    return nullptr;
}

void return_to_user(TrapFrame& frame)
{
    for (;;) {
        if (need_resched) {
            schedule();
            continue;
        }
        if (!signal_pending(*current)) {
            if (!current->restore_blocked)
                return;
            restore_saved_sigmask();
            continue;
        }
        do_signal(frame);
    }
}
