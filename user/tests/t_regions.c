/*
 * The region calls: mremap, mlock and its family, madvise, mincore, and what a process
 * reads of its regions in /proc/PID/smaps, smaps_rollup and status. They run on Linux
 * too, where frame numbers need root (pagemap) and free memory moves with the rest of the
 * machine (so the MemFree checks there are looser). The swap_* tests here run in the swap
 * stage, with its disks, on a 16 MB machine.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_PFN_MASK ((1ull << 55) - 1)

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif

/* The pagemap entry of this process's page at p. */
static uint64_t pagemap(const void* p)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0)
        fail("open pagemap: %s", strerror(errno));
    uint64_t e = 0;
    if (pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE) * 8) != 8)
        fail("read pagemap: %s", strerror(errno));
    close(fd);
    return e;
}

static int pfns_visible(void)
{
    static volatile char probe;
    probe = 1;
    return (pagemap((const void*)&probe) & PM_PFN_MASK) != 0;
}

/*
 * Anonymous memory that is a region of its own: between two PROT_NONE guard pages, so that
 * it cannot merge with a neighbour and its smaps entry counts it alone.
 */
static char* map_anon(size_t bytes)
{
    char* g = mmap(NULL, bytes + 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(g != MAP_FAILED);
    CHECK(mprotect(g + PAGE, bytes, PROT_READ | PROT_WRITE) == 0);
    return g + PAGE;
}

/* n pages at p get contents from their index and a seed; holds() checks them. */
static void fill(char* p, size_t pages, unsigned seed)
{
    for (size_t i = 0; i < pages; i++)
        for (size_t w = 0; w < PAGE / 4; w += 61)
            ((uint32_t*)(p + i * PAGE))[w] = (uint32_t)(i * 2654435761u + w + seed);
}

/* Page `index` of what fill() wrote, at page. */
static int page_holds(const char* page, size_t index, unsigned seed)
{
    for (size_t w = 0; w < PAGE / 4; w += 61)
        if (((const uint32_t*)page)[w] != (uint32_t)(index * 2654435761u + w + seed))
            return 0;
    return 1;
}

static int holds(const char* p, size_t pages, unsigned seed)
{
    for (size_t i = 0; i < pages; i++)
        if (!page_holds(p + i * PAGE, i, seed))
            return 0;
    return 1;
}

static int all_zero(const char* p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        if (p[i])
            return 0;
    return 1;
}

/* A whole /proc file, in a static buffer. */
static const char* read_proc(const char* path)
{
    static char text[65536];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while ((n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    text[len] = 0;
    return text;
}

/* The number after "key:" at the start of a line of text (up to `end`), or -1. */
static long field_in(const char* text, const char* end, const char* key)
{
    size_t k = strlen(key);
    for (const char* l = text; l && *l && (!end || l < end); l = strchr(l, '\n'), l += !!l)
        if (strncmp(l, key, k) == 0 && l[k] == ':')
            return strtol(l + k + 1, NULL, 10);
    return -1;
}

static long proc_field(const char* path, const char* key)
{
    return field_in(read_proc(path), NULL, key);
}

/* The smaps entry of the region holding p: its first line, and where the next begins. */
static const char* smaps_entry(const char* text, const void* p, const char** end)
{
    const char* at = NULL;
    for (const char* l = text; l && *l; l = strchr(l, '\n'), l += !!l) {
        unsigned long start, stop;
        int used = 0;
        if (sscanf(l, "%lx-%lx %n", &start, &stop, &used) == 2 && used > 0
            && start <= (uintptr_t)p && (uintptr_t)p < stop) {
            at = l;
            break;
        }
    }
    if (!at)
        fail("no smaps entry for %p", p);
    const char* vmflags = strstr(at, "\nVmFlags:");
    CHECK(vmflags);
    *end = strchr(vmflags + 1, '\n');
    return at;
}

static long smaps_field(const void* p, const char* key)
{
    const char* end;
    const char* at = smaps_entry(read_proc("/proc/self/smaps"), p, &end);
    return field_in(strchr(at, '\n') + 1, end, key);
}

static int smaps_has_flag(const void* p, const char* flag)
{
    const char* end;
    const char* at = smaps_entry(read_proc("/proc/self/smaps"), p, &end);
    const char* flags = strstr(at, "\nVmFlags:");
    char word[8];
    snprintf(word, sizeof word, " %s ", flag);
    const char* hit = strstr(flags, word);
    return hit && hit < end;
}

static long meminfo_kb(const char* key) { return proc_field("/proc/meminfo", key); }
static long status_kb(const char* key) { return proc_field("/proc/self/status", key); }

/* mincore's bytes for n pages at p, as a string of '0' and '1'. */
static const char* residency(const void* p, size_t pages)
{
    static unsigned char vec[256];
    static char text[257];
    CHECK(pages <= sizeof vec);
    if (mincore((void*)p, pages * PAGE, vec) != 0)
        fail("mincore: %s", strerror(errno));
    for (size_t i = 0; i < pages; i++)
        text[i] = (char)('0' + (vec[i] & 1));
    text[pages] = 0;
    return text;
}

/* An address range of `pages` with nothing mapped in it, from a mapping just removed. */
static char* free_range(size_t pages)
{
    char* p = map_anon(pages * PAGE);
    CHECK(munmap(p, pages * PAGE) == 0);
    return p;
}

void test_regions_mremap_errors(void)
{
    char* p = map_anon(4 * PAGE);
    char* blocker = mmap(p + 4 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(blocker == p + 4 * PAGE);
    CHECK_ERRNO(mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);       /* unaligned */
    CHECK_ERRNO(mremap(p, PAGE, 0, MREMAP_MAYMOVE), EINVAL);                  /* zero length */
    CHECK_ERRNO(mremap(p, PAGE, 2 * PAGE, 8), EINVAL);                        /* unknown flag */
    CHECK_ERRNO(mremap(p, PAGE, PAGE, MREMAP_FIXED, p + 8 * PAGE), EINVAL);   /* FIXED alone */
    CHECK_ERRNO(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP), EINVAL);
    CHECK_ERRNO(mremap(p, 0, PAGE, MREMAP_MAYMOVE), EINVAL);                  /* duplicate private */
    CHECK_ERRNO(mremap(p, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, p + PAGE), EINVAL);
    CHECK_ERRNO(mremap(p, 4 * PAGE, 8 * PAGE, 0), ENOMEM);                    /* blocked, may not move */
    CHECK_ERRNO(mremap(p, 5 * PAGE, 8 * PAGE, MREMAP_MAYMOVE), EFAULT);       /* two regions */
    char* target = free_range(1);
    char* hole = free_range(4);
    CHECK_ERRNO(mremap(hole, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);        /* nothing there */
    CHECK_ERRNO(mremap(hole, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target), EFAULT);
    /* Shrinking is always allowed, and a same-size call changes nothing. */
    CHECK(mremap(p, 4 * PAGE, 4 * PAGE, 0) == p);
    CHECK(munmap(p, 5 * PAGE) == 0);
}

void test_regions_mremap_shrink_grow(void)
{
    /* Shrink: the tail is gone, the rest kept, and on Ferrite the memory is free again. */
    char* p = map_anon(64 * PAGE);
    fill(p, 64, 1);
    unsigned long long before = free_ram();
    CHECK(mremap(p, 64 * PAGE, 16 * PAGE, 0) == p);
    if (!on_linux && free_ram() < before + 48 * PAGE)
        fail("free RAM rose by %lld bytes after shrinking by 48 pages", (long long)(free_ram() - before));
    CHECK(holds(p, 16, 1));
    CHECK_ERRNO(mincore(p + 16 * PAGE, PAGE, (unsigned char[1]){ 0 }), ENOMEM);

    /* Grow in place: the gap above allows it, the address stays, the new part is zero. */
    CHECK(mremap(p, 16 * PAGE, 32 * PAGE, 0) == p);
    CHECK(!strcmp(residency(p, 32), "1111111111111111" "0000000000000000"));
    CHECK(holds(p, 16, 1));
    CHECK(all_zero(p + 16 * PAGE, 16 * PAGE));
    /* An unaligned length covers its last page. */
    CHECK(mremap(p, 32 * PAGE, 8 * PAGE + 1, 0) == p);
    CHECK(!strcmp(residency(p, 9), "111111111"));
    CHECK_ERRNO(mincore(p + 9 * PAGE, PAGE, (unsigned char[1]){ 0 }), ENOMEM);
    CHECK(munmap(p, 9 * PAGE) == 0);
}

void test_regions_mremap_move(void)
{
    char* p = map_anon(8 * PAGE);
    CHECK(mmap(p + 8 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p + 8 * PAGE);
    fill(p, 8, 2);
    uint64_t frames[8];
    for (int i = 0; i < 8; i++)
        frames[i] = pagemap(p + i * PAGE) & PM_PFN_MASK;
    char* q = mremap(p, 8 * PAGE, 32 * PAGE, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q != p);
    CHECK(holds(q, 8, 2));
    CHECK(all_zero(q + 8 * PAGE, 24 * PAGE));
    /* The pages moved, not copies of them: the same frames. */
    if (pfns_visible())
        for (int i = 0; i < 8; i++)
            CHECK_EQ(pagemap(q + i * PAGE) & PM_PFN_MASK, frames[i]);
    CHECK_ERRNO(mincore(p, PAGE, (unsigned char[1]){ 0 }), ENOMEM);         /* the old place is free */

    /* MREMAP_FIXED: whatever was at the target goes first. */
    char* target = map_anon(4 * PAGE);
    fill(target, 4, 9);
    CHECK(mremap(q, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target) == target);
    CHECK(holds(target, 4, 2));
    /* FIXED with a shrink: the tail of the source is unmapped, the head moves. */
    char* spot = free_range(2);
    CHECK(mremap(q + 4 * PAGE, 4 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, spot) == spot);
    CHECK(page_holds(spot, 4, 2) && page_holds(spot + PAGE, 5, 2));
    CHECK_ERRNO(mincore(q + 6 * PAGE, PAGE, (unsigned char[1]){ 0 }), ENOMEM);

    /* MREMAP_DONTUNMAP: the old range stays mapped, empty; the data is at the new one. */
    char* r = mremap(target, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    CHECK(r != MAP_FAILED && r != target);
    CHECK(holds(r, 4, 2));
    CHECK(!strcmp(residency(target, 4), "0000"));
    CHECK(all_zero(target, 4 * PAGE));
    CHECK(munmap(r, 4 * PAGE) == 0);
    CHECK(munmap(target, 4 * PAGE) == 0);
    CHECK(munmap(spot, 2 * PAGE) == 0);
    CHECK(munmap(q + 8 * PAGE, 24 * PAGE) == 0);
    CHECK(munmap(p + 8 * PAGE, PAGE) == 0);
}

void test_regions_mremap_file(void)
{
    int fd = open(root_path("/etc/motd"), O_RDONLY);
    CHECK(fd >= 0);
    char want[20];
    CHECK(pread(fd, want, sizeof want, 0) == (ssize_t)sizeof want);
    /* The file's page, and a read-only page above it that keeps it from growing in place. */
    char* area = map_anon(2 * PAGE);
    char* p = mmap(area, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK(p == area);
    CHECK(memcmp(p, want, sizeof want) == 0);
    char* blocker = mmap(p + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(blocker == p + PAGE);
    p[0] = '#';                         /* a private change moves with the page */
    char* q = mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE);
    CHECK(q != MAP_FAILED && q != p);
    CHECK(q[0] == '#' && memcmp(q + 1, want + 1, sizeof want - 1) == 0);
    /* Moved untouched, a file page is read from the file at its new place. */
    char* r = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(r != MAP_FAILED);
    char* s = mremap(r, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, free_range(1));
    CHECK(s != MAP_FAILED);
    CHECK(memcmp(s, want, sizeof want) == 0);
    CHECK(munmap(s, PAGE) == 0 && munmap(q, 2 * PAGE) == 0 && munmap(blocker, PAGE) == 0);
    close(fd);
}

/* glibc's realloc of a block it mmapped calls mremap: the pages are not copied. */
void test_regions_realloc(void)
{
    size_t small = 1 << 20, big = 4 << 20;
    char* p = malloc(small);
    CHECK(p);
    char* first = (char*)(((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
    size_t pages = (small - (size_t)(first - p)) / PAGE;
    fill(first, pages, 3);
    uint64_t frame = pagemap(first + PAGE) & PM_PFN_MASK;
    char* q = realloc(p, big);
    CHECK(q);
    char* moved = q + (first - p);
    CHECK(holds(moved, pages, 3));
    if (pfns_visible())
        CHECK_EQ(pagemap(moved + PAGE) & PM_PFN_MASK, frame);
    memset(q + small, 7, big - small);
    free(q);
}

void test_regions_mlock(void)
{
    char* p = map_anon(16 * PAGE);
    CHECK(!strcmp(residency(p, 16), "0000000000000000"));
    long locked_before = meminfo_kb("Mlocked");
    CHECK(locked_before >= 0 && meminfo_kb("Unevictable") >= locked_before);
    /* Unaligned: the pages the range touches are locked, and faulted in (written). */
    CHECK(mlock(p + PAGE + 100, 4 * PAGE) == 0);
    CHECK(!strcmp(residency(p, 16), "0111110000000000"));
    CHECK(pagemap(p + PAGE) & PM_EXCLUSIVE);      /* a page of its own, not the zero page */
    CHECK_EQ(status_kb("VmLck"), 20);
    CHECK(meminfo_kb("Mlocked") >= 20);
    CHECK(smaps_has_flag(p + PAGE, "lo") && !smaps_has_flag(p, "lo"));
    CHECK_EQ(smaps_field(p + PAGE, "Locked"), 20);
    CHECK_EQ(smaps_field(p + PAGE, "Size"), 20);
    CHECK(mlock(p, 0) == 0);
    CHECK(munlock(p + PAGE, 5 * PAGE) == 0);
    CHECK_EQ(status_kb("VmLck"), 0);
    CHECK(!smaps_has_flag(p + PAGE, "lo"));

    /* mlock2: flags 0 as mlock; MLOCK_ONFAULT locks without faulting in. */
    CHECK(syscall(SYS_mlock2, p + 8 * PAGE, 2 * PAGE, 0) == 0);
    CHECK(!strcmp(residency(p + 8 * PAGE, 2), "11"));
    CHECK(syscall(SYS_mlock2, p + 12 * PAGE, 2 * PAGE, 1) == 0);
    CHECK(!strcmp(residency(p + 12 * PAGE, 2), "00"));
    CHECK(smaps_has_flag(p + 12 * PAGE, "lo"));
    CHECK_ERRNO(syscall(SYS_mlock2, p, PAGE, 2), EINVAL);
    /* Errors: a hole, bad mlockall flags. */
    char* hole = free_range(2);
    CHECK_ERRNO(mlock(hole, PAGE), ENOMEM);
    CHECK_ERRNO(munlock(hole, PAGE), ENOMEM);
    CHECK_ERRNO(mlock(p + 15 * PAGE, 2 * PAGE), ENOMEM);      /* into the PROT_NONE guard */
    CHECK_ERRNO(mlock(p + 16 * PAGE, PAGE), ENOMEM);
    CHECK_ERRNO(mlockall(0), EINVAL);
    CHECK_ERRNO(mlockall(8), EINVAL);
    CHECK_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
    CHECK(munlockall() == 0);
    CHECK_EQ(status_kb("VmLck"), 0);
    CHECK(munmap(p, 16 * PAGE) == 0);
}

static void child_not_locked(void* arg)
{
    (void)arg;
    CHECK_EQ(status_kb("VmLck"), 0);
}

void test_regions_mlockall(void)
{
    CHECK(mlockall(MCL_CURRENT | MCL_FUTURE) == 0);
    CHECK(status_kb("VmLck") > 0);
    /* MCL_FUTURE: a new mapping is locked and in memory at once. */
    char* p = map_anon(8 * PAGE);
    CHECK(!strcmp(residency(p, 8), "11111111"));
    CHECK(smaps_has_flag(p, "lo"));
    CHECK(pagemap(p) & PM_EXCLUSIVE);
    /* Locks are not inherited. */
    expect_success("child after mlockall", child_not_locked, NULL);
    CHECK(munlockall() == 0);
    CHECK_EQ(status_kb("VmLck"), 0);
    char* q = map_anon(2 * PAGE);
    CHECK(!strcmp(residency(q, 2), "00"));
    CHECK(!smaps_has_flag(q, "lo"));
    /* MCL_FUTURE alone locks nothing there is now. */
    CHECK(mlockall(MCL_FUTURE) == 0);
    CHECK_EQ(status_kb("VmLck"), 0);
    CHECK(munlockall() == 0);
    CHECK(munmap(p, 8 * PAGE) == 0 && munmap(q, 2 * PAGE) == 0);
}

/*
 * Ferrite stops faulting in for a lock once locked pages hold half of memory (EAGAIN):
 * without an OOM killer that picks the locker, more would starve every other process.
 */
void test_regions_mlock_limit(void)
{
    if (on_linux)
        skip("locking most of this machine's memory would starve it");
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t bytes = (size_t)si.totalram * si.mem_unit * 3 / 4 & ~(size_t)(PAGE - 1);
    char* p = map_anon(bytes);
    CHECK_ERRNO(mlock(p, bytes), EAGAIN);
    long rss = smaps_field(p, "Rss");
    long half = (long)(si.totalram * si.mem_unit / 2 / 1024);
    if (rss <= 0 || rss > half)
        fail("%ld kB faulted in for the lock; at most half of memory is %ld kB", rss, half);
    CHECK_EQ(status_kb("VmLck"), (long)(bytes / 1024));
    CHECK(munlock(p, bytes) == 0);
    CHECK(munmap(p, bytes) == 0);
}

void test_regions_madvise_dontneed(void)
{
    size_t pages = 1024;
    char* p = map_anon(pages * PAGE);
    fill(p, pages, 4);
    CHECK_EQ(smaps_field(p, "Rss"), (long)pages * 4);
    unsigned long long before = free_ram();
    CHECK(madvise(p, pages * PAGE, MADV_DONTNEED) == 0);
    unsigned long long after = free_ram();
    /*
     * Linux keeps freed pages on per-CPU lists, outside MemFree, and other processes move
     * it too: there the count is not looked at.
     */
    if (!on_linux && after < before + pages * PAGE)
        fail("MemFree rose by %lld bytes after dropping %zu pages", (long long)(after - before), pages);
    CHECK(!strcmp(residency(p, 4), "0000"));
    CHECK(all_zero(p, pages * PAGE));
    CHECK_EQ(smaps_field(p, "Rss"), 0);

    /* A private file page is read from the file again. */
    int fd = open(root_path("/etc/motd"), O_RDONLY);
    CHECK(fd >= 0);
    char want_text[20];
    CHECK(pread(fd, want_text, sizeof want_text, 0) == (ssize_t)sizeof want_text);
    char* f = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(f != MAP_FAILED);
    memset(f, '#', 10);
    CHECK(madvise(f, PAGE, MADV_DONTNEED) == 0);
    CHECK(memcmp(f, want_text, sizeof want_text) == 0);
    /* MADV_FREE is for anonymous memory; what it frees reads back as before or as zeros. */
    CHECK_ERRNO(madvise(f, PAGE, MADV_FREE), EINVAL);
    CHECK_ERRNO(madvise(f, PAGE, MADV_REMOVE), EACCES);
    fill(p, 4, 5);
    CHECK(madvise(p, 4 * PAGE, MADV_FREE) == 0);
    CHECK(holds(p, 4, 5) || all_zero(p, 4 * PAGE));
    CHECK_ERRNO(madvise(p, PAGE, MADV_REMOVE), EINVAL);

    /* Locked memory may not be dropped (but MADV_DONTNEED_LOCKED may). */
    CHECK(mlock(p, PAGE) == 0);
    CHECK_ERRNO(madvise(p, PAGE, MADV_DONTNEED), EINVAL);
    CHECK_ERRNO(madvise(p, PAGE, MADV_FREE), EINVAL);
    CHECK(munlock(p, PAGE) == 0);

    /* Errors: unknown advice, unaligned start, a hole (after the mapped part is done). */
    CHECK_ERRNO(madvise(p, PAGE, 7), EINVAL);
    CHECK_ERRNO(madvise(p, PAGE, 999), EINVAL);
    CHECK_ERRNO(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
    char* hole = free_range(2);
    CHECK_ERRNO(madvise(hole, PAGE, MADV_DONTNEED), ENOMEM);
    fill(p + (pages - 1) * PAGE, 1, 6);
    CHECK(munmap(p + pages * PAGE - 2 * PAGE, PAGE) == 0);    /* a hole before the last page */
    CHECK_ERRNO(madvise(p + (pages - 3) * PAGE, 3 * PAGE, MADV_DONTNEED), ENOMEM);
    CHECK(all_zero(p + (pages - 1) * PAGE, PAGE));
    CHECK(madvise(p, 0, MADV_DONTNEED) == 0);
    /* Hints are accepted. */
    static const int hints[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
                                 MADV_DONTDUMP, MADV_DODUMP, MADV_COLD, MADV_PAGEOUT };
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (madvise(p, 4 * PAGE, hints[i]) != 0)
            fail("madvise advice %d: %s", hints[i], strerror(errno));
    CHECK(munmap(p, pages * PAGE) == 0 && munmap(f, PAGE) == 0);
    close(fd);
}

struct fork_areas {
    char* gone;
    char* wiped;
    char* kept;
};

static void fork_child_checks(void* arg)
{
    const struct fork_areas* a = arg;
    CHECK_ERRNO(mincore(a->gone, PAGE, (unsigned char[1]){ 0 }), ENOMEM);
    CHECK(all_zero(a->wiped, 2 * PAGE));
    CHECK(holds(a->kept, 2, 8));
}

static void touch_gone(void* arg)
{
    *((volatile char*)arg) = 1;
}

void test_regions_madvise_fork(void)
{
    struct fork_areas a = { map_anon(2 * PAGE), map_anon(2 * PAGE), map_anon(2 * PAGE) };
    fill(a.gone, 2, 8);
    fill(a.wiped, 2, 8);
    fill(a.kept, 2, 8);
    CHECK(madvise(a.gone, 2 * PAGE, MADV_DONTFORK) == 0);
    CHECK(madvise(a.wiped, 2 * PAGE, MADV_WIPEONFORK) == 0);
    CHECK(smaps_has_flag(a.gone, "dc") && smaps_has_flag(a.wiped, "wf"));
    expect_success("child of DONTFORK and WIPEONFORK", fork_child_checks, &a);
    expect_death("child touching a DONTFORK region", SIGSEGV, touch_gone, a.gone);
    CHECK(holds(a.gone, 2, 8) && holds(a.wiped, 2, 8));
    /* Undone: the child gets both as the parent has them. */
    CHECK(madvise(a.gone, 2 * PAGE, MADV_DOFORK) == 0);
    CHECK(madvise(a.wiped, 2 * PAGE, MADV_KEEPONFORK) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(holds(a.gone, 2, 8) && holds(a.wiped, 2, 8) ? 0 : 1);
    CHECK_EQ(wait_for(pid), 0);
    int fd = open(root_path("/etc/motd"), O_RDONLY);
    CHECK(fd >= 0);
    char* f = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(f != MAP_FAILED);
    CHECK_ERRNO(madvise(f, PAGE, MADV_WIPEONFORK), EINVAL);
    CHECK(munmap(f, PAGE) == 0);
    close(fd);
    CHECK(munmap(a.gone, 2 * PAGE) == 0 && munmap(a.wiped, 2 * PAGE) == 0 && munmap(a.kept, 2 * PAGE) == 0);
}

void test_regions_madvise_populate(void)
{
    char* p = map_anon(4 * PAGE);
    CHECK(madvise(p, 2 * PAGE, MADV_POPULATE_READ) == 0);
    CHECK(!strcmp(residency(p, 4), "1100"));
    CHECK_EQ(smaps_field(p, "Rss"), 0);          /* read: the zero page, nobody's memory */
    CHECK(madvise(p + 2 * PAGE, 2 * PAGE, MADV_POPULATE_WRITE) == 0);
    CHECK(!strcmp(residency(p, 4), "1111"));
    CHECK_EQ(smaps_field(p, "Rss"), 8);
    CHECK(pagemap(p + 3 * PAGE) & PM_EXCLUSIVE);
    CHECK(mprotect(p, 4 * PAGE, PROT_READ) == 0);
    CHECK_ERRNO(madvise(p, PAGE, MADV_POPULATE_WRITE), EINVAL);
    CHECK(mprotect(p, 4 * PAGE, PROT_NONE) == 0);
    CHECK_ERRNO(madvise(p, PAGE, MADV_POPULATE_READ), EINVAL);
    CHECK(munmap(p, 4 * PAGE) == 0);
}

void test_regions_mincore(void)
{
    char* p = map_anon(4 * PAGE);
    volatile char sink = p[PAGE];               /* read: the zero page, present */
    (void)sink;
    p[2 * PAGE] = 1;
    CHECK(!strcmp(residency(p, 4), "0110"));
    CHECK(madvise(p + 2 * PAGE, PAGE, MADV_DONTNEED) == 0);
    CHECK(!strcmp(residency(p, 4), "0100"));
    unsigned char vec[4];
    CHECK(mincore(p, 0, vec) == 0);
    CHECK(mincore(p, 3 * PAGE + 1, vec) == 0 && vec[1] == 1);   /* a partial page counts */
    CHECK_ERRNO(mincore(p + 1, PAGE, vec), EINVAL);
    CHECK_ERRNO(mincore(free_range(1), PAGE, vec), ENOMEM);
    unsigned char* readonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(readonly != MAP_FAILED);
    CHECK_ERRNO(mincore(p, PAGE, readonly), EFAULT);
    CHECK_ERRNO(mincore(p, PAGE, NULL), EFAULT);
    CHECK(munmap(p, 4 * PAGE) == 0 && munmap(readonly, PAGE) == 0);
}

/* Linux 6.1's smaps lines, in order (a later Linux adds lines between them, never reorders). */
static const char* const smaps_keys[] = {
    "Size", "KernelPageSize", "MMUPageSize", "Rss", "Pss", "Pss_Dirty", "Shared_Clean",
    "Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced", "Anonymous", "LazyFree",
    "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped", "Shared_Hugetlb", "Private_Hugetlb",
    "Swap", "SwapPss", "Locked", "THPeligible", "VmFlags",
};

static void check_smaps_shape(const void* p)
{
    const char* end;
    const char* at = smaps_entry(read_proc("/proc/self/smaps"), p, &end);
    const char* l = strchr(at, '\n') + 1;
    for (size_t k = 0; k < sizeof smaps_keys / sizeof smaps_keys[0]; k++) {
        size_t n = strlen(smaps_keys[k]);
        while (l < end && !(strncmp(l, smaps_keys[k], n) == 0 && l[n] == ':'))
            l = strchr(l, '\n') + 1;
        if (l >= end)
            fail("smaps of %p: no %s line where Linux has it", p, smaps_keys[k]);
        if (k < 21 && !strstr(l, " kB\n"))
            fail("smaps line %s is not in kB", smaps_keys[k]);
    }
}

struct smaps_child {
    int ready[2], done[2];
    char* p;
};

void test_regions_smaps(void)
{
    char* p = map_anon(8 * PAGE);
    fill(p, 5, 10);
    check_smaps_shape(p);
    CHECK_EQ(smaps_field(p, "Size"), 32);
    CHECK_EQ(smaps_field(p, "KernelPageSize"), 4);
    CHECK_EQ(smaps_field(p, "Rss"), 20);
    CHECK_EQ(smaps_field(p, "Pss"), 20);
    CHECK_EQ(smaps_field(p, "Private_Dirty"), 20);
    CHECK_EQ(smaps_field(p, "Anonymous"), 20);
    CHECK_EQ(smaps_field(p, "Shared_Dirty"), 0);
    CHECK_EQ(smaps_field(p, "Swap"), 0);
    CHECK(smaps_has_flag(p, "rd") && smaps_has_flag(p, "wr") && !smaps_has_flag(p, "ex"));
    /* Rss agrees with pagemap. */
    int present = 0;
    for (int i = 0; i < 8; i++)
        present += !!(pagemap(p + i * PAGE) & PM_PRESENT);
    CHECK_EQ(smaps_field(p, "Rss"), present * 4);

    /* A child shares the pages: each is counted half in Pss, and as shared. */
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        char c;
        close(ready[0]), close(done[1]);        /* a parent that fails ends the wait */
        write_all(ready[1], "r", 1);
        read_all(done[0], &c, 1);
        _exit(0);
    }
    char c;
    read_all(ready[0], &c, 1);
    CHECK_EQ(smaps_field(p, "Rss"), 20);
    CHECK_EQ(smaps_field(p, "Pss"), 10);
    CHECK_EQ(smaps_field(p, "Shared_Dirty"), 20);
    CHECK_EQ(smaps_field(p, "Private_Dirty"), 0);
    p[0] = 1;                            /* our own copy of one page now */
    CHECK_EQ(smaps_field(p, "Private_Dirty"), 4);
    CHECK_EQ(smaps_field(p, "Pss"), 12);
    write_all(done[1], "d", 1);
    CHECK_EQ(wait_for(pid), 0);
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);

    /* The rollup sums the regions, under a header spanning them. */
    const char* smaps = read_proc("/proc/self/smaps");
    long rss = 0;
    for (const char* l = smaps; (l = strstr(l, "\nRss:")); l++)
        rss += strtol(l + 5, NULL, 10);
    const char* rollup = read_proc("/proc/self/smaps_rollup");
    CHECK(strstr(rollup, "[rollup]\n"));
    long rolled = field_in(strchr(rollup, '\n') + 1, NULL, "Rss");
    /* The two reads are moments apart: the stack or the heap may have grown between them. */
    if (rolled < rss || rolled > rss + 16)
        fail("smaps_rollup Rss %ld, smaps regions sum to %ld", rolled, rss);
    CHECK(field_in(rollup, NULL, "Pss_Anon") >= 0 && field_in(rollup, NULL, "Pss_File") >= 0);
    CHECK(munmap(p, 8 * PAGE) == 0);
}

/*
 * MAP_SHARED memory under the region calls: a move keeps it one memory with a child's
 * mapping, mremap with old_len 0 maps the same pages a second time (mincore finds them in
 * memory there before any touch), MADV_DONTNEED drops only the mapping, smaps counts the
 * pages as shared memory.
 */
void test_regions_shared(void)
{
    char* area = map_anon(8 * PAGE);           /* a place for it with room to grow */
    CHECK(munmap(area, 8 * PAGE) == 0);
    char* p = mmap(area, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(p == area);
    fill(p, 4, 20);
    CHECK(smaps_has_flag(p, "sh") && smaps_has_flag(p, "ms") && !smaps_has_flag(p, "ac"));
    CHECK_EQ(smaps_field(p, "Anonymous"), 0);
    int ready[2], done[2];
    CHECK(pipe(ready) == 0 && pipe(done) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Mapped here too (Linux's fork leaves a shared mapping's PTEs to the first touch). */
        char c;
        close(ready[0]), close(done[1]);
        int ok = holds(p, 4, 20);
        write_all(ready[1], "r", 1);
        read_all(done[0], &c, 1);
        ok = ok && page_holds(p, 0, 21);
        for (int i = 1; i < 4; i++)
            ok = ok && page_holds(p + i * PAGE, (size_t)i, 20);
        _exit(ok ? 0 : 1);
    }
    char c;
    read_all(ready[0], &c, 1);
    CHECK_EQ(smaps_field(p, "Rss"), 16);
    CHECK_EQ(smaps_field(p, "Pss"), 8);
    CHECK_EQ(smaps_field(p, "Shared_Dirty"), 16);

    /* Grown in place, then moved: the child still sees what we write at the new place. */
    CHECK(mremap(p, 4 * PAGE, 8 * PAGE, 0) == p);
    char* q = mremap(p, 8 * PAGE, 8 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, free_range(8));
    CHECK(q != MAP_FAILED && q != p);
    CHECK(holds(q, 4, 20));
    fill(q, 1, 21);
    write_all(done[1], "d", 1);
    CHECK_EQ(wait_for(pid), 0);
    close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);

    /* old_len 0: the same pages again, already in memory there. */
    char* twin = mremap(q, 0, 4 * PAGE, MREMAP_MAYMOVE);
    CHECK(twin != MAP_FAILED && twin != q);
    CHECK(!strcmp(residency(twin, 4), "1111"));
    CHECK(page_holds(twin, 0, 21) && page_holds(twin + PAGE, 1, 20));
    twin[PAGE] = 'x';
    CHECK(q[PAGE] == 'x');

    /* DONTNEED drops the mapping, not the memory. */
    CHECK(madvise(q, 4 * PAGE, MADV_DONTNEED) == 0);
    CHECK(q[PAGE] == 'x' && page_holds(q + 2 * PAGE, 2, 20));
    CHECK_ERRNO(madvise(q, PAGE, MADV_FREE), EINVAL);
    CHECK_ERRNO(madvise(q, PAGE, MADV_WIPEONFORK), EINVAL);
    CHECK(mlock(q, 4 * PAGE) == 0);
    /* Locked is the region's Pss (the pages the twin maps too count half). */
    CHECK(smaps_field(q, "Pss") >= 8);
    CHECK_EQ(smaps_field(q, "Locked"), smaps_field(q, "Pss"));
    CHECK(munlock(q, 4 * PAGE) == 0);
    const char* rollup = read_proc("/proc/self/smaps_rollup");
    CHECK(field_in(rollup, NULL, "Pss_Shmem") >= 16);
    CHECK(munmap(q, 8 * PAGE) == 0 && munmap(twin, 4 * PAGE) == 0);
}

/* Pages of a locked region stay in memory while the rest of the machine swaps. */
void test_swap_mlock_pressure(void)
{
    if (on_linux)
        skip("swapon would change the machine running the tests");
    if (open("/dev/hda", O_RDONLY) < 0)
        skip("no swap disks attached (the swap stages of make test attach them)");
    if (swapon("/dev/hda", 0) < 0)
        fail("swapon: %s", strerror(errno));
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t ram = (size_t)si.totalram * si.mem_unit;
    size_t locked_pages = 256;                  /* 1 MB of a 16 MB machine */
    char* locked = map_anon(locked_pages * PAGE);
    fill(locked, locked_pages, 11);
    CHECK(mlock(locked, locked_pages * PAGE) == 0);
    CHECK(meminfo_kb("Mlocked") >= (long)locked_pages * 4);
    size_t hog_pages = 2 * ram / PAGE;
    char* hog = map_anon(hog_pages * PAGE);
    fill(hog, hog_pages, 12);
    fill(hog, hog_pages, 12);
    int swapped = 0;
    for (size_t i = 0; i < hog_pages; i++)
        swapped += !!(pagemap(hog + i * PAGE) & PM_SWAPPED);
    CHECK(swapped > 0);
    for (size_t i = 0; i < locked_pages; i++) {
        uint64_t e = pagemap(locked + i * PAGE);
        if (!(e & PM_PRESENT) || (e & PM_SWAPPED))
            fail("locked page %zu: pagemap %#llx", i, (unsigned long long)e);
    }
    CHECK(holds(locked, locked_pages, 11));
    CHECK_EQ(smaps_field(locked, "Swap"), 0);
    CHECK(smaps_field(hog, "Swap") > 0);
    CHECK(munmap(hog, hog_pages * PAGE) == 0);
    CHECK(munmap(locked, locked_pages * PAGE) == 0);
    if (swapoff("/dev/hda") < 0)
        fail("swapoff: %s", strerror(errno));
}

/*
 * The region calls on swapped-out pages: smaps counts them as Swap as pagemap does,
 * mremap moves their swap entries, MADV_WILLNEED reads them back into the swap cache
 * (mincore then counts them in memory), MADV_DONTNEED frees their slots.
 */
void test_swap_regions_calls(void)
{
    if (on_linux)
        skip("swapon would change the machine running the tests");
    if (open("/dev/hda", O_RDONLY) < 0)
        skip("no swap disks attached (the swap stages of make test attach them)");
    if (swapon("/dev/hda", 0) < 0)
        fail("swapon: %s", strerror(errno));
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t pages = 2 * (size_t)si.totalram * si.mem_unit / PAGE;
    char* p = map_anon(pages * PAGE);
    fill(p, pages, 13);
    /* A window of 64 pages from the first one that went out. */
    size_t first = 0, look = 64, swapped = 0;
    while (first < pages - look && !(pagemap(p + first * PAGE) & PM_SWAPPED))
        first++;
    char* base = p + first * PAGE;
    uint64_t entries[64];
    for (size_t i = 0; i < look; i++) {
        entries[i] = pagemap(base + i * PAGE);
        swapped += !!(entries[i] & PM_SWAPPED);
    }
    CHECK(swapped > 0);
    /* The move carries the swap entries, unread. */
    char* q = mremap(base, look * PAGE, look * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, free_range(look));
    CHECK(q != MAP_FAILED);
    size_t out = 0;
    for (size_t i = 0; i < look; i++) {
        uint64_t now = pagemap(q + i * PAGE);
        if ((entries[i] & PM_SWAPPED) && now != entries[i])
            fail("page %zu: swap entry %#llx became %#llx in the move", i,
                 (unsigned long long)entries[i], (unsigned long long)now);
        out += !!(now & PM_SWAPPED);
    }
    /* smaps counts them as pagemap does; each slot has one user. */
    long swap_kb = smaps_field(q, "Swap");
    CHECK_EQ(swap_kb, (long)out * 4);
    CHECK_EQ(smaps_field(q, "SwapPss"), swap_kb);

    /* DONTNEED on the rest: its slots are free again, and it reads back as zeros. */
    CHECK(sysinfo(&si) == 0);
    unsigned long long used = (unsigned long long)(si.totalswap - si.freeswap) * si.mem_unit;
    CHECK(madvise(p, first * PAGE, MADV_DONTNEED) == 0);
    CHECK(madvise(base + look * PAGE, (pages - first - look) * PAGE, MADV_DONTNEED) == 0);
    CHECK(sysinfo(&si) == 0);
    unsigned long long left = (unsigned long long)(si.totalswap - si.freeswap) * si.mem_unit;
    if (left > used / 4)
        fail("%llu bytes of swap still used after MADV_DONTNEED (%llu before)", left, used);
    CHECK(all_zero(base + look * PAGE, 16 * PAGE));

    /* WILLNEED: the swapped pages come into the swap cache, and count as resident. */
    CHECK(madvise(q, look * PAGE, MADV_WILLNEED) == 0);
    const char* res = residency(q, look);
    for (size_t i = 0; i < look; i++)
        if (res[i] != '1')
            fail("page %zu not resident after MADV_WILLNEED (%s)", i, res);
    for (size_t i = 0; i < look; i++)
        if (!page_holds(q + i * PAGE, first + i, 13))
            fail("page %zu of the window wrong after the move", i);
    CHECK(munmap(q, look * PAGE) == 0 && munmap(p, pages * PAGE) == 0);
    if (swapoff("/dev/hda") < 0)
        fail("swapoff: %s", strerror(errno));
}
