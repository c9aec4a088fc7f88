/* Time, identity, limits, TLS, power: the smaller system calls. */
#include <arch/cpu.h>
#include <arch/segments.h>
#include <drivers/power.h>
#include <drivers/timer.h>
#include <kernel/error.h>
#include <kernel/kstat.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/timeout.h>
#include <kernel/uaccess.h>
#include <kernel/version.h>
#include <mm/memory.h>
#include <mm/swap.h>
#include <mm/vm.h>

namespace {

constexpr i32 NSEC_PER_SEC = 1000000000;
constexpr u32 NSEC_PER_TICK = NSEC_PER_SEC / HZ;

/* Linux's timespec64_valid: what both nanosleeps accept, relative or absolute. */
bool valid(const Timespec& t)
{
    return t.sec >= 0 && t.nsec >= 0 && t.nsec < NSEC_PER_SEC;
}

/* Sleeps for `ticks` (< 2^31); EINTR (and the ticks left) if a signal comes first. */
ErrorOr<void> sleep_ticks(u32 ticks, u32& left)
{
    WaitQueue nobody;
    u32 deadline = jiffies + ticks;
    if (deadline == 0)
        deadline = 1;                   /* 0 means "no deadline" to wait_event */
    if (wait_event(nobody, Interruptible::Yes, [] { return false; }, deadline) == WaitResult::Interrupted) {
        left = i32(deadline - jiffies) > 0 ? deadline - jiffies : 0;
        return Error::from_errno(EINTR);
    }
    left = 0;
    return {};
}

/*
 * Sleeps sec seconds and nsec nanoseconds, rounded up to whole ticks plus one: never less
 * than asked. Any valid time is slept in full: up to 2^31 seconds is 2^37 ticks, more than
 * a jiffies deadline can hold, so the seconds go in pieces that can. On EINTR, *left
 * (if given) holds the time that remained.
 */
ErrorOr<void> sleep_for(u32 sec, u32 nsec, Timespec* left)
{
    constexpr u32 max_piece_sec = 1u << 20;             /* 2^20 * HZ ticks < 2^31 */
    u32 ticks = (nsec + NSEC_PER_TICK - 1) / NSEC_PER_TICK + 1;
    do {
        u32 piece = sec < max_piece_sec ? sec : max_piece_sec;
        sec -= piece;
        u32 ticks_left;
        if (sleep_ticks(piece * HZ + ticks, ticks_left).is_error()) {
            if (left) {
                u32 s = sec + ticks_left / HZ;
                *left = { s > u32(INT32_MAX) ? INT32_MAX : i32(s),
                          i32((ticks_left % HZ) * NSEC_PER_TICK) };
            }
            return Error::from_errno(EINTR);
        }
        ticks = 0;
    } while (sec);
    return {};
}

ErrorOr<void> nanosleep_common(Userspace<const Timespec*> req_addr, Userspace<Timespec*> rem_addr)
{
    Timespec req;
    TRY(copy_from_user(req, req_addr));
    if (!valid(req))
        return Error::from_errno(EINVAL);
    Timespec rem;
    ErrorOr<void> slept = sleep_for(u32(req.sec), u32(req.nsec), &rem);
    if (slept.is_error() && !rem_addr.is_null())
        TRY(copy_to_user(rem_addr, rem));
    return slept;
}

/* TIMER_ABSTIME: sleeps until `until` on the clock; a time already past returns at once. */
ErrorOr<void> sleep_until(int clock, Userspace<const Timespec*> until_addr)
{
    Timespec until;
    TRY(copy_from_user(until, until_addr));
    if (!valid(until))
        return Error::from_errno(EINVAL);
    Timespec n = clock_now(clock == CLOCK_REALTIME ? CLOCK_REALTIME : 1);      /* CLOCK_MONOTONIC */
    /* 64 bits: the difference of two i32 seconds does not fit in one. */
    i64 sec = i64(until.sec) - n.sec;
    i32 nsec = until.nsec - n.nsec;
    if (nsec < 0) {
        nsec += NSEC_PER_SEC;
        sec--;
    }
    if (sec < 0 || (sec == 0 && nsec == 0))
        return {};
    return sleep_for(u32(sec), u32(nsec), nullptr);
}

} // namespace

u32 arch_entropy()
{
    u32 e = jiffies * 2654435761u ^ u32(boot_time());
    if (cpu_hwcap() & (1u << 4))        /* TSC */
        e ^= u32(arch::rdtsc());
    return e;
}

/* Linux i386's struct rusage: two timevals, then 14 longs. */
struct LinuxRusage {
    u32 fields[18];
};

ErrorOr<void> fill_rusage(Userspace<LinuxRusage*> to, u32 utime, u32 stime, u32 min_flt,
                          u32 maj_flt, u32 max_rss_pages)
{
    LinuxRusage r = { };
    r.fields[0] = utime / HZ;
    r.fields[1] = (utime % HZ) * (1000000 / HZ);
    r.fields[2] = stime / HZ;
    r.fields[3] = (stime % HZ) * (1000000 / HZ);
    r.fields[4] = max_rss_pages * (PAGE_SIZE / 1024);   /* ru_maxrss, kB */
    r.fields[8] = min_flt;
    r.fields[9] = maj_flt;
    return copy_to_user(to, r);
}

ErrorOr<void> sys_getrusage(int who, Userspace<LinuxRusage*> to)
{
    Task* t = current;
    if (who == 0)                       /* RUSAGE_SELF */
        return fill_rusage(to, t->utime, t->stime, t->min_flt, t->maj_flt, t->max_rss);
    if (who == -1)                      /* RUSAGE_CHILDREN */
        return fill_rusage(to, t->cutime, t->cstime, t->cmin_flt, t->cmaj_flt, t->cmax_rss);
    return Error::from_errno(EINVAL);
}

ErrorOr<i32> sys_time(Userspace<i32*> to)
{
    i32 t = clock_now(CLOCK_REALTIME).sec;
    if (!to.is_null())
        TRY(copy_to_user(to, t));
    return t;
}

ErrorOr<void> sys_clock_gettime(int clock, Userspace<Timespec*> to)
{
    if (!clock_id_valid(clock))
        return Error::from_errno(EINVAL);
    return copy_to_user(to, clock_now(clock));
}

ErrorOr<void> sys_clock_getres(int clock, Userspace<Timespec*> to)
{
    if (!clock_id_valid(clock))
        return Error::from_errno(EINVAL);
    if (!to.is_null())
        TRY(copy_to_user(to, Timespec { 0, 1000000000 / HZ }));
    return {};
}

ErrorOr<void> sys_gettimeofday(Userspace<TwoWords*> tv, Userspace<TwoWords*> tz)
{
    Timespec ts = clock_now(CLOCK_REALTIME);
    if (!tv.is_null())
        TRY(copy_to_user(tv, TwoWords { ts.sec, ts.nsec / 1000 }));
    if (!tz.is_null()) {
        TwoWords zone;
        current_timezone(zone.first, zone.second);
        TRY(copy_to_user(tz, zone));
    }
    return {};
}

ErrorOr<void> sys_nanosleep(Userspace<const Timespec*> req, Userspace<Timespec*> rem)
{
    return nanosleep_common(req, rem);
}

ErrorOr<void> sys_clock_nanosleep(int clock, int flags, Userspace<const Timespec*> req,
                                  Userspace<Timespec*> rem)
{
    if (!clock_id_valid(clock))
        return Error::from_errno(EINVAL);
    if (flags & 1)                      /* TIMER_ABSTIME */
        return sleep_until(clock, req);
    return nanosleep_common(req, rem);
}

/* struct new_utsname: six fields of 65 bytes. */
struct Utsname {
    char fields[6][65];
};

ErrorOr<void> sys_uname(Userspace<Utsname*> to)
{
    Utsname name;
    auto& u = name.fields;
    memset(u, 0, sizeof u);
    memcpy(u[0], KERNEL_NAME, sizeof KERNEL_NAME);
    memcpy(u[1], "ferrite", 8);
    memcpy(u[2], KERNEL_VERSION, sizeof KERNEL_VERSION);
    memcpy(u[3], "#1", 3);
    memcpy(u[4], cpu_platform(), 5);
    memcpy(u[5], "(none)", 7);
    return copy_to_user(to, name);
}

/* Linux i386's struct sysinfo (64 bytes), in pages of mem_unit bytes. */
struct SysInfo {
    i32 uptime;
    u32 loads[3];
    u32 totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    u16 procs, pad;
    u32 totalhigh, freehigh, mem_unit;
    char reserved[8];
};

ErrorOr<void> sys_sysinfo(Userspace<SysInfo*> to)
{
    SysInfo info;
    memset(&info, 0, sizeof info);
    info.uptime = i32(jiffies / HZ);
    for (int i = 0; i < 3; i++)
        info.loads[i] = avenrun[i] << (16 - FSHIFT);       /* SI_LOAD_SHIFT */
    info.totalram = mm::managed_pages;
    info.freeram = nr_free_pages();
    mm::SwapTotal swap = mm::swap_totals();
    info.totalswap = swap.pages;
    info.freeswap = swap.pages - swap.used;
    for (Task* t : task)
        info.procs += t != nullptr;
    info.mem_unit = PAGE_SIZE;
    static_assert(sizeof info == 64);
    return copy_to_user(to, info);
}

namespace {
constexpr u32 RLIM_INFINITY = ~0u;

bool rlimit_of(u32 resource, u32& cur, u32& max)
{
    switch (resource) {
    case 3: cur = mm::STACK_LIMIT; max = RLIM_INFINITY; return true;    /* RLIMIT_STACK */
    case 7: cur = max = NR_OPEN; return true;                           /* RLIMIT_NOFILE */
    case 6: cur = max = NR_TASKS; return true;                          /* RLIMIT_NPROC */
    case 4: cur = max = 0; return true;                                 /* RLIMIT_CORE */
    case 8: cur = max = 8u << 20; return true;      /* RLIMIT_MEMLOCK: root is not held to it */
    default: cur = max = RLIM_INFINITY; return resource < 16;
    }
}
} // namespace

/* struct rlimit, and struct rlimit64 for prlimit64. */
struct Rlimit {
    u32 cur, max;
};
struct Rlimit64 {
    u64 cur, max;
};

ErrorOr<void> sys_ugetrlimit(u32 resource, Userspace<Rlimit*> to)
{
    Rlimit lim;
    if (!rlimit_of(resource, lim.cur, lim.max))
        return Error::from_errno(EINVAL);
    return copy_to_user(to, lim);
}

/* Accepted, not enforced: the new limits are not even read. */
ErrorOr<void> sys_setrlimit(u32 resource, Userspace<const Rlimit*>)
{
    u32 cur, max;
    if (!rlimit_of(resource, cur, max))
        return Error::from_errno(EINVAL);
    return {};
}

ErrorOr<void> sys_prlimit64(int pid, u32 resource, Userspace<const Rlimit64*>,
                            Userspace<Rlimit64*> old_limit)
{
    if (pid && pid != current->pid)
        return Error::from_errno(ESRCH);
    u32 cur, max;
    if (!rlimit_of(resource, cur, max))
        return Error::from_errno(EINVAL);
    auto widen = [](u32 v) { return v == RLIM_INFINITY ? ~u64(0) : u64(v); };
    if (!old_limit.is_null())
        TRY(copy_to_user(old_limit, Rlimit64 { widen(cur), widen(max) }));
    return {};
}

ErrorOr<void> sys_reboot(u32 magic1, u32 magic2, u32 cmd)
{
    constexpr u32 MAGIC1 = 0xfee1dead;
    constexpr u32 CMD_RESTART = 0x01234567, CMD_HALT = 0xCDEF0123, CMD_POWER_OFF = 0x4321FEDC;
    if (magic1 != MAGIC1 || (magic2 != 672274793 && magic2 != 85072278 && magic2 != 369367448 && magic2 != 537993216))
        return Error::from_errno(EINVAL);
    if (cmd == CMD_POWER_OFF || cmd == CMD_HALT || cmd == CMD_RESTART)
        machine_power_off(0);
    if (cmd != 0 && cmd != 0x89ABCDEF)  /* Ctrl-Alt-Del on/off */
        return Error::from_errno(EINVAL);
    return {};
}

ErrorOr<size_t> sys_getrandom(Userspace<void*> buf, u32 len, u32 flags)
{
    if (flags & ~7u)
        return Error::from_errno(EINVAL);
    static u32 state;
    if (!state)
        state = arch_entropy() | 1;
    u32 done = 0;
    while (done < len) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        u32 n = len - done < 4 ? len - done : 4;
        if (ErrorOr<void> copied = copy_to_user(buf.offset(done), &state, n); copied.is_error())
            return bytes_or_error(done, copied.error());
        done += n;
    }
    return size_t(done);
}

/* struct user_desc */
struct UserDesc {
    i32 entry_number;
    u32 base_addr, limit;
    u32 bits;   /* seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1 useable:1 */
};

ErrorOr<void> sys_set_thread_area(Userspace<UserDesc*> user_desc)
{
    UserDesc d;
    TRY(copy_from_user(d, Userspace<const UserDesc*>(user_desc)));
    int index = d.entry_number;
    if (index == -1) {
        for (int i = 0; i < GDT_ENTRY_TLS_ENTRIES && index == -1; i++)
            if (!current->tls[i])
                index = GDT_ENTRY_TLS_MIN + i;
        if (index == -1)
            return Error::from_errno(ESRCH);
        d.entry_number = index;
        TRY(copy_to_user(user_desc.as<i32>(), d.entry_number));
    }
    if (index < GDT_ENTRY_TLS_MIN || index >= GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES)
        return Error::from_errno(EINVAL);
    bool seg_32bit = d.bits & 1, read_exec_only = d.bits & 8, limit_in_pages = d.bits & 16;
    bool not_present = d.bits & 32, useable = d.bits & 64;
    u32 contents = (d.bits >> 1) & 3;
    u64 desc = 0;
    /* Linux's two ways to clear an entry: its "empty" descriptor, or all zero. */
    bool empty = !d.base_addr && !d.limit && ((read_exec_only && not_present) || !(d.bits & 0x7F));
    if (!empty) {
        /* Present data segments only, as Linux allows: nothing a return could not load. */
        if (contents > 1 || not_present)
            return Error::from_errno(EINVAL);
        u32 type = 0x10 | (contents << 2) | (read_exec_only ? 0 : 2) | 1;    /* accessed already */
        desc = u64(d.limit & 0xFFFF) | u64(d.base_addr & 0xFFFFFF) << 16 | u64(type) << 40
             | u64(3) << 45 | u64(not_present ? 0 : 1) << 47 | u64((d.limit >> 16) & 0xF) << 48
             | u64(useable) << 52 | u64(seg_32bit) << 54 | u64(limit_in_pages) << 55
             | u64(d.base_addr >> 24) << 56;
    }
    int i = index - GDT_ENTRY_TLS_MIN;
    current->tls[i] = desc;
    gdt[index] = desc;
    return {};
}

long sys_sync() { return 0; }
