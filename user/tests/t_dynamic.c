/*
 * Dynamically linked programs: Debian's dash (a PIE with PT_INTERP /lib/ld-linux.so.2)
 * started through the dynamic linker, which maps libc.so.6 itself; two dashes share
 * libc's text frames; an interpreter that is missing, not ELF, or not named properly
 * makes execve fail with Linux's errno.
 *
 * The initrd carries the dashes with broken interpreters (tests/dash-*), made from
 * Debian's by the Makefile.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096u
#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

/*
 * Starts dash -c SCRIPT with stdin from a pipe (*in, the write end) and stdout into one
 * (*out, the read end).
 */
static pid_t start_dash_through(const char* ld, const char* script, int* in, int* out)
{
    int to[2], from[2];
    CHECK(pipe(to) == 0 && pipe(from) == 0);
    const char* dash = root_path("/usr/bin/dash");
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[0]), close(to[1]), close(from[0]), close(from[1]);
        if (ld)
            execl(ld, "ld-linux.so.2", dash, "-c", script, (char*)NULL);
        else
            execl(dash, "dash", "-c", script, (char*)NULL);
        _exit(126);
    }
    close(to[0]);
    close(from[1]);
    *in = to[1];
    *out = from[0];
    return pid;
}

static pid_t start_dash(const char* script, int* in, int* out)
{
    return start_dash_through(NULL, script, in, out);
}

/* Reads fd to its end into buf (NUL-terminated). */
static void read_to_end(int fd, char* buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += n;
    buf[len] = 0;
}

/*
 * dash computes and prints, and its exit status comes back; the same when the dynamic
 * linker is the command (an ET_DYN program without an interpreter) and loads dash itself.
 */
void test_dash_runs(void)
{
    const char* through[] = { NULL, "/lib/ld-linux.so.2" };
    for (int i = 0; i < 2; i++) {
        int in, out;
        pid_t pid = start_dash_through(through[i], "echo $((6*7)); exit 5", &in, &out);
        close(in);
        char buf[64];
        read_to_end(out, buf, sizeof buf);
        close(out);
        int status = wait_for(pid);
        const char* how = through[i] ? through[i] : "directly";
        if (strcmp(buf, "42\n") != 0)
            fail("dash (%s) printed \"%s\", want \"42\\n\"", how, buf);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 5)
            fail("dash (%s) %s, want exit status 5", how, describe_status(status));
    }
}

/* The region of /proc/PID/maps whose path ends in `suffix` and whose perms are `perms`. */
static int find_region(pid_t pid, const char* suffix, const char* perms, unsigned long* start,
                       unsigned long* end, unsigned long* offset)
{
    static char text[16384];
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    read_to_end(fd, text, sizeof text);
    close(fd);
    for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char p[5], name[256] = "";
        if (sscanf(line, "%lx-%lx %4s %lx %*s %*s %255s", start, end, p, offset, name) < 4)
            continue;
        size_t n = strlen(name), k = strlen(suffix);
        if (strcmp(p, perms) == 0 && n >= k && strcmp(name + n - k, suffix) == 0)
            return 1;
    }
    return 0;
}

/* count pagemap entries of pid from vaddr on. */
static void read_pagemap(pid_t pid, unsigned long vaddr, uint64_t* entries, size_t count)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", pid);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    off_t offset = (off_t)(vaddr / PAGE) * 8;
    CHECK(lseek(fd, offset, SEEK_SET) == offset);
    size_t want = count * 8, got = 0;
    ssize_t n;
    while (got < want && (n = read(fd, (char*)entries + got, want - got)) > 0)
        got += n;
    CHECK_EQ(got, want);
    close(fd);
}

/*
 * Two dashes at once: /proc/PID/maps names libc.so.6 and the dynamic linker, and the
 * text pages of libc both have present are the same frames.
 */
void test_dash_shares_libc(void)
{
    int in_a, out_a, in_b, out_b;
    pid_t a = start_dash("echo ready; read x", &in_a, &out_a);
    pid_t b = start_dash("echo ready; read x", &in_b, &out_b);
    char buf[16];
    CHECK(read(out_a, buf, sizeof buf) > 0);
    CHECK(read(out_b, buf, sizeof buf) > 0);

    unsigned long sa, ea, oa, sb, eb, ob, s, e, o;
    int found_a = find_region(a, "/libc.so.6", "r-xp", &sa, &ea, &oa);
    int found_b = find_region(b, "/libc.so.6", "r-xp", &sb, &eb, &ob);
    int found_ld = find_region(a, "/ld-linux.so.2", "r-xp", &s, &e, &o);
    int found_dash = find_region(a, "/dash", "r-xp", &s, &e, &o);
    if (!on_linux && found_dash && s != 0x400000 + o)
        fail("dash's text at %#lx, want ELF_ET_DYN_BASE (0x400000) + %#lx", s, o);
    static uint64_t pages_a[512], pages_b[512];
    size_t count = 0, both = 0;
    if (found_a && found_b && oa == ob && ea - sa == eb - sb) {
        count = (ea - sa) / PAGE;
        if (count > 512)
            count = 512;
        read_pagemap(a, sa, pages_a, count);
        read_pagemap(b, sb, pages_b, count);
    }
    write_all(in_a, "go\n", 3);
    write_all(in_b, "go\n", 3);
    close(in_a);
    close(in_b);
    close(out_a);
    close(out_b);
    CHECK_EQ(wait_for(a), 0);
    CHECK_EQ(wait_for(b), 0);

    if (!found_a || !found_b || !found_ld || !found_dash)
        fail("/proc/PID/maps lacks libc.so.6 (%d, %d), ld-linux.so.2 (%d) or dash (%d)",
             found_a, found_b, found_ld, found_dash);
    if (oa != ob || ea - sa != eb - sb)
        fail("libc's text differs: offset %#lx, %#lx; size %#lx, %#lx", oa, ob, ea - sa, eb - sb);
    for (size_t i = 0; i < count; i++) {
        if (!(pages_a[i] & PM_PRESENT) || !(pages_b[i] & PM_PRESENT))
            continue;
        if ((pages_a[i] & PM_PFN_MASK) == 0)
            skip("/proc/PID/pagemap shows no frame numbers to this user");
        both++;
        if ((pages_a[i] & PM_PFN_MASK) != (pages_b[i] & PM_PFN_MASK))
            fail("libc text page %zu: frames %#llx and %#llx", i,
                 pages_a[i] & PM_PFN_MASK, pages_b[i] & PM_PFN_MASK);
    }
    if (both < 8)
        fail("only %zu of libc's %zu text pages present in both dashes", both, count);
    diag("%zu of libc's %zu text pages present in both dashes, each in one frame", both, count);
}

/* execve of a dash whose interpreter is broken: errno, and nothing runs. */
static void check_exec_errno(const char* name, int want)
{
    const char* path = root_path(name);
    char* argv[] = { (char*)name, "-c", "exit 0", NULL };
    errno = 0;
    CHECK_EQ(execve(path, argv, (char*[]){ NULL }), -1);
    if (errno != want)
        fail("execve(%s): %s, want %s", path, strerror(errno), strerror(want));
}

/*
 * A missing interpreter is ENOENT, one that is not an ELF file ELIBBAD, a PT_INTERP whose
 * path does not end in its NUL ENOEXEC.
 */
void test_bad_interpreter(void)
{
    check_exec_errno("/tests/dash-no-interp", ENOENT);
    /* Its interpreter's path is absolute: on another kernel it is the initrd's only if /tests is. */
    if (access("/tests/not-elf", F_OK) == 0)
        check_exec_errno("/tests/dash-text-interp", ELIBBAD);
    else
        diag("no /tests/not-elf on this machine: ELIBBAD not checked");
    check_exec_errno("/tests/dash-unterminated-interp", ENOEXEC);
}
