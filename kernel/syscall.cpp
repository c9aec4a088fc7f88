/* The system-call table: Linux's i386 numbers (CONTRACT §6); the rest is -ENOSYS. */
#include <arch/interrupts.h>
#include <kernel/error.h>
#include <kernel/session.h>
#include <kernel/syscall.h>
#include <kernel/task.h>

#include <utility>


namespace {

using Handler = long (*)(TrapFrame&);

/* What goes back in eax: a value as it is, an Error as -errno. */
long result_register(long value) { return value; }
template <typename T>
long result_register(const ErrorOr<T>& result) { return to_syscall_result(result); }

/*
 * Calls f with as many register arguments as it takes: ebx, ecx, edx, esi, edi, ebp. A
 * Userspace<T*> parameter is made here, explicitly, from its register.
 */
template<typename R, typename... Args, size_t... I>
long call(R (*f)(Args...), const TrapFrame& fr, std::index_sequence<I...>)
{
    [[maybe_unused]] const u32 regs[6] = { fr.ebx, fr.ecx, fr.edx, fr.esi, fr.edi, fr.ebp };
    return result_register(f(static_cast<Args>(regs[I])...));
}

template<auto F>
long entry(TrapFrame& frame)
{
    return call(F, frame, std::make_index_sequence<[]<typename R, typename... A>(R (*)(A...)) {
        return sizeof...(A);
    }(F)>());
}

struct Entry {
    u32 number;
    Handler handler;
};

constexpr Entry entries[] = {
    { 1, entry<sys_exit> }, { 2, entry<sys_fork> }, { 3, entry<sys_read> },
    { 4, entry<sys_write> }, { 5, entry<sys_open> }, { 6, entry<sys_close> },
    { 7, entry<sys_waitpid> }, { 11, entry<sys_execve> }, { 12, entry<sys_chdir> },
    { 13, entry<sys_time> }, { 19, entry<sys_lseek> }, { 20, entry<sys_getpid> },
    { 24, entry<sys_getuid> }, { 29, entry<sys_pause> }, { 33, entry<sys_access> },
    { 36, entry<sys_sync> }, { 37, entry<sys_kill> }, { 41, entry<sys_dup> },
    { 42, entry<sys_pipe> }, { 45, entry<sys_brk> }, { 47, entry<sys_getuid> },
    { 49, entry<sys_getuid> }, { 50, entry<sys_getuid> }, { 54, entry<sys_ioctl> },
    { 60, entry<sys_umask> }, { 63, entry<sys_dup2> }, { 64, entry<sys_getppid> },
    { 75, entry<sys_setrlimit> }, { 77, entry<sys_getrusage> }, { 78, entry<sys_gettimeofday> },
    { 85, entry<sys_readlink> }, { 87, entry<sys_swapon> }, { 88, entry<sys_reboot> },
    { 91, entry<sys_munmap> }, { 114, entry<sys_wait4> }, { 115, entry<sys_swapoff> },
    { 116, entry<sys_sysinfo> }, { 119, entry<sys_sigreturn> }, { 120, entry<sys_clone> },
    { 122, entry<sys_uname> }, { 125, entry<sys_mprotect> },
    { 140, entry<sys_llseek> }, { 145, entry<sys_readv> }, { 146, entry<sys_writev> },
    { 118, entry<sys_fsync> }, { 148, entry<sys_fsync> },
    { 158, entry<sys_sched_yield> }, { 162, entry<sys_nanosleep> },
    { 180, entry<sys_pread64> }, { 181, entry<sys_pwrite64> },
    { 173, entry<sys_rt_sigreturn> }, { 174, entry<sys_rt_sigaction> },
    { 175, entry<sys_rt_sigprocmask> }, { 183, entry<sys_getcwd> },
    { 191, entry<sys_ugetrlimit> }, { 192, entry<sys_mmap2> }, { 195, entry<sys_stat64> },
    { 196, entry<sys_lstat64> }, { 197, entry<sys_fstat64> }, { 199, entry<sys_getuid> },
    { 200, entry<sys_getuid> }, { 201, entry<sys_getuid> }, { 202, entry<sys_getuid> },
    { 220, entry<sys_getdents64> }, { 221, entry<sys_fcntl64> }, { 224, entry<sys_getpid> },
    { 238, entry<sys_tkill> }, { 243, entry<sys_set_thread_area> },
    { 252, entry<sys_exit> }, { 258, entry<sys_set_tid_address> },
    { 265, entry<sys_clock_gettime> },
    { 266, entry<sys_clock_getres> }, { 267, entry<sys_clock_nanosleep> },
    { 270, entry<sys_tgkill> }, { 295, entry<sys_openat> }, { 300, entry<sys_fstatat64> },
    { 305, entry<sys_readlinkat> }, { 307, entry<sys_faccessat> }, { 330, entry<sys_dup3> },
    { 331, entry<sys_pipe2> }, { 340, entry<sys_prlimit64> }, { 355, entry<sys_getrandom> },
    /* The file tree: kernel/sys_fs_tree.cpp. */
    { 9, entry<sys_link> }, { 10, entry<sys_unlink> }, { 15, entry<sys_chmod> },
    { 38, entry<sys_rename> }, { 39, entry<sys_mkdir> }, { 40, entry<sys_rmdir> },
    { 61, entry<sys_chroot> }, { 83, entry<sys_symlink> }, { 92, entry<sys_truncate> },
    { 93, entry<sys_ftruncate> }, { 94, entry<sys_fchmod> }, { 133, entry<sys_fchdir> },
    { 193, entry<sys_truncate64> }, { 194, entry<sys_ftruncate64> }, { 198, entry<sys_lchown32> },
    { 207, entry<sys_fchown32> }, { 212, entry<sys_chown32> }, { 268, entry<sys_statfs64> },
    { 269, entry<sys_fstatfs64> }, { 296, entry<sys_mkdirat> }, { 298, entry<sys_fchownat> },
    { 301, entry<sys_unlinkat> }, { 302, entry<sys_renameat> }, { 303, entry<sys_linkat> },
    { 304, entry<sys_symlinkat> }, { 306, entry<sys_fchmodat> }, { 320, entry<sys_utimensat> },
    { 353, entry<sys_renameat2> },
    /* Process groups and sessions (kernel/session.cpp). */
    { 57, entry<sys_setpgid> }, { 65, entry<sys_getpgrp> }, { 66, entry<sys_setsid> },
    { 132, entry<sys_getpgid> }, { 147, entry<sys_getsid> },
    /* Interval timers. */
    { 27, entry<sys_alarm> }, { 104, entry<sys_setitimer> }, { 105, entry<sys_getitimer> },
    /* Waiting for signals; the alternate signal stack. */
    { 72, entry<sys_sigsuspend> }, { 73, entry<sys_sigpending> }, { 176, entry<sys_rt_sigpending> },
    { 177, entry<sys_rt_sigtimedwait> }, { 179, entry<sys_rt_sigsuspend> },
    { 186, entry<sys_sigaltstack> },
    /* Waiting for files. */
    { 142, entry<sys_select> }, { 168, entry<sys_poll> }, { 308, entry<sys_pselect6> },
    { 309, entry<sys_ppoll> },
    /* Futexes. */
    { 240, entry<sys_futex> },
    /* A process's standing: groups, priority, CPU affinity, name and parent-death signal. */
    { 34, entry<sys_nice> }, { 80, entry<sys_getgroups> }, { 81, entry<sys_setgroups> },
    { 96, entry<sys_getpriority> }, { 97, entry<sys_setpriority> }, { 172, entry<sys_prctl> },
    { 205, entry<sys_getgroups32> }, { 206, entry<sys_setgroups32> },
    { 241, entry<sys_sched_setaffinity> }, { 242, entry<sys_sched_getaffinity> },
    /* File to file. */
    { 187, entry<sys_sendfile> }, { 239, entry<sys_sendfile64> },
    /* The kernel log. */
    { 103, entry<sys_syslog> },
    /* vfork: the child borrows the parent's memory until it execs or exits. */
    { 190, entry<sys_vfork> },
    /* Shared memory: msync, the ipc multiplexer and the direct SysV shm calls. */
    { 144, entry<sys_msync> }, { 117, entry<sys_ipc> },
    { 395, entry<sys_shmget> }, { 396, entry<sys_shmctl> }, { 397, entry<sys_shmat> }, { 398, entry<sys_shmdt> },
    /* Setting the clock. */
    { 79, entry<sys_settimeofday> }, { 264, entry<sys_clock_settime> },
    /* Regions: mremap, mlock, madvise, mincore. */
    { 150, entry<sys_mlock> }, { 151, entry<sys_munlock> }, { 152, entry<sys_mlockall> },
    { 153, entry<sys_munlockall> }, { 163, entry<sys_mremap> }, { 218, entry<sys_mincore> },
    { 219, entry<sys_madvise> }, { 376, entry<sys_mlock2> },
};

constexpr u32 NR_SYSCALLS = 450;

struct Table {
    Handler handlers[NR_SYSCALLS] = { };
    constexpr Table()
    {
        for (const Entry& e : entries)
            handlers[e.number] = e.handler;
    }
};
constexpr Table table;

} // namespace

long syscall_dispatch(TrapFrame& frame)
{
    u32 nr = frame.eax;
    if (nr >= NR_SYSCALLS || !table.handlers[nr])
        return -ENOSYS;
    return table.handlers[nr](frame);
}
