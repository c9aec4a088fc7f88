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
