/*
 * Helpers for the tests: reporting, child processes, memory.
 */
#include "tests.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

int test_report_fd = -1;
int on_linux;
char test_root[256];

static void vdiag(const char* fmt, va_list ap)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "# ");
    n += vsnprintf(buf + n, sizeof buf - n - 1, fmt, ap);
    if (n > (int)sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    write(1, buf, n);
}

void diag(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(fmt, ap);
    va_end(ap);
}

void fail(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(fmt, ap);
    va_end(ap);
    _exit(1);
}

void skip(const char* reason)
{
    if (test_report_fd >= 0)
        write(test_report_fd, reason, strlen(reason));
    _exit(SKIP_STATUS);
}

const char* root_path(const char* path)
{
    char* buf = malloc(strlen(test_root) + strlen(path) + 1);
    if (!buf)
        fail("root_path: out of memory");
    strcpy(buf, test_root);
    strcat(buf, path);
    return buf;
}

unsigned long long free_ram(void)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        fail("sysinfo: %s", strerror(errno));
    return (unsigned long long)si.freeram * (si.mem_unit ? si.mem_unit : 1);
}

pid_t spawn(void (*fn)(void* arg), void* arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    return pid;
}

int wait_for(pid_t pid)
{
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (r != pid)
        fail("waitpid(%d) returned %d: %s", pid, r, r < 0 ? strerror(errno) : "wrong pid");
    return status;
}

const char* describe_status(int status)
{
    static char buf[96];
    if (WIFEXITED(status))
        snprintf(buf, sizeof buf, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, sizeof buf, "wait status %#x", status);
    return buf;
}

void expect_death(const char* what, int sig, void (*fn)(void* arg), void* arg)
{
    int status = wait_for(spawn(fn, arg));
    if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
        fail("%s: child %s, want signal %d (%s)", what, describe_status(status), sig,
             strsignal(sig));
}

void expect_success(const char* what, void (*fn)(void* arg), void* arg)
{
    int status = wait_for(spawn(fn, arg));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("%s: child %s", what, describe_status(status));
}

void write_all(int fd, const void* buf, size_t n)
{
    const char* p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            fail("write(%d, %zu bytes): %s", fd, n, w < 0 ? strerror(errno) : "wrote 0");
        p += w, n -= w;
    }
}

void read_all(int fd, void* buf, size_t n)
{
    char* p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            fail("read(%d, %zu bytes): %s", fd, n, r < 0 ? strerror(errno) : "end of file");
        p += r, n -= r;
    }
}

void touch_pages(void* p, size_t n)
{
    for (size_t i = 0; i < n; i += 4096)
        ((volatile char*)p)[i] = 1;
}

void fill_page(uint32_t* p, uint32_t index, uint32_t seed)
{
    uint32_t x = index * 2654435761u ^ seed;
    for (unsigned i = 0; i < 4096 / 4; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = x;
    }
}

int page_ok(const uint32_t* p, uint32_t index, uint32_t seed)
{
    uint32_t want[4096 / 4];
    fill_page(want, index, seed);
    return memcmp(p, want, sizeof want) == 0;
}
