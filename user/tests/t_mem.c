/*
 * Memory a process asks for: brk, anonymous mmap2, and what sysinfo() says about it.
 */
#include "tests.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096u

static uintptr_t page_up(uintptr_t a)
{
    return (a + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
}

static void read_at(void* arg)
{
    (void)*(volatile char*)arg;
}

static void write_at(void* arg)
{
    *(volatile char*)arg = 1;
}

static int all_zero(const char* p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

void test_brk(void)
{
    enum { GROW = 16 * PAGE };
    char* start = sbrk(0);
    CHECK(start != (void*)-1);
    char* first_free_page = (char*)page_up((uintptr_t)start);
    expect_death("read above the break", SIGSEGV, read_at, first_free_page + 100);

    /* Grow: new pages read zero, and what is written reads back. */
    CHECK(sbrk(GROW) == start);
    CHECK(sbrk(0) == start + GROW);
    CHECK_EQ(syscall(SYS_brk, 0), (uintptr_t)(start + GROW));
    char* new_end = start + GROW;
    CHECK(all_zero(first_free_page, new_end - first_free_page));
    for (char* p = start; p < new_end; p++)
        *p = (char)(uintptr_t)p;
    for (char* p = start; p < new_end; p++)
        if (*p != (char)(uintptr_t)p)
            fail("brk memory at %p reads %d", (void*)p, *p);

    /* Shrink: the pages above the break are gone. */
    CHECK(sbrk(-GROW) == new_end);
    CHECK(sbrk(0) == start);
    expect_death("read above the shrunk break", SIGSEGV, read_at, first_free_page + PAGE);
    expect_death("write above the shrunk break", SIGSEGV, write_at, new_end - 1);

    /* Grow again: fresh zero pages, not the old contents. */
    CHECK(sbrk(GROW) == start);
    CHECK(all_zero(first_free_page, new_end - first_free_page));
    CHECK(sbrk(-GROW) == new_end);

    /* A break into the kernel (or past the end of user space) is refused: unchanged. */
    uintptr_t too_far = on_linux ? 0xFFFFF000u : 0xC0001000u;
    CHECK_EQ(syscall(SYS_brk, too_far), (uintptr_t)start);
    CHECK(sbrk(0) == start);
}

void test_mmap_anon(void)
{
    enum { SIZE = 4 * PAGE };
    char* p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK(((uintptr_t)p & (PAGE - 1)) == 0);
    CHECK((uintptr_t)p + SIZE <= 0xC0000000u || on_linux);
    CHECK(all_zero(p, SIZE));
    for (int i = 0; i < SIZE; i++)
        p[i] = (char)(i * 7);

    /* Read-only: reads see the data, writes fault; the other pages stay writable. */
    CHECK(mprotect(p, PAGE, PROT_READ) == 0);
    CHECK(p[5] == (char)35);
    expect_death("write to a PROT_READ page", SIGSEGV, write_at, p + 10);
    p[PAGE + 1] = 'w';
    CHECK(mprotect(p, PAGE, PROT_READ | PROT_WRITE) == 0);
    p[10] = 'x';
    CHECK(p[10] == 'x');

    /* PROT_NONE: even reads fault. */
    CHECK(mprotect(p + 3 * PAGE, PAGE, PROT_NONE) == 0);
    expect_death("read of a PROT_NONE page", SIGSEGV, read_at, p + 3 * PAGE);
    CHECK(mprotect(p + 3 * PAGE, PAGE, PROT_READ) == 0);
    CHECK(p[3 * PAGE + 1] == (char)((3 * PAGE + 1) * 7));

    /* Unmapping one page leaves its neighbours as they were. */
    CHECK(munmap(p + PAGE, PAGE) == 0);
    expect_death("read of an unmapped page", SIGSEGV, read_at, p + PAGE);
    CHECK(p[10] == 'x');
    CHECK(p[2 * PAGE] == (char)(2 * PAGE * 7));

    /* MAP_FIXED into the hole: a fresh zero page. */
    char* q = mmap(p + PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0);
    CHECK(q == p + PAGE);
    CHECK(all_zero(q, PAGE));

    CHECK(munmap(p, SIZE) == 0);
    expect_death("read after munmap", SIGSEGV, read_at, p);
    expect_death("write after munmap", SIGSEGV, write_at, p + SIZE - 1);
}

struct holder {
    size_t size;
    int ready_fd;
    int release[2];     /* a pipe: end of file lets go */
};

static void hold_memory(void* arg)
{
    const struct holder* h = arg;
    close(h->release[1]);
    char* p = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap %zu bytes: %s", h->size, strerror(errno));
    touch_pages(p, h->size);
    write_all(h->ready_fd, "r", 1);
    char c;
    read(h->release[0], &c, 1);     /* end of file when the parent lets go */
}

/*
 * At least the 4 MB the child touched are gone from the free count while it holds them,
 * and exactly what was free before is free again after it is reaped. Linux's count lags
 * (freed pages wait in per-CPU lists) and moves with everything else the machine does, so
 * there the child runs and the counts are only shown.
 */
static void hold_and_release(size_t size, unsigned long long* before, unsigned long long* held,
                             unsigned long long* after)
{
    int ready[2], release[2];
    CHECK(pipe(ready) == 0 && pipe(release) == 0);
    struct holder h = { size, ready[1], { release[0], release[1] } };

    *before = free_ram();
    pid_t pid = spawn(hold_memory, &h);
    char c;
    read_all(ready[0], &c, 1);
    *held = free_ram();
    close(release[1]);
    CHECK_EQ(wait_for(pid), 0);
    *after = free_ram();
    close(release[0]);
    close(ready[0]);
    close(ready[1]);
}

void test_free_memory(void)
{
    const size_t size = 4u << 20;
    unsigned long long before, held, after;
    /*
     * A first round with one page, so that this process's own lazily allocated memory
     * (stack and stdio pages the sequence touches) is in place before the counted round.
     */
    hold_and_release(PAGE, &before, &held, &after);
    hold_and_release(size, &before, &held, &after);

    long long drop = (long long)before - (long long)held;
    if (on_linux) {
        diag("free RAM %llu kB, %llu kB while a child held %zu kB, %llu kB after",
             before / 1024, held / 1024, size / 1024, after / 1024);
        skip("Linux's free count is not exact");
    }
    if (drop < (long long)size)
        fail("free RAM dropped by %lld kB while a child held %zu kB", drop / 1024, size / 1024);
    if (after != before)
        fail("free RAM was %llu kB before the child, %llu kB while it held %zu kB, %llu kB "
             "after", before / 1024, held / 1024, size / 1024, after / 1024);
}
