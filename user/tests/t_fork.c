/*
 * fork of a large process, again and again, and reads of memory never written: costs
 * that must not grow with the work (page tables shared at fork, the zero page), and
 * nothing seen wrong or lost along the way.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define BIG (16u << 20)
#define BIG_PAGES (BIG / PAGE)

static uint32_t word_of(uint32_t page, uint32_t i) { return page * 2654435761u + i; }

struct forker {
    uint32_t* p;
    uint32_t page;
};

/* A child: writes one page of its own, then reads one word of every page and its own whole. */
static void write_one_page(void* arg)
{
    struct forker* f = arg;
    uint32_t* mine = f->p + (size_t)f->page * (PAGE / 4);
    for (uint32_t i = 0; i < PAGE / 4; i++)
        mine[i] = ~word_of(f->page, i);
    for (uint32_t page = 0; page < BIG_PAGES; page++)
        if (page != f->page && f->p[(size_t)page * (PAGE / 4)] != word_of(page, 0))
            _exit(2);
    for (uint32_t i = 0; i < PAGE / 4; i++)
        if (mine[i] != ~word_of(f->page, i))
            _exit(3);
    _exit(0);
}

/*
 * A 16 MB process forks 1000 times; each child writes one page and checks what it
 * sees; the parent's memory is intact byte for byte afterwards, and the free pages
 * return to their count.
 */
void test_fork_16mb_1000_times(void)
{
    uint32_t* p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (uint32_t page = 0; page < BIG_PAGES; page++)
        for (uint32_t i = 0; i < PAGE / 4; i++)
            p[(size_t)page * (PAGE / 4) + i] = word_of(page, i);
    unsigned long long before = free_ram();
    for (uint32_t n = 0; n < 1000; n++) {
        struct forker f = { p, (n * 37) % BIG_PAGES };
        int status = wait_for(spawn(write_one_page, &f));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail("child %u (page %u): %s", n, f.page, describe_status(status));
    }
    unsigned long long after = free_ram();
    for (uint32_t page = 0; page < BIG_PAGES; page++)
        for (uint32_t i = 0; i < PAGE / 4; i++)
            if (p[(size_t)page * (PAGE / 4) + i] != word_of(page, i))
                fail("the parent's page %u word %u changed", page, i);
    /* The parent's own stack and data tables may have been copied once: a few pages. */
    if (!on_linux && (after > before ? after - before : before - after) > 8 * PAGE)
        fail("free RAM %llu kB before the forks, %llu kB after", before / 1024, after / 1024);
    CHECK(munmap(p, BIG) == 0);
}

/* Reading 8 MB never written costs no RAM: every page is the one zero page. */
void test_zero_page_reads(void)
{
    const size_t size = 8u << 20;
    unsigned long long before = free_ram();
    volatile char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (size_t off = 0; off < size; off += PAGE)
        if (p[off] != 0)
            fail("untouched memory at offset %zu reads %d", off, p[off]);
    unsigned long long read_all = free_ram();
    /* Page tables only: two for 8 MB, and one more if the mapping straddles. */
    if (!on_linux && before - read_all > 3 * PAGE)
        fail("reading 8 MB never written took %llu kB", (before - read_all) / 1024);
    /* Writing then takes pages, each zero but for what was written. */
    for (size_t off = 0; off < size; off += 2 * PAGE)
        p[off + 1] = 7;
    for (size_t off = 0; off < size; off += PAGE)
        if (p[off] != 0 || p[off + 1] != (off % (2 * PAGE) ? 0 : 7))
            fail("page at offset %zu reads %d %d after the writes", off, p[off], p[off + 1]);
    unsigned long long written = free_ram();
    if (!on_linux && read_all - written < (size / (2 * PAGE)) * PAGE)
        fail("writing %zu pages took only %llu kB", size / (2 * PAGE), (read_all - written) / 1024);
    CHECK(munmap((void*)p, size) == 0);
}
