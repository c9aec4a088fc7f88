/*
 * /tests/fuzz [-v] [-b BATCH] [-s SWAPDEV] SEED CALLS: the system-call fuzzer.
 *
 * Runs CALLS random system calls (calls.c draws them) in children of BATCH_CALLS calls
 * each; child number b draws from the stream (SEED, b), so a seed replays a run and
 * `-b b -v` replays one child, printing each call before making it. It runs as pid 1
 * (`init=/tests/fuzz -- SEED CALLS`, as `make fuzz` boots it): every process but itself
 * is then one of its own, which it may kill and must reap.
 *
 * A watchdog stands in for alarm(): the fuzzer polls the child (wait4 WNOHANG, a
 * nanosleep that its SIGCHLD cuts short) and kills it with SIGKILL when it has made no
 * progress for WATCHDOG_MS; a blocking call (pause, a read of an empty pipe) ends a child
 * that way. After each child it kills and reaps every other process, faults its own pages
 * in, and counts free pages and free swap slots: they must be what they were before the
 * first child, exactly. One child in four is also killed at a random moment. A process
 * that outlives SIGKILL by GONE_MS is a hang.
 *
 * Prints "fuzz: seed N calls M" first, "fuzz: PASS" or "fuzz: FAIL" last; exits 0 or 1.
 */
#include "common.h"
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH_CALLS 64
#define WATCHDOG_MS 100
#define GONE_MS 10000
#define POLL_MS 10

extern char __executable_start[], _end[];

static uint64_t seed;
static int verbose;
static int failed;

static long raw_syscall(uint32_t nr, const uint32_t* a)
{
    long ret;
    const uint32_t* args = a;           /* ecx is overwritten: an in-out operand */
    /* ebx and ebp are saved by hand: one may hold the GOT, the other the frame. */
    __asm__ volatile("push %%ebp\n\t"
                     "push %%ebx\n\t"
                     "mov 20(%%ecx), %%ebp\n\t"
                     "mov 16(%%ecx), %%edi\n\t"
                     "mov 12(%%ecx), %%esi\n\t"
                     "mov 8(%%ecx), %%edx\n\t"
                     "mov 0(%%ecx), %%ebx\n\t"
                     "mov 4(%%ecx), %%ecx\n\t"
                     "int $0x80\n\t"
                     "pop %%ebx\n\t"
                     "pop %%ebp"
                     : "=a"(ret), "+c"(args)
                     : "a"(nr)
                     : "edx", "esi", "edi", "memory");
    return ret;
}

/*
 * A fork-like call (fork, vfork, clone): its child exits at once, in the same
 * instructions. A vfork child, or a clone with CLONE_VM, runs on this very stack while
 * the parent waits in the call, and must leave the stack as it found it: returning from
 * here and calling exit would overwrite the parent's return address and saved registers.
 */
static long raw_fork_syscall(uint32_t nr, const uint32_t* a)
{
    long ret;
    const uint32_t* args = a;
    __asm__ volatile("push %%ebp\n\t"
                     "push %%ebx\n\t"
                     "mov 20(%%ecx), %%ebp\n\t"
                     "mov 16(%%ecx), %%edi\n\t"
                     "mov 12(%%ecx), %%esi\n\t"
                     "mov 8(%%ecx), %%edx\n\t"
                     "mov 0(%%ecx), %%ebx\n\t"
                     "mov 4(%%ecx), %%ecx\n\t"
                     "int $0x80\n\t"
                     "test %%eax, %%eax\n\t"
                     "jnz 1f\n\t"
                     "mov $252, %%eax\n\t"        /* the child: exit_group(0) */
                     "xor %%ebx, %%ebx\n\t"
                     "int $0x80\n"
                     "1:\n\t"
                     "pop %%ebx\n\t"
                     "pop %%ebp"
                     : "=a"(ret), "+c"(args)
                     : "a"(nr)
                     : "edx", "esi", "edi", "memory");
    return ret;
}

static void raw_exit(void)
{
    static const uint32_t zero[6];
    raw_syscall(252, zero);
}

static void raw_write(int fd, const void* buf, size_t len)
{
    const uint32_t a[6] = { (uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len };
    raw_syscall(4, a);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);               /* a SIGCHLD ends it early */
}

/* --------------------------------------------------------------- the arena */

/*
 * Paths: places to read and look, two programs that end by themselves, nonsense, and
 * names in tmpfs, where calls can make and remove files (cleared after each child).
 */
static const char* const paths[20] = {
    "/etc/motd", "/", "/dev/null", "/dev/zero", "/proc/self/maps", "/proc/meminfo",
    "/proc/self/stat", "/tests/hello", "/bin/cat", "/etc", "/nonexistent/file", "",
    "etc/../etc/./motd", "/proc/self/pagemap", "/proc", "/dev/urandom",
    "/tmp/f", "/tmp/d/", "/tmp/d/g", "/dev/shm/s",
};

static void* map_pages(size_t n)
{
    void* p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        printf("fuzz: mmap: %s\n", strerror(errno));
        exit(1);
    }
    return p;
}

static void arena_fill(void)
{
    char* b = map_pages(BUFFER_PAGES);
    arena.buffers = (uintptr_t)b;
    for (int i = 0; i < 20; i++)
        strcpy(b + i * 128, paths[i]);
    /* Page 1: structures at 64-byte steps. Page 2 on: bytes of every value. */
    uint32_t* s = (uint32_t*)(b + 4096);
    const uint32_t structs[][8] = {
        { 0, 1000 },                    /* timespecs: short, zero, long, invalid */
        { 0, 0 },
        { 0, 5000000 },
        { 1, 0 },
        { 0xFFFFFFFF, 0xFFFFFFFF },
        { 0, 2000000000 },
        { 0x7FFFFFFF, 999999999 },
        { 0xFFFFFFFF, 0 },              /* a full sigset */
        { 1u << 16, 0 },                /* sigset: SIGCHLD */
        { 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF, 0x7FFFFFFF },
    };
    for (size_t i = 0; i < sizeof structs / sizeof structs[0]; i++)
        memcpy(s + i * 16, structs[i], sizeof structs[i]);
    /* iovecs at 10..13: valid, one into unmapped memory, one huge, one kernel. */
    uint32_t* iov = s + 10 * 16;
    uint32_t valid = (uint32_t)arena.buffers + 3 * 4096;
    const uint32_t iovs[] = { valid, 100, valid + 200, 4096, (uint32_t)arena.hole, 16,
                              valid, 0x7FFFFFFF, 0xC0000000, 64, valid, 0 };
    memcpy(iov, iovs, sizeof iovs);
    /* sigactions at 14..15: a handler into unmapped memory, SIG_IGN. */
    const uint32_t acts[] = { (uint32_t)arena.hole, 0x04000000, 0, 0, 0, 0, 0, 0,
                              1, 0, 0, 0 };
    memcpy(s + 14 * 16, acts, sizeof acts);
    for (int i = 16; i < 64; i++)
        for (int j = 0; j < 16; j++)
            s[i * 16 + j] = (uint32_t)(i * 0x9E3779B9u + j * 0x85EBCA6Bu);
    for (int i = 2 * 4096; i < BUFFER_PAGES * 4096; i++)
        b[i] = (char)(i * 131 + (i >> 8));
}

static void arena_init(void)
{
    char* hole = map_pages(HOLE_SIZE / 4096);
    munmap(hole, HOLE_SIZE);
    arena.hole = (uintptr_t)hole;
    arena_fill();
    char* ro = map_pages(1);
    memset(ro, 'R', 4096);
    mprotect(ro, 4096, PROT_READ);
    arena.readonly = (uintptr_t)ro;
    char* edge = map_pages(2);
    memset(edge, 'E', 4096);
    munmap(edge + 4096, 4096);
    arena.edge = (uintptr_t)edge;
    arena.image_start = (uintptr_t)__executable_start;
    arena.image_end = (uintptr_t)_end;
    arena.parent_pid = getpid();
}

/* --------------------------------------------------------------- the child */

/* Opens path as exactly fd (nothing else is open below it when this runs). */
static void open_as(int fd, const char* path, int flags)
{
    int got = open(path, flags);
    if (got >= 0 && got != fd) {
        dup2(got, fd);
        close(got);
    }
}

/* The descriptors 0..10 every child starts with; calls.c draws descriptors from these. */
static void child_files(int progress)
{
    dup3(progress, FD_PROGRESS, O_CLOEXEC);
    for (int fd = 0; fd < FD_PROGRESS; fd++)
        close(fd);
    open_as(0, "/dev/null", O_RDWR);
    open_as(1, "/dev/null", O_RDWR);
    open_as(2, "/dev/null", O_RDWR);
    open_as(3, "/etc/motd", O_RDONLY);
    int p[2];
    if (pipe(p) == 0 && p[0] != 4) {
        dup2(p[0], 4);
        dup2(p[1], 5);
    }
    open_as(6, "/proc/self/maps", O_RDONLY);
    open_as(7, "/dev/zero", O_RDWR);
    open_as(8, "/proc/meminfo", O_RDONLY);
    open_as(9, "/", O_RDONLY | O_DIRECTORY);
    open_as(10, "/dev/urandom", O_RDONLY);
}

static void log_call(uint32_t batch, int i, const struct call* c)
{
    char line[160];
    char head[32];
    int n = snprintf(head, sizeof head, "fuzz: %u.%d ", batch, i);
    raw_write(FD_LOG, head, (size_t)n);
    describe_call(c, line, sizeof line - 1);
    size_t len = strlen(line);
    line[len] = '\n';
    raw_write(FD_LOG, line, len + 1);
}

/* The lowest stack address the memory calls must leave alone: 64 pages below here. */
static uintptr_t stack_low(void)
{
    char here;
    return ((uintptr_t)&here & ~0xFFFu) - 64 * 4096;
}

static _Noreturn void child_main(uint32_t batch, int calls, int progress, uintptr_t low)
{
    child_files(progress);
    int own_pid = getpid();
    struct rng r;
    rng_seed(&r, seed, batch);
    /* From here on only raw system calls: the fuzzed ones may change what glibc needs. */
    for (int i = 0; i < calls; i++) {
        struct call c;
        generate_call(&r, &c);
        sanitize_call(&c, own_pid, low);
        if (verbose)
            log_call(batch, i, &c);
        raw_write(FD_PROGRESS, "", 1);
        if (is_fork_call(c.nr))
            raw_fork_syscall(c.nr, c.args);
        else
            raw_syscall(c.nr, c.args);
    }
    raw_exit();
    __builtin_unreachable();
}

/* ------------------------------------------------------------- the driver */

struct outcome {
    int calls;                          /* calls begun */
    int status;
    int watchdog;                       /* killed for want of progress */
    int early;                          /* killed at a random moment, mid-call or not */
};

static void no_op(int sig)
{
    (void)sig;
}

/* The call child `pid` of batch `batch` was in when it stopped: drawn again. */
static void name_call(uint32_t batch, int index, int pid, uintptr_t low)
{
    if (index < 0) {
        printf("fuzz:   before its first call\n");
        return;
    }
    struct rng r;
    struct call c;
    rng_seed(&r, seed, batch);
    for (int i = 0; i <= index; i++)
        generate_call(&r, &c);
    sanitize_call(&c, pid, low);
    char line[160];
    describe_call(&c, line, sizeof line);
    printf("fuzz:   in call %u.%d: %s\n", batch, index, line);
}

static int run_batch(uint32_t batch, int calls, struct outcome* out)
{
    memset(out, 0, sizeof *out);
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        printf("fuzz: pipe2: %s\n", strerror(errno));
        return -1;
    }
    fflush(stdout);
    uintptr_t low = stack_low();
    pid_t pid = fork();
    if (pid < 0) {
        printf("fuzz: fork: %s\n", strerror(errno));
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        close(p[0]);
        child_main(batch, calls, p[1], low);
    }
    close(p[1]);
    /* One child in four is killed after a random 0..19 ms, wherever it is: in a call,
     * between two, or in fork, exec and exit; what it held must come back all the same. */
    struct rng kill_rng;
    rng_seed(&kill_rng, ~seed, batch);
    int kill_after = rng_below(&kill_rng, 4) == 0 ? (int)rng_below(&kill_rng, 20) : -1;
    uint64_t last = now_ms(), killed_at = 0, started = last;
    for (;;) {
        char buf[256];
        ssize_t n;
        while ((n = read(p[0], buf, sizeof buf)) > 0) {
            out->calls += (int)n;
            last = now_ms();
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            while ((n = read(p[0], buf, sizeof buf)) > 0)
                out->calls += (int)n;
            out->status = status;
            break;
        }
        uint64_t t = now_ms();
        if (!killed_at && kill_after >= 0 && t - started >= (uint64_t)kill_after) {
            kill(pid, SIGKILL);
            out->early = 1;
            killed_at = t;
        } else if (!killed_at && t - last > WATCHDOG_MS) {
            kill(pid, SIGKILL);
            out->watchdog = 1;
            killed_at = t;
        } else if (killed_at && t - killed_at > GONE_MS) {
            printf("fuzz: FAIL: child %d of batch %u still there %d ms after SIGKILL\n", pid,
                   batch, GONE_MS);
            name_call(batch, out->calls - 1, pid, low);
            close(p[0]);
            return -1;
        }
        sleep_ms(kill_after >= 0 && !killed_at ? 1 : POLL_MS);
    }
    close(p[0]);
    return 0;
}

/* Kills every process but this one and reaps them all. */
static int clear_processes(uint32_t batch)
{
    kill(-1, SIGKILL);
    uint64_t start = now_ms();
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, WNOHANG);
        if (r < 0 && errno == ECHILD)
            return 0;
        if (r > 0)
            continue;
        if (now_ms() - start > GONE_MS) {
            printf("fuzz: FAIL: after batch %u, processes still there %d ms after SIGKILL\n",
                   batch, GONE_MS);
            return -1;
        }
        kill(-1, SIGKILL);
        sleep_ms(POLL_MS);
    }
}

/*
 * Removes what the children left under top (a tmpfs), so that its pages count as free
 * again: down to a directory without subdirectories, its files, then it, and again. No
 * recursion: the fuzzer's own stack must not grow (a new page would look like a leak).
 */
static void clear_tree(const char* top)
{
    static char path[4096];
    for (int rounds = 0; rounds < 10000; rounds++) {
        snprintf(path, sizeof path, "%s", top);
        for (int descended = 1; descended;) {
            DIR* d = opendir(path);
            if (!d)
                return;
            descended = 0;
            struct dirent* e;
            while (!descended && (e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                size_t len = strlen(path);
                snprintf(path + len, sizeof path - len, "/%s", e->d_name);
                struct stat st;
                if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
                    descended = 1;
                else {
                    unlink(path);
                    path[len] = 0;
                }
            }
            closedir(d);
        }
        if (strcmp(path, top) == 0 || rmdir(path) < 0)
            return;
    }
}

static void clear_tmpfs(void)
{
    clear_tree("/tmp");
    clear_tree("/dev/shm");
}

struct counts {
    unsigned long free_pages, free_swap;
};

static struct counts count_memory(void)
{
    fault_in_everything();
    struct sysinfo si;
    struct counts c = { 0, 0 };
    if (sysinfo(&si) == 0) {
        unsigned long unit = si.mem_unit ? si.mem_unit : 1;
        c.free_pages = si.freeram * unit / 4096;
        c.free_swap = si.freeswap * unit / 4096;
    }
    return c;
}

static _Noreturn void usage(void)
{
    printf("usage: fuzz [-v] [-b BATCH] [-s SWAPDEV] SEED CALLS\n");
    exit(2);
}

int main(int argc, char** argv)
{
    ensure_std_fds();
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint32_t first = 0;
    const char* swapdev = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "vb:s:")) != -1) {
        switch (opt) {
        case 'v': verbose = 1; break;
        case 'b': first = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 's': swapdev = optarg; break;
        default: usage();
        }
    }
    if (argc - optind != 2)
        usage();
    seed = strtoull(argv[optind], NULL, 0);
    long total = strtol(argv[optind + 1], NULL, 0);
    printf("fuzz: seed %llu calls %ld\n", (unsigned long long)seed, total);
    if (getpid() != 1) {
        printf("fuzz: must run as pid 1 (init=/tests/fuzz): it kills every other process\n");
        return 2;
    }
    /* Swap widens what is tested; without it (no disk found) the run is still worth it. */
    if (swapdev && swapon(swapdev, 0) < 0)
        printf("fuzz: swapon %s: %s; going on without swap\n", swapdev, strerror(errno));
    arena_init();
    dup3(1, FD_LOG, O_CLOEXEC);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = no_op;
    sigaction(SIGCHLD, &sa, NULL);

    /* Two empty children first, so that this process's lazily made memory is in place. */
    struct outcome out;
    for (int i = 0; i < 2; i++) {
        if (run_batch(first, 0, &out) < 0 || clear_processes(first) < 0)
            return 1;
        clear_tmpfs();
    }
    struct counts before = count_memory();
    struct counts expect = before;

    long done = 0;
    int children = 0, watchdog = 0, early = 0, signalled = 0;
    uint32_t batch = first;
    while (done < total) {
        int calls = total - done < BATCH_CALLS ? (int)(total - done) : BATCH_CALLS;
        if (run_batch(batch, calls, &out) < 0 || clear_processes(batch) < 0) {
            failed = 1;                 /* a hang: what follows would not be meaningful */
            break;
        }
        clear_tmpfs();
        children++;
        watchdog += out.watchdog;
        early += out.early;
        signalled += !out.watchdog && !out.early && WIFSIGNALED(out.status);
        done += out.calls ? out.calls : 1;
        struct counts now = count_memory();
        if (now.free_pages != expect.free_pages || now.free_swap != expect.free_swap) {
            printf("fuzz: FAIL: after batch %u: free pages %lu, expected %lu; free swap "
                   "slots %lu, expected %lu\n", batch, now.free_pages, expect.free_pages,
                   now.free_swap, expect.free_swap);
            failed = 1;
            expect = now;               /* go on: each further change is reported too */
        }
        if (verbose || (done / 10000 != (done - out.calls) / 10000))
            printf("fuzz: %ld calls, batch %u\n", done, batch);
        batch++;
    }
    struct counts after = count_memory();
    printf("fuzz: %ld calls in %d children (%d stopped by the watchdog, %d killed at a random "
           "moment, %d died of a signal), batches %u..%u\n", done, children, watchdog, early,
           signalled, first, batch - 1);
    printf("fuzz: free pages %lu before, %lu after; free swap slots %lu before, %lu after\n",
           before.free_pages, after.free_pages, before.free_swap, after.free_swap);
    if (after.free_pages != before.free_pages || after.free_swap != before.free_swap)
        failed = 1;
    printf("fuzz: %s\n", failed ? "FAIL" : "PASS");
    return failed;
}
