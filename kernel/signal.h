/* Signals: numbers, actions, delivery on the way back to user mode (Linux i386 ABI). */
#pragma once

#include <kernel/types.h>

struct Task;
struct TrapFrame;

enum Signal : int {
    SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
    SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13,
    SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19,
    SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25,
    SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31,
};
constexpr int NSIG = 64;

constexpr u32 SA_NOCLDSTOP = 0x00000001, SA_SIGINFO = 0x00000004, SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000,
              SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000, SA_RESTORER = 0x04000000;
constexpr u32 SIG_DFL = 0, SIG_IGN = 1;

/* Kernel side of struct sigaction (rt_sigaction's layout on i386). */
struct SigAction {
    u32 handler = SIG_DFL;
    u32 flags = 0;
    u32 restorer = 0;
    u64 mask = 0;
};

/*
 * Linux's kernel-internal ERESTARTSYS: a system call interrupted by a signal that should
 * start again once the signal is dealt with, unless a handler without SA_RESTART runs
 * (then EINTR). do_signal decides; user space never sees the code.
 */
constexpr int ERESTARTSYS = 512;

constexpr u64 sigmask(int sig) { return u64(1) << (sig - 1); }

/* Why a fault signal came: fills siginfo's si_code and si_addr. */
struct FaultInfo {
    int code;           /* SEGV_MAPERR 1, SEGV_ACCERR 2, BUS_ADRERR 2, ILL_ILLOPN 2, FPE_INTDIV 1, SI_KERNEL 0x80 */
    u32 address;
};
/* si_code of a signal the kernel sends of its own accord (a failed exec, an emulated fault). */
constexpr int SI_KERNEL = 0x80;

/* Marks sig pending for the task and wakes it if it sleeps. */
void send_signal(Task& task, int sig);
/* A fault in user mode: the signal carries the address (si_addr). */
void force_fault_signal(Task& task, int sig, FaultInfo info);
/* A page fault of task's found no free page: it dies of SIGKILL, the kernel lives on. */
void oom(Task& task);
/* On the way back to user mode: delivers one pending signal (handler frame or default). */
void do_signal(TrapFrame& frame);
bool signal_pending(const Task& task);
/* Whether sig would not reach task's default action (job control's EIO/"allowed" cases). */
bool signal_ignored_or_blocked(const Task& task, int sig);

/*
 * sigsuspend, pselect6, ppoll: blocks `mask` for the call. At its end the mask before it
 * comes back at once, or, for an interrupted call, once the handler that interrupted it
 * returns (its frame saves that mask) or on the way to user mode if none runs.
 */
void set_temporary_sigmask(u64 mask);
void end_temporary_sigmask(bool interrupted);
/* On the way to user mode with nothing to deliver: the mask a call above set is undone. */
void restore_saved_sigmask();
