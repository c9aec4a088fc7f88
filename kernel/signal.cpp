/* Signals: sending, delivery through frames on the user stack, and the system calls. */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <arch/segments.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/session.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/mmtrace.h>

void wake_task(Task& t);

namespace {

/* Linux i386's struct sigcontext. */
struct SigContext {
    u16 gs, gsh, fs, fsh, es, esh, ds, dsh;
    u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
    u32 trapno, err, eip;
    u16 cs, csh;
    u32 eflags, esp_at_signal;
    u16 ss, ssh;
    u32 fpstate;                        /* user address of the saved FPU state, or 0 */
    u32 oldmask, cr2;
};
static_assert(sizeof(SigContext) == 88);

struct SigInfo {
    i32 signo, err, code;
    u32 fields[29];                     /* si_addr, or si_pid and si_uid, first */
};
static_assert(sizeof(SigInfo) == 128);

struct UContext {
    u32 flags, link;
    u32 ss_sp, ss_flags, ss_size;
    SigContext mcontext;
    u64 sigmask;
};

/* The frame of a handler without SA_SIGINFO (returns through sigreturn). */
struct SigFrame {
    u32 pretcode;
    i32 sig;
    SigContext sc;
    u32 extramask;
    u8 retcode[8];
};

/* The frame of an SA_SIGINFO handler (returns through rt_sigreturn). */
struct RtSigFrame {
    u32 pretcode;
    i32 sig;
    u32 pinfo, puc;
    SigInfo info;
    UContext uc;
    u8 retcode[8];
};

constexpr u64 unblockable = sigmask(SIGKILL) | sigmask(SIGSTOP);
/* EFLAGS bits a handler may change: the arithmetic flags, TF, DF, OF, AC. */
constexpr u32 user_eflags_mask = 0x40DD5;

/* SIGCONT's default action, continuing, happens when it is sent (send_signal). */
bool ignored_by_default(int sig)
{
    return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

constexpr u64 stop_signals = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);

/*
 * Tells the parent that t stopped or continued: wait4 reports it, and SIGCHLD comes unless
 * the parent asked for none with SA_NOCLDSTOP. Interrupts off.
 */
void notify_parent_of_stop_locked(Task& t)
{
    Task* p = t.parent;
    if (!p)
        return;
    if (!(p->actions[SIGCHLD - 1].flags & SA_NOCLDSTOP))
        send_signal(*p, SIGCHLD);
    wake_up(p->child_exit);
}

/* Linux's do_signal_stop: the task stops here until SIGCONT or SIGKILL. Interrupts off. */
void do_signal_stop_locked(int sig)
{
    Task* t = current;
    t->state = TaskState::Stopped;
    t->stop_report = sig;
    t->continue_report = false;
    notify_parent_of_stop_locked(*t);
    schedule();
}

/*
 * A selector user code may hold in a data segment register: null, or a present DPL 3
 * GDT entry of a data or readable code segment. Loading anything else would fault.
 */
u16 safe_selector(u16 sel, u16 fallback)
{
    if (sel == 0)
        return 0;
    u32 index = sel >> 3;
    if ((sel & 7) != 3 || index >= GDT_ENTRIES || index == GDT_ENTRY_TSS)
        return fallback;
    SegmentDescriptor d = SegmentDescriptor::decode(gdt[index]);
    bool code_or_data = d.type & 0x10;
    bool code = d.type & 0x08, readable = d.type & 0x02;
    return d.present && d.dpl == 3 && code_or_data && (!code || readable) ? sel : fallback;
}

void fill_context(SigContext& sc, const TrapFrame& f, u64 old_mask, u32 fpstate)
{
    memset(&sc, 0, sizeof sc);
    sc.gs = u16(f.gs); sc.fs = u16(f.fs); sc.es = u16(f.es); sc.ds = u16(f.ds);
    sc.edi = f.edi; sc.esi = f.esi; sc.ebp = f.ebp; sc.esp = f.user_esp;
    sc.ebx = f.ebx; sc.edx = f.edx; sc.ecx = f.ecx; sc.eax = f.eax;
    sc.trapno = f.vector; sc.err = f.error_code; sc.eip = f.eip;
    sc.cs = u16(f.cs); sc.eflags = f.eflags; sc.esp_at_signal = f.user_esp; sc.ss = u16(f.user_ss);
    sc.fpstate = fpstate;
    sc.oldmask = u32(old_mask);
    sc.cr2 = f.vector == 14 ? arch::read_cr2() : 0;
}

/* Puts the interrupted state back; false if the frame could not be read. */
bool restore_context(TrapFrame& f, Userspace<const SigContext*> sc_addr, u64 mask)
{
    SigContext sc;
    if (copy_from_user(sc, sc_addr).is_error())
        return false;
    f.gs = safe_selector(sc.gs, 0);
    f.fs = safe_selector(sc.fs, 0);
    f.es = safe_selector(sc.es, 0);
    f.ds = safe_selector(sc.ds, 0);
    f.edi = sc.edi; f.esi = sc.esi; f.ebp = sc.ebp; f.user_esp = sc.esp;
    f.ebx = sc.ebx; f.edx = sc.edx; f.ecx = sc.ecx; f.eax = sc.eax;
    f.eip = sc.eip;
    f.cs = USER_CS;
    f.user_ss = USER_DS;
    f.eflags = (f.eflags & ~user_eflags_mask) | (sc.eflags & user_eflags_mask);
    if (sc.fpstate) {
        /* A state the FPU would refuse (#GP in fxrstor) is a bad frame, as Linux has it. */
        if (copy_from_user(current->fpu, Userspace<const arch::FpuState*>(sc.fpstate)).is_error()
            || !arch::fpu_state_valid(current->fpu))
            return false;
        arch::fpu_restore(current->fpu);
    }
    current->blocked = mask & ~unblockable;
    return true;
}

[[noreturn]] void die_of(int sig)
{
    do_exit(exit_status_signal(sig));
}

constexpr i32 SS_ONSTACK = 1, SS_DISABLE = 2;
constexpr u32 MINSIGSTKSZ = 2048;

bool on_sig_stack(const Task& t, u32 sp)
{
    return sp > t.sas_ss_sp && sp - t.sas_ss_sp <= t.sas_ss_size;
}

i32 sig_stack_flags(const Task& t, u32 sp)
{
    return on_sig_stack(t, sp) ? SS_ONSTACK : t.sas_ss_size ? 0 : SS_DISABLE;
}

/*
 * Builds the handler's frame on the user stack (the alternate one for an SA_ONSTACK
 * handler, unless already on it) and points the CPU at the handler. `saved_mask` is the
 * mask the frame restores.
 */
bool setup_frame(TrapFrame& f, int sig, const SigAction& action, u64 saved_mask)
{
    Task* t = current;
    arch::fpu_save(t->fpu);
    u32 sp = f.user_esp;
    if ((action.flags & SA_ONSTACK) && t->sas_ss_size && !on_sig_stack(*t, sp))
        sp = t->sas_ss_sp + t->sas_ss_size;
    sp = (sp - sizeof(arch::FpuState)) & ~15u;
    u32 fpstate = sp;
    if (copy_to_user(Userspace<arch::FpuState*>(fpstate), t->fpu).is_error())
        return false;

    bool rt = action.flags & SA_SIGINFO;
    size_t size = rt ? sizeof(RtSigFrame) : sizeof(SigFrame);
    /* As Linux: the handler starts with (esp + 4) 16-byte aligned. */
    sp = ((sp - size + 4) & ~15u) - 4;

    static constexpr u8 rt_code[8] = { 0xB8, 173, 0, 0, 0, 0xCD, 0x80, 0 };       /* movl $173,%eax; int $0x80 */
    static constexpr u8 old_code[8] = { 0x58, 0xB8, 119, 0, 0, 0, 0xCD, 0x80 };   /* popl %eax; movl $119,%eax; int $0x80 */
    u32 restorer = action.flags & SA_RESTORER ? action.restorer : 0;

    if (rt) {
        RtSigFrame frame;
        memset(&frame, 0, sizeof frame);
        frame.sig = sig;
        frame.pinfo = sp + offsetof(RtSigFrame, info);
        frame.puc = sp + offsetof(RtSigFrame, uc);
        frame.info.signo = sig;
        if (sig < 32 && t->fault_info[sig].code) {
            frame.info.code = t->fault_info[sig].code;
            frame.info.fields[0] = t->fault_info[sig].address;
        }
        fill_context(frame.uc.mcontext, f, saved_mask, fpstate);
        frame.uc.sigmask = saved_mask;
        frame.uc.ss_sp = t->sas_ss_sp;
        frame.uc.ss_flags = u32(sig_stack_flags(*t, f.user_esp));
        frame.uc.ss_size = t->sas_ss_size;
        memcpy(frame.retcode, rt_code, sizeof rt_code);
        frame.pretcode = restorer ? restorer : sp + offsetof(RtSigFrame, retcode);
        if (copy_to_user(Userspace<RtSigFrame*>(sp), frame).is_error())
            return false;
        f.edx = frame.pinfo;
        f.ecx = frame.puc;
    } else {
        SigFrame frame;
        memset(&frame, 0, sizeof frame);
        frame.sig = sig;
        fill_context(frame.sc, f, saved_mask, fpstate);
        frame.extramask = u32(saved_mask >> 32);
        memcpy(frame.retcode, old_code, sizeof old_code);
        frame.pretcode = restorer ? restorer : sp + offsetof(SigFrame, retcode);
        if (copy_to_user(Userspace<SigFrame*>(sp), frame).is_error())
            return false;
    }
    if (sig < 32)
        t->fault_info[sig] = { };
    f.eax = u32(sig);
    f.user_esp = sp;
    f.eip = action.handler;
    f.cs = USER_CS;
    f.user_ss = f.ds = f.es = USER_DS;
    f.eflags &= ~(1u << 8);             /* no single-stepping into the handler */
    /* A handler starts with a clean FPU, as on Linux. */
    arch::fpu_init_state(t->fpu);
    arch::fpu_restore(t->fpu);
    return true;
}

/*
 * A system call that ended with ERESTARTSYS: as Linux's arch do_signal, it starts again
 * (the int $0x80 once more, with its number back in eax) unless `handler` is about to run
 * without SA_RESTART, which makes it EINTR.
 */
void restart_syscall(TrapFrame& f, const SigAction* handler)
{
    if (f.vector != SYSCALL_VECTOR || i32(f.eax) != -ERESTARTSYS)
        return;
    if (handler && !(handler->flags & SA_RESTART)) {
        f.eax = u32(-EINTR);
        return;
    }
    f.eax = f.error_code;
    f.eip -= 2;
}

} // namespace

bool signal_pending(const Task& t)
{
    return t.pending & ~t.blocked;
}

void send_signal(Task& t, int sig)
{
    if (sig <= 0 || sig > NSIG || t.state == TaskState::Zombie)
        return;
    arch::InterruptDisabler guard;
    /* As Linux's prepare_signal: a continue cancels pending stops and a stop a pending continue. */
    if (sig == SIGCONT) {
        t.pending &= ~stop_signals;
        if (t.state == TaskState::Stopped) {
            t.state = TaskState::Runnable;
            t.stop_report = 0;
            t.continue_report = true;
            notify_parent_of_stop_locked(t);
        }
    } else if (sigmask(sig) & stop_signals) {
        t.pending &= ~sigmask(SIGCONT);
    }
    const SigAction& a = t.actions[sig - 1];
    /* As Linux, a blocked or awaited signal stays pending even if ignored: it may be waited for. */
    bool kept = (t.blocked | t.sigwait_set) & sigmask(sig);
    if (sig != SIGKILL && !kept && (a.handler == SIG_IGN || (a.handler == SIG_DFL && ignored_by_default(sig))))
        return;
    t.pending |= sigmask(sig);
    if (sig == SIGKILL && t.state == TaskState::Stopped)
        t.state = TaskState::Runnable;
    if (t.state == TaskState::Sleeping && (sigmask(sig) & (~t.blocked | t.sigwait_set)))
        wake_task(t);
    else if (t.state == TaskState::DiskSleep && t.killable && sig == SIGKILL)
        wake_task(t);
}

bool signal_ignored_or_blocked(const Task& t, int sig)
{
    return t.actions[sig - 1].handler == SIG_IGN || (t.blocked & sigmask(sig));
}

/*
 * Linux 1.0's oom(). The seed's page fault handlers mapped bad_page / bad_pg_table so as
 * to kill the process gracefully; here the fault stays unresolved and SIGKILL, which no
 * handler or mask can stop, ends the process before it runs again.
 */
void oom(Task& t)
{
    printk(KERN_ERR "Out of memory: killed process %d (%s)\n", t.pid, t.comm);
    mm::mm_event(mm::MmEvent::OomKill, t.pid, 0, PhysAddr());
    send_signal(t, SIGKILL);
}

void force_fault_signal(Task& t, int sig, FaultInfo info)
{
    /* A fault cannot be ignored or blocked: that would run the instruction forever. */
    SigAction& a = t.actions[sig - 1];
    if (a.handler == SIG_IGN || (t.blocked & sigmask(sig))) {
        a.handler = SIG_DFL;
        t.blocked &= ~sigmask(sig);
    }
    if (sig < 32)
        t.fault_info[sig] = info;
    arch::InterruptDisabler guard;
    t.pending |= sigmask(sig);
}

void do_signal(TrapFrame& f)
{
    Task* t = current;
    u64 ready;
    int sig;
    {
        arch::InterruptDisabler guard;
        ready = t->pending & ~t->blocked;
        if (!ready)
            return;
        u32 low = u32(ready);
        sig = (low ? __builtin_ctz(low) : 32 + __builtin_ctz(u32(ready >> 32))) + 1;
        t->pending &= ~sigmask(sig);
        /*
         * A stop, decided with interrupts still off so that a SIGCONT cannot slip in
         * between. The terminal's stops are dropped in an orphaned process group, as Linux
         * does: nobody is left to continue it.
         */
        if (t->actions[sig - 1].handler == SIG_DFL && (sigmask(sig) & stop_signals)) {
            restart_syscall(f, nullptr);
            if (sig == SIGSTOP || !is_orphaned_pgrp(t->pgid))
                do_signal_stop_locked(sig);
            return;
        }
    }
    SigAction& action = t->actions[sig - 1];
    if (action.handler == SIG_IGN || (action.handler == SIG_DFL && ignored_by_default(sig))) {
        restart_syscall(f, nullptr);
        return;
    }
    if (action.handler == SIG_DFL)
        die_of(sig);
    SigAction taken = action;
    restart_syscall(f, &taken);
    u64 old_blocked = t->blocked;
    u64 saved_mask = t->restore_blocked ? t->saved_blocked : old_blocked;
    t->restore_blocked = false;
    if (!setup_frame(f, sig, taken, saved_mask)) {
        /* No room for the frame: the process dies as Linux would have it. */
        die_of(SIGSEGV);
    }
    t->blocked = (old_blocked | taken.mask | (taken.flags & SA_NODEFER ? 0 : sigmask(sig))) & ~unblockable;
    if (taken.flags & SA_RESETHAND)
        action = SigAction();
}

long sys_sigreturn()
{
    TrapFrame& f = current->user_frame();
    /* The restorer popped the signal number: esp is at the SigFrame's context. */
    Userspace<const SigContext*> sc(f.user_esp);
    SigContext probe;
    if (copy_from_user(probe, sc).is_error())
        die_of(SIGSEGV);
    u32 extramask;
    if (copy_from_user(extramask, sc.element(1).as<const u32>()).is_error())
        die_of(SIGSEGV);
    if (!restore_context(f, sc, probe.oldmask | u64(extramask) << 32))
        die_of(SIGSEGV);
    return long(f.eax);
}

long sys_rt_sigreturn()
{
    TrapFrame& f = current->user_frame();
    /* The handler's return popped pretcode. */
    Userspace<const RtSigFrame*> frame(f.user_esp - 4);
    Userspace<const UContext*> uc = frame.offset(offsetof(RtSigFrame, uc)).as<const UContext>();
    u64 mask;
    if (copy_from_user(mask, uc.offset(offsetof(UContext, sigmask)).as<const u64>()).is_error())
        die_of(SIGSEGV);
    if (!restore_context(f, uc.offset(offsetof(UContext, mcontext)).as<const SigContext>(), mask))
        die_of(SIGSEGV);
    return long(f.eax);
}

ErrorOr<void> sys_rt_sigaction(int sig, Userspace<const SigAction*> act,
                               Userspace<SigAction*> oldact, u32 sigsetsize)
{
    if (sigsetsize != 8)
        return Error::from_errno(EINVAL);
    if (sig < 1 || sig > NSIG)
        return Error::from_errno(EINVAL);
    SigAction next;
    if (!act.is_null())
        TRY(copy_from_user(next, act));
    if (!act.is_null() && (sig == SIGKILL || sig == SIGSTOP))
        return Error::from_errno(EINVAL);
    SigAction& slot = current->actions[sig - 1];
    if (!oldact.is_null())
        TRY(copy_to_user(oldact, slot));
    if (!act.is_null()) {
        next.mask &= ~unblockable;
        slot = next;
        /* Setting a signal to be ignored discards it if pending (POSIX). */
        if (slot.handler == SIG_IGN || (slot.handler == SIG_DFL && ignored_by_default(sig)))
            current->pending &= ~sigmask(sig);
    }
    return {};
}

ErrorOr<void> sys_rt_sigprocmask(int how, Userspace<const u64*> set, Userspace<u64*> oldset,
                                 u32 sigsetsize)
{
    if (sigsetsize != 8)
        return Error::from_errno(EINVAL);
    u64 old = current->blocked, mask = 0;
    if (!set.is_null()) {
        TRY(copy_from_user(mask, set));
        switch (how) {
        case 0: current->blocked |= mask; break;        /* SIG_BLOCK */
        case 1: current->blocked &= ~mask; break;       /* SIG_UNBLOCK */
        case 2: current->blocked = mask; break;         /* SIG_SETMASK */
        default: return Error::from_errno(EINVAL);
        }
        current->blocked &= ~unblockable;
    }
    if (!oldset.is_null())
        TRY(copy_to_user(oldset, old));
    return {};
}

ErrorOr<void> sys_kill(int pid, int sig)
{
    if (sig < 0 || sig > NSIG)
        return Error::from_errno(EINVAL);
    if (pid == 0 || pid < -1) {
        int pgid = pid == 0 ? current->pgid : -pid;
        return kill_pgrp(pgid, sig) ? ErrorOr<void>() : Error::from_errno(ESRCH);
    }
    if (pid == -1) {
        bool any = false;
        for (Task* t : task)
            if (t && t->pid > 1 && t != current) {
                any = true;
                if (sig)
                    send_signal(*t, sig);
            }
        if (!any)
            return Error::from_errno(ESRCH);
        return {};
    }
    Task* t = find_task(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    if (t->state == TaskState::Zombie)
        return {};
    /*
     * init gets only the signals it has a handler for, as on Linux: its death powers the
     * machine off, and no process may do that by kill(1, SIGTERM) or even SIGKILL.
     */
    if (sig && t->pid == 1 && t->actions[sig - 1].handler == SIG_DFL)
        return {};
    if (sig)
        send_signal(*t, sig);
    return {};
}

ErrorOr<void> sys_tgkill(int, int tid, int sig)
{
    return sys_kill(tid, sig);
}

ErrorOr<void> sys_tkill(int tid, int sig)
{
    return sys_kill(tid, sig);
}

ErrorOr<void> sys_pause()
{
    WaitQueue never;
    wait_event(never, Interruptible::Yes, [] { return false; });
    return Error::from_errno(EINTR);
}

void set_temporary_sigmask(u64 mask)
{
    current->saved_blocked = current->blocked;
    current->restore_blocked = true;
    current->blocked = mask & ~unblockable;
}

void end_temporary_sigmask(bool interrupted)
{
    /* Interrupted, the handler about to run must still see the call's mask. */
    if (interrupted)
        return;
    current->blocked = current->saved_blocked;
    current->restore_blocked = false;
}

void restore_saved_sigmask()
{
    if (current->restore_blocked) {
        current->blocked = current->saved_blocked;
        current->restore_blocked = false;
    }
}

/* Linux's stack_t. */
struct StackT {
    u32 sp;
    i32 flags;
    u32 size;
};

ErrorOr<void> sys_sigaltstack(Userspace<const StackT*> ss, Userspace<StackT*> old)
{
    Task* t = current;
    u32 usp = t->user_frame().user_esp;
    StackT was = { t->sas_ss_sp, sig_stack_flags(*t, usp), t->sas_ss_size };
    if (!ss.is_null()) {
        StackT next;
        TRY(copy_from_user(next, ss));
        if (on_sig_stack(*t, usp))
            return Error::from_errno(EPERM);
        if (next.flags != 0 && next.flags != SS_ONSTACK && next.flags != SS_DISABLE)
            return Error::from_errno(EINVAL);
        if (next.flags == SS_DISABLE) {
            next.sp = next.size = 0;
        } else if (next.size < MINSIGSTKSZ) {
            return Error::from_errno(ENOMEM);
        }
        t->sas_ss_sp = next.sp;
        t->sas_ss_size = next.size;
    }
    if (!old.is_null())
        TRY(copy_to_user(old, was));
    return {};
}
