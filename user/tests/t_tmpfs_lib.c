/*
 * The tmpfs tests' helpers (t_tmpfs.h), and the runner's cleaning up after a tmpfs test
 * that died before it could (tmpfs_remove_leftovers).
 */
#include "tests.h"
#include "t_tmpfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char tmpfs_base[64];

const char* tmpfs_path(const char* name)
{
    static char paths[4][512];
    static int next;
    char* p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", tmpfs_base, name);
    return p;
}

/* rm -r, quietly: 0 when dir is gone. Not recursive on the stack beyond the tree's depth. */
static int remove_tree(const char* dir)
{
    DIR* d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : -1;
    struct dirent* e;
    char path[512];
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    return rmdir(dir);
}

/*
 * Runs a test's body in a directory of its own, made under `where`, in a child; the
 * directory goes afterwards whatever the body did (failed, or was refused memory by an
 * injected allocation failure), so that the runner finds free RAM as it was.
 */
void tmpfs_in_own_directory(void (*body)(void), const char* where)
{
    snprintf(tmpfs_base, sizeof tmpfs_base, "%s/tmpfs-test.%d", where, getpid());
    CHECK(mkdir(tmpfs_base, 0755) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = pid < 0 ? -1 : wait_for(pid);
    for (int tries = 0; remove_tree(tmpfs_base) != 0 && tries < 20; tries++) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    if (pid < 0)
        fail("fork: %s", strerror(errno));
    if (WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS)
        _exit(SKIP_STATUS);             /* the body wrote its reason already */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("the test's body %s", describe_status(status));
}

/*
 * For the runner, after a tmpfs test failed or was killed (as injected allocation
 * failures do): removes the directories such tests left in /tmp and /dev/shm. Static
 * buffers and no recursion, so the runner's own memory stays as it was.
 */
static char leftover_path[4096];
static char leftover_records[4096];

/* Everything below leftover_path, and it: down to a directory without subdirectories. */
static void remove_leftover(size_t top_length)
{
    for (int rounds = 0; rounds < 100000; rounds++) {
        leftover_path[top_length] = 0;
        int descended = 1;
        while (descended) {
            descended = 0;
            int fd = open(leftover_path, O_RDONLY | O_DIRECTORY);
            if (fd < 0)
                return;
            long n;
            while (!descended && (n = syscall(SYS_getdents64, fd, leftover_records,
                                              sizeof leftover_records)) > 0) {
                for (long off = 0; off < n && !descended;) {
                    const char* name = leftover_records + off + 19;
                    unsigned char type = (unsigned char)leftover_records[off + 18];
                    off += *(unsigned short*)(leftover_records + off + 16);
                    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                        continue;
                    size_t len = strlen(leftover_path);
                    if (len + 2 + strlen(name) > sizeof leftover_path)
                        continue;
                    leftover_path[len] = '/';
                    strcpy(leftover_path + len + 1, name);
                    if (type == DT_DIR)
                        descended = 1;
                    else {
                        unlink(leftover_path);
                        leftover_path[len] = 0;
                    }
                }
            }
            close(fd);
        }
        int at_top = strlen(leftover_path) == top_length;
        if (rmdir(leftover_path) < 0 || at_top)
            return;
    }
}

void tmpfs_remove_leftovers(void)
{
    /* The first call makes a tree to remove: every path below runs once, early. */
    static int warmed_up;
    if (!warmed_up) {
        warmed_up = 1;
        if (mkdir("/tmp/tmpfs-test.0", 0700) == 0 && mkdir("/tmp/tmpfs-test.0/d", 0700) == 0)
            close(open("/tmp/tmpfs-test.0/d/f", O_WRONLY | O_CREAT, 0600));
    }
    static const char* const places[] = { "/tmp", "/dev/shm" };
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        int fd = open(places[i], O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            continue;
        long n;
        static char records[4096];
        while ((n = syscall(SYS_getdents64, fd, records, sizeof records)) > 0)
            for (long off = 0; off < n; off += *(unsigned short*)(records + off + 16)) {
                const char* name = records + off + 19;
                if (strncmp(name, "tmpfs-test.", 11) != 0)
                    continue;
                if (strlen(places[i]) + 2 + strlen(name) > sizeof leftover_path)
                    continue;
                strcpy(leftover_path, places[i]);
                strcat(leftover_path, "/");
                strcat(leftover_path, name);
                remove_leftover(strlen(leftover_path));
            }
        close(fd);
    }
}

void tmpfs_put_file(const char* path, const char* text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    write_all(fd, text, strlen(text));
    CHECK(close(fd) == 0);
}

void tmpfs_check_file(const char* path, const char* text)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK_EQ(n, (ssize_t)strlen(text));
    CHECK(memcmp(buf, text, (size_t)n) == 0);
    close(fd);
}
