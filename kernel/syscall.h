/*
 * System calls: Linux's i386 numbers and semantics (CONTRACT §6). Each sys_* takes its
 * arguments as the registers hold them and returns a value or -errno.
 */
#pragma once

#include <kernel/types.h>

struct TrapFrame;

/* A path from user space, made absolute against the working directory. */
class PathBuffer {
public:
    PathBuffer() = default;
    ~PathBuffer();
    PathBuffer(const PathBuffer&) = delete;
    long from_user(u32 addr);
    const char* get() const { return m_path; }
private:
    char* m_path = nullptr;
};

long fill_rusage(u32 addr, u32 utime, u32 stime, u32 min_flt, u32 maj_flt, u32 max_rss_pages);
long kernel_execve(const char* path);
long do_fork(u32 flags, u32 child_stack, u32 parent_tid, u32 child_tid);
void open_console_for_init();
namespace fs { class File; }
/* A pipe's two ends: [0] reads, [1] writes. */
long make_pipe(fs::File* ends[2]);
u32 cpu_hwcap();
/* The machine as Linux names it (uname, AT_PLATFORM): i486, i586 or i686 by CPU family. */
const char* cpu_platform();
u32 arch_entropy();
/* Seconds since 1970 by the CMOS clock, read now (the boot time comes from it too). */
u32 read_rtc();

/* Processes. */
[[noreturn]] long sys_exit(int code);
long sys_fork();
long sys_clone(u32 flags, u32 child_stack, u32 parent_tid, u32 tls, u32 child_tid);
long sys_execve(u32 path, u32 argv, u32 envp);
long sys_wait4(int pid, u32 status, u32 options, u32 rusage);
long sys_waitpid(int pid, u32 status, u32 options);
long sys_getpid();
long sys_getppid();
long sys_getuid();
long sys_set_tid_address(u32 tidptr);
long sys_sched_yield();

/* Signals. */
long sys_kill(int pid, int sig);
long sys_tgkill(int tgid, int tid, int sig);
long sys_tkill(int tid, int sig);
long sys_pause();
long sys_sigreturn();
long sys_rt_sigreturn();
long sys_rt_sigaction(int sig, u32 act, u32 oldact, u32 sigsetsize);
long sys_rt_sigprocmask(int how, u32 set, u32 oldset, u32 sigsetsize);

/* Memory. */
long sys_brk(u32 addr);
long sys_mmap2(u32 addr, u32 len, u32 prot, u32 flags, int fd, u32 pgoff);
long sys_munmap(u32 addr, u32 len);
long sys_mprotect(u32 addr, u32 len, u32 prot);
