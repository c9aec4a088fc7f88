/*
 * System calls: Linux's i386 numbers and semantics (CONTRACT §6). Each sys_* takes its
 * arguments as the registers hold them, user addresses as Userspace<T*>, and returns a
 * value or an Error; the dispatcher turns an Error into -errno.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>
#include <kernel/userspace.h>

struct TrapFrame;

/* A path from user space, made absolute against the working directory. */
class PathBuffer {
public:
    PathBuffer() = default;
    ~PathBuffer();
    PathBuffer(const PathBuffer&) = delete;
    ErrorOr<void> from_user(Userspace<const char*> path);
    /* The *at calls: a relative path starts in directory dirfd (AT_FDCWD: the working one). */
    ErrorOr<void> from_user_at(int dirfd, Userspace<const char*> path);
    const char* get() const { return m_path; }
    /*
     * Whether the path as given ended in "." or ".." (1 or 2; 0 otherwise): joining
     * removes them, but the calls that change names answer them with errors of their own.
     */
    int last_dots() const { return m_last_dots; }
private:
    char* m_path = nullptr;
    int m_last_dots = 0;
};

/* Linux's struct rusage, filled for the user. */
struct LinuxRusage;
ErrorOr<void> fill_rusage(Userspace<LinuxRusage*> to, u32 utime, u32 stime, u32 min_flt,
                          u32 maj_flt, u32 max_rss_pages);
ErrorOr<void> kernel_execve(const char* path);
/* The child's pid. */
ErrorOr<int> do_fork(u32 flags, u32 child_stack, Userspace<int*> parent_tid,
                     Userspace<int*> child_tid);
void open_console_for_init();
namespace fs { class File; }
/* A pipe's two ends: [0] reads, [1] writes. */
ErrorOr<void> make_pipe(fs::File* ends[2]);
u32 cpu_hwcap();
/* CLOCK_REALTIME's seconds (time()). */
u32 real_time_seconds();
/* The machine as Linux names it (uname, AT_PLATFORM): i486, i586 or i686 by CPU family. */
const char* cpu_platform();
u32 arch_entropy();
/* Seconds since 1970 by the CMOS clock, read now (the boot time comes from it too). */
u32 read_rtc();

/* Processes. */
[[noreturn]] long sys_exit(int code);
ErrorOr<int> sys_fork();
ErrorOr<int> sys_vfork();
ErrorOr<int> sys_clone(u32 flags, u32 child_stack, Userspace<int*> parent_tid,
                       Userspace<void*> tls, Userspace<int*> child_tid);
ErrorOr<void> sys_execve(Userspace<const char*> path, Userspace<const u32*> argv,
                         Userspace<const u32*> envp);
ErrorOr<int> sys_wait4(int pid, Userspace<int*> status, u32 options,
                       Userspace<LinuxRusage*> rusage);
ErrorOr<int> sys_waitpid(int pid, Userspace<int*> status, u32 options);
long sys_getpid();
long sys_getppid();
long sys_getuid();
long sys_set_tid_address(Userspace<int*> tidptr);
long sys_sched_yield();

/* Signals. */
ErrorOr<void> sys_kill(int pid, int sig);
ErrorOr<void> sys_tgkill(int tgid, int tid, int sig);
ErrorOr<void> sys_tkill(int tid, int sig);
ErrorOr<void> sys_pause();
long sys_sigreturn();
long sys_rt_sigreturn();
struct SigAction;
ErrorOr<void> sys_rt_sigaction(int sig, Userspace<const SigAction*> act,
                               Userspace<SigAction*> oldact, u32 sigsetsize);
ErrorOr<void> sys_rt_sigprocmask(int how, Userspace<const u64*> set, Userspace<u64*> oldset,
                                 u32 sigsetsize);

/* Files, pipes, swap. */
struct Stat64;
struct IoVec;
ErrorOr<size_t> sys_read(int, Userspace<void*>, u32);
ErrorOr<size_t> sys_write(int, Userspace<const void*>, u32);
ErrorOr<int> sys_open(Userspace<const char*>, u32, u32);
ErrorOr<int> sys_openat(int, Userspace<const char*>, u32, u32);
ErrorOr<void> sys_close(int);
ErrorOr<long> sys_lseek(int, i32, int);
ErrorOr<void> sys_llseek(int, u32, u32, Userspace<i64*>, int);
ErrorOr<void> sys_ioctl(int, u32, Userspace<void*>);
ErrorOr<void> sys_stat64(Userspace<const char*>, Userspace<Stat64*>);
ErrorOr<void> sys_lstat64(Userspace<const char*>, Userspace<Stat64*>);
ErrorOr<void> sys_fstat64(int, Userspace<Stat64*>);
ErrorOr<void> sys_fstatat64(int, Userspace<const char*>, Userspace<Stat64*>, u32);
ErrorOr<size_t> sys_getdents64(int, Userspace<void*>, u32);
ErrorOr<size_t> sys_readlink(Userspace<const char*>, Userspace<char*>, int);
ErrorOr<size_t> sys_readlinkat(int, Userspace<const char*>, Userspace<char*>, int);
ErrorOr<void> sys_access(Userspace<const char*>, int);
ErrorOr<void> sys_faccessat(int, Userspace<const char*>, int);
ErrorOr<void> sys_chdir(Userspace<const char*>);
ErrorOr<size_t> sys_getcwd(Userspace<char*>, u32);
ErrorOr<int> sys_dup(int);
ErrorOr<int> sys_dup2(int, int);
ErrorOr<int> sys_dup3(int, int, u32);
ErrorOr<long> sys_fcntl64(int, int, u32);
ErrorOr<void> sys_pipe(Userspace<int*>);
ErrorOr<void> sys_pipe2(Userspace<int*>, u32);
ErrorOr<size_t> sys_writev(int, Userspace<const IoVec*>, int);
ErrorOr<size_t> sys_readv(int, Userspace<const IoVec*>, int);
ErrorOr<size_t> sys_pread64(int, Userspace<void*>, u32, u32, u32);
ErrorOr<size_t> sys_pwrite64(int, Userspace<const void*>, u32, u32, u32);
ErrorOr<void> sys_fsync(int);
/* The tree: kernel/sys_fs_tree.cpp. */
struct Statfs64;
struct UserTimespec;
ErrorOr<void> sys_mkdir(Userspace<const char*>, u32);
ErrorOr<void> sys_mkdirat(int, Userspace<const char*>, u32);
ErrorOr<void> sys_rmdir(Userspace<const char*>);
ErrorOr<void> sys_unlink(Userspace<const char*>);
ErrorOr<void> sys_unlinkat(int, Userspace<const char*>, u32);
ErrorOr<void> sys_rename(Userspace<const char*>, Userspace<const char*>);
ErrorOr<void> sys_renameat(int, Userspace<const char*>, int, Userspace<const char*>);
ErrorOr<void> sys_renameat2(int, Userspace<const char*>, int, Userspace<const char*>, u32);
ErrorOr<void> sys_link(Userspace<const char*>, Userspace<const char*>);
ErrorOr<void> sys_linkat(int, Userspace<const char*>, int, Userspace<const char*>, u32);
ErrorOr<void> sys_symlink(Userspace<const char*>, Userspace<const char*>);
ErrorOr<void> sys_symlinkat(Userspace<const char*>, int, Userspace<const char*>);
ErrorOr<void> sys_chmod(Userspace<const char*>, u32);
ErrorOr<void> sys_fchmod(int, u32);
ErrorOr<void> sys_fchmodat(int, Userspace<const char*>, u32);
ErrorOr<void> sys_chown32(Userspace<const char*>, u32, u32);
ErrorOr<void> sys_lchown32(Userspace<const char*>, u32, u32);
ErrorOr<void> sys_fchown32(int, u32, u32);
ErrorOr<void> sys_fchownat(int, Userspace<const char*>, u32, u32, u32);
ErrorOr<void> sys_utimensat(int, Userspace<const char*>, Userspace<const UserTimespec*>, u32);
ErrorOr<void> sys_truncate(Userspace<const char*>, i32);
ErrorOr<void> sys_ftruncate(int, i32);
ErrorOr<void> sys_truncate64(Userspace<const char*>, u32, u32);
ErrorOr<void> sys_ftruncate64(int, u32, u32);
ErrorOr<void> sys_statfs64(Userspace<const char*>, u32, Userspace<Statfs64*>);
ErrorOr<void> sys_fstatfs64(int, u32, Userspace<Statfs64*>);
ErrorOr<void> sys_fchdir(int);
ErrorOr<void> sys_chroot(Userspace<const char*>);
ErrorOr<void> sys_swapon(Userspace<const char*>, u32);
ErrorOr<void> sys_swapoff(Userspace<const char*>);

/* Time, limits, the machine, sessions. */
struct Timespec;
struct TwoWords;
struct Utsname;
struct SysInfo;
struct Rlimit;
struct Rlimit64;
struct UserDesc;
ErrorOr<void> sys_getrusage(int, Userspace<LinuxRusage*>);
ErrorOr<i32> sys_time(Userspace<i32*>);
ErrorOr<void> sys_clock_gettime(int, Userspace<Timespec*>);
ErrorOr<void> sys_clock_getres(int, Userspace<Timespec*>);
ErrorOr<void> sys_gettimeofday(Userspace<TwoWords*>, Userspace<TwoWords*>);
ErrorOr<void> sys_settimeofday(Userspace<const TwoWords*>, Userspace<const TwoWords*>);
ErrorOr<void> sys_clock_settime(int, Userspace<const Timespec*>);
ErrorOr<void> sys_nanosleep(Userspace<const Timespec*>, Userspace<Timespec*>);
ErrorOr<void> sys_clock_nanosleep(int, int, Userspace<const Timespec*>, Userspace<Timespec*>);
ErrorOr<void> sys_uname(Userspace<Utsname*>);
ErrorOr<void> sys_sysinfo(Userspace<SysInfo*>);
ErrorOr<void> sys_ugetrlimit(u32, Userspace<Rlimit*>);
ErrorOr<void> sys_setrlimit(u32, Userspace<const Rlimit*>);
ErrorOr<void> sys_prlimit64(int, u32, Userspace<const Rlimit64*>, Userspace<Rlimit64*>);
ErrorOr<void> sys_reboot(u32, u32, u32);
ErrorOr<size_t> sys_getrandom(Userspace<void*>, u32, u32);
ErrorOr<void> sys_set_thread_area(Userspace<UserDesc*>);
long sys_sync();
long sys_umask(u32);

/* Memory: addresses here name ranges of the address space, never read through. */
long sys_brk(u32 addr);
ErrorOr<u32> sys_mmap2(u32 addr, u32 len, u32 prot, u32 flags, int fd, u32 pgoff);
ErrorOr<void> sys_munmap(u32 addr, u32 len);
ErrorOr<void> sys_mprotect(u32 addr, u32 len, u32 prot);

/* The caller's open file at fd, or nullptr; a page to move data through (sys_fs.cpp). */
fs::File* current_file(int fd);
namespace mm { class PageHolder; }
mm::PageHolder transfer_page();

/* Interval timers. */
struct ITimerval;
long sys_alarm(u32);
ErrorOr<void> sys_getitimer(int, Userspace<ITimerval*>);
ErrorOr<void> sys_setitimer(int, Userspace<const ITimerval*>, Userspace<ITimerval*>);

/* Waiting for signals; the alternate signal stack. */
struct SigInfoHead;
struct StackT;
ErrorOr<void> sys_rt_sigsuspend(Userspace<const u64*>, u32);
ErrorOr<void> sys_sigsuspend(int, int, u32);
ErrorOr<int> sys_rt_sigtimedwait(Userspace<const u64*>, Userspace<SigInfoHead*>, Userspace<const Timespec*>, u32);
ErrorOr<void> sys_rt_sigpending(Userspace<u64*>, u32);
ErrorOr<void> sys_sigpending(Userspace<u32*>);
ErrorOr<void> sys_sigaltstack(Userspace<const StackT*>, Userspace<StackT*>);

/* Waiting for files. */
struct Timeval;
struct SigsetArg;
ErrorOr<int> sys_poll(Userspace<void*>, u32, int);
ErrorOr<int> sys_ppoll(Userspace<void*>, u32, Userspace<Timespec*>, Userspace<const u64*>, u32);
ErrorOr<int> sys_select(int, Userspace<u32*>, Userspace<u32*>, Userspace<u32*>, Userspace<Timeval*>);
ErrorOr<int> sys_pselect6(int, Userspace<u32*>, Userspace<u32*>, Userspace<u32*>, Userspace<Timespec*>,
                          Userspace<const SigsetArg*>);

/* Futexes. */
ErrorOr<int> sys_futex(u32 uaddr, u32 op, u32 val, u32 timeout_or_val2, u32 uaddr2, u32 val3);
/* Wakes one waiter on the caller's futex at uaddr (clear_child_tid at exit). */
void futex_wake_one(u32 uaddr);

/* A process's standing. */
ErrorOr<int> sys_getgroups(int, Userspace<u16*>);
ErrorOr<int> sys_getgroups32(int, Userspace<u32*>);
ErrorOr<void> sys_setgroups(int, Userspace<const u16*>);
ErrorOr<void> sys_setgroups32(int, Userspace<const u32*>);
ErrorOr<int> sys_getpriority(int, int);
ErrorOr<void> sys_setpriority(int, int, int);
ErrorOr<void> sys_nice(int);
ErrorOr<int> sys_sched_getaffinity(int, u32, Userspace<u32*>);
ErrorOr<void> sys_sched_setaffinity(int, u32, Userspace<const u32*>);
ErrorOr<int> sys_prctl(int, u32, u32, u32, u32);

/* File to file. */
ErrorOr<size_t> sys_sendfile(int, int, Userspace<i32*>, u32);
ErrorOr<size_t> sys_sendfile64(int, int, Userspace<i64*>, u32);

/* The kernel log. */
ErrorOr<int> sys_syslog(int, Userspace<char*>, int);
/* System V shared memory (kernel/ipc_shm.cpp) and msync. */
ErrorOr<int> sys_shmget(i32 key, u32 size, int flags);
ErrorOr<u32> sys_shmat(int shmid, u32 addr, int flags);
ErrorOr<void> sys_shmdt(u32 addr);
ErrorOr<int> sys_shmctl(int shmid, int cmd, Userspace<void*> buf);
ErrorOr<int> sys_ipc(u32 call, int first, int second, int third, u32 ptr, int fifth);
ErrorOr<void> sys_msync(u32 addr, u32 len, int flags);
/* mremap, mlock, madvise, mincore: mm/mremap.cpp, mm/mlock.cpp, mm/madvise.cpp. */
ErrorOr<u32> sys_mremap(u32 addr, u32 old_len, u32 new_len, u32 flags, u32 new_addr);
ErrorOr<void> sys_mlock(u32 start, u32 len);
ErrorOr<void> sys_munlock(u32 start, u32 len);
ErrorOr<void> sys_mlockall(u32 flags);
ErrorOr<void> sys_munlockall();
ErrorOr<void> sys_mlock2(u32 start, u32 len, u32 flags);
ErrorOr<void> sys_madvise(u32 start, u32 len, int advice);
ErrorOr<void> sys_mincore(u32 start, u32 len, Userspace<u8*> vec);
