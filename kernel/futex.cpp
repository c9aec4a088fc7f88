/*
 * futex [240]: FUTEX_WAIT, FUTEX_WAKE, their _BITSET forms, FUTEX_REQUEUE and
 * FUTEX_CMP_REQUEUE, with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME. Other operations
 * give ENOSYS, as Linux does for an operation it does not know.
 *
 * A waiter is a record on its own kernel stack, linked on one list while it sleeps; a
 * wake takes the matching records off the list, marks them woken and wakes their tasks.
 */
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/timeout.h>
#include <kernel/uaccess.h>
#include <mm/shmem.h>
#include <mm/vm.h>

namespace {

constexpr u32 FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4,
              FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
constexpr u32 FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
constexpr u32 FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF;

/*
 * What names a futex. A private one (FUTEX_PRIVATE_FLAG, or any word in private memory):
 * the address space and the address in it. A shared one in MAP_SHARED memory (anonymous,
 * a tmpfs file, a SysV segment): the shared object and the word's offset in it, so that
 * every process mapping the object, wherever, names the same futex (Linux keys such a
 * futex by inode and page offset). A key that names an object holds a reference on it,
 * so that the object cannot go and another take its address while somebody waits.
 */
struct FutexKey {
    const void* space;
    u32 address;
    mm::ShmObject* object = nullptr;    /* set for a shared key: `space` is this object */

    bool operator==(const FutexKey& other) const
    {
        return space == other.space && address == other.address;
    }
};

FutexKey futex_key(const Task& t, u32 address, bool is_private)
{
    if (!is_private && t.mm) {
        const mm::Region* r = t.mm->find(address);
        if (r && r->kind == mm::RegionKind::Shared && r->shm) {
            mm::shm_get(r->shm);
            return { r->shm, r->offset + (address - r->start), r->shm };
        }
    }
    return { t.mm, address, nullptr };
}

/* Gives back the reference a shared key holds. */
void key_put(const FutexKey& key)
{
    if (key.object)
        mm::shm_put(key.object);
}

struct FutexWaiter {
    FutexKey key;
    u32 bitset;
    Task* task;
    WaitQueue queue;
    bool woken = false;
    FutexWaiter* next = nullptr;
};

FutexWaiter* waiters;                   /* all sleeping waiters; interrupts off to touch */

void unlink_locked(FutexWaiter* w)
{
    FutexWaiter** link = &waiters;
    while (*link && *link != w)
        link = &(*link)->next;
    if (*link)
        *link = w->next;
}

ErrorOr<int> futex_wait(u32 uaddr, u32 expected, u32 bitset, u32 deadline, bool is_private)
{
    FutexWaiter w = { futex_key(*current, uaddr, is_private), bitset, current, WaitQueue(), false,
                      nullptr };
    /* The key the waiter has at the end (a requeue may have moved it): its reference goes. */
    struct KeyRelease {
        FutexWaiter& w;
        ~KeyRelease() { key_put(w.key); }
    } release { w };
    {
        arch::InterruptDisabler guard;
        w.next = waiters;
        waiters = &w;
    }
    /* Queued before reading, so that a wake after the read finds the waiter. */
    u32 value;
    ErrorOr<void> read = copy_from_user(value, Userspace<const u32*>(uaddr));
    if (read.is_error() || value != expected) {
        arch::InterruptDisabler guard;
        unlink_locked(&w);
        if (read.is_error())
            return read.error();
        return Error::from_errno(EAGAIN);
    }
    WaitResult r = wait_event(w.queue, Interruptible::Yes, [&w] { return w.woken; }, deadline);
    arch::InterruptDisabler guard;
    if (w.woken)
        return 0;
    unlink_locked(&w);
    return Error::from_errno(r == WaitResult::TimedOut ? ETIMEDOUT : EINTR);
}

/*
 * Wakes up to `nr_wake` waiters on `key` whose bitset meets `bitset`, then moves up to
 * nr_requeue more to `target`. The number woken and moved. The caller holds both keys'
 * references, so the puts here never free an object.
 */
int wake_locked(const FutexKey& key, u32 bitset, u32 nr_wake, u32 nr_requeue, const FutexKey& target)
{
    u32 woken = 0, moved = 0;
    for (FutexWaiter** link = &waiters; *link;) {
        FutexWaiter* w = *link;
        if (!(w->key == key) || !(w->bitset & bitset)) {
            link = &w->next;
            continue;
        }
        if (woken < nr_wake) {
            *link = w->next;
            w->woken = true;
            wake_up(w->queue);
            woken++;
        } else if (moved < nr_requeue) {
            /* The waiter's reference moves from the old object to the new one. */
            if (target.object)
                mm::shm_get(target.object);
            key_put(w->key);
            w->key = target;
            moved++;
            link = &w->next;
        } else {
            break;
        }
    }
    return int(woken + moved);
}

int futex_wake(u32 uaddr, u32 bitset, bool is_private, u32 nr_wake, u32 nr_requeue = 0,
               u32 uaddr2 = 0)
{
    FutexKey key = futex_key(*current, uaddr, is_private);
    FutexKey target = nr_requeue ? futex_key(*current, uaddr2, is_private) : FutexKey { };
    int n;
    {
        arch::InterruptDisabler guard;
        n = wake_locked(key, bitset, nr_wake, nr_requeue, target);
    }
    key_put(target);
    key_put(key);
    return n;
}

ErrorOr<u32> timeout_deadline(Userspace<const Timespec*> timeout, bool absolute, int clock)
{
    if (timeout.is_null())
        return 0u;
    Timespec ts;
    TRY(copy_from_user(ts, timeout));
    if (!timespec_valid(ts))
        return Error::from_errno(EINVAL);
    if (absolute) {
        Timespec now = clock_now(clock);
        /* 64 bits: the difference of two i32 seconds does not fit in one. */
        i64 sec = i64(ts.sec) - now.sec;
        i32 nsec = ts.nsec - now.nsec;
        if (nsec < 0) {
            nsec += 1000000000;
            sec--;
        }
        if (sec < 0 || (sec == 0 && nsec == 0)) {
            u32 j = jiffies;
            return j ? j : ~0u;         /* a deadline already past */
        }
        ts = { sec > INT32_MAX ? INT32_MAX : i32(sec), nsec };
    }
    return deadline_in(ticks_covering(u32(ts.sec), u32(ts.nsec)));
}

} // namespace

void futex_wake_one(u32 uaddr)
{
    /* clear_child_tid: a shared futex, as Linux's exit wakes it. */
    futex_wake(uaddr, FUTEX_BITSET_MATCH_ANY, false, 1);
}

ErrorOr<int> sys_futex(u32 uaddr, u32 op, u32 val, u32 timeout_or_val2, u32 uaddr2, u32 val3)
{
    u32 cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool is_private = op & FUTEX_PRIVATE_FLAG;
    if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return Error::from_errno(ENOSYS);
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        break;
    default:
        return Error::from_errno(ENOSYS);
    }
    if (uaddr & 3)
        return Error::from_errno(EINVAL);
    u32 bitset = cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET ? val3 : FUTEX_BITSET_MATCH_ANY;
    if (!bitset)
        return Error::from_errno(EINVAL);
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        /*
         * FUTEX_WAIT's timeout is relative, whatever the clock; FUTEX_WAIT_BITSET's an
         * absolute time on CLOCK_MONOTONIC or, asked, CLOCK_REALTIME.
         */
        int clock = op & FUTEX_CLOCK_REALTIME ? 0 : 1;
        u32 deadline = TRY(timeout_deadline(Userspace<const Timespec*>(timeout_or_val2),
                                            cmd == FUTEX_WAIT_BITSET, clock));
        return futex_wait(uaddr, val, bitset, deadline, is_private);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        return futex_wake(uaddr, bitset, is_private, val ? val : 1);      /* as Linux: 0 wakes one */
    default: {
        if (uaddr2 & 3)
            return Error::from_errno(EINVAL);
        if (i32(val) < 0 || i32(timeout_or_val2) < 0)
            return Error::from_errno(EINVAL);
        if (cmd == FUTEX_CMP_REQUEUE) {
            u32 value;
            TRY(copy_from_user(value, Userspace<const u32*>(uaddr)));
            if (value != val3)
                return Error::from_errno(EAGAIN);
        }
        return futex_wake(uaddr, FUTEX_BITSET_MATCH_ANY, is_private, val, timeout_or_val2, uaddr2);
    }
    }
}
