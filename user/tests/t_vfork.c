/*
 * vfork and clone(CLONE_VM | CLONE_VFORK): the child runs on its parent's memory while
 * the parent sleeps until the child execs or exits; glibc's posix_spawn, system() and
 * popen() are built on it. A vforked child may be killed, and so may its parent: the
 * memory they share lives as long as one of them uses it.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static long elapsed_ms(const struct timespec* since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void check_exit(const char* what, int status, int code)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
        fail("%s %s, want exit status %d", what, describe_status(status), code);
}

/*
 * What the child writes, the parent reads: one memory. The parent runs again only once
 * the child has exited, however long the child takes.
 */
void test_vfork_shares_memory(void)
{
    static volatile int shared;
    shared = 1;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = vfork();
    if (pid == 0) {
        sleep_ms(200);
        shared = 42;
        _exit(7);
    }
    CHECK(pid > 0);
    CHECK_EQ(shared, 42);
    if (elapsed_ms(&start) < 190)
        fail("vfork returned after %ld ms, before its child's exit", elapsed_ms(&start));
    check_exit("the vforked child", wait_for(pid), 7);
}

/* The parent runs again at the child's exec, while the new program still runs. */
void test_vfork_exec_wakes_parent(void)
{
    int in[2];
    CHECK(pipe(in) == 0);
    const char* hello = root_path("/tests/hello");
    int devnull = open("/dev/null", O_WRONLY);
    CHECK(devnull >= 0);
    pid_t pid = vfork();
    if (pid == 0) {
        /* hello 5 wait: reads its stdin to the end, then exits 5. */
        dup2(in[0], 0);
        dup2(devnull, 1);
        close(in[0]);
        close(in[1]);
        execl(hello, "hello", "5", "wait", (char*)NULL);
        _exit(127);
    }
    CHECK(pid > 0);
    close(in[0]);
    int status;
    CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);        /* still reading its stdin */
    close(in[1]);
    check_exit("hello", wait_for(pid), 5);
    close(devnull);
}

struct clone_arg {
    volatile int value;
};

static int clone_child(void* p)
{
    struct clone_arg* a = p;
    sleep_ms(100);
    a->value = 99;
    return 3;
}

/*
 * clone with CLONE_VM | CLONE_VFORK | SIGCHLD on a stack of its own, as posix_spawn
 * calls it; CLONE_VM without CLONE_VFORK (a thread) is refused.
 */
void test_clone_vm_vfork(void)
{
    size_t size = 64 * 1024;
    char* stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(stack != MAP_FAILED);
    struct clone_arg a = { 0 };
    pid_t pid = clone(clone_child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    CHECK(pid > 0);
    CHECK_EQ(a.value, 99);
    check_exit("the clone", wait_for(pid), 3);

    /* CLONE_VFORK alone: the child has a copy, the parent still waits for it. */
    a.value = 0;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid = clone(clone_child, stack + size, CLONE_VFORK | SIGCHLD, &a);
    CHECK(pid > 0);
    if (elapsed_ms(&start) < 90)
        fail("clone(CLONE_VFORK) returned after %ld ms, before its child's exit", elapsed_ms(&start));
    CHECK_EQ(a.value, 0);
    check_exit("the clone", wait_for(pid), 3);

    if (!on_linux) {
        /* Threads: Linux makes one; this kernel has none. */
        errno = 0;
        CHECK_EQ(clone(clone_child, stack + size, CLONE_VM | SIGCHLD, &a), -1);
        CHECK_EQ(errno, EINVAL);
    }
    CHECK(munmap(stack, size) == 0);
}

/* posix_spawn, system and popen of a static glibc program. */
void test_spawn_system_popen(void)
{
    const char* hello = root_path("/tests/hello");
    int devnull = open("/dev/null", O_WRONLY);
    CHECK(devnull >= 0);
    posix_spawn_file_actions_t fa;
    CHECK_EQ(posix_spawn_file_actions_init(&fa), 0);
    CHECK_EQ(posix_spawn_file_actions_adddup2(&fa, devnull, 1), 0);
    pid_t pid;
    char* argv[] = { "hello", "4", NULL };
    CHECK_EQ(posix_spawn(&pid, hello, &fa, NULL, argv, environ), 0);
    check_exit("posix_spawn'd hello", wait_for(pid), 4);
    /* The child's failed exec is reported through the memory it shares with the parent. */
    CHECK_EQ(posix_spawn(&pid, "/no/such/program", &fa, NULL, argv, environ), ENOENT);
    posix_spawn_file_actions_destroy(&fa);
    close(devnull);

    int status = system("exit 3");
    check_exit("system(\"exit 3\")", status, 3);

    FILE* f = popen("echo vfork-popen", "r");
    CHECK(f != NULL);
    char line[64] = "";
    CHECK(fgets(line, sizeof line, f) != NULL);
    CHECK(strcmp(line, "vfork-popen\n") == 0);
    check_exit("popen's shell", pclose(f), 0);
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) { (void)sig; usr1_seen = 1; }

struct killer {
    pid_t parent;
    int pid_in;                         /* the vforked child's pid comes here */
    int go_out;                         /* then a byte goes to the child */
};

/*
 * Sends the sleeping vfork parent SIGUSR1, which must stay pending, lets the child look,
 * then kills the child.
 */
static void kill_vforked_child(void* p)
{
    struct killer* k = p;
    pid_t child;
    read_all(k->pid_in, &child, sizeof child);
    sleep_ms(50);
    CHECK_EQ(kill(k->parent, SIGUSR1), 0);
    sleep_ms(100);
    write_all(k->go_out, "x", 1);
    sleep_ms(100);
    CHECK_EQ(kill(child, SIGKILL), 0);
}

/*
 * A vforked child killed by another process: its parent runs again and sees SIGKILL. A
 * signal sent to the parent while it waited is delivered only afterwards.
 */
void test_vfork_child_killed(void)
{
    int pid_pipe[2], go[2];
    CHECK(pipe(pid_pipe) == 0 && pipe(go) == 0);
    struct sigaction sa = { .sa_handler = on_usr1 };
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    usr1_seen = 0;
    struct killer k = { getpid(), pid_pipe[0], go[1] };
    pid_t killer = spawn(kill_vforked_child, &k);
    static volatile int seen_in_child;
    seen_in_child = -1;
    pid_t pid = vfork();
    if (pid == 0) {
        pid_t self = getpid();
        if (write(pid_pipe[1], &self, sizeof self) != sizeof self)
            _exit(1);
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(2);
        seen_in_child = usr1_seen;      /* the parent's handler has not run */
        for (;;)
            pause();
    }
    CHECK(pid > 0);
    int status = wait_for(pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the vforked child %s, want SIGKILL", describe_status(status));
    CHECK_EQ(seen_in_child, 0);
    CHECK_EQ(usr1_seen, 1);
    check_exit("the killer", wait_for(killer), 0);
    signal(SIGUSR1, SIG_DFL);
}

struct orphan {
    int go_in;                          /* the vforked child waits for a byte here */
    int result_out;                     /* and answers here */
};

static void vfork_then_wait(void* p)
{
    struct orphan* o = p;
    volatile int word = 1234;
    pid_t pid = vfork();
    if (pid == 0) {
        char c;
        if (read(o->go_in, &c, 1) != 1)
            _exit(1);
        /* The parent is gone; its memory, which this child runs on, is not. */
        struct { char answer; pid_t pid; } r = { word == 1234 ? 'y' : 'n', getpid() };
        if (write(o->result_out, &r, sizeof r) != sizeof r)
            _exit(2);
        _exit(0);
    }
    _exit(3);                           /* not reached: SIGKILL comes first */
}

/* A vfork parent killed while it waits: the child goes on running on the memory. */
void test_vfork_parent_killed(void)
{
    int go[2], result[2];
    CHECK(pipe(go) == 0 && pipe(result) == 0);
    struct orphan o = { go[0], result[1] };
    pid_t parent = spawn(vfork_then_wait, &o);
    sleep_ms(200);
    CHECK_EQ(kill(parent, SIGKILL), 0);
    int status = wait_for(parent);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the vfork parent %s, want SIGKILL", describe_status(status));
    close(result[1]);
    write_all(go[1], "x", 1);
    struct { char answer; pid_t pid; } r;
    read_all(result[0], &r, sizeof r);
    CHECK_EQ(r.answer, 'y');
    /* The child exits as an orphan, which init reaps: its memory is gone with it. */
    for (int i = 0; i < 500 && kill(r.pid, 0) == 0; i++)
        sleep_ms(10);
    CHECK_EQ(kill(r.pid, 0), -1);
}

/*
 * Memory pressure in a vforked child: it maps and touches more than the machine has and
 * dies of SIGKILL; its parent's memory, which it borrowed, stays whole, and what the
 * child mapped into it is the parent's to unmap.
 */
void test_vfork_memory_pressure(void)
{
    if (on_linux)
        skip("would exhaust the memory of the machine running the tests");
    struct sysinfo si;
    CHECK_EQ(sysinfo(&si), 0);
    unsigned long long want =
        ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit + (16u << 20);
    if (want > (2048u << 20))
        skip("more RAM and swap than a process can map");
    size_t size = want;
    size_t mine_size = 256 * 1024;
    unsigned char* mine = mmap(NULL, mine_size, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mine != MAP_FAILED);
    for (size_t i = 0; i < mine_size; i++)
        mine[i] = (unsigned char)(i * 7);
    static unsigned char* volatile hog;
    hog = MAP_FAILED;
    pid_t pid = vfork();
    if (pid == 0) {
        hog = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (hog == MAP_FAILED)
            _exit(1);
        for (size_t i = 0; i < size; i += 4096)
            hog[i] = 1;
        _exit(2);
    }
    CHECK(pid > 0);
    int status = wait_for(pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the hog %s, want SIGKILL", describe_status(status));
    for (size_t i = 0; i < mine_size; i++)
        if (mine[i] != (unsigned char)(i * 7))
            fail("byte %zu of the parent's memory changed", i);
    CHECK(hog != MAP_FAILED);
    CHECK(munmap(hog, size) == 0);
    CHECK(munmap(mine, mine_size) == 0);
}
