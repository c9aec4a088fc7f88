/* poll [168], ppoll [309], _newselect [142], pselect6 [308]: kernel/poll.h. */
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/poll.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/timeout.h>
#include <kernel/uaccess.h>

#include <new>


PollTable::~PollTable()
{
    arch::InterruptDisabler guard;
    for (int i = 0; i < m_count; i++) {
        PollEntry** link = &m_entries[i].queue->pollers;
        while (*link != &m_entries[i])
            link = &(*link)->next;
        *link = m_entries[i].next;
    }
    delete[] m_entries;
}

void PollTable::watch(WaitQueue& queue)
{
    arch::InterruptDisabler guard;
    for (int i = 0; i < m_count; i++)
        if (m_entries[i].queue == &queue)
            return;
    if (!m_entries)
        m_entries = new (std::nothrow) PollEntry[max_entries];
    if (!m_entries || m_count == max_entries) {
        m_overflow = true;
        return;
    }
    PollEntry& e = m_entries[m_count++];
    e = { &queue, queue.pollers, this };
    queue.pollers = &e;
}

void wake_task(Task& t);

void poll_wake_locked(WaitQueue& queue)
{
    for (PollEntry* e = queue.pollers; e; e = e->next) {
        e->table->triggered = true;
        wake_task(*e->table->task());
    }
}

namespace {

struct PollFd {
    i32 fd;
    i16 events, revents;
};

/*
 * Scans with `scan(table)` (which returns how many are ready, or an error) until something
 * is ready, a signal comes (EINTR), or the deadline passes (0: none; `no_wait`: at once).
 * The first scan registers the table; a wake_up of any queue registered makes it scan again.
 */
template <typename Scan>
ErrorOr<int> poll_loop(Scan scan, u32 deadline, bool no_wait)
{
    PollTable table(current);
    PollTable* registering = &table;
    WaitQueue own;
    for (;;) {
        table.triggered = false;
        int ready = TRY(scan(registering));
        registering = nullptr;
        if (ready || no_wait)
            return ready;
        if (signal_pending(*current))
            return Error::from_errno(EINTR);
        /* A file the table could not watch is looked at again every tick. */
        u32 until = deadline;
        if (table.overflowed() && (!until || ticks_until(until) > 1))
            until = deadline_in(1);
        WaitResult r = wait_event(own, Interruptible::Yes, [&table] { return table.triggered; }, until);
        if (r == WaitResult::Interrupted)
            return Error::from_errno(EINTR);
        if (deadline && !ticks_until(deadline))
            return scan(nullptr);
    }
}

ErrorOr<int> do_poll(Userspace<PollFd*> ufds, u32 nfds, u32 deadline, bool no_wait)
{
    if (nfds > u32(NR_OPEN))            /* RLIMIT_NOFILE */
        return Error::from_errno(EINVAL);
    /* Off the one-page kernel stack: a page fault while copying may need its room. */
    struct Array {
        PollFd* p;
        ~Array() { delete[] p; }
    } array = { nfds ? new (std::nothrow) PollFd[nfds] : nullptr };
    PollFd* fds = array.p;
    if (nfds && !fds)
        return Error::from_errno(ENOMEM);
    if (nfds)
        TRY(copy_from_user(fds, ufds, nfds * sizeof(PollFd)));
    auto scan = [&](PollTable* table) -> ErrorOr<int> {
        int ready = 0;
        for (u32 i = 0; i < nfds; i++) {
            PollFd& p = fds[i];
            p.revents = 0;
            if (p.fd < 0)
                continue;
            fs::File* f = current_file(p.fd);
            u32 mask = f ? f->poll(table) & (u16(p.events) | POLLERR | POLLHUP) : POLLNVAL;
            p.revents = i16(mask);
            if (mask)
                ready++;
        }
        return ready;
    };
    ErrorOr<int> result = poll_loop(scan, deadline, no_wait);
    for (u32 i = 0; i < nfds; i++)
        TRY(copy_to_user(ufds.element(i).offset(offsetof(PollFd, revents)).as<i16>(), fds[i].revents));
    return result;
}

constexpr u32 POLLIN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
constexpr u32 POLLOUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
constexpr u32 POLLEX_SET = POLLPRI;

/* Select's three fd_sets, as many 32-bit words as n needs (at most NR_OPEN bits). */
struct FdSets {
    u64 in = 0, out = 0, ex = 0;
};

ErrorOr<int> do_select(int n, Userspace<u32*> inp, Userspace<u32*> outp, Userspace<u32*> exp,
                       u32 deadline, bool no_wait)
{
    if (n < 0)
        return Error::from_errno(EINVAL);
    if (n > NR_OPEN)
        n = NR_OPEN;                    /* as Linux: no descriptor lies beyond the table */
    size_t bytes = (size_t(n) + 31) / 32 * 4;
    FdSets want, got;
    if (!inp.is_null())
        TRY(copy_from_user(&want.in, inp, bytes));
    if (!outp.is_null())
        TRY(copy_from_user(&want.out, outp, bytes));
    if (!exp.is_null())
        TRY(copy_from_user(&want.ex, exp, bytes));
    u64 all = want.in | want.out | want.ex;
    for (int fd = 0; fd < n; fd++)
        if ((all >> fd & 1) && !current_file(fd))
            return Error::from_errno(EBADF);
    auto scan = [&](PollTable* table) -> ErrorOr<int> {
        got = FdSets();
        int ready = 0;
        for (int fd = 0; fd < n; fd++) {
            u64 bit = u64(1) << fd;
            if (!(all & bit))
                continue;
            fs::File* f = current_file(fd);
            if (!f)
                return Error::from_errno(EBADF);        /* closed by a handler meanwhile */
            u32 mask = f->poll(table);
            if ((want.in & bit) && (mask & POLLIN_SET)) {
                got.in |= bit;
                ready++;
            }
            if ((want.out & bit) && (mask & POLLOUT_SET)) {
                got.out |= bit;
                ready++;
            }
            if ((want.ex & bit) && (mask & POLLEX_SET)) {
                got.ex |= bit;
                ready++;
            }
        }
        return ready;
    };
    int ready = TRY(poll_loop(scan, deadline, no_wait));
    if (!inp.is_null())
        TRY(copy_to_user(inp, &got.in, bytes));
    if (!outp.is_null())
        TRY(copy_to_user(outp, &got.out, bytes));
    if (!exp.is_null())
        TRY(copy_to_user(exp, &got.ex, bytes));
    return ready;
}

/* A wait's end: its deadline (0 for none) and whether it is no wait at all. */
struct Wait {
    u32 deadline = 0;
    bool no_wait = false;
};

Wait wait_for(u32 sec, u32 nsec)
{
    if (!sec && !nsec)
        return { 0, true };
    return { deadline_in(ticks_covering(sec, nsec)), false };
}

/* What remains of the wait, as Linux writes it back (a zero timeout is left alone). */
template <typename T, typename Convert>
void write_back_left(Userspace<T*> to, const Wait& wait, Convert convert)
{
    if (to.is_null() || wait.no_wait)
        return;
    /* As Linux, a timeout the program cannot take back is not the call's failure. */
    (void)copy_to_user(to, convert(ticks_until(wait.deadline)));
}

/* pselect6's and ppoll's mask for the call, or none. */
ErrorOr<void> install_sigmask(Userspace<const u64*> mask, u32 size)
{
    if (mask.is_null())
        return {};
    if (size != 8)
        return Error::from_errno(EINVAL);
    u64 m;
    TRY(copy_from_user(m, mask));
    set_temporary_sigmask(m);
    return {};
}

template <typename T>
ErrorOr<T> end_sigmask(Userspace<const u64*> mask, ErrorOr<T> result)
{
    if (!mask.is_null())
        end_temporary_sigmask(result.is_error() && result.error().code() == EINTR);
    return result;
}

} // namespace

ErrorOr<int> sys_poll(Userspace<void*> ufds, u32 nfds, int timeout_ms)
{
    Wait wait;
    if (timeout_ms == 0)
        wait.no_wait = true;
    else if (timeout_ms > 0)
        wait.deadline = deadline_in(ticks_covering(u32(timeout_ms) / 1000, u32(timeout_ms) % 1000 * 1000000));
    return do_poll(ufds.as<PollFd>(), nfds, wait.deadline, wait.no_wait);
}

ErrorOr<int> sys_ppoll(Userspace<void*> ufds, u32 nfds, Userspace<Timespec*> tsp,
                       Userspace<const u64*> sigmask, u32 sigsetsize)
{
    Wait wait;
    if (!tsp.is_null()) {
        Timespec ts;
        TRY(copy_from_user(ts, Userspace<const Timespec*>(tsp)));
        if (!timespec_valid(ts))
            return Error::from_errno(EINVAL);
        wait = wait_for(u32(ts.sec), u32(ts.nsec));
    }
    TRY(install_sigmask(sigmask, sigsetsize));
    ErrorOr<int> result = do_poll(ufds.as<PollFd>(), nfds, wait.deadline, wait.no_wait);
    write_back_left(tsp, wait, timespec_from_ticks);
    return end_sigmask(sigmask, result);
}

ErrorOr<int> sys_select(int n, Userspace<u32*> inp, Userspace<u32*> outp, Userspace<u32*> exp,
                        Userspace<Timeval*> tvp)
{
    Wait wait;
    if (!tvp.is_null()) {
        Timeval tv;
        TRY(copy_from_user(tv, Userspace<const Timeval*>(tvp)));
        if (tv.sec < 0 || tv.usec < 0)
            return Error::from_errno(EINVAL);
        wait = wait_for(u32(tv.sec) + u32(tv.usec) / 1000000, u32(tv.usec) % 1000000 * 1000);
    }
    ErrorOr<int> result = do_select(n, inp, outp, exp, wait.deadline, wait.no_wait);
    write_back_left(tvp, wait, timeval_from_ticks);
    return result;
}

/* pselect6's sixth argument: the mask and its size. */
struct SigsetArg {
    u32 mask;
    u32 size;
};

ErrorOr<int> sys_pselect6(int n, Userspace<u32*> inp, Userspace<u32*> outp, Userspace<u32*> exp,
                          Userspace<Timespec*> tsp, Userspace<const SigsetArg*> sig)
{
    Wait wait;
    if (!tsp.is_null()) {
        Timespec ts;
        TRY(copy_from_user(ts, Userspace<const Timespec*>(tsp)));
        if (!timespec_valid(ts))
            return Error::from_errno(EINVAL);
        wait = wait_for(u32(ts.sec), u32(ts.nsec));
    }
    SigsetArg s = { 0, 0 };
    if (!sig.is_null())
        TRY(copy_from_user(s, sig));
    Userspace<const u64*> mask(s.mask);
    TRY(install_sigmask(mask, s.size));
    ErrorOr<int> result = do_select(n, inp, outp, exp, wait.deadline, wait.no_wait);
    write_back_left(tsp, wait, timespec_from_ticks);
    return end_sigmask(mask, result);
}
