/*
 * /tests/bench: what the memory manager's basic operations cost, in TSC cycles. Boot it
 * with `make bench`, which runs it under QEMU with -icount shift=0,sleep=off so that the
 * guest's cycle counts are the same from run to run.
 *
 * Each figure is the median of several rounds, with the cost of the measuring loop itself
 * (the same loop over memory already mapped) taken off.
 *
 *   bench                          the fault, fork, exec, system-call and region figures
 *   bench swap DEVICE MULTIPLE     swap costs (below)
 *   bench all DEVICE MULTIPLE      both, in one boot
 *
 * The same binary runs on Linux too (scripts/bench.py compares the two kernels), so it
 * uses only what both provide; the swap device is an argument because the first IDE disk
 * is /dev/hda here and /dev/sda on Linux.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/sysinfo.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES 256
#define ROUNDS 7
#define SELF "/tests/bench"             /* what fork+execve runs: this program, told to exit */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int compare(const void* a, const void* b)
{
    uint64_t x = *(const uint64_t*)a, y = *(const uint64_t*)b;
    return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t* v, int n)
{
    qsort(v, n, sizeof *v, compare);
    return v[n / 2];
}

static char* map(size_t bytes)
{
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

/* Cycles to write one word into each of `pages` pages. */
static uint64_t touch(char* p, int pages)
{
    uint64_t t0 = rdtsc();
    for (int i = 0; i < pages; i++)
        ((volatile char*)p)[(size_t)i * PAGE] = (char)i;
    return rdtsc() - t0;
}

static void report(const char* name, uint64_t cycles)
{
    printf("bench: %-34s %8llu cycles\n", name, (unsigned long long)cycles);
}

static uint64_t loop_cost(void)
{
    char* p = map(PAGES * PAGE);
    touch(p, PAGES);
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++)
        v[r] = touch(p, PAGES);
    munmap(p, PAGES * PAGE);
    return median(v, ROUNDS);
}

static void null_syscall(void)
{
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = rdtsc();
        for (int i = 0; i < 1000; i++)
            syscall(SYS_getppid);
        v[r] = (rdtsc() - t0) / 1000;
    }
    report("null system call (getppid)", median(v, ROUNDS));
}

static void demand_zero(uint64_t base)
{
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char* p = map(PAGES * PAGE);
        v[r] = (touch(p, PAGES) - base) / PAGES;
        munmap(p, PAGES * PAGE);
    }
    report("demand-zero fault", median(v, ROUNDS));
}

static void cow(uint64_t base)
{
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char* p = map(PAGES * PAGE);
        touch(p, PAGES);
        int gate[2];
        if (pipe(gate) < 0)
            exit(1);
        pid_t child = fork();
        if (child == 0) {               /* holds the pages shared until the parent is done */
            char c;
            close(gate[1]);
            read(gate[0], &c, 1);
            _exit(0);
        }
        close(gate[0]);
        v[r] = (touch(p, PAGES) - base) / PAGES;
        close(gate[1]);
        waitpid(child, NULL, 0);
        munmap(p, PAGES * PAGE);
    }
    report("copy-on-write fault", median(v, ROUNDS));
}

static void sole_owner(uint64_t base)
{
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char* p = map(PAGES * PAGE);
        touch(p, PAGES);
        pid_t child = fork();           /* leaves every page read-only, then goes away */
        if (child == 0)
            _exit(0);
        waitpid(child, NULL, 0);
        v[r] = (touch(p, PAGES) - base) / PAGES;
        munmap(p, PAGES * PAGE);
    }
    report("write fault, sole owner", median(v, ROUNDS));
}

static void fork_exit_wait(const char* name, size_t resident)
{
    char* p = resident ? map(resident) : NULL;
    if (p)
        touch(p, (int)(resident / PAGE));
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = rdtsc();
        pid_t child = fork();
        if (child == 0)
            _exit(0);
        waitpid(child, NULL, 0);
        v[r] = rdtsc() - t0;
    }
    report(name, median(v, ROUNDS));
    if (p)
        munmap(p, resident);
}

static void fork_exec_exit_wait(void)
{
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = rdtsc();
        pid_t child = fork();
        if (child == 0) {
            char* argv[] = { SELF, "exit", NULL };
            char* envp[] = { NULL };
            execve(SELF, argv, envp);
            _exit(127);
        }
        int status;
        waitpid(child, &status, 0);
        v[r] = rdtsc() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench: %s exit: status %#x\n", SELF, status);
            exit(1);
        }
    }
    report("fork+execve+exit+wait", median(v, ROUNDS));
}

/* The number of regions (lines of /proc/self/maps) of this process. */
static int count_regions(void)
{
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0) {
        perror("/proc/self/maps");
        exit(1);
    }
    char buf[4096];
    ssize_t n;
    int lines = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}

/*
 * Adds one-page read-only regions, a hole after each so that none merges with the next,
 * until the process has `regions` - 1: the mapping a figure then makes is the last.
 * Returns the filler's start; *bytes gets its size.
 */
static char* fill_regions(int regions, size_t* bytes)
{
    int more = regions - 1 - count_regions();
    if (more < 1) {
        fprintf(stderr, "bench: already %d regions\n", regions - 1 - more);
        exit(1);
    }
    *bytes = (size_t)more * 2 * PAGE;
    char* p = mmap(NULL, *bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    for (int i = 0; i < more; i++)
        if (munmap(p + (size_t)(2 * i + 1) * PAGE, PAGE) < 0) {
            perror("munmap");
            exit(1);
        }
    return p;
}

static void many_regions(int regions, uint64_t base)
{
    size_t bytes;
    char* filler = fill_regions(regions, &bytes);
    char name[64];

    snprintf(name, sizeof name, "demand-zero fault, %d regions", regions);
    uint64_t v[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        char* p = map(PAGES * PAGE);
        v[r] = (touch(p, PAGES) - base) / PAGES;
        munmap(p, PAGES * PAGE);
    }
    report(name, median(v, ROUNDS));

    snprintf(name, sizeof name, "mmap+munmap, %d regions", regions);
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = rdtsc();
        for (int i = 0; i < 100; i++)
            munmap(map(PAGE), PAGE);
        v[r] = (rdtsc() - t0) / 100;
    }
    report(name, median(v, ROUNDS));

    if (regions >= 4096) {
        snprintf(name, sizeof name, "fork+exit+wait, %d regions", regions);
        char* p = map(PAGE);            /* the last region, as in the figures above */
        fork_exit_wait(name, 0);
        munmap(p, PAGE);
    }
    munmap(filler, bytes);
}

/*
 * One CMOV, less a MOV in the same place: on a CPU without CMOV (QEMU's -cpu 486), what
 * the kernel's invalid-opcode trap and emulation cost (docs/old-cpus.md).
 */
#define CMOV_LOOP(insn, operand)                                                      \
    ({                                                                                \
        uint32_t d = 0;                                                               \
        uint64_t t0 = rdtsc();                                                        \
        for (int i = 0; i < 1000; i++)                                                \
            __asm__ volatile("cmpl $0, %1\n\t" insn " %2, %0"                         \
                             : "+r"(d) : "r"(i), operand : "cc");                     \
        (rdtsc() - t0) / 1000;                                                        \
    })

static void cmov_cost(void)
{
    static uint32_t word = 1;
    uint64_t reg[ROUNDS], mem[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t mov = CMOV_LOOP("movl", "r"(word));
        uint64_t cmov = CMOV_LOOP("cmovel", "r"(word));
        reg[r] = cmov > mov ? cmov - mov : 0;
        mov = CMOV_LOOP("movl", "m"(word));
        cmov = CMOV_LOOP("cmovel", "m"(word));
        mem[r] = cmov > mov ? cmov - mov : 0;
    }
    report("CMOV, register operand", median(reg, ROUNDS));
    report("CMOV, memory operand", median(mem, ROUNDS));
}

/*
 * `bench swap DEVICE MULTIPLE`: with swap on DEVICE, writes MULTIPLE times the RAM, page
 * by page, then reads it all back checking it: cycles per page of each pass. With the
 * memory full, every page written costs a swap-out, every page read a swap-in and a
 * swap-out.
 */
static int swap_bench(const char* device, int multiple)
{
    if (swapon(device, 0) < 0) {
        perror("swapon");
        return 1;
    }
    struct sysinfo si;
    sysinfo(&si);
    size_t pages = (size_t)si.totalram * si.mem_unit / PAGE * (size_t)multiple;
    char* p = map(pages * PAGE);
    uint64_t t0 = rdtsc();
    for (size_t i = 0; i < pages; i++)
        ((volatile uint32_t*)(p + i * PAGE))[0] = (uint32_t)i;
    uint64_t t1 = rdtsc();
    size_t wrong = 0;
    for (size_t i = 0; i < pages; i++)
        wrong += ((volatile uint32_t*)(p + i * PAGE))[0] != (uint32_t)i;
    uint64_t t2 = rdtsc();
    printf("bench: %zu pages (%d x RAM) in %lu kB of RAM, %zu wrong\n", pages, multiple,
           (unsigned long)(si.totalram * si.mem_unit / 1024), wrong);
    report("write pass, per page", (t1 - t0) / pages);
    report("read-back pass, per page", (t2 - t1) / pages);
    munmap(p, pages * PAGE);
    swapoff(device);
    return wrong != 0;
}

static void basic_figures(void)
{
    uint64_t base = loop_cost();
    null_syscall();
    demand_zero(base);
    cow(base);
    sole_owner(base);
    fork_exit_wait("fork+exit+wait, small process", 0);
    fork_exit_wait("fork+exit+wait, 16 MB resident", 16u << 20);
    fork_exec_exit_wait();
    many_regions(16, base);
    many_regions(4096, base);
    cmov_cost();
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "exit") == 0)
        return 0;
    if (argc == 4 && strcmp(argv[1], "swap") == 0)
        return swap_bench(argv[2], atoi(argv[3]));
    if (argc == 4 && strcmp(argv[1], "all") == 0) {
        basic_figures();
        fflush(stdout);
        return swap_bench(argv[2], atoi(argv[3]));
    }
    if (argc != 1) {
        fprintf(stderr, "usage: bench [swap|all DEVICE MULTIPLE]\n");
        return 2;
    }
    basic_figures();
    return 0;
}
