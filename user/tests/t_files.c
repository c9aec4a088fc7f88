/*
 * Files: pipes and file descriptors, close-on-exec, the initrd's files, and the files the
 * kernel provides in /proc and /dev.
 */
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static void write_late(void* arg)
{
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    write_all(*(int*)arg, "late", 4);
}

/* Writes 64 KB, far more than a pipe holds, so the writer must wait for the reader. */
#define BULK (64 * 1024)

static void write_bulk(void* arg)
{
    static unsigned char data[BULK];
    for (int i = 0; i < BULK; i++)
        data[i] = (unsigned char)(i * 13 + i / 251);
    write_all(*(int*)arg, data, BULK);
}

static void write_to_broken_pipe(void* arg)
{
    write(*(int*)arg, "x", 1);
}

void test_pipe_fds(void)
{
    int p[2];
    char buf[16];
    CHECK(pipe(p) == 0);
    CHECK(p[0] > 2 && p[1] > 2 && p[0] != p[1]);
    write_all(p[1], "hello", 5);
    CHECK_EQ(read(p[0], buf, sizeof buf), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);

    /* Access modes: each end one way only. */
    CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
    CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
    CHECK_ERRNO(write(p[0], "x", 1), EBADF);
    CHECK_ERRNO(read(p[1], buf, 1), EBADF);

    /* dup2 to a chosen number; dup takes the lowest free one. */
    CHECK_EQ(dup2(p[0], 10), 10);
    CHECK_EQ(dup2(10, 10), 10);
    write_all(p[1], "abc", 3);
    CHECK_EQ(read(10, buf, sizeof buf), 3);
    CHECK_EQ(close(10), 0);
    CHECK_ERRNO(read(10, buf, 1), EBADF);
    CHECK_ERRNO(close(10), EBADF);
    int low = dup(p[0]);
    CHECK(low > 2);
    CHECK_EQ(close(p[0]), 0);
    CHECK_EQ(dup(low), p[0]);
    CHECK_EQ(close(low), 0);
    CHECK_EQ(dup(p[1]), low);

    /* dup2 onto an open fd closes what was there first. */
    int other[2];
    CHECK(pipe(other) == 0);
    CHECK_EQ(dup2(p[1], other[1]), other[1]);
    write_all(other[1], "via", 3);
    CHECK_EQ(read(p[0], buf, sizeof buf), 3);
    CHECK_EQ(close(other[1]), 0);
    CHECK_EQ(read(other[0], buf, 1), 0);    /* its only writer is gone */
    CHECK_EQ(close(other[0]), 0);

    /* F_GETFD/F_SETFD: close-on-exec belongs to the fd, not to the open file. */
    CHECK_EQ(fcntl(p[0], F_GETFD), 0);
    CHECK_EQ(fcntl(p[0], F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    int copy = dup(p[0]);
    CHECK_EQ(fcntl(copy, F_GETFD), 0);
    CHECK_EQ(close(copy), 0);
    CHECK_ERRNO(fcntl(copy, F_GETFD), EBADF);

    /* O_NONBLOCK: an empty pipe says EAGAIN instead of waiting. */
    CHECK_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
    CHECK_ERRNO(read(p[0], buf, 1), EAGAIN);
    CHECK_EQ(fcntl(p[0], F_SETFL, 0), 0);

    /* A reader waits for a writer in another process. */
    pid_t pid = spawn(write_late, &p[1]);
    CHECK_EQ(read(p[0], buf, sizeof buf), 4);
    CHECK(memcmp(buf, "late", 4) == 0);
    CHECK_EQ(wait_for(pid), 0);

    /* And a writer waits for the reader: every byte arrives, in order. */
    pid = spawn(write_bulk, &p[1]);
    static unsigned char got[BULK];
    read_all(p[0], got, BULK);
    for (int i = 0; i < BULK; i++)
        if (got[i] != (unsigned char)(i * 13 + i / 251))
            fail("pipe byte %d is %d", i, got[i]);
    CHECK_EQ(wait_for(pid), 0);

    /* End of file once every write end is closed. */
    CHECK_EQ(close(p[1]), 0);
    CHECK_EQ(close(low), 0);
    CHECK_EQ(read(p[0], buf, sizeof buf), 0);

    /* No reader left: SIGPIPE, or EPIPE when it is ignored. */
    CHECK(pipe(p) == 0);
    CHECK_EQ(close(p[0]), 0);
    expect_death("write to a pipe without readers", SIGPIPE, write_to_broken_pipe, &p[1]);
    signal(SIGPIPE, SIG_IGN);
    CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
    CHECK_EQ(close(p[1]), 0);
}

void test_close_on_exec(void)
{
    int plain[2], cloexec[2];
    CHECK(pipe(plain) == 0);
    CHECK(pipe2(cloexec, O_CLOEXEC) == 0);
    CHECK_EQ(fcntl(cloexec[0], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(cloexec[1], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(plain[1], F_SETFD, FD_CLOEXEC), 0);

    int copy = dup(plain[1]);               /* dup clears the flag */
    CHECK_EQ(dup2(cloexec[0], 20), 20);     /* so does dup2 */
    CHECK_EQ(dup3(cloexec[0], 21, O_CLOEXEC), 21);
    CHECK_EQ(fcntl(20, F_GETFD), 0);
    CHECK_EQ(fcntl(21, F_GETFD), FD_CLOEXEC);

    char args[8][16];
    snprintf(args[0], 16, "+%d", plain[0]);
    snprintf(args[1], 16, "-%d", plain[1]);
    snprintf(args[2], 16, "-%d", cloexec[0]);
    snprintf(args[3], 16, "-%d", cloexec[1]);
    snprintf(args[4], 16, "+%d", copy);
    snprintf(args[5], 16, "+20");
    snprintf(args[6], 16, "-21");
    snprintf(args[7], 16, "+1");
    char* argv[] = { "fdcheck", args[0], args[1], args[2], args[3], args[4],
                     args[5], args[6], args[7], NULL };
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        execve(root_path("/tests/fdcheck"), argv, (char*[]){ NULL });
        _exit(127);
    }
    int status = wait_for(pid);
    if (status != 0)
        fail("/tests/fdcheck %s %s %s %s %s %s %s %s: %s", args[0], args[1], args[2], args[3],
             args[4], args[5], args[6], args[7], describe_status(status));

    /* The exec happened in the child only: the parent's fds are all still there. */
    CHECK_EQ(fcntl(plain[1], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(cloexec[0], F_GETFD), FD_CLOEXEC);
}

static const char motd_text[] = "Welcome to Ferrite.\n";
#define MOTD_SIZE ((int)sizeof motd_text - 1)

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* Lists dir with getdents64; returns the d_type of `name`, or -1 if it is not there. */
static int find_in_directory(const char* dir, const char* name)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    int type = -1;
    char buf[1024] __attribute__((aligned(8)));
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64* d = (struct linux_dirent64*)(buf + off);
            size_t name_len = strnlen(d->d_name, n - off - offsetof(struct linux_dirent64, d_name));
            if (d->d_reclen < offsetof(struct linux_dirent64, d_name) + name_len + 1 ||
                off + d->d_reclen > n)
                fail("getdents64 of %s: bad record at offset %ld (d_reclen %u)", dir, off,
                     d->d_reclen);
            if (strcmp(d->d_name, name) == 0)
                type = d->d_type;
            off += d->d_reclen;
        }
    }
    if (n < 0)
        fail("getdents64 of %s: %s", dir, strerror(errno));
    CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);  /* still at the end */
    close(fd);
    return type;
}

void test_initrd_files(void)
{
    const char* motd = root_path("/etc/motd");
    int fd = open(motd, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", motd, strerror(errno));
    char buf[128];
    CHECK_EQ(read(fd, buf, sizeof buf), MOTD_SIZE);
    CHECK(memcmp(buf, motd_text, MOTD_SIZE) == 0);
    CHECK_EQ(read(fd, buf, sizeof buf), 0);
    CHECK_ERRNO(write(fd, "x", 1), EBADF);

    /* lseek in all three ways, and _llseek's 64-bit result. */
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), MOTD_SIZE);
    CHECK_EQ(lseek(fd, 8, SEEK_SET), 8);
    CHECK_EQ(read(fd, buf, 11), 11);
    CHECK(memcmp(buf, "to Ferrite.", 11) == 0);
    CHECK_EQ(lseek(fd, -1, SEEK_END), MOTD_SIZE - 1);
    CHECK_EQ(read(fd, buf, sizeof buf), 1);
    CHECK(buf[0] == '\n');
    CHECK_ERRNO(lseek(fd, -100, SEEK_SET), EINVAL);
    long long result = -1;
    CHECK_EQ(syscall(SYS__llseek, fd, 0, 3, &result, SEEK_SET), 0);
    CHECK_EQ(result, 3);
    CHECK_EQ(read(fd, buf, 7), 7);
    CHECK(memcmp(buf, "come to", 7) == 0);

    /* fstat and stat agree, and say it is a regular file of 20 bytes. */
    struct stat st, by_path;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, MOTD_SIZE);
    CHECK(st.st_nlink >= 1);
    CHECK_EQ(stat(motd, &by_path), 0);
    CHECK_EQ(by_path.st_ino, st.st_ino);
    CHECK_EQ(by_path.st_dev, st.st_dev);
    CHECK_EQ(by_path.st_size, MOTD_SIZE);
    CHECK_EQ(close(fd), 0);

    /* What cannot be opened. */
    CHECK_ERRNO(open(root_path("/etc/no-such-file"), O_RDONLY), ENOENT);
    CHECK_ERRNO(open(root_path("/no-such-dir/motd"), O_RDONLY), ENOENT);
    CHECK_ERRNO(open(root_path("/etc/motd/x"), O_RDONLY), ENOTDIR);
    CHECK_ERRNO(open(motd, O_RDONLY | O_DIRECTORY), ENOTDIR);
    if (!on_linux)
        CHECK_ERRNO(open(motd, O_WRONLY), EROFS);   /* the initrd is read-only */

    /* The directory: a directory, and it lists motd. */
    const char* etc = root_path("/etc");
    int dir = open(etc, O_RDONLY | O_DIRECTORY);
    CHECK(dir >= 0);
    CHECK_EQ(fstat(dir, &st), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_ERRNO(read(dir, buf, sizeof buf), EISDIR);
    CHECK_EQ(close(dir), 0);
    int type = find_in_directory(etc, "motd");
    if (type < 0)
        fail("getdents64 of %s does not list motd", etc);
    if (type != DT_REG && type != DT_UNKNOWN)
        fail("getdents64 gives motd d_type %d", type);

    /* The same through glibc's readdir. */
    DIR* d = opendir(etc);
    CHECK(d != NULL);
    struct dirent* e;
    int found = 0;
    while ((e = readdir(d)))
        found |= strcmp(e->d_name, "motd") == 0;
    closedir(d);
    CHECK(found);

    /* The working directory takes part in relative paths. */
    CHECK_EQ(chdir(etc), 0);
    fd = open("motd", O_RDONLY);
    CHECK(fd >= 0);
    CHECK_EQ(read(fd, buf, sizeof buf), MOTD_SIZE);
    CHECK_EQ(close(fd), 0);
    char cwd[512];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(strcmp(cwd, etc) == 0);
    CHECK_EQ(access("motd", R_OK), 0);
    CHECK_ERRNO(access("nothing", F_OK), ENOENT);
}

/* Reads a whole small file; fails the test if it cannot. */
static size_t read_file(const char* path, char* buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
    close(fd);
    return len;
}

/* The kB value of a "Name:   123 kB" line of /proc/meminfo, or -1 without one. */
/* Whether text holds `line` as a whole line. */
static int has_line(const char* text, const char* line)
{
    size_t len = strlen(line);
    for (const char* l = text; l && *l; l = strchr(l, '\n'), l += !!l)
        if (strncmp(l, line, len) == 0 && (l[len] == '\n' || l[len] == '\0'))
            return 1;
    return 0;
}

static long long meminfo_value(const char* text, const char* name)
{
    size_t len = strlen(name);
    for (const char* line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
        if (strncmp(line, name, len) == 0 && line[len] == ':') {
            char* end;
            long long v = strtoll(line + len + 1, &end, 10);
            while (*end == ' ')
                end++;
            return strncmp(end, "kB", 2) == 0 ? v : -1;
        }
    }
    return -1;
}

void test_kernel_files(void)
{
    static char text[16384];
    read_file("/proc/meminfo", text, sizeof text);
    long long mem_total = meminfo_value(text, "MemTotal");
    long long mem_free = meminfo_value(text, "MemFree");
    long long swap_total = meminfo_value(text, "SwapTotal");
    long long swap_free = meminfo_value(text, "SwapFree");
    if (mem_total <= 0 || mem_free < 0 || swap_total < 0 || swap_free < 0)
        fail("/proc/meminfo lacks a line: MemTotal %lld, MemFree %lld, SwapTotal %lld, "
             "SwapFree %lld", mem_total, mem_free, swap_total, swap_free);
    CHECK(mem_free <= mem_total);
    CHECK(swap_free <= swap_total);
    struct sysinfo si;
    CHECK_EQ(sysinfo(&si), 0);
    CHECK_EQ(mem_total, (long long)si.totalram * si.mem_unit / 1024);
    CHECK_EQ(swap_total, (long long)si.totalswap * si.mem_unit / 1024);

    struct stat st;
    CHECK_EQ(stat("/dev/console", &st), 0);
    CHECK(S_ISCHR(st.st_mode));
    if (!on_linux) {
        CHECK_EQ(stat("/dev/hda", &st), 0);     /* always there, disk or not */
        CHECK(S_ISBLK(st.st_mode));
    }

    /* /proc/PID/status: Linux's first lines, for this process and its parent. */
    char path[64], pid_line[32], ppid_line[32];
    snprintf(path, sizeof path, "/proc/%d/status", (int)getpid());
    read_file(path, text, sizeof text);
    snprintf(pid_line, sizeof pid_line, "Pid:\t%d", (int)getpid());
    snprintf(ppid_line, sizeof ppid_line, "PPid:\t%d", (int)getppid());
    const char* lines[] = { "Name:\trun", "State:\tR (running)", pid_line, ppid_line };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (!has_line(text, lines[i]))
            fail("%s has no line \"%s\": \"%.120s\"", path, lines[i], text);
    CHECK(meminfo_value(text, "VmRSS") > 0);
    snprintf(path, sizeof path, "/proc/%d/status", (int)getppid());
    read_file(path, text, sizeof text);
    /* The runner waits for us, but wakes every 10 ms to watch the time: runnable then. */
    CHECK(has_line(text, "State:\tS (sleeping)") || has_line(text, "State:\tR (running)"));

    /* Content checked by the memory tests; here only that it reads as text lines. */
    size_t len = read_file("/proc/self/maps", text, sizeof text);
    CHECK(len > 0);
    CHECK(text[len - 1] == '\n');

    /* /proc lists this process. */
    char self[16];
    snprintf(self, sizeof self, "%d", getpid());
    DIR* d = opendir("/proc");
    CHECK(d != NULL);
    struct dirent* e;
    int found = 0;
    while ((e = readdir(d)))
        found |= strcmp(e->d_name, self) == 0;
    closedir(d);
    if (!found)
        fail("/proc does not list pid %s", self);
}

/* Every name /proc lists can be looked up (ls stats each one): none for the idle task. */
void test_proc_listing_stats(void)
{
    DIR* d = opendir("/proc");
    CHECK(d != NULL);
    struct dirent* e;
    int names = 0, pids = 0;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names++;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        char* end;
        long pid = strtol(e->d_name, &end, 10);
        int numeric = *e->d_name && !*end;
        pids += numeric;
        if (numeric && pid == 0)
            fail("/proc lists \"%s\"", e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0)
            continue;
        /* A process that exited since readdir is gone for good: not an error. */
        if (numeric && errno == ENOENT && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            continue;
        fail("lstat %s: %s", path, strerror(errno));
    }
    closedir(d);
    diag("%d names in /proc, %d of them processes", names, pids);
    CHECK(pids > 0);
    CHECK(names > pids);
}
