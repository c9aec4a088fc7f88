/*
 * Virtual memory: copy-on-write, demand paging, shared text, the stack, a SIGSEGV
 * handler that repairs its fault, and running out of memory.
 *
 * Where a test reads /proc/PID/pagemap it needs the frame numbers, which Linux shows to
 * root only; without them those checks are skipped.
 */
#include "tests.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define PAGE 4096u

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_PFN_MASK ((1ull << 55) - 1)

/* The pagemap entry of vaddr in process pid (0 for this one). */
static uint64_t pagemap(pid_t pid, const void* vaddr)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    else
        snprintf(path, sizeof path, "/proc/self/pagemap");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    uint64_t entry = 0;
    off_t offset = (off_t)((uintptr_t)vaddr / PAGE) * 8;
    if (lseek(fd, offset, SEEK_SET) != offset || read(fd, &entry, 8) != 8)
        fail("read %s at %#lx: %s", path, (unsigned long)offset, strerror(errno));
    close(fd);
    return entry;
}

/* Frame numbers are visible: on Ferrite always, on Linux to root. */
static int pfns_visible(void)
{
    static volatile char probe = 1;
    probe = 2;
    uint64_t e = pagemap(0, (const void*)&probe);
    return (e & PM_PRESENT) && (e & PM_PFN_MASK) != 0;
}

/* Memory of every kind a fork copies: data, bss, heap and stack. */
static char data_page[PAGE] __attribute__((aligned(PAGE))) = { 1 };
static char bss_page[PAGE] __attribute__((aligned(PAGE)));

static void fill(char* p, size_t n, char seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(seed + i * 31);
}

static int holds(const char* p, size_t n, char seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(seed + i * 31))
            return 0;
    return 1;
}

struct regions {
    char* r[4];
    const char* name[4];
};

static void check_regions(const struct regions* rs, char seed, const char* who)
{
    for (int i = 0; i < 4; i++)
        if (!holds(rs->r[i], PAGE, seed))
            fail("%s: the %s page lost its contents (want seed %d)", who, rs->name[i], seed);
}

static void fill_regions(const struct regions* rs, char seed)
{
    for (int i = 0; i < 4; i++)
        fill(rs->r[i], PAGE, seed);
}

void test_cow_fork(void)
{
    char stack_page[PAGE];
    char* heap_page = aligned_alloc(PAGE, PAGE);
    CHECK(heap_page != NULL);
    struct regions rs = { { data_page, bss_page, heap_page, stack_page },
                          { "data", "bss", "heap", "stack" } };
    fill_regions(&rs, 'A');
    int visible = pfns_visible();

    /* The child writes; the parent still sees its own data. */
    int go[2], done[2];
    CHECK(pipe(go) == 0 && pipe(done) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* Only the parent's ends stay open: if it dies, the reads below end instead of waiting for ever. */
        close(go[1]);
        close(done[0]);
        char c;
        read_all(go[0], &c, 1);
        check_regions(&rs, 'A', "child before writing");
        fill_regions(&rs, 'B');
        check_regions(&rs, 'B', "child after writing");
        write_all(done[1], "d", 1);
        read_all(go[0], &c, 1);
        check_regions(&rs, 'B', "child after the parent wrote");
        _exit(0);
    }

    /* Until somebody writes, parent and child map the same frame, and not exclusively. */
    if (visible) {
        uint64_t mine = pagemap(0, data_page), theirs = pagemap(pid, data_page);
        if ((mine & PM_PFN_MASK) != (theirs & PM_PFN_MASK))
            fail("after fork the data page is frame %#llx here, %#llx in the child",
                 mine & PM_PFN_MASK, theirs & PM_PFN_MASK);
        CHECK(!(mine & PM_EXCLUSIVE));
    }

    write_all(go[1], "g", 1);
    char c;
    read_all(done[0], &c, 1);
    check_regions(&rs, 'A', "parent after the child wrote");
    if (visible) {
        uint64_t mine = pagemap(0, data_page), theirs = pagemap(pid, data_page);
        CHECK((mine & PM_PFN_MASK) != (theirs & PM_PFN_MASK));
        CHECK(mine & PM_EXCLUSIVE);
        CHECK(theirs & PM_EXCLUSIVE);
    }

    /* The other way round: the parent writes, the child keeps its own. */
    fill_regions(&rs, 'C');
    write_all(go[1], "g", 1);
    CHECK_EQ(wait_for(pid), 0);
    check_regions(&rs, 'C', "parent after writing");
    free(heap_page);
}

/* Three processes share the pages after two forks; each write is seen by its writer only. */
void test_cow_grandchild(void)
{
    char* shared = aligned_alloc(PAGE, 2 * PAGE);
    CHECK(shared != NULL);
    fill(shared, 2 * PAGE, 'A');

    int written[2], release[2];
    CHECK(pipe(written) == 0 && pipe(release) == 0);
    char id = 'P';
    fflush(stdout);
    pid_t child = fork(), grandchild = -1;
    CHECK(child >= 0);
    if (child == 0) {
        id = 'C';
        grandchild = fork();
        if (grandchild < 0)
            fail("fork in the child: %s", strerror(errno));
        if (grandchild == 0)
            id = 'G';
        close(release[1]);  /* only the parent lets everybody go */
    }

    /*
     * Everybody writes the first page, then waits until all three have written. Each
     * closes its end after writing, so that one dying early shows as end of file.
     */
    fill(shared, PAGE, id);
    write_all(written[1], &id, 1);
    close(written[1]);
    if (id == 'P') {
        char ids[3];
        read_all(written[0], ids, 3);
        close(release[1]);
    } else {
        char c;
        read(release[0], &c, 1);
    }
    if (!holds(shared, PAGE, id))
        fail("process %c does not see what it wrote", id);
    if (!holds(shared + PAGE, PAGE, 'A'))
        fail("process %c: the page nobody wrote changed", id);

    if (id == 'G')
        _exit(0);
    if (id == 'C') {
        int status = wait_for(grandchild);
        _exit(status == 0 ? 0 : 1);
    }
    int status = wait_for(child);
    if (status != 0)
        fail("child (or grandchild) %s", describe_status(status));
    free(shared);
}

static void check_8mb(char* p, size_t size, unsigned seed, const char* who)
{
    for (size_t off = 0; off < size; off += sizeof(unsigned))
        if (*(unsigned*)(p + off) != seed + off)
            fail("%s: word at offset %zu is %#x, want %#zx", who, off, *(unsigned*)(p + off),
                 seed + off);
}

static void fill_8mb(char* p, size_t size, unsigned seed)
{
    for (size_t off = 0; off < size; off += sizeof(unsigned))
        *(unsigned*)(p + off) = seed + off;
}

void test_mem_8mb(void)
{
    const size_t size = 8u << 20;
    char* p = malloc(size);
    CHECK(p != NULL);
    fill_8mb(p, size, 0x1000);
    check_8mb(p, size, 0x1000, "parent");

    /* A child sees all 8 MB, rewrites half, and the parent's half stays. */
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        check_8mb(p, size, 0x1000, "child");
        fill_8mb(p, size / 2, 0x7000);
        check_8mb(p, size / 2, 0x7000, "child after writing");
        _exit(0);
    }
    CHECK_EQ(wait_for(pid), 0);
    check_8mb(p, size, 0x1000, "parent after the child");
    free(p);
}

/*
 * A large anonymous mapping costs no frames until it is touched, and every page reads
 * zero when it is. Page tables may come early (at mmap) or stay late (after munmap, until
 * exit, as in Linux 1.x), so each count allows one per 4 MB; the runner's count after the
 * exit is exact. On Linux only the zeros are checked.
 */
void test_demand_zero(void)
{
    const size_t size = 64u << 20, stride = 1u << 20;
    const unsigned long long page_tables = size / (4u << 20) + 2;
    unsigned long long before = free_ram();
    char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    unsigned long long mapped = free_ram();
    if (!on_linux && before - mapped > page_tables * PAGE)
        fail("mapping 64 MB (untouched) took %llu kB", (before - mapped) / 1024);

    size_t touched = 0;
    for (size_t off = 0; off < size; off += stride, touched++) {
        for (size_t i = 0; i < PAGE; i += 64)
            if (p[off + i])
                fail("fresh page at offset %zu reads %d", off + i, p[off + i]);
        p[off] = 1;
    }
    unsigned long long after_touch = free_ram();
    if (!on_linux) {
        unsigned long long pages = (mapped - after_touch) / PAGE;
        if (pages < touched || pages > touched + page_tables)
            fail("touching %zu pages of the mapping took %llu pages", touched, pages);
    }
    CHECK(munmap(p, size) == 0);
    unsigned long long unmapped = free_ram();
    if (!on_linux && (unmapped > before || before - unmapped > page_tables * PAGE))
        fail("free RAM %llu kB before the mapping, %llu kB after munmap", before / 1024,
             unmapped / 1024);
}

/* The address of the page holding the entry point of an ELF executable. */
static uintptr_t entry_page(const char* path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    Elf32_Ehdr eh;
    read_all(fd, &eh, sizeof eh);
    close(fd);
    CHECK(memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0);
    return eh.e_entry & ~(uintptr_t)(PAGE - 1);
}

/* Starts /tests/hello waiting on stdin; returns once it has printed its line. */
static pid_t start_waiting_hello(int* stdin_fd)
{
    int in[2], out[2];
    CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        execve(root_path("/tests/hello"), (char*[]){ "hello", "0", "wait", NULL },
               (char*[]){ NULL });
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    char line[16];
    read_all(out[0], line, 13);     /* "hello, world\n" */
    close(out[0]);
    *stdin_fd = in[1];
    return pid;
}

void test_shared_text(void)
{
    if (!pfns_visible())
        skip("/proc/PID/pagemap shows no frame numbers to this user");
    const char* hello = root_path("/tests/hello");
    uintptr_t text = entry_page(hello);

    int in_a, in_b;
    pid_t a = start_waiting_hello(&in_a);
    pid_t b = start_waiting_hello(&in_b);
    uint64_t ea = pagemap(a, (void*)text), eb = pagemap(b, (void*)text);
    close(in_a);
    close(in_b);
    CHECK_EQ(wait_for(a), 0);
    CHECK_EQ(wait_for(b), 0);

    if (!(ea & PM_PRESENT) || !(eb & PM_PRESENT))
        fail("the text page %#lx is not present: %#llx, %#llx", (unsigned long)text,
             (unsigned long long)ea, (unsigned long long)eb);
    if ((ea & PM_PFN_MASK) != (eb & PM_PFN_MASK))
        fail("two runs of %s map its text page %#lx to frames %#llx and %#llx", hello,
             (unsigned long)text, ea & PM_PFN_MASK, eb & PM_PFN_MASK);
    CHECK(!(ea & PM_EXCLUSIVE) && !(eb & PM_EXCLUSIVE));
}

/* [stack]'s bounds from /proc/self/maps. */
static void stack_region(uintptr_t* start, uintptr_t* end)
{
    static char text[16384];
    int fd = open("/proc/self/maps", O_RDONLY);
    CHECK(fd >= 0);
    size_t len = 0;
    ssize_t n;
    while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += n;
    text[len] = 0;
    close(fd);
    for (char* line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
        unsigned long s, e;
        char* nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        int is_stack = strstr(line, "[stack]") != NULL;
        int parsed = sscanf(line, "%lx-%lx", &s, &e) == 2;
        if (nl)
            *nl = '\n';
        if (is_stack && parsed) {
            *start = s, *end = e;
            return;
        }
    }
    fail("/proc/self/maps has no [stack] line");
}

#define FRAME (64 * 1024)

/* Descends `depth` frames of 64 KB, touching every page on the way down. */
static __attribute__((noinline)) unsigned descend(int depth)
{
    volatile char frame[FRAME];
    for (int i = FRAME - PAGE; i >= 0; i -= PAGE)
        frame[i] = (char)depth;
    unsigned sum = depth > 0 ? descend(depth - 1) : 0;
    return sum + frame[0] + frame[FRAME - PAGE];
}

static void descend_mb(void* arg)
{
    int mb = (int)(intptr_t)arg;
    descend(mb * 16);
}

static void touch_below_limit(void* arg)
{
    *(volatile char*)arg = 1;
}

void test_stack_growth(void)
{
    uintptr_t start0, end0, start1, end1;
    stack_region(&start0, &end0);
    descend(16);    /* 1 MB */
    stack_region(&start1, &end1);
    CHECK_EQ(end1, end0);
    if (end1 - start1 < (1u << 20) || start1 >= start0)
        fail("[stack] is %#lx-%#lx after 1 MB of calls (it was %#lx-%#lx)",
             (unsigned long)start1, (unsigned long)end1, (unsigned long)start0,
             (unsigned long)end0);

    struct rlimit rl;
    CHECK_EQ(getrlimit(RLIMIT_STACK, &rl), 0);
    if (!on_linux)
        CHECK_EQ(rl.rlim_cur, 8u << 20);
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (64u << 20))
        skip("RLIMIT_STACK is unlimited here");

    /* 7 MB of the 8 MB limit is allowed; a touch past the limit is not. */
    int mb = (int)(rl.rlim_cur >> 20) - 1;
    expect_success("calls 7 MB deep", descend_mb, (void*)(intptr_t)mb);
    expect_death("touch below the stack limit", SIGSEGV, touch_below_limit,
                 (void*)(end1 - rl.rlim_cur - 16 * PAGE));
}

static char* fixup_page;
static volatile int fixups;

static void fix_by_mprotect(int sig, siginfo_t* info, void* context)
{
    (void)sig, (void)context;
    char* addr = info->si_addr;
    if (addr < fixup_page || addr >= fixup_page + PAGE)
        _exit(3);   /* not the fault this handler is for */
    fixups++;
    mprotect(fixup_page, PAGE, fixups == 1 ? PROT_READ : PROT_READ | PROT_WRITE);
}

void test_segv_fixup(void)
{
    fixup_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(fixup_page != MAP_FAILED);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fix_by_mprotect;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);

    /* The read faults once (PROT_NONE -> PROT_READ), the write once more (-> RW). */
    CHECK_EQ(((volatile char*)fixup_page)[100], 0);
    CHECK_EQ(fixups, 1);
    ((volatile char*)fixup_page)[200] = 42;
    CHECK_EQ(fixups, 2);
    CHECK_EQ(fixup_page[200], 42);
    CHECK(munmap(fixup_page, PAGE) == 0);
}

struct bystander {
    size_t size;
    int ready_fd;
    int release[2];     /* a pipe: end of file lets go */
};

static void bystander(void* arg)
{
    const struct bystander* b = arg;
    close(b->release[1]);
    char* p = malloc(b->size);
    CHECK(p != NULL);
    fill(p, b->size, 'b');
    write_all(b->ready_fd, "r", 1);
    char c;
    read(b->release[0], &c, 1);
    if (!holds(p, b->size, 'b'))
        fail("the bystander's memory changed");
}

/*
 * Reserves more than RAM and swap together hold (one mapping, so that no later system
 * call needs memory), then touches it page after page.
 */
static void hog(void* arg)
{
    size_t limit = *(size_t*)arg;
    char* p = mmap(NULL, limit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap of %zu MB: %s", limit >> 20, strerror(errno));
    touch_pages(p, limit);
    fail("touched %zu MB and is still alive", limit >> 20);
}

void test_oom_hog(void)
{
    if (on_linux)
        skip("would exhaust the memory of the machine running the tests");
    struct sysinfo si;
    CHECK_EQ(sysinfo(&si), 0);
    unsigned long long want =
        ((unsigned long long)si.totalram + si.totalswap) * si.mem_unit + (16u << 20);
    if (want > (2048u << 20))
        skip("more RAM and swap than a process can map");
    size_t limit = want;

    int ready[2], release[2];
    CHECK(pipe(ready) == 0 && pipe(release) == 0);
    struct bystander b = { 1u << 20, ready[1], { release[0], release[1] } };
    pid_t by = spawn(bystander, &b);
    char c;
    read_all(ready[0], &c, 1);

    int status = wait_for(spawn(hog, &limit));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
        fail("the hog %s, want SIGKILL", describe_status(status));

    close(release[1]);
    status = wait_for(by);
    if (status != 0)
        fail("the bystander %s", describe_status(status));
}

/* One line of /proc/self/maps, parsed. */
struct map_line {
    unsigned long start, end, offset;
    char perms[5];
    char name[256];
};

/* Read with read(2) into static memory: malloc must not move the break under the test. */
static int find_map(int (*match)(const struct map_line*), struct map_line* out)
{
    static char text[16384];
    int fd = open("/proc/self/maps", O_RDONLY);
    CHECK(fd >= 0);
    size_t len = 0;
    ssize_t n;
    while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    text[len] = 0;
    int found = 0;
    for (char* line = text; !found && *line;) {
        char* next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        else
            next = line + strlen(line);
        struct map_line m = { 0 };
        unsigned dev_major, dev_minor;
        unsigned long inode;
        int n = sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %255s", &m.start, &m.end, m.perms,
                       &m.offset, &dev_major, &dev_minor, &inode, m.name);
        if (n >= 7 && match(&m)) {
            *out = m;
            found = 1;
        }
        line = next;
    }
    return found;
}

static int is_text(const struct map_line* m) { return strcmp(m->perms, "r-xp") == 0 && m->name[0] == '/'; }
static unsigned long heap_probe;
static int is_heap(const struct map_line* m)
{
    return strcmp(m->name, "[heap]") == 0 && m->start <= heap_probe && heap_probe < m->end;
}
static int is_stack(const struct map_line* m) { return strcmp(m->name, "[stack]") == 0; }

/* Text r-xp naming the program, [heap] once the break has moved, [stack] at the top. */
void test_maps_content(void)
{
    struct map_line m;
    CHECK(find_map(is_text, &m));
    CHECK(strstr(m.name, "/tests/run") != NULL);
    CHECK(m.start <= (unsigned long)&test_maps_content && (unsigned long)&test_maps_content < m.end);
    char* p = (char*)syscall(SYS_brk, 0);
    CHECK((char*)syscall(SYS_brk, p + 3 * 4096) == p + 3 * 4096);
    p[0] = 1;
    heap_probe = (unsigned long)p;
    CHECK(find_map(is_heap, &m));
    if (!(m.start <= (unsigned long)p && (unsigned long)p < m.end))
        fail("the break (%p) is outside [heap] %#lx-%#lx", (void*)p, m.start, m.end);
    CHECK(strcmp(m.perms, "rw-p") == 0);
    CHECK(find_map(is_stack, &m));
    int local;
    CHECK(m.start <= (unsigned long)&local && (unsigned long)&local < m.end);
    CHECK(strcmp(m.perms, "rw-p") == 0);
}

/*
 * A private file mapping reads the file; made writable with mprotect, text included, a
 * write changes this process's copy only: the file (and every other process) keeps the
 * original bytes.
 */
void test_private_file_mapping(void)
{
    int fd = open(root_path("/etc/motd"), O_RDONLY);
    CHECK(fd >= 0);
    char* p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    CHECK(memcmp(p, "Welcome to Ferrite.\n", 20) == 0);
    CHECK(p[20] == 0 && p[4095] == 0);          /* past the end of the file: zeros */
    CHECK(mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0);
    p[0] = 'w';
    char buf[8];
    CHECK(pread(fd, buf, 1, 0) == 1 && buf[0] == 'W');
    CHECK(munmap(p, 4096) == 0);
    close(fd);

    struct map_line text;
    CHECK(find_map(is_text, &text));
    unsigned char* code = (unsigned char*)text.start;
    unsigned char original = code[0];
    CHECK(mprotect(code, 4096, PROT_READ | PROT_WRITE | PROT_EXEC) == 0);
    code[0] = (unsigned char)(original ^ 0xFF);
    int exe = open(text.name, O_RDONLY);
    CHECK(exe >= 0);
    unsigned char on_disk;
    CHECK(pread(exe, &on_disk, 1, (off_t)text.offset) == 1);
    CHECK(on_disk == original);
    close(exe);
    code[0] = original;
}

/*
 * Pages read but never written are the one zero page: present in pagemap, the same frame
 * for both, not exclusively mapped; the first write gives a page of the process's own.
 */
void test_zero_page_pagemap(void)
{
    volatile char* p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(p[0] == 0 && p[PAGE] == 0);
    uint64_t a = pagemap(0, (const void*)p), b = pagemap(0, (const void*)(p + PAGE));
    CHECK(a & PM_PRESENT);
    CHECK(b & PM_PRESENT);
    CHECK(!(a & PM_EXCLUSIVE));
    if (pfns_visible())
        CHECK_EQ(a & PM_PFN_MASK, b & PM_PFN_MASK);
    p[0] = 1;
    uint64_t written = pagemap(0, (const void*)p);
    CHECK(written & PM_PRESENT);
    CHECK(written & PM_EXCLUSIVE);
    if (pfns_visible())
        CHECK((written & PM_PFN_MASK) != (b & PM_PFN_MASK));
    CHECK(p[PAGE] == 0);
    CHECK(munmap((void*)p, 2 * PAGE) == 0);
}
