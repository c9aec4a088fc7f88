/*
 * watchee: init for the gdb-helpers stage. It puts the memory manager into a state worth
 * looking at (swap on, a process grown past the RAM so that part of it is in swap, a forked
 * child sharing its pages copy-on-write and having copied some), waits for everything to
 * settle, then prints what the kernel itself reports (/proc/PID/maps, stat, pagemap,
 * meminfo, swaps) and sleeps, so that gdb can stop the machine and compare its helpers'
 * readings with the report. Every section starts with a line "@@ ...".
 *
 * watchee [MB]: MB megabytes for the process that grows (default 40).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <unistd.h>

#define PAGE 4096u
#define SAMPLES 16
#define COPIED_PAGES 16

static char out[256 * 1024];
static size_t used;

static void add(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static void add(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    used += (size_t)vsnprintf(out + used, sizeof out - used, fmt, ap);
    va_end(ap);
    if (used >= sizeof out)
        used = sizeof out - 1;
}

static void add_file(const char* path)
{
    char buf[8192];
    int fd = open(path, O_RDONLY);
    add("@@ file %s\n", path);
    if (fd < 0) {
        add("(cannot open)\n");
        return;
    }
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0 && used + (size_t)n < sizeof out) {
        memcpy(out + used, buf, (size_t)n);
        used += (size_t)n;
    }
    close(fd);
}

static void add_pagemap(int pid, uintptr_t addr)
{
    char path[64];
    uint64_t e = 0;
    snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, &e, 8, (off_t)(addr / PAGE * 8)) != 8)
        e = ~0ull;
    if (fd >= 0)
        close(fd);
    add("@@ pagemap %d %#lx %#llx\n", pid, (unsigned long)addr, (unsigned long long)e);
}

/* The process that grows: fills its area, forks a child that copies some pages, and both wait. */
static void grow(size_t mb, int ready)
{
    size_t pages = (mb << 20) / PAGE;
    uint8_t* p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        _exit(1);
    for (size_t i = 0; i < pages; i++)
        memset(p + i * PAGE, (int)(i & 0xFF) | 1, PAGE);
    pid_t child = fork();
    if (child == 0) {
        for (size_t i = 0; i < COPIED_PAGES; i++)
            p[i * PAGE] = 0;            /* copy-on-write: these pages become the child's own */
    }
    uintptr_t note[2] = { (uintptr_t)getpid(), (uintptr_t)p };
    if (write(ready, note, sizeof note) != sizeof note)
        _exit(1);
    for (;;)
        pause();
}

int main(int argc, char** argv)
{
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 40;
    if (swapon("/dev/hda", 0) != 0)
        perror("watchee: swapon /dev/hda");
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    pid_t grower = fork();
    if (grower == 0) {
        close(ready[0]);
        grow(mb, ready[1]);
    }
    close(ready[1]);
    uintptr_t area = 0;
    int pids[2] = { grower, 0 };
    for (int i = 0; i < 2; i++) {
        uintptr_t note[2];
        if (read(ready[0], note, sizeof note) != sizeof note) {
            printf("watchee: the growing process failed\n");
            return 1;
        }
        if ((pid_t)note[0] != grower)
            pids[1] = (int)note[0];
        area = note[1];
    }
    sleep(2);                           /* kswapd reaches its high watermark and sleeps */

    add("@@ pids %d %d\n@@ area %#lx %u\n", pids[0], pids[1], (unsigned long)area,
        (unsigned)((mb << 20) / PAGE));
    size_t pages = (mb << 20) / PAGE;
    for (int k = 0; k < 2; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/maps", pids[k]);
        add_file(path);
        for (size_t s = 0; s < SAMPLES; s++)
            add_pagemap(pids[k], area + (s < 4 ? s : s * (pages / SAMPLES)) * PAGE);
        add_pagemap(pids[k], (uintptr_t)&main);
    }
    int stat_pids[] = { 1, 2, pids[0], pids[1] };
    for (size_t k = 0; k < sizeof stat_pids / sizeof stat_pids[0]; k++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", stat_pids[k]);
        add_file(path);
    }
    add_file("/proc/swaps");
    add_file("/proc/meminfo");
    add("@@ watch ready\n");
    if (write(1, out, used) != (ssize_t)used)
        return 1;
    for (;;)
        pause();
}
