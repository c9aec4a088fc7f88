/*
 * Sleeping: nanosleep [162] and clock_nanosleep [267] check their times as Linux does,
 * return at once for an absolute time already past, and sleep a huge time in full.
 *
 * The system calls are made directly, with the 32-bit timespec of i386: glibc would use
 * clock_nanosleep_time64 and turn errors into return values.
 */
#include "tests.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ts32 {
    int32_t sec, nsec;
};

static long sys_nanosleep(struct ts32 req, struct ts32* rem)
{
    return syscall(SYS_nanosleep, &req, rem);
}

static long sys_clock_nanosleep(int clock, int flags, struct ts32 req, struct ts32* rem)
{
    return syscall(SYS_clock_nanosleep, clock, flags, &req, rem);
}

static void sleep_ms(int ms)
{
    struct ts32 t = { ms / 1000, (ms % 1000) * 1000000 };
    sys_nanosleep(t, NULL);
}

/* Whether pid is still running after ms milliseconds; if it is not, it has been reaped. */
static int still_running_after(pid_t pid, int ms, int* status)
{
    for (int waited = 0;; waited += 20) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        CHECK_EQ(r, 0);
        if (waited >= ms)
            return 1;
        sleep_ms(20);
    }
}

/* Runs fn in a child that must exit 0 within a second; a child still asleep fails. */
static void within_a_second(const char* what, void (*fn)(void*), void* arg)
{
    int status;
    pid_t pid = spawn(fn, arg);
    if (still_running_after(pid, 1000, &status)) {
        kill(pid, SIGKILL);
        wait_for(pid);
        fail("%s: still asleep after a second", what);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("%s: child %s", what, describe_status(status));
}

static const struct ts32 invalid[] = {
    { -1, 0 }, { INT32_MIN, 0 }, { 0, -1 }, { 0, 1000000000 }, { 0, INT32_MAX }, { 5, -5 },
};
#define NINVALID (sizeof invalid / sizeof invalid[0])

static void expect_einval(const char* call, struct ts32 t, long r)
{
    if (r != -1 || errno != EINVAL)
        fail("%s { %d, %d }: returned %ld, errno %d (%s); want EINVAL", call, t.sec, t.nsec, r,
             errno, strerror(errno));
}

static void refuse_invalid(void* unused)
{
    (void)unused;
    for (size_t i = 0; i < NINVALID; i++) {
        struct ts32 t = invalid[i];
        expect_einval("nanosleep", t, sys_nanosleep(t, NULL));
        for (int clock = CLOCK_REALTIME; clock <= CLOCK_MONOTONIC; clock++) {
            expect_einval(clock ? "clock_nanosleep(MONOTONIC)" : "clock_nanosleep(REALTIME)",
                          t, sys_clock_nanosleep(clock, 0, t, NULL));
            expect_einval(clock ? "clock_nanosleep(MONOTONIC, TIMER_ABSTIME)"
                                : "clock_nanosleep(REALTIME, TIMER_ABSTIME)",
                          t, sys_clock_nanosleep(clock, TIMER_ABSTIME, t, NULL));
        }
    }
}

void test_sleep_invalid_times(void)
{
    within_a_second("invalid times", refuse_invalid, NULL);
}

static void return_at_once(void* unused)
{
    (void)unused;
    struct timespec now;
    CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
    const struct ts32 past_realtime[] = { { 0, 0 }, { 1, 0 }, { (int32_t)now.tv_sec - 1, 0 } };
    for (size_t i = 0; i < sizeof past_realtime / sizeof past_realtime[0]; i++)
        CHECK_EQ(sys_clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, past_realtime[i], NULL), 0);
    CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
    const struct ts32 past_monotonic[] = { { 0, 0 }, { 0, 1 }, { (int32_t)now.tv_sec, 0 } };
    for (size_t i = 0; i < sizeof past_monotonic / sizeof past_monotonic[0]; i++)
        CHECK_EQ(sys_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, past_monotonic[i], NULL), 0);
    /* Zero, relative: no sleep worth waiting for. */
    CHECK_EQ(sys_nanosleep((struct ts32){ 0, 0 }, NULL), 0);
    CHECK_EQ(sys_clock_nanosleep(CLOCK_MONOTONIC, 0, (struct ts32){ 0, 0 }, NULL), 0);
}

void test_sleep_past_absolute(void)
{
    within_a_second("absolute times in the past", return_at_once, NULL);
}

static void on_usr1(int sig)
{
    (void)sig;
}

enum sleep_kind { RELATIVE, CLOCK_RELATIVE, ABSOLUTE_REALTIME };

struct huge_sleep {
    enum sleep_kind kind;
    int32_t sec;
};

/* Sleeps the huge time until SIGUSR1 ends it: EINTR, and (relative) about all of it left. */
static void sleep_huge(void* arg)
{
    const struct huge_sleep* h = arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0);
    struct ts32 t = { h->sec, 999999999 }, rem = { -1, -1 };
    switch (h->kind) {
    case RELATIVE:
        CHECK_ERRNO(sys_nanosleep(t, &rem), EINTR);
        break;
    case CLOCK_RELATIVE:
        CHECK_ERRNO(sys_clock_nanosleep(CLOCK_MONOTONIC, 0, t, &rem), EINTR);
        break;
    case ABSOLUTE_REALTIME:
        CHECK_ERRNO(sys_clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, t, NULL), EINTR);
        return;
    }
    if (rem.sec < h->sec - 10 || rem.nsec < 0 || rem.nsec >= 1000000000)
        fail("asked for %d s, woken early: { %d, %d } left", h->sec, rem.sec, rem.nsec);
}

void test_sleep_huge_times(void)
{
    /* 42949673 s is 2^32 + 4 ticks of 10 ms; INT32_MAX s, as many ticks less 100. */
    static const struct huge_sleep cases[] = {
        { RELATIVE, 42949673 }, { RELATIVE, INT32_MAX }, { CLOCK_RELATIVE, 42949673 },
        { CLOCK_RELATIVE, INT32_MAX }, { ABSOLUTE_REALTIME, INT32_MAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int status;
        pid_t pid = spawn(sleep_huge, (void*)&cases[i]);
        if (!still_running_after(pid, 300, &status))
            fail("case %zu (%d s): the sleep ended by itself: %s", i, cases[i].sec,
                 describe_status(status));
        CHECK(kill(pid, SIGUSR1) == 0);
        status = wait_for(pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail("case %zu (%d s): child %s", i, cases[i].sec, describe_status(status));
    }
}
