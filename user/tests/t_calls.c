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
#include <sys/klog.h>
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
    long start = now_ms();
    while ((caught[SIGVTALRM] < 2 || caught[SIGPROF] < 2) && now_ms() - start < 5000)
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
