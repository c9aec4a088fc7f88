/*
 * The system calls that waiting programs use: poll, select and their signal-mask forms,
 * futex, sigsuspend and sigtimedwait, interval timers, the alternate signal stack; and the
 * smaller ones about a process: groups, priority, CPU affinity, prctl, sendfile, syslog.
 *
 * Calls that take a time are made directly with the 32-bit timespec of i386: glibc would
 * try the 64-bit-time calls first.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <semaphore.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static volatile sig_atomic_t caught[65];

static void count_signal(int sig)
{
    caught[sig]++;
}

/* A handler without SA_RESTART, so that waits end in EINTR. */
static void on_signal(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

/* ITIMER_REAL once, ms from now. */
static void alarm_in_ms(int ms)
{
    struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
}

void test_alarm_itimer(void)
{
    CHECK_EQ(alarm(5), 0);
    CHECK_EQ(alarm(3), 5);
    CHECK_EQ(alarm(0), 3);

    struct itimerval it, old;
    CHECK(getitimer(ITIMER_REAL, &it) == 0);
    CHECK(it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);

    /* An interval re-arms. */
    on_signal(SIGALRM, count_signal, SA_RESTART);
    it = (struct itimerval){ { 0, 20000 }, { 0, 20000 } };
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0);
    while (caught[SIGALRM] < 3)
        pause();
    CHECK(getitimer(ITIMER_REAL, &it) == 0);
    CHECK_EQ(it.it_interval.tv_usec, 20000);
    CHECK(it.it_value.tv_usec > 0 && it.it_value.tv_usec <= 20000);
    it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
    CHECK(setitimer(ITIMER_REAL, &it, &old) == 0);
    CHECK_EQ(old.it_interval.tv_usec, 20000);

    /* Time spent running: in user mode (VIRTUAL), and in both (PROF). */
    on_signal(SIGVTALRM, count_signal, SA_RESTART);
    on_signal(SIGPROF, count_signal, SA_RESTART);
    it = (struct itimerval){ { 0, 10000 }, { 0, 10000 } };
    CHECK(setitimer(ITIMER_VIRTUAL, &it, NULL) == 0);
    CHECK(setitimer(ITIMER_PROF, &it, NULL) == 0);
    /* Mostly user mode: the clock is read once in a while. */
    long start = now_ms();
    while ((caught[SIGVTALRM] < 2 || caught[SIGPROF] < 2) && now_ms() - start < 10000)
        for (volatile int i = 0; i < 100000; i++)
            ;
    CHECK(caught[SIGVTALRM] >= 2);
    CHECK(caught[SIGPROF] >= 2);
    CHECK(getitimer(ITIMER_VIRTUAL, &it) == 0);
    CHECK_EQ(it.it_interval.tv_usec, 10000);

    CHECK_ERRNO(getitimer(5, &it), EINVAL);
    it = (struct itimerval){ { 0, 0 }, { 0, 1000000 } };
    CHECK_ERRNO(setitimer(ITIMER_REAL, &it, NULL), EINVAL);
}

/* A fork's child has no timers; an exec keeps them: the new program dies of SIGALRM. */
void test_itimer_fork_exec(void)
{
    CHECK_EQ(alarm(100), 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(alarm(0) == 0 ? 0 : 1);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(alarm(0) > 0);

    int p[2];
    CHECK(pipe(p) == 0);
    pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(p[0], 0);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        alarm_in_ms(100);
        execl(root_path("/tests/hello"), "hello", "0", "wait", (char*)NULL);
        _exit(127);
    }
    close(p[0]);
    status = wait_for(pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
}

struct ts32 {
    int32_t sec, nsec;
};

static void sleep_ms(int ms)
{
    struct ts32 t = { ms / 1000, (ms % 1000) * 1000000 };
    syscall(SYS_nanosleep, &t, NULL);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK(sigprocmask(how, &s, NULL) == 0);
}

static int is_blocked(int sig)
{
    sigset_t s;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &s) == 0);
    return sigismember(&s, sig);
}

static sigset_t mask_in_handler;

static void record_mask(int sig)
{
    caught[sig]++;
    sigprocmask(SIG_BLOCK, NULL, &mask_in_handler);
}

void test_sigsuspend_mask(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = record_mask;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
    block(SIGALRM, SIG_BLOCK);
    block(SIGUSR1, SIG_BLOCK);

    sigset_t wait_mask;
    sigemptyset(&wait_mask);
    sigaddset(&wait_mask, SIGUSR1);
    alarm_in_ms(30);
    CHECK_ERRNO(sigsuspend(&wait_mask), EINTR);
    CHECK_EQ(caught[SIGALRM], 1);
    /* In the handler: the call's mask, the handler's mask and the signal itself. */
    CHECK(sigismember(&mask_in_handler, SIGALRM));
    CHECK(sigismember(&mask_in_handler, SIGUSR1));
    CHECK(sigismember(&mask_in_handler, SIGUSR2));
    /* After: the mask from before the call. */
    CHECK(is_blocked(SIGALRM));
    CHECK(is_blocked(SIGUSR1));
    CHECK(!is_blocked(SIGUSR2));

    /* The old call takes the mask's first word in its third argument. */
    alarm_in_ms(30);
    CHECK_ERRNO(syscall(SYS_sigsuspend, 0, 0, 0), EINTR);
    CHECK_EQ(caught[SIGALRM], 2);
    CHECK(is_blocked(SIGALRM));
    CHECK(!sigismember(&mask_in_handler, SIGUSR1));

    CHECK_ERRNO(syscall(SYS_rt_sigsuspend, &wait_mask, 4), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigsuspend, (void*)16, 8), EFAULT);
}

static long sigtimedwait32(const sigset_t* set, siginfo_t* info, const struct ts32* t)
{
    return syscall(SYS_rt_sigtimedwait, set, info, t, 8);
}

void test_sigtimedwait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);

    siginfo_t info;
    CHECK(kill(getpid(), SIGUSR1) == 0);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGUSR1));
    uint32_t old_pending = 0;
    CHECK_EQ(syscall(SYS_sigpending, &old_pending), 0);
    CHECK_EQ(old_pending, 1u << (SIGUSR1 - 1));
    CHECK_EQ(sigtimedwait32(&set, &info, NULL), SIGUSR1);
    CHECK_EQ(info.si_signo, SIGUSR1);
    CHECK(sigpending(&pending) == 0);
    CHECK(!sigismember(&pending, SIGUSR1));

    /* Nothing pending: a zero timeout returns at once, another after it. */
    struct ts32 t = { 0, 0 };
    CHECK_ERRNO(sigtimedwait32(&set, &info, &t), EAGAIN);
    t = (struct ts32){ 0, 50000000 };
    long start = now_ms();
    CHECK_ERRNO(sigtimedwait32(&set, &info, &t), EAGAIN);
    CHECK(now_ms() - start >= 50);

    /* SIGCHLD, ignored by default, stays pending while blocked and can be waited for. */
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(30);
        _exit(0);
    }
    CHECK_EQ(sigtimedwait32(&set, &info, NULL), SIGCHLD);
    CHECK_EQ(waitpid(pid, NULL, 0), pid);

    /* A signal outside the set, unblocked, ends the wait. */
    on_signal(SIGALRM, count_signal, 0);
    alarm_in_ms(30);
    CHECK_ERRNO(sigtimedwait32(&set, &info, NULL), EINTR);
    CHECK_EQ(caught[SIGALRM], 1);

    CHECK_ERRNO(syscall(SYS_rt_sigtimedwait, &set, &info, NULL, 4), EINVAL);
    t = (struct ts32){ 0, 1000000000 };
    CHECK_ERRNO(sigtimedwait32(&set, &info, &t), EINVAL);
    CHECK_ERRNO(syscall(SYS_rt_sigpending, &pending, 16), EINVAL);
}

static char* alt_stack;
static size_t alt_size = 16384;
static volatile int on_alt, alt_flags, eperm;

static void on_alt_stack(int sig)
{
    char here;
    caught[sig]++;
    on_alt = &here >= alt_stack && &here < alt_stack + alt_size;
    stack_t now, other = { .ss_sp = alt_stack, .ss_size = alt_size, .ss_flags = 0 };
    sigaltstack(NULL, &now);
    alt_flags = now.ss_flags;
    errno = 0;
    eperm = sigaltstack(&other, NULL) == -1 && errno == EPERM;
}

void test_sigaltstack(void)
{
    alt_stack = malloc(alt_size);
    CHECK(alt_stack);
    stack_t ss, old;
    CHECK(sigaltstack(NULL, &old) == 0);
    CHECK_EQ(old.ss_flags, SS_DISABLE);

    ss = (stack_t){ .ss_sp = alt_stack, .ss_size = 1024, .ss_flags = 0 };
    CHECK_ERRNO(sigaltstack(&ss, NULL), ENOMEM);
    ss.ss_size = alt_size;
    ss.ss_flags = 12345;
    CHECK_ERRNO(sigaltstack(&ss, NULL), EINVAL);
    ss.ss_flags = 0;
    CHECK(sigaltstack(&ss, NULL) == 0);
    CHECK(sigaltstack(NULL, &old) == 0);
    CHECK(old.ss_sp == alt_stack && old.ss_size == alt_size && old.ss_flags == 0);

    /* SA_ONSTACK runs on it, and it cannot change meanwhile. */
    on_signal(SIGUSR1, on_alt_stack, SA_ONSTACK);
    raise(SIGUSR1);
    CHECK_EQ(caught[SIGUSR1], 1);
    CHECK(on_alt);
    CHECK_EQ(alt_flags, SS_ONSTACK);
    CHECK(eperm);
    /* A handler without it stays on the usual stack. */
    on_signal(SIGUSR2, on_alt_stack, 0);
    raise(SIGUSR2);
    CHECK(!on_alt);
    CHECK_EQ(alt_flags, 0);

    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, &old) == 0);
    CHECK(sigaltstack(NULL, &old) == 0);
    CHECK_EQ(old.ss_flags, SS_DISABLE);
    raise(SIGUSR1);
    CHECK(!on_alt);
    CHECK_ERRNO(sigaltstack((stack_t*)16, NULL), EFAULT);
}

struct tv32 {
    int32_t sec, usec;
};

static long sys_poll(struct pollfd* fds, unsigned long n, int timeout)
{
    return syscall(SYS_poll, fds, n, timeout);
}

static long sys_select(int n, fd_set* in, fd_set* out, fd_set* ex, struct tv32* tv)
{
    return syscall(SYS__newselect, n, in, out, ex, tv);
}

/* A child that writes one byte to fd after ms milliseconds. */
static void write_later(int fd, int ms)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        sleep_ms(ms);
        _exit(write(fd, "x", 1) == 1 ? 0 : 1);
    }
}

void test_poll_pipe(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct pollfd fds[4] = {
        { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 0 }, { 63, POLLIN, 0 },
    };
    /* An empty pipe: writable, not readable; a negative fd is skipped, a closed one is POLLNVAL. */
    CHECK_EQ(sys_poll(fds, 4, 0), 2);
    CHECK_EQ(fds[0].revents, 0);
    CHECK_EQ(fds[1].revents, POLLOUT);
    CHECK_EQ(fds[2].revents, 0);
    CHECK_EQ(fds[3].revents, POLLNVAL);

    /* A timeout waits at least that long. */
    long start = now_ms();
    CHECK_EQ(sys_poll(fds, 1, 50), 0);
    CHECK(now_ms() - start >= 50);

    /* A writer wakes a poll that waits for ever. */
    write_later(p[1], 50);
    CHECK_EQ(sys_poll(fds, 1, -1), 1);
    CHECK_EQ(fds[0].revents, POLLIN);
    wait(NULL);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);

    /* The writers gone: POLLHUP, even when only POLLIN was asked for. */
    close(p[1]);
    CHECK_EQ(sys_poll(fds, 1, 0), 1);
    CHECK_EQ(fds[0].revents, POLLHUP);

    /* More descriptors than RLIMIT_NOFILE, and a bad array. */
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    CHECK_ERRNO(sys_poll(fds, rl.rlim_cur + 1, 0), EINVAL);
    CHECK_ERRNO(sys_poll((struct pollfd*)16, 1, 0), EFAULT);

    /* Regular files and /dev/null are always ready. */
    int f = open(root_path("/etc/motd"), O_RDONLY), null = open("/dev/null", O_RDWR);
    CHECK(f >= 0 && null >= 0);
    struct pollfd files[2] = { { f, POLLIN | POLLOUT, 0 }, { null, POLLIN | POLLOUT, 0 } };
    CHECK_EQ(sys_poll(files, 2, -1), 2);
    CHECK_EQ(files[0].revents, POLLIN | POLLOUT);
    CHECK_EQ(files[1].revents, POLLIN | POLLOUT);
}

/* The console: always writable; readable only once a line has been typed (none is here). */
void test_poll_console(void)
{
    if (on_linux)
        skip("the host's console may hold typed input");
    int fd = open("/dev/console", O_RDWR);
    CHECK(fd >= 0);
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    CHECK_EQ(sys_poll(&p, 1, 0), 1);
    CHECK_EQ(p.revents, POLLOUT);
    p.events = POLLIN;
    long start = now_ms();
    CHECK_EQ(sys_poll(&p, 1, 30), 0);
    CHECK(now_ms() - start >= 30);
}

void test_poll_eintr(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    on_signal(SIGALRM, count_signal, 0);
    struct pollfd fd = { p[0], POLLIN, 0 };
    alarm_in_ms(50);
    CHECK_ERRNO(sys_poll(&fd, 1, -1), EINTR);
    CHECK_EQ(caught[SIGALRM], 1);

    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    alarm_in_ms(50);
    CHECK_ERRNO(sys_select(p[0] + 1, &in, NULL, NULL, NULL), EINTR);
    CHECK_EQ(caught[SIGALRM], 2);
}

void test_select_sets(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    fd_set in, out;
    FD_ZERO(&in);
    FD_ZERO(&out);
    FD_SET(p[0], &in);
    FD_SET(p[1], &out);
    struct tv32 tv = { 0, 0 };
    /* Only the write end is ready; the sets say so. */
    CHECK_EQ(sys_select(p[1] + 1, &in, &out, NULL, &tv), 1);
    CHECK(!FD_ISSET(p[0], &in));
    CHECK(FD_ISSET(p[1], &out));

    /* Both asked of and ready: each set counts. */
    CHECK_EQ(write(p[1], "x", 1), 1);
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    FD_SET(p[1], &out);
    CHECK_EQ(sys_select(p[1] + 1, &in, &out, NULL, NULL), 2);
    CHECK(FD_ISSET(p[0], &in) && FD_ISSET(p[1], &out));
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);

    /* A timeout that ran out is written back as zero; one cut short by data as what was left. */
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    tv = (struct tv32){ 0, 60000 };
    long start = now_ms();
    CHECK_EQ(sys_select(p[0] + 1, &in, NULL, NULL, &tv), 0);
    CHECK(now_ms() - start >= 60);
    CHECK_EQ(tv.sec, 0);
    CHECK_EQ(tv.usec, 0);
    CHECK(!FD_ISSET(p[0], &in));

    write_later(p[1], 50);
    FD_SET(p[0], &in);
    tv = (struct tv32){ 5, 0 };
    CHECK_EQ(sys_select(p[0] + 1, &in, NULL, NULL, &tv), 1);
    wait(NULL);
    CHECK(tv.sec == 4 || tv.sec == 5);
    CHECK(tv.sec * 1000000L + tv.usec < 5000000L);

    /* A closed descriptor in a set, a negative count, a bad set, a bad time. */
    FD_ZERO(&in);
    FD_SET(40, &in);
    CHECK_ERRNO(sys_select(41, &in, NULL, NULL, NULL), EBADF);
    CHECK_ERRNO(sys_select(-1, NULL, NULL, NULL, NULL), EINVAL);
    CHECK_ERRNO(sys_select(p[0] + 1, (fd_set*)16, NULL, NULL, NULL), EFAULT);
    tv = (struct tv32){ -1, 0 };
    CHECK_ERRNO(sys_select(1, NULL, NULL, NULL, &tv), EINVAL);
}

/*
 * pselect6 and ppoll: the mask given holds for the wait alone. A signal it unblocks runs
 * its handler and the call ends in EINTR with the old mask back; one it blocks stays pending.
 */
void test_pselect_ppoll_sigmask(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    on_signal(SIGALRM, count_signal, 0);
    block(SIGALRM, SIG_BLOCK);
    sigset_t none, alrm;
    sigemptyset(&none);
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    struct pollfd fd = { p[0], POLLIN, 0 };

    alarm_in_ms(30);
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, NULL, &none, 8), EINTR);
    CHECK_EQ(caught[SIGALRM], 1);
    CHECK(is_blocked(SIGALRM));

    fd_set in;
    FD_ZERO(&in);
    FD_SET(p[0], &in);
    struct { const sigset_t* set; size_t size; } arg = { &none, 8 };
    alarm_in_ms(30);
    CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, NULL, &arg), EINTR);
    CHECK_EQ(caught[SIGALRM], 2);
    CHECK(is_blocked(SIGALRM));

    /* Kept blocked by the call's mask: the wait times out and the signal is pending. */
    alarm_in_ms(20);
    struct ts32 t = { 0, 100000000 };
    CHECK_EQ(syscall(SYS_ppoll, &fd, 1, &t, &alrm, 8), 0);
    CHECK_EQ(t.sec, 0);
    CHECK_EQ(t.nsec, 0);
    sigset_t pending;
    CHECK(sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGALRM));
    CHECK_EQ(caught[SIGALRM], 2);

    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, NULL, &none, 4), EINVAL);
    t = (struct ts32){ 0, 1000000000 };
    CHECK_ERRNO(syscall(SYS_ppoll, &fd, 1, &t, NULL, 8), EINVAL);
    arg.size = 16;
    CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &in, NULL, NULL, NULL, &arg), EINVAL);
}

static long futex(uint32_t* addr, int op, uint32_t val, const struct ts32* t, uint32_t val3)
{
    return syscall(SYS_futex, addr, op, val, t, NULL, val3);
}

void test_futex_wait_errors(void)
{
    static uint32_t word[2] = { 1, 0 };
    /* The value differs: no wait. */
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT, 2, NULL, 0), EAGAIN);
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT_PRIVATE, 2, NULL, 0), EAGAIN);
    /* A relative timeout. */
    struct ts32 t = { 0, 50000000 };
    long start = now_ms();
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT, 1, &t, 0), ETIMEDOUT);
    CHECK(now_ms() - start >= 50);
    /* FUTEX_WAIT_BITSET's is absolute, on CLOCK_MONOTONIC or, asked, CLOCK_REALTIME. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    t = (struct ts32){ now.tv_sec, now.tv_nsec + 50000000 };
    if (t.nsec >= 1000000000) {
        t.nsec -= 1000000000;
        t.sec++;
    }
    start = now_ms();
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT_BITSET, 1, &t, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
    CHECK(now_ms() - start >= 45);
    clock_gettime(CLOCK_REALTIME, &now);
    t = (struct ts32){ now.tv_sec - 1, 0 };
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &t, ~0u), ETIMEDOUT);
    /* CLOCK_REALTIME is for the waits only. */
    CHECK_ERRNO(futex(&word[0], FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, 0), ENOSYS);

    /* A signal ends the wait. */
    on_signal(SIGALRM, count_signal, 0);
    alarm_in_ms(30);
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT, 1, NULL, 0), EINTR);
    CHECK_EQ(caught[SIGALRM], 1);

    /* Nobody waits: none woken. */
    CHECK_EQ(futex(&word[0], FUTEX_WAKE, 1, NULL, 0), 0);
    CHECK_EQ(futex(&word[0], FUTEX_WAKE_BITSET, 1, NULL, 1), 0);

    CHECK_ERRNO(futex((uint32_t*)((char*)word + 1), FUTEX_WAIT, 1, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT_BITSET, 1, NULL, 0), EINVAL);
    CHECK_ERRNO(futex(&word[0], FUTEX_WAKE_BITSET, 1, NULL, 0), EINVAL);
    CHECK_ERRNO(futex((uint32_t*)16, FUTEX_WAIT, 1, NULL, 0), EFAULT);
    t = (struct ts32){ 0, -1 };
    CHECK_ERRNO(futex(&word[0], FUTEX_WAIT, 1, &t, 0), EINVAL);
    CHECK_ERRNO(futex(&word[0], 99, 1, NULL, 0), ENOSYS);

    /* Requeueing with nobody waiting moves none; CMP_REQUEUE first checks the value. */
    CHECK_EQ(syscall(SYS_futex, &word[0], FUTEX_REQUEUE, 1, 1, &word[1], 0), 0);
    CHECK_EQ(syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, 1, &word[1], 1), 0);
    CHECK_ERRNO(syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, 1, &word[1], 2), EAGAIN);
    CHECK_ERRNO(syscall(SYS_futex, &word[0], FUTEX_CMP_REQUEUE, 1, 1, (char*)&word[1] + 2, 1), EINVAL);
}

/* A child that waits on a futex word for up to 5 s: exit 0 if woken, 1 if it timed out. */
struct futex_waiter {
    uint32_t* word;
    int op;
};

static void wait_on_futex(void* arg)
{
    struct futex_waiter* w = arg;
    struct ts32 t = { 5, 0 };
    long r = futex(w->word, w->op, 0, &t, 0);
    _exit(r == 0 ? 0 : 1);
}

/* FUTEX_WAKE at `word` until it wakes somebody, for up to 2 s: the number woken. */
static long wake_when_waiting(uint32_t* word, int op)
{
    for (int i = 0; i < 100; i++) {
        long n = futex(word, op, 1, NULL, 0);
        if (n != 0)
            return n;
        usleep(20000);
    }
    return 0;
}

/*
 * A futex in shared memory is one futex for every process that maps it, wherever each
 * maps it: a child waits on a System V segment at one address, its parent wakes it
 * through another mapping of the same segment. With FUTEX_PRIVATE_FLAG the word is the
 * process's own: a wake from another process finds nobody.
 */
void test_futex_shared(void)
{
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    CHECK(id >= 0);
    uint32_t* a = shmat(id, NULL, 0);
    uint32_t* b = shmat(id, NULL, 0);
    CHECK(a != (void*)-1 && b != (void*)-1 && a != b);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);

    struct futex_waiter shared = { &a[1], FUTEX_WAIT };
    pid_t pid = spawn(wait_on_futex, &shared);
    CHECK_EQ(wake_when_waiting(&b[1], FUTEX_WAKE), 1);
    int status = wait_for(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the waiter was not woken through the other mapping: %s", describe_status(status));

    /* A shared anonymous mapping, across fork, at the same address. */
    uint32_t* m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    struct futex_waiter anon = { &m[3], FUTEX_WAIT };
    pid = spawn(wait_on_futex, &anon);
    CHECK_EQ(wake_when_waiting(&m[3], FUTEX_WAKE), 1);
    status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Private: the parent's wakes reach nobody, the child's wait times out. */
    struct futex_waiter private = { &m[5], FUTEX_WAIT_PRIVATE };
    pid = spawn(wait_on_futex, &private);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(futex(&m[5], FUTEX_WAKE_PRIVATE, 1, NULL, 0), 0);
        usleep(20000);
    }
    CHECK(kill(pid, SIGKILL) == 0);
    status = wait_for(pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(shmdt(a) == 0 && shmdt(b) == 0 && munmap(m, 4096) == 0);
}

static int once_runs;
static void once_body(void) { once_runs++; }

/* glibc's own users of futex: pthread_once, semaphores with a timeout. */
void test_futex_glibc(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    CHECK_EQ(pthread_once(&once, once_body), 0);
    CHECK_EQ(pthread_once(&once, once_body), 0);
    CHECK_EQ(once_runs, 1);

    sem_t sem;
    CHECK(sem_init(&sem, 0, 1) == 0);
    CHECK(sem_wait(&sem) == 0);
    CHECK_ERRNO(sem_trywait(&sem), EAGAIN);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 50000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_nsec -= 1000000000;
        until.tv_sec++;
    }
    long start = now_ms();
    CHECK_ERRNO(sem_timedwait(&sem, &until), ETIMEDOUT);
    CHECK(now_ms() - start >= 40);
    CHECK(sem_post(&sem) == 0);
    CHECK(sem_wait(&sem) == 0);
}

void test_groups(void)
{
    gid_t set[3] = { 7, 8, 9 }, got[8];
    CHECK(setgroups(3, set) == 0);
    CHECK_EQ(getgroups(0, NULL), 3);
    CHECK_EQ(getgroups(8, got), 3);
    CHECK(got[0] == 7 && got[1] == 8 && got[2] == 9);
    CHECK_ERRNO(getgroups(2, got), EINVAL);
    /* The 16-bit calls see the same list. */
    uint16_t small[8];
    CHECK_EQ(syscall(SYS_getgroups, 8, small), 3);
    CHECK(small[0] == 7 && small[2] == 9);
    uint16_t two[2] = { 5, 6 };
    CHECK_EQ(syscall(SYS_setgroups, 2, two), 0);
    CHECK_EQ(getgroups(8, got), 2);
    CHECK(got[0] == 5 && got[1] == 6);
    CHECK_ERRNO(syscall(SYS_setgroups32, -1, set), EINVAL);
    CHECK_ERRNO(syscall(SYS_setgroups32, 2, (void*)16), EFAULT);
    CHECK_ERRNO(syscall(SYS_getgroups32, 8, (void*)16), EFAULT);
}

void test_priority(void)
{
    /* The raw call answers 20 - nice. */
    CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20);
    CHECK(setpriority(PRIO_PROCESS, 0, 10) == 0);
    CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, getpid()), 10);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 10);
    CHECK_EQ(syscall(SYS_nice, 3), 0);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 13);
    /* /proc/PID/stat's priority and nice fields (18 and 19), as ps shows them. */
    char stat[512];
    int fd = open("/proc/self/stat", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, stat, sizeof stat - 1);
    CHECK(n > 0);
    stat[n] = 0;
    close(fd);
    const char* field = strrchr(stat, ')');
    CHECK(field);
    for (int i = 2; i < 18; i++)
        field = strchr(field + 1, ' ');
    int prio = 0, nice_value = 0;
    CHECK_EQ(sscanf(field, " %d %d", &prio, &nice_value), 2);
    CHECK_EQ(prio, 33);
    CHECK_EQ(nice_value, 13);
    CHECK(setpriority(PRIO_PROCESS, 0, 100) == 0);
    CHECK_EQ(getpriority(PRIO_PROCESS, 0), 19);
    CHECK(setpriority(PRIO_PROCESS, 0, 0) == 0);
    CHECK_ERRNO(syscall(SYS_getpriority, 5, 0), EINVAL);
    CHECK_ERRNO(setpriority(5, 0, 0), EINVAL);
    CHECK_ERRNO(syscall(SYS_getpriority, PRIO_PROCESS, 999999), ESRCH);
    CHECK_ERRNO(setpriority(PRIO_PROCESS, 999999, 0), ESRCH);
    /* The children inherit the value. */
    CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(getpriority(PRIO_PROCESS, 0) == 5 ? 0 : 1);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Counts loop rounds for about ms milliseconds of wall time; the count goes to fd. */
static void spin_and_report(int fd, int nice_value, int ms)
{
    CHECK(setpriority(PRIO_PROCESS, 0, nice_value) == 0);
    unsigned long rounds = 0;
    long end = now_ms() + ms;
    while (now_ms() < end)
        rounds++;
    write_all(fd, &rounds, sizeof rounds);
}

/* On one CPU, a nice 19 spinner gets clearly less time than a nice 0 one. */
void test_nice_shares(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one) == 0);
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pids[2], parent = getpid();
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        pids[i] = fork();
        CHECK(pids[i] >= 0);
        if (pids[i] == 0) {
            /* A test killed (out of memory, say) takes its spinners with it. */
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            if (getppid() != parent)
                _exit(1);
            close(p[0]);
            spin_and_report(p[1], i ? 19 : 0, 1000);
            _exit(0);
        }
    }
    close(p[1]);
    unsigned long rounds[2];
    for (int i = 0; i < 2; i++) {
        int status = wait_for(pids[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* The reports come in the order the children finish; the nice one's is the smaller. */
    read_all(p[0], &rounds[0], sizeof rounds[0]);
    read_all(p[0], &rounds[1], sizeof rounds[1]);
    unsigned long lo = rounds[0] < rounds[1] ? rounds[0] : rounds[1];
    unsigned long hi = rounds[0] < rounds[1] ? rounds[1] : rounds[0];
    diag("nice 0 vs nice 19: %lu and %lu rounds", hi, lo);
    CHECK(lo * 2 < hi);
}

void test_affinity(void)
{
    uint32_t mask[32];
    memset(mask, 0, sizeof mask);
    long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
    CHECK(n >= 4 && n % 4 == 0);
    CHECK(mask[0] & 1);
    if (!on_linux) {
        CHECK_EQ(n, 4);
        CHECK_EQ(mask[0], 1);
    }
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, mask), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 3, mask), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 999999, sizeof mask, mask), ESRCH);
    CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof mask, (void*)16), EFAULT);

    uint32_t cpu0 = 1, none = 0;
    CHECK_EQ(syscall(SYS_sched_setaffinity, 0, 4, &cpu0), 0);
    CHECK_ERRNO(syscall(SYS_sched_setaffinity, 0, 4, &none), EINVAL);
    CHECK_ERRNO(syscall(SYS_sched_setaffinity, 999999, 4, &cpu0), ESRCH);
}

void test_prctl(void)
{
    char name[32];
    CHECK(prctl(PR_SET_NAME, "a-rather-long-process-name", 0, 0, 0) == 0);
    memset(name, 'x', sizeof name);
    CHECK(prctl(PR_GET_NAME, name, 0, 0, 0) == 0);
    CHECK(strcmp(name, "a-rather-long-p") == 0);
    CHECK_ERRNO(prctl(PR_SET_NAME, (char*)16, 0, 0, 0), EFAULT);

    int sig = -1;
    CHECK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0);
    CHECK_EQ(sig, 0);
    CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0) == 0);
    CHECK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) == 0);
    CHECK_EQ(sig, SIGUSR1);
    CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
    CHECK_ERRNO(prctl(0x7FFF, 0, 0, 0, 0), EINVAL);
}

/* PR_SET_PDEATHSIG: the signal comes when the parent dies. */
void test_pdeathsig(void)
{
    int ready[2], gone[2];
    CHECK(pipe(ready) == 0 && pipe(gone) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        pid_t parent = getpid();
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(gone[0]);
            prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
            /* A parent already gone would send nothing: never outlive the test. */
            if (getppid() != parent)
                _exit(1);
            write(ready[1], "r", 1);
            alarm(10);
            for (;;)
                pause();
        }
        char c;
        _exit(grandchild > 0 && read(ready[0], &c, 1) == 1 ? 0 : 1);
    }
    close(gone[1]);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The grandchild held the only write end: end of file once it is dead. */
    char c;
    CHECK_EQ(read(gone[0], &c, 1), 0);
}

void test_sendfile(void)
{
    int f = open(root_path("/etc/motd"), O_RDONLY);
    CHECK(f >= 0);
    int p[2];
    CHECK(pipe(p) == 0);
    char buf[64];

    /* With an offset: read from there, which advances; the file's own offset stays. */
    off_t off = 3;
    CHECK_EQ(sendfile(p[1], f, &off, 5), 5);
    CHECK_EQ(off, 8);
    CHECK_EQ(lseek(f, 0, SEEK_CUR), 0);
    CHECK_EQ(read(p[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "come ", 5) == 0);
    off64_t off64 = 0;
    CHECK_EQ(sendfile64(p[1], f, &off64, 7), 7);
    CHECK_EQ(off64, 7);
    CHECK_EQ(read(p[0], buf, sizeof buf), 7);
    CHECK(memcmp(buf, "Welcome", 7) == 0);

    /* Without: from the file's offset, which moves; the end gives 0. */
    CHECK_EQ(lseek(f, 11, SEEK_SET), 11);
    CHECK_EQ(sendfile(p[1], f, NULL, 100), 9);
    CHECK_EQ(lseek(f, 0, SEEK_CUR), 20);
    CHECK_EQ(read(p[0], buf, sizeof buf), 9);
    CHECK(memcmp(buf, "Ferrite.\n", 9) == 0);
    CHECK_EQ(sendfile(p[1], f, NULL, 100), 0);
    CHECK_EQ(sendfile(p[1], f, NULL, 0), 0);

    CHECK_ERRNO(sendfile(p[1], 50, NULL, 1), EBADF);
    CHECK_ERRNO(sendfile(50, f, NULL, 1), EBADF);
    CHECK_ERRNO(sendfile(f, f, NULL, 1), EBADF);
    CHECK_ERRNO(sendfile(p[1], f, (off_t*)16, 1), EFAULT);
    off = -1;
    CHECK_ERRNO(sendfile(p[1], f, &off, 1), EINVAL);
}

void test_syslog(void)
{
    int size = klogctl(10, NULL, 0);
    CHECK(size > 0);
    char* buf = malloc(size);
    CHECK(buf);
    int n = klogctl(3, buf, size);
    CHECK(n > 0 && n <= size);
    CHECK_EQ(buf[0], '<');
    CHECK(klogctl(9, NULL, 0) >= 0);
    CHECK_ERRNO(klogctl(3, NULL, 10), EINVAL);
    CHECK_ERRNO(klogctl(3, buf, -1), EINVAL);
    CHECK_ERRNO(klogctl(3, (char*)16, size), EFAULT);
    CHECK_ERRNO(klogctl(8, NULL, 9), EINVAL);
    CHECK_ERRNO(klogctl(99, NULL, 0), EINVAL);
    /*
     * The boot's messages are there; READ takes what is unread and CLEAR empties READ_ALL
     * (neither done to the host's log).
     */
    if (!on_linux) {
        int unread = klogctl(9, NULL, 0);
        CHECK(unread > 0);
        char head[8];
        CHECK_EQ(klogctl(2, head, sizeof head), (int)sizeof head);
        CHECK_EQ(head[0], '<');
        CHECK_EQ(klogctl(9, NULL, 0), unread - (int)sizeof head);
        buf[n - 1] = 0;
        CHECK(strstr(buf, "<6>Timer at 100 Hz"));
        CHECK_EQ(klogctl(5, NULL, 0), 0);
        CHECK_EQ(klogctl(3, buf, size), 0);
    }
    free(buf);
}
