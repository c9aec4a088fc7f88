/*
 * Swap, end to end. These run in a boot with disks attached (the "swap" stage of make
 * test): /dev/hda a version 0 area made by the project's mkswap with bad pages, /dev/hdb
 * partitioned with a version 1 area made by util-linux mkswap on /dev/hdb2 and nothing on
 * /dev/hdb1. Without those disks (or on Linux) they skip. A test's own pages may be in
 * swap while it runs, so slot counts are checked only after swapoff, which brings every
 * page back or fails, and by the runner's count of free memory around each test.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/swap.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u

static int disk_present(const char* path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    close(fd);
    return 1;
}

static void need_disks(const char* first, const char* second)
{
    if (on_linux)
        skip("swapon would change the machine running the tests");
    if (!disk_present(first) || (second && !disk_present(second)))
        skip("no swap disks attached (the swap stages of make test attach them)");
}

static void need_swap_disks(void)
{
    need_disks("/dev/hda", "/dev/hdb2");
}

static unsigned long long swap_used(void)
{
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    return (unsigned long long)(si.totalswap - si.freeswap) * si.mem_unit;
}

static unsigned long long total_ram(void)
{
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    return (unsigned long long)si.totalram * si.mem_unit;
}

static char* big_map(size_t bytes)
{
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    return p;
}

static void swap_on(const char* dev)
{
    if (swapon(dev, 0) < 0)
        fail("swapon %s: %s", dev, strerror(errno));
}

static void swap_off(const char* dev)
{
    if (swapoff(dev) < 0)
        fail("swapoff %s: %s", dev, strerror(errno));
}

/*
 * The number after `key` (and an optional ':') at the start of a line of a /proc file,
 * or -1 if no line has it.
 */
static long long proc_number(const char* path, const char* key)
{
    static char text[8192];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t len = read(fd, text, sizeof text - 1);
    close(fd);
    if (len < 0)
        return -1;
    text[len] = 0;
    size_t k = strlen(key);
    for (const char* l = text; l && *l; l = strchr(l, '\n'), l += !!l) {
        while (*l == ' ')
            l++;
        if (strncmp(l, key, k) == 0 && (l[k] == ':' || l[k] == ' '))
            return strtoll(l + k + 1, NULL, 10);
    }
    return -1;
}

static long majflt(void)
{
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0);
    return ru.ru_majflt;
}

/*
 * The swap cache and read-ahead, as a user sees them: pages read back once are stolen
 * again without being written (pswpout of /proc/vmstat hardly moves), SwapCached shows
 * them, a sequential read faults once per cluster of slots, and the watermarks kswapd
 * keeps are in /proc/zoneinfo.
 */
void test_swap_cache(void)
{
    need_swap_disks();
    long long min = proc_number("/proc/zoneinfo", "min");
    long long low = proc_number("/proc/zoneinfo", "low");
    long long high = proc_number("/proc/zoneinfo", "high");
    if (!(0 < min && min < low && low < high))
        fail("/proc/zoneinfo watermarks: min %lld, low %lld, high %lld", min, low, high);
    swap_on("/dev/hda");
    size_t bytes = (size_t)(total_ram() * 3 / 2);
    uint32_t n = (uint32_t)(bytes / PAGE);
    char* p = big_map(bytes);
    for (uint32_t i = 0; i < n; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 6);
    long long out0 = proc_number("/proc/vmstat", "pswpout");
    long long in0 = proc_number("/proc/vmstat", "pswpin");
    long faults0 = majflt();
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 6))
            fail("page %u wrong in the first read pass", i);
    long long in1 = proc_number("/proc/vmstat", "pswpin");
    long faults = majflt() - faults0;
    if (in1 - in0 < n / 4)
        fail("only %lld pages read back of %u", in1 - in0, n);
    if (faults * 4 > in1 - in0)
        fail("%ld major faults for %lld pages read: no read-ahead", faults, in1 - in0);
    if (proc_number("/proc/meminfo", "SwapCached") <= 0)
        fail("SwapCached is %lld after reading pages back", proc_number("/proc/meminfo", "SwapCached"));
    long long out1 = proc_number("/proc/vmstat", "pswpout");
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 6))
            fail("page %u wrong in the second read pass", i);
    long long out2 = proc_number("/proc/vmstat", "pswpout");
    diag("%lld pages written before; first read: %lld read, %ld major faults, %lld written; "
         "second read: %lld written", out0, in1 - in0, faults, out1 - out0, out2 - out1);
    if (out2 - out1 > n / 8)
        fail("%lld pages written again in a pass that only read %u pages", out2 - out1, n);
    CHECK(munmap(p, bytes) == 0);
    swap_off("/dev/hda");
    CHECK_EQ(proc_number("/proc/meminfo", "SwapCached"), 0);
}

/* EBUSY, EINVAL, ENOENT as Linux gives them; every slot comes back after each use. */
void test_swap_errors(void)
{
    need_swap_disks();
    CHECK_ERRNO(swapon("/no/such/device", 0), ENOENT);
    CHECK_ERRNO(swapon(root_path("/etc/motd"), 0), EINVAL);     /* not a block device */
    CHECK_ERRNO(swapon("/dev/hdb1", 0), EINVAL);                /* no signature */
    CHECK_ERRNO(swapoff("/dev/hda"), EINVAL);                   /* not on */
    swap_on("/dev/hda");
    CHECK_ERRNO(swapon("/dev/hda", 0), EBUSY);
    int fd = open("/proc/swaps", O_RDONLY);
    CHECK(fd >= 0);
    char text[1024] = { 0 };
    CHECK(read(fd, text, sizeof text - 1) > 0);
    close(fd);
    CHECK(strncmp(text, "Filename", 8) == 0);
    CHECK(strstr(text, "/dev/hda") != NULL);
    CHECK(strstr(text, "partition") != NULL);
    swap_off("/dev/hda");
    CHECK_ERRNO(swapoff("/dev/hda"), EINVAL);
}

/* Twice the RAM, written and read back in order and in a shuffled order. */
void test_swap_twice_ram(void)
{
    need_swap_disks();
    swap_on("/dev/hda");
    size_t bytes = (size_t)(2 * total_ram());
    uint32_t n = (uint32_t)(bytes / PAGE);
    char* p = big_map(bytes);
    for (uint32_t i = 0; i < n; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 1);
    CHECK(swap_used() > 0);
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 1))
            fail("page %u wrong after the sequential pass", i);
    uint32_t x = 12345;
    for (uint32_t k = 0; k < n; k++) {
        x = x * 1103515245u + 12345u;
        uint32_t i = (x >> 8) % n;
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 1))
            fail("page %u wrong in the random pass", i);
        if (k % 3 == 0)
            fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 1);
    }
    CHECK(munmap(p, bytes) == 0);
    swap_off("/dev/hda");
}

struct halves {
    char* p;
    uint32_t n;
};

static void child_checks(void* arg)
{
    const struct halves* h = arg;
    for (uint32_t i = 0; i < h->n; i++)
        if (!page_ok((uint32_t*)(h->p + (size_t)i * PAGE), i, 2))
            fail("child: page %u wrong", i);
    for (uint32_t i = 0; i < h->n; i += 2)
        fill_page((uint32_t*)(h->p + (size_t)i * PAGE), i, 3);
    for (uint32_t i = 0; i < h->n; i += 2)
        if (!page_ok((uint32_t*)(h->p + (size_t)i * PAGE), i, 3))
            fail("child: own page %u wrong", i);
}

/* fork while pages are out: both sides see their own data. */
void test_swap_fork(void)
{
    need_swap_disks();
    swap_on("/dev/hda");
    size_t bytes = (size_t)(total_ram() * 3 / 2);
    struct halves h = { big_map(bytes), (uint32_t)(bytes / PAGE) };
    for (uint32_t i = 0; i < h.n; i++)
        fill_page((uint32_t*)(h.p + (size_t)i * PAGE), i, 2);
    CHECK(swap_used() > 0);
    expect_success("child reading and writing swapped pages", child_checks, &h);
    for (uint32_t i = 0; i < h.n; i++)
        if (!page_ok((uint32_t*)(h.p + (size_t)i * PAGE), i, 2))
            fail("parent: page %u changed", i);
    CHECK(munmap(h.p, bytes) == 0);
    swap_off("/dev/hda");
}

static void hog(void* arg)
{
    size_t bytes = *(size_t*)arg;
    char* p = big_map(bytes);
    touch_pages(p, bytes);
}

/* swapoff while pages are out brings them back intact. */
void test_swap_off_while_out(void)
{
    need_swap_disks();
    swap_on("/dev/hda");
    size_t mine = (size_t)(total_ram() / 3);
    uint32_t n = (uint32_t)(mine / PAGE);
    char* p = big_map(mine);
    for (uint32_t i = 0; i < n; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 4);
    /* All of RAM more, touched after ours: the clock hand sends our older pages out. */
    size_t more = (size_t)total_ram();
    char* q = big_map(more);
    touch_pages(q, more);
    CHECK(munmap(q, more) == 0);
    diag("%llu of our %zu kB out", swap_used() / 1024, mine / 1024);
    CHECK(swap_used() >= mine / 2);
    swap_off("/dev/hda");                    /* everything must come back first */
    CHECK_EQ(swap_used(), 0);
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 4))
            fail("page %u wrong after swapoff", i);
    CHECK(munmap(p, mine) == 0);
}

/* Two areas at once, the second on a partition made by util-linux mkswap (version 1). */
void test_swap_two_areas(void)
{
    need_swap_disks();
    CHECK(swapon("/dev/hda", SWAP_FLAG_PREFER | 1) == 0);
    CHECK(swapon("/dev/hdb2", SWAP_FLAG_PREFER | 1) == 0);
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    unsigned long long total = (unsigned long long)si.totalswap * si.mem_unit;
    /* Fill all of the first area and then some, so both are used. */
    size_t bytes = (size_t)(total_ram() * 3 / 2);
    uint32_t n = (uint32_t)(bytes / PAGE);
    char* p = big_map(bytes);
    for (uint32_t i = 0; i < n; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 5);
    int fd = open("/proc/swaps", O_RDONLY);
    char text[1024] = { 0 };
    CHECK(fd >= 0 && read(fd, text, sizeof text - 1) > 0);
    close(fd);
    CHECK(strstr(text, "/dev/hda") && strstr(text, "/dev/hdb2"));
    diag("two areas of %llu kB in all", total / 1024);
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 5))
            fail("page %u wrong", i);
    CHECK(munmap(p, bytes) == 0);
    swap_off("/dev/hdb2");
    swap_off("/dev/hda");
}

static void run_mkswap(void* arg)
{
    execl(root_path("/sbin/mkswap"), "mkswap", (const char*)arg, (char*)NULL);
    _exit(127);
}

/*
 * Neither memory nor swap left: the process that needs a page dies of SIGKILL, alone.
 * The area is a small one that /sbin/mkswap makes on /dev/hdb1 here.
 */
void test_swap_exhausted(void)
{
    need_swap_disks();
    expect_success("/sbin/mkswap /dev/hdb1", run_mkswap, "/dev/hdb1");
    swap_on("/dev/hdb1");
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t bytes = (size_t)((unsigned long long)(si.totalram + si.totalswap) * si.mem_unit + (4u << 20));
    pid_t pid = spawn(hog, &bytes);
    int status = wait_for(pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the hog ended %s, not killed", describe_status(status));
    swap_off("/dev/hdb1");
}

static void fill_and_check(void* arg)
{
    size_t bytes = *(size_t*)arg;
    uint32_t n = (uint32_t)(bytes / PAGE);
    char* p = big_map(bytes);
    for (uint32_t i = 0; i < n; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, 6);
    for (uint32_t i = 0; i < n; i++)
        if (!page_ok((uint32_t*)(p + (size_t)i * PAGE), i, 6))
            fail("page %u wrong", i);
}

/*
 * Run by the swap-errors stage, whose /dev/hdd fails every write to its page 2: the
 * write error retires that slot (the area shrinks by a page) and the page stays in
 * memory, so the process sees all of its data.
 */
void test_ioerr_write(void)
{
    need_disks("/dev/hdd", NULL);
    swap_on("/dev/hdd");
    struct sysinfo before, after;
    CHECK(sysinfo(&before) == 0);
    size_t bytes = (size_t)(total_ram() * 3 / 2);
    expect_success("a process using more than the RAM", fill_and_check, &bytes);
    CHECK(sysinfo(&after) == 0);
    if (after.totalswap != before.totalswap - 1)
        fail("the area has %lu pages after the write error, %lu before: want one fewer",
             (unsigned long)after.totalswap, (unsigned long)before.totalswap);
    swap_off("/dev/hdd");
}


static void churner(void* arg)
{
    size_t bytes = *(size_t*)arg;
    char* p = big_map(bytes);
    for (;;)
        touch_pages(p, bytes);
}

static void forker(void* arg)
{
    int rounds = *(int*)arg;
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
            _exit(i & 0x7F);
        int status;
        pid_t r = waitpid(pid, &status, 0);
        if (r != pid)
            fail("round %d: waitpid(%d) returned %d (%s): the child was lost", i, pid, r,
                 strerror(errno));
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == (i & 0x7F));
    }
}

/*
 * Forks that sleep for memory (reclaim writes to swap) at the same time: each must get a
 * process table slot and a pid of its own. Both were chosen before the sleep and only
 * taken after it, so two forks could install their children in one slot, the second
 * overwriting the first, whose parent then found no child to wait for.
 */
void test_swap_fork_race(void)
{
    need_swap_disks();
    swap_on("/dev/hda");
    size_t bytes = (size_t)total_ram();
    pid_t churn = spawn(churner, &bytes);
    int rounds = 150;
    pid_t forkers[4];
    for (int i = 0; i < 4; i++)
        forkers[i] = spawn(forker, &rounds);
    for (int i = 0; i < 4; i++) {
        int status = wait_for(forkers[i]);
        if (status != 0)
            fail("forker %d %s", i, describe_status(status));
    }
    kill(churn, SIGKILL);
    wait_for(churn);
    swap_off("/dev/hda");
}

/*
 * For the runner: the swap areas on (their names in /proc/swaps), and the swapoff of
 * those a test turned on and left on. A failed test often ends before its swapoff; the
 * area's maps would then stay allocated (counted as pages lost after the test) and make
 * the next swap test's swapon fail with EBUSY.
 */
void swap_snapshot(struct swap_areas* s)
{
    s->n = 0;
    FILE* f = fopen("/proc/swaps", "r");
    if (!f)
        return;
    char line[256];
    if (fgets(line, sizeof line, f))            /* the header */
        while (s->n < SWAP_AREAS_MAX && fgets(line, sizeof line, f))
            if (sscanf(line, "%63s", s->name[s->n]) == 1)
                s->n++;
    fclose(f);
}

int swap_off_left(const struct swap_areas* before)
{
    struct swap_areas now;
    swap_snapshot(&now);
    int turned_off = 0;
    for (int i = 0; i < now.n; i++) {
        int known = 0;
        for (int k = 0; k < before->n; k++)
            known |= strcmp(before->name[k], now.name[i]) == 0;
        if (known)
            continue;
        printf("# turning off swap area %s left on\n", now.name[i]);
        if (swapoff(now.name[i]) == 0)
            turned_off++;
        else
            printf("# swapoff %s: %s\n", now.name[i], strerror(errno));
    }
    return turned_off;
}

/* The runner's clean-up after a test that left swap on: the area goes, and only it. */
void test_swap_left_on(void)
{
    need_swap_disks();
    struct swap_areas before;
    swap_snapshot(&before);
    swap_on("/dev/hda");
    CHECK_EQ(swap_off_left(&before), 1);
    struct swap_areas after;
    swap_snapshot(&after);
    CHECK_EQ(after.n, before.n);
    swap_on("/dev/hda");                        /* off indeed: not EBUSY */
    swap_off("/dev/hda");
}

/*
 * A process killed for want of memory while its shared pages are on their way to swap:
 * the last unmap, at its exit, frees the object with pages in the swap cache, their
 * writes in flight or done. Every page and slot must come back (the runner counts free
 * RAM; swapoff finds every slot free).
 */
static void shared_hog(void* arg)
{
    size_t bytes = *(size_t*)arg;
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    touch_pages(p, bytes);
}

void test_swap_oom_shared(void)
{
    need_swap_disks();
    expect_success("/sbin/mkswap /dev/hdb1", run_mkswap, "/dev/hdb1");
    swap_on("/dev/hdb1");
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t bytes = (size_t)((unsigned long long)(si.totalram + si.totalswap) * si.mem_unit + (4u << 20));
    pid_t pid = spawn(shared_hog, &bytes);
    int status = wait_for(pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the shared hog ended %s, not killed", describe_status(status));
    CHECK(sysinfo(&si) == 0);
    diag("after the kill: %lu kB of swap in use", (unsigned long)((si.totalswap - si.freeswap) * si.mem_unit / 1024));
    swap_off("/dev/hdb1");
}
