/*
 * Processes: exec, the initial stack, exit and wait statuses, scheduling, many processes.
 */
#include "args.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Runs /tests/hello STATUS with its stdout in a pipe; returns the wait status. */
static int run_hello(const char* status_arg, char* out, size_t out_size)
{
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        char* argv[] = { "hello", (char*)status_arg, NULL };
        char* envp[] = { NULL };
        execve(root_path("/tests/hello"), argv, envp);
        _exit(127);
    }
    close(pipefd[1]);
    size_t len = 0;
    ssize_t n;
    while ((n = read(pipefd[0], out + len, out_size - 1 - len)) > 0)
        len += n;
    out[len] = 0;
    close(pipefd[0]);
    return wait_for(pid);
}

void test_exec_hello(void)
{
    /* A small block comes from brk, a large one from mmap. */
    char* small = malloc(32);
    char* big = malloc(1 << 20);
    CHECK(small && big);
    memset(big, 'x', 1 << 20);

    static const int statuses[] = { 0, 42, 255 };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        snprintf(small, 32, "%d", statuses[i]);
        char out[128];
        int status = run_hello(small, out, sizeof out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != statuses[i])
            fail("hello %s %s", small, describe_status(status));
        if (strcmp(out, "hello, world\n") != 0)
            fail("hello printed \"%s\"", out);
    }
    CHECK(big[0] == 'x' && big[(1 << 20) - 1] == 'x');
    free(big);
    free(small);
}

void test_args_env_auxv(void)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve(root_path("/tests/args"), (char**)args_argv, (char**)args_envp);
        diag("execve /tests/args: %s", strerror(errno));
        _exit(127);
    }
    int status = wait_for(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("/tests/args %s", describe_status(status));
}

void test_exit_status(void)
{
    /* Linux encodes a normal exit as status << 8. */
    for (int s = 0; s <= 255; s++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(s);
        int status = wait_for(pid);
        CHECK(WIFEXITED(status) && !WIFSIGNALED(status));
        CHECK_EQ(WEXITSTATUS(status), s);
        CHECK_EQ(status, s << 8);
    }

    /* Only the low 8 bits arrive; and exit [1] (one thread) as well as exit_group. */
    pid_t pid = fork();
    if (pid == 0)
        exit(256 + 7);
    CHECK_EQ(wait_for(pid), 7 << 8);
    pid = fork();
    if (pid == 0)
        syscall(SYS_exit, 9);
    CHECK_EQ(wait_for(pid), 9 << 8);
}

/* Waits for end of file on the pipe arg (int[2]); then exits 100. */
static void wait_for_eof(void* arg)
{
    const int* pipefd = arg;
    close(pipefd[1]);
    char c;
    read(pipefd[0], &c, 1);
    _exit(100);
}

static void spin_forever(void* arg)
{
    (void)arg;
    for (volatile unsigned i = 0;; i++)
        ;
}

static void write_null(void* arg)
{
    (void)arg;
    *(volatile int*)0 = 1;
}

void test_signal_status(void)
{
    /* SIGKILL for a process asleep in read(), and for one spinning in user mode. */
    int block[2];
    CHECK(pipe(block) == 0);
    pid_t sleeper = spawn(wait_for_eof, block);
    pid_t spinner = spawn(spin_forever, NULL);
    CHECK(kill(sleeper, SIGKILL) == 0);
    CHECK(kill(spinner, SIGKILL) == 0);
    for (int i = 0; i < 2; i++) {
        pid_t pid = i == 0 ? sleeper : spinner;
        int status = wait_for(pid);
        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL || WIFEXITED(status))
            fail("%s after SIGKILL: %s", i == 0 ? "sleeper" : "spinner",
                 describe_status(status));
        CHECK_EQ(status, SIGKILL);     /* no core flag, nothing in the high byte */
    }
    close(block[0]);
    close(block[1]);

    int status = wait_for(spawn(write_null, NULL));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
        fail("NULL write: %s", describe_status(status));
    CHECK_EQ(status & 0xff7f, SIGSEGV);  /* bit 7, core dumped, is the kernel's choice */
}

static void exit_with(void* arg)
{
    _exit((int)(intptr_t)arg);
}

static void touch_and_exit(void* arg)
{
    (void)arg;
    char* p = malloc(64 * 4096);
    touch_pages(p, 64 * 4096);
    _exit(5);
}

void test_wait_variants(void)
{
    /* waitpid(-1) returns each child once, whichever order they end in. */
    pid_t pids[3];
    for (int i = 0; i < 3; i++)
        pids[i] = spawn(exit_with, (void*)(intptr_t)(i + 1));
    int seen[3] = { 0 };
    for (int n = 0; n < 3; n++) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        int i = 0;
        while (i < 3 && pids[i] != pid)
            i++;
        if (i == 3)
            fail("waitpid(-1) returned %d: %s", pid, strerror(errno));
        CHECK(!seen[i]);
        seen[i] = 1;
        CHECK_EQ(status, (i + 1) << 8);
    }
    CHECK_ERRNO(waitpid(-1, NULL, 0), ECHILD);

    /* wait4 reports the child's resource use: it touched 64 fresh pages. */
    pid_t pid = spawn(touch_and_exit, NULL);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    int status;
    CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
    CHECK_EQ(status, 5 << 8);
    if (ru.ru_minflt < 64)
        fail("wait4 rusage: ru_minflt %ld, want at least 64", ru.ru_minflt);

    /* Neither pointer is required. */
    pid = spawn(exit_with, (void*)0);
    CHECK_EQ(wait4(pid, NULL, 0, NULL), pid);

    /* WNOHANG: 0 while the child runs, its pid once it has ended. */
    int block[2];
    CHECK(pipe(block) == 0);
    pid = spawn(wait_for_eof, block);
    CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
    close(block[1]);
    CHECK_EQ(wait_for(pid), 100 << 8);
    close(block[0]);

    /* No children at all. */
    CHECK_ERRNO(waitpid(-1, &status, 0), ECHILD);
    CHECK_ERRNO(waitpid(-1, &status, WNOHANG), ECHILD);
    CHECK_ERRNO(wait4(-1, &status, 0, &ru), ECHILD);
    CHECK_ERRNO(waitpid(getppid(), &status, 0), ECHILD);
}

/*
 * Two CPU-bound processes, released together, each spin for a second of wall-clock time
 * and note which 100 ms slots (counted from a common start) they ran in. With a
 * preemptive scheduler both run in nearly every slot; with one that lets a spinner keep
 * the CPU, the second would only start after the first has finished.
 */
#define SLOT_NS 100000000LL
#define SPIN_NS 1000000000LL

struct spin_report {
    int who;
    unsigned slots;
    unsigned long iterations;
};

struct spinner {
    int who;
    int release_fd, report_fd;
};

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spinner(void* arg)
{
    const struct spinner* s = arg;
    long long start_ns;     /* the release time, slot 0's start */
    read_all(s->release_fd, &start_ns, sizeof start_ns);

    struct spin_report r = { s->who, 0, 0 };
    long long begin = now_ns(), t;
    while ((t = now_ns()) - begin < SPIN_NS) {
        long long slot = (t - start_ns) / SLOT_NS;
        if (slot >= 0 && slot < 32)
            r.slots |= 1u << slot;
        for (volatile int k = 0; k < 10000; k++)
            ;
        r.iterations++;
    }
    write_all(s->report_fd, &r, sizeof r);
}

void test_two_spinners(void)
{
    int release[2], report[2];
    CHECK(pipe(release) == 0 && pipe(report) == 0);
    struct spinner s = { 0, release[0], report[1] };
    pid_t pids[2];
    for (int i = 0; i < 2; i++) {
        s.who = i;
        pids[i] = spawn(spinner, &s);
    }
    long long start[2];
    start[0] = start[1] = now_ns();
    write_all(release[1], start, sizeof start);     /* one for each: both wake up */

    struct spin_report r[2];
    for (int i = 0; i < 2; i++) {
        struct spin_report one;
        read_all(report[0], &one, sizeof one);
        CHECK(one.who == 0 || one.who == 1);
        r[one.who] = one;
    }
    for (int i = 0; i < 2; i++)
        CHECK_EQ(wait_for(pids[i]), 0);

    /*
     * Slots 1..8 lie inside both spinners' second, wherever in slot 0 they began. Without
     * preemption one spinner would have none of them; with it each has nearly all. Six of
     * eight leaves room for the host pausing the emulator for a slot or two.
     */
    const unsigned middle = 0x1fe;
    for (int i = 0; i < 2; i++) {
        int ran = __builtin_popcount(r[i].slots & middle);
        if (ran < 6)
            fail("spinner %d ran in slots %#x of 100 ms (want 6 of %#x), %lu iterations; "
                 "the other: slots %#x, %lu iterations",
                 i, r[i].slots, middle, r[i].iterations, r[!i].slots, r[!i].iterations);
    }
}

/* Children that wait for the parent's word; each exits with its own status. */
struct waiter {
    int release[2];     /* a pipe: end of file releases the waiter */
    int index;
    pid_t parent;
};

static void waiter(void* arg)
{
    const struct waiter* w = arg;
    close(w->release[1]);
    char c;
    if (read(w->release[0], &c, 1) != 0)
        _exit(201);
    _exit(getppid() == w->parent ? w->index + 1 : 200);
}

void test_many_processes(void)
{
    enum { N = 64 };
    int release[2];
    CHECK(pipe(release) == 0);
    pid_t pids[N];
    struct waiter w = { { release[0], release[1] }, 0, getpid() };
    for (int i = 0; i < N; i++) {
        w.index = i;
        pids[i] = spawn(waiter, &w);
    }
    close(release[1]);      /* end of file for all 64 at once */

    int seen[N] = { 0 };
    for (int n = 0; n < N; n++) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0)
            fail("waitpid after %d children: %s", n, strerror(errno));
        int i = 0;
        while (i < N && pids[i] != pid)
            i++;
        if (i == N || seen[i])
            fail("waitpid returned %d, not an unreaped child", pid);
        seen[i] = 1;
        if (status != (i + 1) << 8)
            fail("child %d (pid %d) %s, want status %d", i, pid, describe_status(status),
                 i + 1);
    }
    CHECK_ERRNO(waitpid(-1, NULL, 0), ECHILD);
}

void test_process_table_full(void)
{
    if (on_linux)
        skip("Linux has no small process table");

    enum { LIMIT = 1000 };
    static pid_t pids[LIMIT];
    int release[2];
    CHECK(pipe(release) == 0);
    struct waiter w = { { release[0], release[1] }, 0, getpid() };
    int count = 0, fork_errno = 0;
    while (count < LIMIT) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            waiter(&w);
        if (pid < 0) {
            fork_errno = errno;
            break;
        }
        pids[count++] = pid;
    }
    close(release[1]);
    for (int i = 0; i < count; i++) {
        int status = wait_for(pids[i]);
        if (status != 1 << 8)
            fail("child %d: %s", i, describe_status(status));
    }
    if (count == LIMIT)
        fail("%d forks succeeded; the process table should have filled", LIMIT);
    if (fork_errno != EAGAIN)
        fail("fork failed after %d children with %s, want EAGAIN", count,
             strerror(fork_errno));
    diag("fork gave EAGAIN after %d children", count);

    /* The table has room again. */
    CHECK_EQ(wait_for(spawn(exit_with, (void*)3)), 3 << 8);
}

/*
 * init gets only the signals it has a handler for, as on Linux: SIGTERM and even SIGKILL
 * sent to pid 1 by a process do nothing (init's exit would power the machine off).
 * On the build machine pid 1 is its real init: not something to send signals to.
 */
void test_init_unkillable(void)
{
    if (on_linux)
        skip("pid 1 is the build machine's own init");
    CHECK_EQ(kill(1, SIGTERM), 0);
    CHECK_EQ(kill(1, SIGKILL), 0);
    CHECK_EQ(kill(1, SIGHUP), 0);
    struct timespec pause = { 0, 100 * 1000 * 1000 };
    nanosleep(&pause, NULL);
    CHECK_EQ(kill(1, 0), 0);            /* and we are still here: the machine is on */
}

/*
 * kswapd is a process a user can see, as on Linux: a kernel thread named kswapd in
 * /proc/PID/stat, whose parent is not init (no wait() of init's can see it).
 */
void test_kswapd_listed(void)
{
    DIR* d = opendir("/proc");
    CHECK(d != NULL);
    struct dirent* e;
    int found = 0;
    while (!found && (e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        char path[300], text[512];
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0)
            continue;
        text[n] = 0;
        const char* name = strchr(text, '(');
        if (!name || strncmp(name, "(kswapd", 7) != 0)
            continue;
        found = 1;
        int ppid = -1;
        const char* after = strrchr(text, ')');
        CHECK(after && sscanf(after, ") %*c %d", &ppid) == 1);
        if (ppid == 1)
            fail("kswapd (pid %s) is a child of init", e->d_name);
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        fd = open(path, O_RDONLY);
        CHECK(fd >= 0);
        CHECK_EQ(read(fd, text, sizeof text), 0);       /* a kernel thread has no command line */
        close(fd);
    }
    closedir(d);
    if (!found)
        fail("no kswapd in /proc");
}

/* Reads a /proc file whole (at most size bytes); its length. */
static size_t read_proc(const char* path, char* buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while (len < size && (n = read(fd, buf + len, size - len)) > 0)
        len += (size_t)n;
    close(fd);
    return len;
}

/*
 * /proc/PID/cmdline: argv's strings, each ending in a NUL, read from the process's
 * memory. A test runs in a fork of the runner: the same command line as its parent's,
 * the runner's name first. /proc/PID/statm: seven numbers of pages, as ps and top read.
 */
void test_proc_cmdline_statm(void)
{
    static char self[4096], parent[4096];
    size_t n = read_proc("/proc/self/cmdline", self, sizeof self);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
    size_t m = read_proc(path, parent, sizeof parent);
    if (n == 0 || self[n - 1] != '\0')
        fail("/proc/self/cmdline is %zu bytes, not NUL-terminated strings", n);
    if (n != m || memcmp(self, parent, n) != 0)
        fail("a fork's cmdline (%zu bytes) differs from its parent's (%zu)", n, m);
    size_t first = strlen(self);
    if (first < 3 || strcmp(self + first - 3, "run") != 0)
        fail("the first string of cmdline is \"%s\", not the runner", self);

    char text[256];
    size_t len = read_proc("/proc/self/statm", text, sizeof text - 1);
    text[len] = 0;
    unsigned long size, resident, shared, code, lib, data, dt;
    if (sscanf(text, "%lu %lu %lu %lu %lu %lu %lu", &size, &resident, &shared, &code, &lib,
               &data, &dt) != 7)
        fail("/proc/self/statm is \"%s\", not seven numbers", text);
    if (!(resident > 0 && resident <= size && code > 0 && code < size && data > 0 && data < size))
        fail("/proc/self/statm: size %lu resident %lu text %lu data %lu", size, resident, code, data);
}
