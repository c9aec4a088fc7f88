/*
 * cowdemo [PAGES]: copy-on-write, as the seed tells it. A process writes PAGES pages
 * (default 8), forks, and the child writes half of them. Through /proc/PID/pagemap it shows
 * that after fork parent and child map the very same frames (copy_page_tables shared them
 * read-only), and that each write by the child cost one minor fault (do_wp_page) and gave
 * the child a frame of its own, while the pages it only read stay shared. Exits 0 when all
 * of that is what happened.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../system/programs.h"
#include "pagemap.h"

static long minor_faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

int cowdemo_main(int argc, char** argv)
{
    int pages = argc > 1 ? atoi(argv[1]) : 8;
    if (pages < 2 || pages > 1024) {
        fprintf(stderr, "usage: cowdemo [PAGES]  (2..1024, default 8)\n");
        return 2;
    }
    char* p = mmap(NULL, (size_t)pages * DEMO_PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("cowdemo: mmap");
        return 1;
    }
    for (int i = 0; i < pages; i++)
        p[i * DEMO_PAGE] = 'P';
    long parent_frame[1024];
    for (int i = 0; i < pages; i++)
        parent_frame[i] = page_frame(0, (uintptr_t)(p + i * DEMO_PAGE));
    printf("cowdemo: pid %d wrote %d pages at %p\n", getpid(), pages, (void*)p);

    int done[2];
    if (pipe(done) != 0)
        return 1;
    pid_t child = fork();
    if (child < 0) {
        perror("cowdemo: fork");
        return 1;
    }
    if (child == 0) {
        int shared = 0;
        for (int i = 0; i < pages; i++)
            shared += page_frame(0, (uintptr_t)(p + i * DEMO_PAGE)) == parent_frame[i];
        printf("cowdemo: after fork, child %d maps the parent's frame for %d of %d pages "
               "(copy_page_tables: shared, read-only)\n", getpid(), shared, pages);
        int written = pages / 2;
        long before = minor_faults();
        for (int i = 0; i < written; i++)
            p[i * DEMO_PAGE] = 'C';
        long faults = minor_faults() - before;
        printf("cowdemo: child wrote %d pages: %ld minor faults (do_wp_page copied each)\n",
               written, faults);
        printf("cowdemo:   page  parent frame  child frame\n");
        int copied = 0, still_shared = 0;
        for (int i = 0; i < pages; i++) {
            long mine = page_frame(0, (uintptr_t)(p + i * DEMO_PAGE));
            printf("cowdemo:   %4d  %#12lx  %#11lx  %s\n", i, parent_frame[i], mine,
                   i < written ? "written: a copy of its own" : "read only: still shared");
            copied += i < written && mine != parent_frame[i] && mine >= 0;
            still_shared += i >= written && mine == parent_frame[i];
        }
        char ok = shared == pages && faults >= written && copied == written &&
                  still_shared == pages - written && p[0] == 'C';
        if (write(done[1], &ok, 1) != 1)
            _exit(1);
        _exit(ok ? 0 : 1);
    }
    char ok = 0;
    if (read(done[0], &ok, 1) != 1)
        ok = 0;
    int status = 0;
    waitpid(child, &status, 0);
    int unchanged = 0;
    for (int i = 0; i < pages; i++)
        unchanged += page_frame(0, (uintptr_t)(p + i * DEMO_PAGE)) == parent_frame[i] &&
                     p[i * DEMO_PAGE] == 'P';
    printf("cowdemo: the parent still has its %d of %d frames and its own data\n", unchanged, pages);
    ok = ok && unchanged == pages && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("cowdemo: %s\n", ok ? "copy-on-write as the seed says" : "NOT as expected");
    return ok ? 0 : 1;
}
