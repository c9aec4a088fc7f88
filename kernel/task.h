/*
 * Tasks: the process table, scheduling and the kernel stacks (docs/processes.md).
 */
#pragma once

#include <arch/fpu.h>
#include <arch/interrupts.h>
#include <kernel/itimer.h>
#include <kernel/signal.h>
#include <kernel/userspace.h>
#include <kernel/wait.h>
#include <mm/types.h>

namespace fs { class File; class Node; }
namespace mm { class AddressSpace; }

constexpr int NR_TASKS = 128;
constexpr int NR_OPEN = 64;
constexpr u32 KERNEL_STACK_SIZE = PAGE_SIZE;
constexpr int TIME_SLICE = 5;           /* ticks */
constexpr size_t CWD_MAX = 256;
constexpr u32 NGROUPS = 32;           /* supplementary groups a process may hold */

/*
 * Sleeping: an interruptible wait (`S` in ps); DiskSleep: an uninterruptible one (`D`);
 * Stopped: by a stop signal until SIGCONT or SIGKILL (`T`).
 */
enum class TaskState : u8 { Runnable, Sleeping, DiskSleep, Stopped, Zombie };

struct Tty;

struct Task {
    u32 kernel_esp;                     /* saved by switch_to; must stay first */
    VirtAddr kernel_stack;              /* one page */
    u32 esp0;                           /* top of the kernel stack, for the TSS */
    int pid;
    int slot;
    TaskState state = TaskState::Runnable;
    Task* parent = nullptr;
    int exit_status = 0;                /* wait status, Linux's encoding */
    int exit_signal = SIGCHLD;          /* sent to the parent at exit */
    int counter = TIME_SLICE;
    int nice = 0;                       /* -20..19: scales the time slice (sched.cpp) */
    u32 ngroups = 0;                    /* setgroups */
    u32 groups[NGROUPS] = { };
    char comm[16] = { };

    mm::AddressSpace* mm = nullptr;

    /* Sleeping. */
    WaitQueue* waiting_on = nullptr;
    Task* wait_next = nullptr;
    u32 timeout = 0;                    /* jiffies at which to wake; 0 for none */
    WaitQueue child_exit;               /* the parent of exiting children sleeps here */
    bool killable = false;              /* in DiskSleep, SIGKILL wakes it (Interruptible::Killable) */

    /* vfork: the parent asleep until this child execs or exits (vfork_release wakes it). */
    Task* vfork_parent = nullptr;
    WaitQueue vfork_done;               /* a vfork parent sleeps here */

    /* Job control (kernel/session.cpp): the process group, the session, its terminal. */
    int pgid = 0;
    int sid = 0;
    Tty* tty = nullptr;                 /* the controlling terminal */
    int stop_report = 0;                /* stop signal wait4(WUNTRACED) has yet to report */
    bool continue_report = false;       /* a continue wait4(WCONTINUED) has yet to report */

    /* Signals. */
    u64 pending = 0;
    u64 blocked = 0;
    SigAction actions[NSIG];
    FaultInfo fault_info[NSIG / 2] = { };       /* for synchronous fault signals 1..31 */
    /*
     * sigsuspend, pselect6 and ppoll block a mask of their own while they wait; the mask
     * before it comes back when the handler that ended the wait returns (it is the one the
     * handler's frame saves), or at once if no handler runs (Linux's saved_sigmask).
     */
    u64 saved_blocked = 0;
    bool restore_blocked = false;
    u64 sigwait_set = 0;                /* what rt_sigtimedwait waits for */
    u32 sas_ss_sp = 0, sas_ss_size = 0; /* sigaltstack; size 0 when disabled */
    int pdeath_signal = 0;              /* prctl(PR_SET_PDEATHSIG) */
    IntervalTimers itimers;             /* alarm, setitimer */

    /* Files. */
    fs::File* files[NR_OPEN] = { };
    u64 close_on_exec = 0;
    char cwd[CWD_MAX] = "/";            /* as seen from root */
    const fs::Node* root = nullptr;     /* chroot's directory, held; null: the real root */
    u32 umask = 022;

    /* glibc's TLS (set_thread_area) and the tid addresses of clone. */
    u64 tls[3] = { };
    Userspace<int*> set_child_tid;
    Userspace<int*> clear_child_tid;

    /* Accounting, as getrusage and /proc report it. */
    u32 utime = 0, stime = 0;           /* ticks */
    u32 cutime = 0, cstime = 0;
    u32 min_flt = 0, maj_flt = 0;
    u32 cmin_flt = 0, cmaj_flt = 0;
    u32 max_rss = 0, cmax_rss = 0;      /* pages */
    u32 start_time = 0;
    u32 emulated_insns = 0;             /* i686 instructions the #UD trap carried out */

    /* A kernel thread's work (kernel_thread); it has no user address space. */
    void (*thread_fn)(void*) = nullptr;
    void* thread_arg = nullptr;

    arch::FpuState fpu;

    TrapFrame& user_frame() const
    {
        return *reinterpret_cast<TrapFrame*>(kernel_stack.value() + KERNEL_STACK_SIZE - sizeof(TrapFrame));
    }
};

extern Task* current;
extern Task* task[NR_TASKS];
extern volatile bool need_resched;

/* The ticks a task runs before another gets the CPU: longer the lower its nice value. */
int time_slice(const Task& t);

void sched_init();                      /* makes the running code task 0, the idle task */
void schedule();
/* Called by the timer on every tick. */
void scheduler_tick(const TrapFrame& frame);
/* On every return to user mode: reschedule, deliver signals. */
void return_to_user(TrapFrame& frame);

/* Starts pid 1 running `path` with the command line's arguments. */
void start_init(const char* path);
/* The idle loop of task 0. */
[[noreturn]] void cpu_idle();

Task* find_task(int pid);
/* The pid given out last (/proc/loadavg's last field). */
int last_allocated_pid();
/* A task that runs fn(arg) in the kernel and exits when it returns; nullptr without memory. */
Task* kernel_thread(void (*fn)(void*), void* arg, const char* name);
/* Releases a kernel thread of the caller's that has exited; false if it has not. */
bool reap_kernel_thread(Task* t);
[[noreturn]] void do_exit(int wait_status);
/* A vforked child is done with its parent's memory (exec, exit): the parent runs again. */
void vfork_release(Task* child);

/* Linux's wait status encoding. */
constexpr int exit_status_code(int code) { return (code & 0xFF) << 8; }
constexpr int exit_status_signal(int sig) { return sig & 0x7F; }
