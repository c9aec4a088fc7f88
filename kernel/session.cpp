/* Process groups and sessions: the system calls and the orphaned-group rules of exit. */
#include <kernel/errno.h>
#include <kernel/session.h>
#include <kernel/signal.h>
#include <kernel/task.h>
#include <kernel/tty.h>

namespace {

bool alive(const Task* t)
{
    return t && t->pid > 0 && t->state != TaskState::Zombie && t->mm;
}

bool has_stopped_member(int pgid)
{
    for (Task* t : task)
        if (alive(t) && t->pgid == pgid && t->state == TaskState::Stopped)
            return true;
    return false;
}

/*
 * Linux's kill_orphaned_pgrp: a group that the exit leaves orphaned while some member is
 * stopped gets SIGHUP then SIGCONT, or nobody could ever continue it.
 */
void hang_up_if_orphaned(int pgid, int sid, const Task& exiting)
{
    if (pgid <= 0 || !pgrp_in_session(pgid, sid))
        return;
    if (is_orphaned_pgrp(pgid, &exiting) && has_stopped_member(pgid)) {
        kill_pgrp(pgid, SIGHUP);
        kill_pgrp(pgid, SIGCONT);
    }
}

Task* task_or_current(int pid)
{
    return pid == 0 ? current : find_task(pid);
}

} // namespace

bool kill_pgrp(int pgid, int sig)
{
    if (pgid <= 0)
        return false;
    bool found = false;
    for (Task* t : task) {
        if (!alive(t) || t->pgid != pgid)
            continue;
        found = true;
        /* init gets only what it has a handler for, as sys_kill has it. */
        if (sig && !(t->pid == 1 && t->actions[sig - 1].handler == SIG_DFL))
            send_signal(*t, sig);
    }
    return found;
}

bool pgrp_in_session(int pgid, int sid)
{
    for (Task* t : task)
        if (alive(t) && t->pgid == pgid && t->sid == sid)
            return true;
    return false;
}

bool is_orphaned_pgrp(int pgid, const Task* ignored)
{
    for (Task* t : task) {
        if (!alive(t) || t == ignored || t->pgid != pgid)
            continue;
        Task* p = t->parent;
        if (!p || p == ignored || p->pid == 1)
            continue;
        if (p->pgid != pgid && p->sid == t->sid)
            return false;
    }
    return true;
}

void exit_job_control(Task& t)
{
    if (t.pid == t.sid)
        tty_session_leader_exit(t);
    /* t's own group may have been kept from orphanhood by t's parent... */
    if (t.parent && t.parent->pgid != t.pgid && t.parent->sid == t.sid)
        hang_up_if_orphaned(t.pgid, t.sid, t);
    /* ...and its children's groups by t itself. */
    for (Task* c : task)
        if (alive(c) && c->parent == &t && c->pgid != t.pgid && c->sid == t.sid)
            hang_up_if_orphaned(c->pgid, c->sid, t);
}

long sys_getpgrp() { return current->pgid; }

ErrorOr<int> sys_getpgid(int pid)
{
    Task* t = task_or_current(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    return t->pgid;
}

ErrorOr<int> sys_getsid(int pid)
{
    Task* t = task_or_current(pid);
    if (!t)
        return Error::from_errno(ESRCH);
    return t->sid;
}

ErrorOr<void> sys_setpgid(int pid, int pgid)
{
    if (pgid < 0)
        return Error::from_errno(EINVAL);
    Task* t = task_or_current(pid);
    if (!t || (t != current && t->parent != current))
        return Error::from_errno(ESRCH);
    if (t != current && t->sid != current->sid)
        return Error::from_errno(EPERM);
    if (t->pid == t->sid)
        return Error::from_errno(EPERM);        /* a session leader stays in its group */
    if (pgid == 0)
        pgid = t->pid;
    if (pgid != t->pid && !pgrp_in_session(pgid, current->sid))
        return Error::from_errno(EPERM);
    t->pgid = pgid;
    return {};
}

ErrorOr<int> sys_setsid()
{
    Task* t = current;
    for (Task* other : task)
        if (alive(other) && other->pgid == t->pid)
            return Error::from_errno(EPERM);    /* a group leader cannot leave its group */
    t->sid = t->pgid = t->pid;
    t->tty = nullptr;
    return t->pid;
}
