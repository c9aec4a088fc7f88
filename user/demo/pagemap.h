/*
 * What the demos read from /proc/PID/pagemap: 8 bytes per virtual page (CONTRACT §7).
 * Bit 63: present, with the page frame number in bits 0-54; bit 62: in swap.
 */
#pragma once
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#define DEMO_PAGE 4096u
#define PM_PRESENT (1ull << 63)
#define PM_SWAP (1ull << 62)
#define PM_PFN_MASK ((1ull << 55) - 1)

/* The pagemap entry of addr in process pid (0: this one); 0 if it cannot be read. */
static inline uint64_t pagemap_entry(int pid, uintptr_t addr)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    else
        snprintf(path, sizeof path, "/proc/self/pagemap");
    uint64_t e = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    if (pread(fd, &e, sizeof e, (off_t)(addr / DEMO_PAGE * sizeof e)) != sizeof e)
        e = 0;
    close(fd);
    return e;
}

/* The frame of a present page, or -1. */
static inline long page_frame(int pid, uintptr_t addr)
{
    uint64_t e = pagemap_entry(pid, addr);
    return (e & PM_PRESENT) ? (long)(e & PM_PFN_MASK) : -1;
}
