/*
 * Builtins: exit, help, cd, pwd, echo, free, ps.
 */
#include "sh.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int builtin_exit(int argc, char** argv)
{
    fflush(stdout);
    exit(argc > 1 ? atoi(argv[1]) & 0xff : last_status);
}

static int builtin_help(int argc, char** argv)
{
    (void)argc, (void)argv;
    printf("Builtins:\n"
           "  exit [N]     leave the shell (status N, default that of the last command)\n"
           "  help         this list\n"
           "  cd [DIR]     change directory (default $HOME, else /)\n"
           "  pwd          print the working directory\n"
           "  echo [ARG]   print the arguments\n"
           "  free         memory and swap in kB, from sysinfo()\n"
           "  ps           the processes in /proc\n"
           "Other commands are looked up in $PATH (default /bin:/sbin:/tests).\n"
           "Quotes '...' and \"...\" group words; $? is the last status, $NAME a variable.\n");
    return 0;
}

static int builtin_cd(int argc, char** argv)
{
    const char* dir = argc > 1 ? argv[1] : getenv("HOME");
    if (!dir || !*dir)
        dir = "/";
    if (chdir(dir) < 0) {
        fprintf(stderr, "cd: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    return 0;
}

static int builtin_pwd(int argc, char** argv)
{
    (void)argc, (void)argv;
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) {
        fprintf(stderr, "pwd: %s\n", strerror(errno));
        return 1;
    }
    printf("%s\n", buf);
    return 0;
}

static int builtin_echo(int argc, char** argv)
{
    int i = 1, newline = 1;
    if (argc > 1 && strcmp(argv[1], "-n") == 0)
        newline = 0, i++;
    for (; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    if (newline)
        printf("\n");
    return 0;
}

/* Like procps `free`: the first three columns, in kB. */
static int builtin_free(int argc, char** argv)
{
    (void)argc, (void)argv;
    struct sysinfo si;
    if (sysinfo(&si) < 0) {
        fprintf(stderr, "free: sysinfo: %s\n", strerror(errno));
        return 1;
    }
    unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
    unsigned long long mem_total = si.totalram * unit / 1024, mem_free = si.freeram * unit / 1024;
    unsigned long long swap_total = si.totalswap * unit / 1024, swap_free = si.freeswap * unit / 1024;
    printf("%15s %11s %11s\n", "total", "used", "free");
    printf("Mem:  %9llu %11llu %11llu\n", mem_total, mem_total - mem_free, mem_free);
    printf("Swap: %9llu %11llu %11llu\n", swap_total, swap_total - swap_free, swap_free);
    return 0;
}

static int compare_ints(const void* a, const void* b)
{
    int x = *(const int*)a, y = *(const int*)b;
    return (x > y) - (x < y);
}

/*
 * One line per /proc/PID: from /proc/PID/stat ("pid (comm) state ppid ...") where the
 * kernel provides it, else the pid alone.
 */
static void print_process(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0) {
        buf[n] = 0;
        /* comm may hold spaces and parentheses: it ends at the last ')'. */
        char* open_paren = strchr(buf, '(');
        char* close_paren = strrchr(buf, ')');
        char state = '?';
        int ppid = 0;
        if (open_paren && close_paren > open_paren &&
            sscanf(close_paren + 1, " %c %d", &state, &ppid) == 2) {
            *close_paren = 0;
            printf("%5d %5d %c %s\n", pid, ppid, state, open_paren + 1);
            return;
        }
    }
    printf("%5d\n", pid);
}

static int builtin_ps(int argc, char** argv)
{
    (void)argc, (void)argv;
    DIR* dir = opendir("/proc");
    if (!dir) {
        fprintf(stderr, "ps: /proc: %s\n", strerror(errno));
        return 1;
    }
    int* pids = NULL;
    size_t count = 0, capacity = 0;
    struct dirent* entry;
    while ((entry = readdir(dir))) {
        const char* name = entry->d_name;
        if (!isdigit((unsigned char)name[0]))
            continue;
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 64;
            int* grown = realloc(pids, capacity * sizeof *pids);
            if (!grown)
                break;
            pids = grown;
        }
        pids[count++] = atoi(name);
    }
    closedir(dir);
    qsort(pids, count, sizeof *pids, compare_ints);
    printf("  PID  PPID S COMMAND\n");
    for (size_t i = 0; i < count; i++)
        print_process(pids[i]);
    free(pids);
    return 0;
}

static const struct {
    const char* name;
    int (*run)(int argc, char** argv);
} builtins[] = {
    { "exit", builtin_exit }, { "help", builtin_help }, { "cd", builtin_cd },
    { "pwd", builtin_pwd },   { "echo", builtin_echo }, { "free", builtin_free },
    { "ps", builtin_ps },
};

int run_builtin(int argc, char** argv, int* status)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        if (strcmp(argv[0], builtins[i].name) == 0) {
            *status = builtins[i].run(argc, argv);
            fflush(stdout);
            return 1;
        }
    }
    return 0;
}
