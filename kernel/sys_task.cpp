/*
 * A process's standing with the scheduler and the system: getgroups/setgroups [80 81 205
 * 206], getpriority/setpriority [96 97], nice [34], sched_getaffinity/sched_setaffinity
 * [242 241], prctl [172].
 */
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>

namespace {

constexpr u32 NGROUPS_MAX = 65536;      /* what Linux accepts before EINVAL */

/* Every process runs as root: it holds CAP_SETGID and CAP_SYS_NICE. */
bool capable() { return sys_getuid() == 0; }

template <typename Gid>
ErrorOr<int> get_groups(int size, Userspace<Gid*> list)
{
    Task* t = current;
    if (size < 0)
        return Error::from_errno(EINVAL);
    if (size == 0)
        return int(t->ngroups);
    if (u32(size) < t->ngroups)
        return Error::from_errno(EINVAL);
    for (u32 i = 0; i < t->ngroups; i++)
        TRY(copy_to_user(list.element(i), Gid(t->groups[i])));
    return int(t->ngroups);
}

template <typename Gid>
ErrorOr<void> set_groups(int size, Userspace<const Gid*> list)
{
    if (!capable())
        return Error::from_errno(EPERM);
    if (size < 0 || u32(size) > NGROUPS_MAX)
        return Error::from_errno(EINVAL);
    /* More than this kernel keeps: ENOMEM, as Linux when it cannot hold the list. */
    if (u32(size) > NGROUPS)
        return Error::from_errno(ENOMEM);
    u32 groups[NGROUPS];
    for (u32 i = 0; i < u32(size); i++) {
        Gid g;
        TRY(copy_from_user(g, list.element(i)));
        /* The 16-bit calls' (u16)-1 is the 32-bit -1, as Linux's low2highgid. */
        groups[i] = sizeof(Gid) == 2 && g == Gid(~0u) ? ~0u : u32(g);
    }
    Task* t = current;
    t->ngroups = u32(size);
    memcpy(t->groups, groups, size * sizeof(u32));
    return {};
}

constexpr int PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

/*
 * The tasks `which` and `who` name. Process groups are single processes here (getpgrp is
 * the pid), and every process belongs to user 0. Calls fn on each; false if none matched.
 */
template <typename Fn>
ErrorOr<bool> for_each_named(int which, int who, Fn fn)
{
    if (which < PRIO_PROCESS || which > PRIO_USER)
        return Error::from_errno(EINVAL);
    bool any = false;
    for (Task* t : task) {
        if (!t || !t->mm || t->state == TaskState::Zombie)
            continue;
        bool match = which == PRIO_USER ? who == 0 || u32(who) == u32(sys_getuid())
                                        : (who == 0 ? t == current : t->pid == who);
        if (match) {
            any = true;
            fn(*t);
        }
    }
    return any;
}

int clamp_nice(int nice)
{
    return nice < -20 ? -20 : nice > 19 ? 19 : nice;
}

} // namespace

ErrorOr<int> sys_getgroups(int size, Userspace<u16*> list) { return get_groups(size, list); }
ErrorOr<int> sys_getgroups32(int size, Userspace<u32*> list) { return get_groups(size, list); }
ErrorOr<void> sys_setgroups(int size, Userspace<const u16*> list) { return set_groups(size, list); }
ErrorOr<void> sys_setgroups32(int size, Userspace<const u32*> list) { return set_groups(size, list); }

/* The raw call's answer: 20 - nice, 1..40, so that no priority looks like an error. */
ErrorOr<int> sys_getpriority(int which, int who)
{
    int best = 0;
    bool any = TRY(for_each_named(which, who, [&best](Task& t) {
        if (20 - t.nice > best)
            best = 20 - t.nice;
    }));
    if (!any)
        return Error::from_errno(ESRCH);
    return best;
}

ErrorOr<void> sys_setpriority(int which, int who, int nice)
{
    nice = clamp_nice(nice);
    bool refused = false;
    bool any = TRY(for_each_named(which, who, [&](Task& t) {
        if (nice < t.nice && !capable())
            refused = true;
        else
            t.nice = nice;
    }));
    if (!any)
        return Error::from_errno(ESRCH);
    if (refused)
        return Error::from_errno(EPERM);
    return {};
}

ErrorOr<void> sys_nice(int increment)
{
    if (increment < -40)
        increment = -40;
    if (increment > 40)
        increment = 40;
    int nice = clamp_nice(current->nice + increment);
    if (nice < current->nice && !capable())
        return Error::from_errno(EPERM);
    current->nice = nice;
    return {};
}

/* One CPU: its mask is bit 0, in a mask of one 32-bit word (Linux's cpumask_size()). */
constexpr u32 NR_CPUS = 1;

ErrorOr<int> sys_sched_getaffinity(int pid, u32 len, Userspace<u32*> mask)
{
    /* As Linux: room for every CPU, in whole longs. */
    if (len * 8 < NR_CPUS || (len & (sizeof(u32) - 1)))
        return Error::from_errno(EINVAL);
    if (pid < 0 || (pid && !find_task(pid)))
        return Error::from_errno(ESRCH);
    TRY(copy_to_user(mask, 1u));
    return 4;
}

ErrorOr<void> sys_sched_setaffinity(int pid, u32 len, Userspace<const u32*> mask)
{
    if (pid < 0 || (pid && !find_task(pid)))
        return Error::from_errno(ESRCH);
    u32 first = 0;
    /* Bits past what was given are 0, as Linux reads a short mask. */
    if (len)
        TRY(copy_from_user(&first, Userspace<const void*>(mask), len < 4 ? len : 4));
    if (!(first & 1))
        return Error::from_errno(EINVAL);       /* no CPU of the machine in the mask */
    return {};
}

ErrorOr<int> sys_prctl(int option, u32 arg2, u32, u32, u32)
{
    constexpr int PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_SET_NAME = 15, PR_GET_NAME = 16;
    Task* t = current;
    switch (option) {
    case PR_SET_PDEATHSIG:
        if (arg2 > u32(NSIG))
            return Error::from_errno(EINVAL);
        t->pdeath_signal = int(arg2);
        return 0;
    case PR_GET_PDEATHSIG:
        TRY(copy_to_user(Userspace<int*>(arg2), t->pdeath_signal));
        return 0;
    case PR_SET_NAME: {
        char name[sizeof t->comm] = { };
        ErrorOr<size_t> n = strncpy_from_user(name, Userspace<const char*>(arg2), sizeof name);
        if (n.is_error() && n.error().code() != ENAMETOOLONG)
            return n.error();
        name[sizeof name - 1] = '\0';           /* a longer name is cut, as Linux's */
        memcpy(t->comm, name, sizeof name);
        return 0;
    }
    case PR_GET_NAME:
        TRY(copy_to_user(Userspace<void*>(arg2), t->comm, sizeof t->comm));
        return 0;
    default:
        return Error::from_errno(EINVAL);
    }
}
