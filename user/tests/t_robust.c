/*
 * Regression tests of kernel bugs that the system-call fuzzer (/tests/fuzz) and the page
 * allocation failures of fail_page_alloc= found; each names the seed or setting that did.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLONE_PARENT_SETTID 0x00100000

/*
 * fuzz seed 1: a clone whose CLONE_PARENT_SETTID address faulted returned EFAULT but kept
 * a reference to every open file of the parent, so a pipe never saw its end (and its
 * buffer page was never freed).
 */
void test_clone_fault_files(void)
{
    int p[2];
    CHECK(pipe2(p, O_NONBLOCK) == 0);
    write_all(p[1], "x", 1);
    for (int i = 0; i < 4; i++) {
        errno = 0;
        long r = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, (void*)0xC0000000, 0, 0);
        if (r == 0)
            _exit(0);
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EFAULT);
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    /* No writer is left: end of file, not EAGAIN. */
    CHECK_EQ(read(p[0], &c, 1), 0);
    close(p[0]);
}

static void orphan_maker(void* arg)
{
    (void)arg;
    /* A grandchild whose exit signal is SIGUSR1, outliving this process. */
    long pid = syscall(SYS_clone, SIGUSR1, 0, 0, 0, 0);
    if (pid == 0) {
        while (getppid() != 1)
            sched_yield();
        _exit(0);
    }
    CHECK(pid > 0);
    char line[32];
    int n = snprintf(line, sizeof line, "%ld\n", pid);
    write_all(test_report_fd, line, (size_t)n);
}

/*
 * fuzz seed 1: an orphan is re-parented to init, but kept the exit signal its clone gave
 * it; exiting, it sent that signal to init, which died of it (SIGQUIT, SIGBUS, ...) and
 * took the machine down. As Linux, a re-parented process signals SIGCHLD. Run as pid 1,
 * the test runner is that init; otherwise /sbin/init is.
 */
void test_orphan_exit_signal(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    int saved = test_report_fd;
    test_report_fd = p[1];
    pid_t child = spawn(orphan_maker, NULL);
    test_report_fd = saved;
    CHECK_EQ(wait_for(child), 0);
    close(p[1]);
    char line[32] = { 0 };
    CHECK(read(p[0], line, sizeof line - 1) > 0);
    pid_t orphan = (pid_t)atoi(line);
    CHECK(orphan > 1);
    /* Gone (exited, and reaped by init) within five seconds. */
    for (int i = 0; i < 500 && kill(orphan, 0) == 0; i++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CHECK_ERRNO(kill(orphan, 0), ESRCH);
}
