/*
 * Watching the memory manager: the event counters of /proc/vmstat and the switch of the
 * live trace, /proc/sys/vm/mmtrace (mm/mmtrace.h). pgfault is Linux's and is checked there
 * too; the other counters and the trace are Ferrite's own.
 */
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096
#define MMTRACE "/proc/sys/vm/mmtrace"

/* A counter of /proc/vmstat; -1 if it has none of that name. */
static long vmstat(const char* name)
{
    char line[128];
    long value = -1;
    FILE* f = fopen("/proc/vmstat", "r");
    CHECK(f != NULL);
    size_t n = strlen(name);
    while (value < 0 && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            value = atol(line + n + 1);
    fclose(f);
    return value;
}

void test_vmstat_counters(void)
{
    const int pages = 16;
    long pgfault = vmstat("pgfault"), zero = vmstat("zero_fault"), cow = vmstat("cow_fault");
    CHECK(pgfault >= 0);
    CHECK(vmstat("pgmajfault") >= 0);
    char* p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    for (int i = 0; i < pages; i++)
        p[i * PAGE] = 1;
    CHECK(vmstat("pgfault") - pgfault >= pages);
    if (on_linux)
        return;                         /* the rest are Ferrite's own counters */
    CHECK(vmstat("zero_fault") - zero >= pages);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
        for (int i = 0; i < pages; i++)
            p[i * PAGE] = 2;            /* every page a copy-on-write copy */
        _exit(0);
    }
    int status = wait_for(child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(vmstat("cow_fault") - cow >= pages);
    CHECK(vmstat("share_page") >= 0 && vmstat("file_fault") >= 0 && vmstat("oom_kill") >= 0);
}

static void read_setting(char* buf, size_t size)
{
    int fd = open(MMTRACE, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, size - 1);
    CHECK(n > 0);
    buf[n] = '\0';
    close(fd);
}

static int write_setting(const char* text)
{
    int fd = open(MMTRACE, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0);
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

void test_mmtrace_switch(void)
{
    if (access(MMTRACE, F_OK) != 0) {
        CHECK(on_linux);
        skip("no " MMTRACE " (Ferrite's own)");
    }
    char buf[256], before[256];
    read_setting(before, sizeof before);
    CHECK_EQ(write_setting("cow,swapin\n"), 0);
    read_setting(buf, sizeof buf);
    CHECK(strcmp(buf, "cow,swapin\n") == 0);
    CHECK_EQ(write_setting("1"), 0);
    read_setting(buf, sizeof buf);
    CHECK(strcmp(buf, "cow,zero,file,share,swapout,swapin,oom\n") == 0);
    CHECK_ERRNO(write_setting("cow,nonsense"), EINVAL);
    read_setting(buf, sizeof buf);
    CHECK(strcmp(buf, "cow,zero,file,share,swapout,swapin,oom\n") == 0);   /* unchanged */
    CHECK_EQ(write_setting("0\n"), 0);
    read_setting(buf, sizeof buf);
    CHECK(strcmp(buf, "0\n") == 0);
    /* Listed where it lives, and /proc/sys in /proc. */
    int found = 0;
    DIR* d = opendir("/proc/sys/vm");
    CHECK(d != NULL);
    for (struct dirent* e; (e = readdir(d));)
        found |= strcmp(e->d_name, "mmtrace") == 0;
    closedir(d);
    CHECK(found);
    found = 0;
    d = opendir("/proc");
    CHECK(d != NULL);
    for (struct dirent* e; (e = readdir(d));)
        found |= strcmp(e->d_name, "sys") == 0 && e->d_type == DT_DIR;
    closedir(d);
    CHECK(found);
    CHECK_EQ(write_setting(before), 0);
}
