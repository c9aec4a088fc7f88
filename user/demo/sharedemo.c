/*
 * sharedemo: share_page, as the seed tells it. Two processes started from this program by
 * execve (not fork: nothing is shared by copy_page_tables) each read every page of their
 * text; the second one's faults find the first one's pages (share_page) instead of reading
 * the file again. Through /proc/PID/pagemap it shows that both map the very same frame for
 * every text page. Exits 0 when every text page is shared.
 *
 * sharedemo --run: what each of the two processes runs (read the text, say so, wait).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../system/programs.h"
#include "pagemap.h"

extern char etext[];

/* Where the executable's code starts: the start of the region holding this code (/proc/self/maps). */
static uintptr_t text_start(void)
{
    static uintptr_t start;
    char line[256];
    FILE* maps = start ? NULL : fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long from, to;
        if (sscanf(line, "%lx-%lx", &from, &to) == 2 && from <= (uintptr_t)&sharedemo_main && (uintptr_t)&sharedemo_main < to)
            start = from;
    }
    if (maps)
        fclose(maps);
    return start;
}
/* Whole pages only: a page the file fills only in part is the process's own (do_no_page). */
static uintptr_t text_end(void) { return (uintptr_t)etext & ~(uintptr_t)(DEMO_PAGE - 1); }

/* Reads a byte of every text page (a fault maps each), then tells the parent, then waits. */
static int run(void)
{
    volatile unsigned sum = 0;
    for (uintptr_t a = text_start(); a < text_end(); a += DEMO_PAGE)
        sum += *(volatile unsigned char*)a;
    char c = 'r';
    if (write(1, &c, 1) != 1)
        return 1;
    for (;;)
        pause();
}

static pid_t start(const char* self, int ready)
{
    pid_t pid = fork();
    if (pid == 0) {
        dup2(ready, 1);
        execl(self, "sharedemo", "--run", (char*)NULL);     /* argv[0] picks the demo */
        _exit(127);
    }
    return pid;
}

int sharedemo_main(int argc, char** argv)
{
    if (argc > 1 && strcmp(argv[1], "--run") == 0)
        return run();
    const char* self = "/proc/self/exe";
    if (access(self, X_OK) != 0)
        self = strchr(argv[0], '/') ? argv[0] : "/bin/sharedemo";
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    pid_t a = start(self, ready[1]);
    char c;
    if (a < 0 || read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "sharedemo: the first process did not start\n");
        return 1;
    }
    pid_t b = start(self, ready[1]);
    if (b < 0 || read(ready[0], &c, 1) != 1) {
        fprintf(stderr, "sharedemo: the second process did not start\n");
        kill(a, SIGKILL);
        return 1;
    }
    printf("sharedemo: pids %d and %d run %s; its text is %#lx-%#lx\n", a, b, self,
           (unsigned long)text_start(), (unsigned long)text_end());
    printf("sharedemo:   page        frame in %-5d frame in %d\n", a, b);
    int pages = 0, shared = 0;
    for (uintptr_t addr = text_start(); addr < text_end(); addr += DEMO_PAGE) {
        long fa = page_frame(a, addr), fb = page_frame(b, addr);
        pages++;
        shared += fa >= 0 && fa == fb;
        if (pages <= 8 || fa != fb)
            printf("sharedemo:   %#010lx  %#12lx  %#12lx  %s\n", (unsigned long)addr, fa, fb,
                   fa >= 0 && fa == fb ? "one frame (share_page)" : "different");
    }
    if (pages > 8)
        printf("sharedemo:   ... %d more pages\n", pages - 8);
    printf("sharedemo: %d of %d text pages map one frame in both processes\n", shared, pages);
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    waitpid(a, NULL, 0);
    waitpid(b, NULL, 0);
    printf("sharedemo: %s\n", shared == pages && pages > 0 ? "text shared as the seed says"
                                                             : "NOT as expected");
    return shared == pages && pages > 0 ? 0 : 1;
}
