/*
 * Waiting for signals: rt_sigsuspend [179], sigsuspend [72], rt_sigtimedwait [177],
 * rt_sigpending [176], sigpending [73].
 */
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/timeout.h>
#include <kernel/uaccess.h>

namespace {

constexpr u64 unblockable = sigmask(SIGKILL) | sigmask(SIGSTOP);

/* Waits, with `mask` blocked, for a signal to be delivered; always EINTR. */
ErrorOr<void> suspend_with(u64 mask)
{
    set_temporary_sigmask(mask);
    WaitQueue never;
    wait_event(never, Interruptible::Yes, [] { return false; });
    end_temporary_sigmask(true);
    return Error::from_errno(EINTR);
}

} // namespace

/* Linux's siginfo_t, as much as a waited-for signal fills. */
struct SigInfoHead {
    i32 signo, err, code;
    u32 fields[29];
};
static_assert(sizeof(SigInfoHead) == 128);

ErrorOr<void> sys_rt_sigsuspend(Userspace<const u64*> mask, u32 sigsetsize)
{
    if (sigsetsize != 8)
        return Error::from_errno(EINVAL);
    u64 m;
    TRY(copy_from_user(m, mask));
    return suspend_with(m);
}

/* The old call: the mask (low 32 signals) comes in the third register. */
ErrorOr<void> sys_sigsuspend(int, int, u32 mask)
{
    return suspend_with(mask);
}

ErrorOr<int> sys_rt_sigtimedwait(Userspace<const u64*> set, Userspace<SigInfoHead*> info,
                                 Userspace<const Timespec*> timeout, u32 sigsetsize)
{
    if (sigsetsize != 8)
        return Error::from_errno(EINVAL);
    u64 wanted;
    TRY(copy_from_user(wanted, set));
    wanted &= ~unblockable;
    u32 deadline = 0;
    bool no_wait = false;
    if (!timeout.is_null()) {
        Timespec ts;
        TRY(copy_from_user(ts, timeout));
        if (!timespec_valid(ts))
            return Error::from_errno(EINVAL);
        no_wait = !ts.sec && !ts.nsec;
        deadline = no_wait ? 0 : deadline_in(ticks_covering(u32(ts.sec), u32(ts.nsec)));
    }
    Task* t = current;
    WaitResult r = WaitResult::Done;
    if (!(t->pending & wanted)) {
        if (no_wait)
            return Error::from_errno(EAGAIN);
        /* Awaited signals wake the task even while blocked (send_signal). */
        t->sigwait_set = wanted;
        WaitQueue never;
        r = wait_event(never, Interruptible::Yes, [t, wanted] { return (t->pending & wanted) != 0; }, deadline);
        t->sigwait_set = 0;
    }
    int sig;
    {
        arch::InterruptDisabler guard;
        u64 ready = t->pending & wanted;
        if (!ready)
            return Error::from_errno(r == WaitResult::TimedOut ? EAGAIN : EINTR);
        u32 low = u32(ready);
        sig = (low ? __builtin_ctz(low) : 32 + __builtin_ctz(u32(ready >> 32))) + 1;
        t->pending &= ~sigmask(sig);
    }
    if (!info.is_null()) {
        SigInfoHead si = { };
        si.signo = sig;
        TRY(copy_to_user(info, si));
    }
    return sig;
}

ErrorOr<void> sys_rt_sigpending(Userspace<u64*> set, u32 sigsetsize)
{
    if (sigsetsize > 8)
        return Error::from_errno(EINVAL);
    u64 pending = current->pending & current->blocked;
    return copy_to_user(Userspace<void*>(set), &pending, sigsetsize);
}

ErrorOr<void> sys_sigpending(Userspace<u32*> set)
{
    u32 pending = u32(current->pending & current->blocked);
    return copy_to_user(set, pending);
}
