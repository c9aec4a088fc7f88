/*
 * tmpfs at /tmp and /dev/shm, and the calls that change files: each call and Linux's
 * errors, holes, umask, times, links, renames, unlinked open files, big directories,
 * the size limit (ENOSPC) against statfs, /proc/mounts, chroot and fchdir.
 *
 * Each test works in a directory of its own under /tmp on Ferrite and under /dev/shm on
 * Linux (where /tmp is often a disk), and removes it before it returns: the runner counts
 * free RAM before and after, so a page left in tmpfs would be a leak.
 */
#include "tests.h"

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

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define PROC_SUPER_MAGIC 0x9fa0

static char base[64];

static const char* at(const char* name)
{
    static char paths[4][512];
    static int next;
    char* p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", base, name);
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
static void in_own_directory(void (*body)(void), const char* where)
{
    snprintf(base, sizeof base, "%s/tmpfs-test.%d", where, getpid());
    CHECK(mkdir(base, 0755) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = pid < 0 ? -1 : wait_for(pid);
    for (int tries = 0; remove_tree(base) != 0 && tries < 20; tries++) {
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

#define DEFAULT_PLACE (on_linux ? "/dev/shm" : "/tmp")
#define TMPFS_TEST(name, where)                                                       \
    static void name##_body(void);                                                    \
    void test_##name(void) { in_own_directory(name##_body, where); }                  \
    static void name##_body(void)

static void put_file(const char* path, const char* text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0);
    write_all(fd, text, strlen(text));
    CHECK(close(fd) == 0);
}

static void check_file(const char* path, const char* text)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK_EQ(n, (ssize_t)strlen(text));
    CHECK(memcmp(buf, text, (size_t)n) == 0);
    close(fd);
}

TMPFS_TEST(tmpfs_files, DEFAULT_PLACE)
{
    umask(022);
    const char* f = at("file");
    int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0666);
    CHECK(fd >= 0);
    CHECK_ERRNO(open(f, O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);

    /* umask is applied to the creation mode, and umask() returns the old one. */
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_mode, S_IFREG | (0666 & ~022));
    CHECK_EQ(umask(077), 022);
    int g = open(at("private"), O_WRONLY | O_CREAT, 0666);
    CHECK(g >= 0);
    CHECK(fstat(g, &st) == 0);
    CHECK_EQ(st.st_mode, S_IFREG | 0600);
    CHECK_EQ(umask(022), 077);
    close(g);

    /* Writes, reads at offsets, and a hole that reads as zeros. */
    write_all(fd, "hello", 5);
    CHECK_EQ(lseek(fd, 10000, SEEK_SET), 10000);
    write_all(fd, "world", 5);
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_size, 10005);
    char buf[16];
    CHECK_EQ(pread(fd, buf, 5, 0), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(pread(fd, buf, 10, 4995), 10);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(buf[i], 0);
    CHECK_EQ(pread(fd, buf, 16, 10000), 5);
    CHECK(memcmp(buf, "world", 5) == 0);
    CHECK_EQ(pread(fd, buf, 16, 20000), 0);
    CHECK_EQ(pwrite(fd, "HE", 2, 0), 2);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10005);      /* pwrite leaves the offset alone */
    CHECK_EQ(lseek(fd, 0, SEEK_END), 10005);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(read(fd, buf, 5), 5);
    CHECK(memcmp(buf, "HEllo", 5) == 0);
    /* The hole takes no page: two pages hold data. */
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_blocks, 16);

    /* ftruncate shrinks and grows; what grows reads as zeros. */
    CHECK(ftruncate(fd, 3) == 0);
    CHECK(ftruncate(fd, 6) == 0);
    CHECK_EQ(pread(fd, buf, 16, 0), 6);
    CHECK(memcmp(buf, "HEl\0\0\0", 6) == 0);
    CHECK_ERRNO(ftruncate(fd, -1), EINVAL);
    close(fd);
    CHECK(truncate(f, 1) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_size, 1);
    CHECK_ERRNO(truncate(base, 0), EISDIR);
    CHECK_ERRNO(truncate(at("missing"), 0), ENOENT);
    fd = open(f, O_RDONLY);
    CHECK_ERRNO(ftruncate(fd, 0), EINVAL);        /* not open for writing */
    close(fd);

    /* O_APPEND writes at the end whatever the offset; O_TRUNC empties. */
    put_file(f, "abc");
    fd = open(f, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    write_all(fd, "def", 3);
    close(fd);
    check_file(f, "abcdef");
    fd = open(f, O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_size, 0);
    close(fd);

    /* Errors of open and of names. */
    CHECK_ERRNO(open(at("missing/x"), O_RDWR | O_CREAT, 0644), ENOENT);
    CHECK_ERRNO(open(at("file/x"), O_RDWR | O_CREAT, 0644), ENOTDIR);
    CHECK_ERRNO(open(base, O_RDWR), EISDIR);
    CHECK_ERRNO(open(at("new/"), O_RDWR | O_CREAT, 0644), EISDIR);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    CHECK_ERRNO(open(at(longname), O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
    longname[255] = 0;
    fd = open(at(longname), O_RDWR | O_CREAT, 0644);  /* 255 bytes: the longest name */
    CHECK(fd >= 0);
    close(fd);
}

TMPFS_TEST(tmpfs_directories, DEFAULT_PLACE)
{
    struct stat st;
    CHECK(mkdir(at("d"), 0777) == 0);
    CHECK(stat(at("d"), &st) == 0);
    CHECK_EQ(st.st_mode, S_IFDIR | 0755);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_ERRNO(mkdir(at("d"), 0755), EEXIST);
    CHECK_ERRNO(mkdir(at("d/x/y"), 0755), ENOENT);
    CHECK(mkdir(at("d/sub/"), 0755) == 0);      /* a trailing slash is fine for mkdir */
    CHECK(stat(at("d"), &st) == 0);
    CHECK_EQ(st.st_nlink, 3);
    put_file(at("d/f"), "x");
    CHECK_ERRNO(mkdir(at("d/f/x"), 0755), ENOTDIR);
    CHECK_ERRNO(rmdir(at("d")), ENOTEMPTY);
    CHECK_ERRNO(rmdir(at("d/f")), ENOTDIR);
    CHECK_ERRNO(unlink(at("d/sub")), EISDIR);
    CHECK_ERRNO(unlink(at("d/f/")), ENOTDIR);
    CHECK_ERRNO(rmdir(at("d/.")), EINVAL);
    CHECK_ERRNO(rmdir(at("d/sub/..")), ENOTEMPTY);
    CHECK_ERRNO(unlink(at("d/.")), EISDIR);
    CHECK_ERRNO(mkdir(at("d/.."), 0755), EEXIST);
    CHECK_ERRNO(rename(at("d/sub"), at("d/sub/..")), EBUSY);
    CHECK_ERRNO(rmdir(at("d/nothing")), ENOENT);
    CHECK_ERRNO(unlink(at("d/nothing")), ENOENT);

    /* The *at forms, relative to a directory descriptor. */
    int dfd = open(at("d"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK(mkdirat(dfd, "viafd", 0700) == 0);
    CHECK(stat(at("d/viafd"), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_ERRNO(unlinkat(dfd, "viafd", 0), EISDIR);
    CHECK(unlinkat(dfd, "viafd", AT_REMOVEDIR) == 0);
    CHECK_ERRNO(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR);
    CHECK(unlinkat(dfd, "f", 0) == 0);
    CHECK_ERRNO(unlinkat(dfd, "sub", 0x4000), EINVAL);
    int ffd = open(at("plain"), O_RDWR | O_CREAT, 0644);
    CHECK(ffd >= 0);
    CHECK_ERRNO(mkdirat(ffd, "x", 0755), ENOTDIR);
    CHECK_ERRNO(mkdirat(999, "x", 0755), EBADF);
    close(ffd);
    CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR) == 0);
    CHECK(rmdir(at("d")) == 0);
    /* An open directory that was removed cannot be listed, and has no links. */
    char buf[1024];
    CHECK_ERRNO(syscall(SYS_getdents64, dfd, buf, sizeof buf), ENOENT);
    CHECK(fstat(dfd, &st) == 0);
    CHECK_EQ(st.st_nlink, 0);
    CHECK_ERRNO(mkdirat(dfd, "late", 0755), ENOENT);
    close(dfd);
}

/*
 * Lists a big directory with getdents64 while names come and go: every name that stays
 * is listed once, none twice, and none after its removal.
 */
#define MANY 400
#define GONE 50

TMPFS_TEST(tmpfs_many_entries, DEFAULT_PLACE)
{
    char name[32];
    for (int i = 0; i < MANY; i++) {
        snprintf(name, sizeof name, "e%d", i);
        put_file(at(name), "");
    }
    static char seen[MANY + GONE], removed[MANY];
    int fd = open(base, O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    char buf[512];
    int round = 0;
    long n;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short*)(buf + off + 16);
            const char* d_name = buf + off + 19;
            if (d_name[0] == 'e') {
                int i = atoi(d_name + 1);
                CHECK(i >= 0 && i < MANY + GONE);
                if (seen[i])
                    fail("%s listed twice", d_name);
                if (i < MANY && removed[i])
                    fail("%s listed after its removal", d_name);
                seen[i] = 1;
            }
            off += reclen;
        }
        if (round++ == 0) {
            /* After the first records: some names not listed yet go, new ones come. */
            for (int i = 0, gone = 0; i < MANY && gone < GONE; i++) {
                if (seen[i] || i % 3)
                    continue;
                snprintf(name, sizeof name, "e%d", i);
                CHECK(unlink(at(name)) == 0);
                removed[i] = 1;
                gone++;
            }
            for (int i = MANY; i < MANY + GONE; i++) {
                snprintf(name, sizeof name, "e%d", i);
                put_file(at(name), "");
            }
        }
    }
    CHECK_EQ(n, 0);
    close(fd);
    for (int i = 0; i < MANY; i++)
        if (!removed[i] && !seen[i])
            fail("e%d was not listed", i);
    struct stat st;
    CHECK(stat(base, &st) == 0);
    if (!on_linux)
        CHECK_EQ(st.st_size, (2 + MANY) * 20);         /* Linux's 20 bytes a name */
}

TMPFS_TEST(tmpfs_links, DEFAULT_PLACE)
{
    struct stat st;
    put_file(at("f"), "data");
    CHECK(link(at("f"), at("g")) == 0);
    CHECK(stat(at("f"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    ino_t ino = st.st_ino;
    CHECK(stat(at("g"), &st) == 0);
    CHECK_EQ(st.st_ino, ino);
    CHECK_ERRNO(link(at("f"), at("g")), EEXIST);
    CHECK_ERRNO(link(at("missing"), at("h")), ENOENT);
    CHECK(mkdir(at("d"), 0755) == 0);
    CHECK_ERRNO(link(at("d"), at("d2")), EPERM);
    CHECK(unlink(at("f")) == 0);
    CHECK(stat(at("g"), &st) == 0);
    CHECK_EQ(st.st_nlink, 1);
    check_file(at("g"), "data");

    /* Symlinks: the target as written; followed by open, not by lstat or readlink. */
    CHECK(symlink("g", at("s")) == 0);
    CHECK(lstat(at("s"), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_size, 1);
    char buf[64];
    CHECK_EQ(readlink(at("s"), buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'g');
    check_file(at("s"), "data");
    CHECK_ERRNO(symlink("x", at("s")), EEXIST);
    CHECK_ERRNO(symlink("", at("empty")), ENOENT);
    CHECK_ERRNO(readlink(at("g"), buf, sizeof buf), EINVAL);
    /* link() names the symlink itself; linkat with AT_SYMLINK_FOLLOW its target. */
    CHECK(link(at("s"), at("s2")) == 0);
    CHECK(lstat(at("s2"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(linkat(AT_FDCWD, at("s"), AT_FDCWD, at("g2"), AT_SYMLINK_FOLLOW) == 0);
    CHECK(lstat(at("g2"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK_EQ(st.st_nlink, 2);
    /* Loops end in ELOOP; O_CREAT through a dangling link makes its target. */
    CHECK(symlink("loop2", at("loop1")) == 0);
    CHECK(symlink("loop1", at("loop2")) == 0);
    CHECK_ERRNO(open(at("loop1"), O_RDONLY), ELOOP);
    CHECK(symlink("made", at("dangling")) == 0);
    int fd = open(at("dangling"), O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(stat(at("made"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK_ERRNO(open(at("s"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    int dfd = open(at("d"), O_RDONLY | O_DIRECTORY);
    CHECK(symlinkat("../g", dfd, "up") == 0);
    check_file(at("d/up"), "data");
    close(dfd);

    /* Across file systems: EXDEV (where /tmp and /dev/shm are two). */
    struct stat a, b;
    if (stat("/tmp", &a) == 0 && stat("/dev/shm", &b) == 0 && a.st_dev != b.st_dev) {
        char other[64];
        snprintf(other, sizeof other, "%s/tmpfs-x.%d", on_linux ? "/tmp" : "/dev/shm", getpid());
        CHECK_ERRNO(link(at("g"), other), EXDEV);
        CHECK_ERRNO(rename(at("g"), other), EXDEV);
    }
}

TMPFS_TEST(tmpfs_rename, DEFAULT_PLACE)
{
    struct stat st;
    put_file(at("a"), "aaa");
    put_file(at("b"), "bbbbbb");
    int open_b = open(at("b"), O_RDONLY);
    CHECK(rename(at("a"), at("b")) == 0);       /* over an existing file */
    CHECK_ERRNO(stat(at("a"), &st), ENOENT);
    check_file(at("b"), "aaa");
    char buf[16];
    CHECK_EQ(read(open_b, buf, sizeof buf), 6);  /* the replaced file lives on while open */
    CHECK(memcmp(buf, "bbbbbb", 6) == 0);
    close(open_b);
    CHECK(link(at("b"), at("c")) == 0);
    CHECK(rename(at("b"), at("c")) == 0);       /* two names of one file: nothing happens */
    CHECK(stat(at("b"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    CHECK(unlink(at("c")) == 0);

    CHECK(mkdir(at("d"), 0755) == 0);
    CHECK(mkdir(at("d/e"), 0755) == 0);
    CHECK(mkdir(at("empty"), 0755) == 0);
    CHECK(mkdir(at("full"), 0755) == 0);
    put_file(at("full/x"), "");
    CHECK_ERRNO(rename(at("d"), at("d/e/f")), EINVAL);      /* into itself */
    CHECK(rename(at("d"), at("d")) == 0);                   /* the same name: nothing */
    CHECK_ERRNO(rename(at("d"), at("full")), ENOTEMPTY);
    CHECK_ERRNO(rename(at("d/e"), at("d")), ENOTEMPTY);     /* over its own parent */
    put_file(at("f"), "f");
    CHECK_ERRNO(rename(at("d"), at("f")), ENOTDIR);
    CHECK_ERRNO(rename(at("f"), at("d")), EISDIR);
    CHECK_ERRNO(rename(at("f"), at("g/")), ENOTDIR);
    CHECK_ERRNO(rename(at("missing"), at("g")), ENOENT);
    /* A directory over an empty one, and into another directory: ".." follows. */
    CHECK(rename(at("d"), at("empty")) == 0);
    CHECK(rename(at("empty/e"), at("full/e")) == 0);
    struct stat up, full;
    CHECK(stat(at("full/e/.."), &up) == 0);
    CHECK(stat(at("full"), &full) == 0);
    CHECK_EQ(up.st_ino, full.st_ino);
    CHECK_EQ(full.st_nlink, 3);
    CHECK(stat(at("empty"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    /* renameat2: RENAME_NOREPLACE refuses to replace; unknown flags are EINVAL. */
    put_file(at("g"), "g");
    CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, at("f"), AT_FDCWD, at("g"), 1), EEXIST);
    CHECK(syscall(SYS_renameat2, AT_FDCWD, at("f"), AT_FDCWD, at("h"), 0) == 0);
    CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, at("h"), AT_FDCWD, at("i"), 8), EINVAL);
    int dfd = open(base, O_RDONLY | O_DIRECTORY);
    CHECK(renameat(dfd, "h", dfd, "i") == 0);
    close(dfd);
    check_file(at("i"), "f");
}

/* An unlinked file that is still open keeps its data until the last close. */
TMPFS_TEST(tmpfs_unlinked_open, DEFAULT_PLACE)
{
    const char* f = at("gone");
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    static char data[3 * 4096];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (char)(i * 7);
    write_all(fd, data, sizeof data);
    int second = dup(fd);
    CHECK(unlink(f) == 0);
    CHECK_ERRNO(open(f, O_RDONLY), ENOENT);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_nlink, 0);
    CHECK_EQ(st.st_size, (off_t)sizeof data);
    write_all(fd, "more", 4);
    static char back[sizeof data + 4];
    CHECK_EQ(pread(second, back, sizeof back, 0), (ssize_t)sizeof back);
    CHECK(memcmp(back, data, sizeof data) == 0 && memcmp(back + sizeof data, "more", 4) == 0);
    /* A name made again is a new file. */
    put_file(f, "new");
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_size, 3);
    close(fd);
    /* After a fork the child's descriptor keeps it too. */
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        _exit(pread(second, &c, 1, 1) == 1 && c == 7 ? 0 : 1);
    }
    close(second);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static int before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static void pause_a_tick(void)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

TMPFS_TEST(tmpfs_attributes, DEFAULT_PLACE)
{
    const char* f = at("f");
    put_file(f, "x");
    struct stat st, st2;
    CHECK(chmod(f, 04751) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_mode, S_IFREG | 04751);
    int fd = open(f, O_RDWR);
    CHECK(fchmod(fd, 0600) == 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_mode, S_IFREG | 0600);
    CHECK(fchmodat(AT_FDCWD, f, 0640, 0) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_mode & 07777, 0640);
    CHECK_ERRNO(chmod(at("missing"), 0644), ENOENT);
    /* access: root may write anything writable; executing needs an x bit. */
    CHECK(access(f, R_OK | W_OK) == 0);
    CHECK_ERRNO(access(f, X_OK), EACCES);
    CHECK(faccessat(AT_FDCWD, f, W_OK, 0) == 0);
    int dirfd = open(base, O_RDONLY | O_DIRECTORY);
    CHECK(faccessat(dirfd, "f", W_OK, 0) == 0);
    CHECK(symlink("f", at("viadir")) == 0);
    char target[8];
    CHECK_EQ(readlinkat(dirfd, "viadir", target, sizeof target), 1);
    CHECK_EQ(target[0], 'f');
    CHECK(unlink(at("viadir")) == 0);
    close(dirfd);
    /* chown as root: to anyone; -1 keeps a value. */
    CHECK(chown(f, 1234, 5678) == 0);
    CHECK(fchown(fd, -1, 42) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_uid, 1234);
    CHECK_EQ(st.st_gid, 42);
    CHECK(symlink("f", at("s")) == 0);
    CHECK(lchown(at("s"), 7, 7) == 0);
    CHECK(lstat(at("s"), &st) == 0);
    CHECK_EQ(st.st_uid, 7);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_uid, 1234);

    /* utimensat: set times, UTIME_OMIT keeps one, UTIME_NOW takes the clock. */
    struct timespec times[2] = { { 1000000000, 5 }, { 1100000000, 7 } };
    CHECK(utimensat(AT_FDCWD, f, times, 0) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK_EQ(st.st_atim.tv_nsec, 5);
    CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
    CHECK_EQ(st.st_mtim.tv_nsec, 7);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    CHECK(st.st_ctim.tv_sec >= now.tv_sec - 2);
    struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    CHECK(utimensat(AT_FDCWD, f, omit_now, 0) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK(st.st_mtim.tv_sec >= now.tv_sec - 2);
    CHECK(futimens(fd, times) == 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_mtim.tv_sec, 1100000000);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    CHECK_ERRNO(utimensat(AT_FDCWD, f, bad, 0), EINVAL);
    CHECK_ERRNO(utimensat(AT_FDCWD, at("missing"), NULL, 0), ENOENT);
    CHECK_ERRNO(syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0), EFAULT);
    CHECK_ERRNO(mkdirat(999, "", 0755), ENOENT);       /* the empty path comes first */

    /* Writes and truncates move mtime and ctime on; making and removing names, the dir's. */
    CHECK(fstat(fd, &st) == 0);
    pause_a_tick();
    write_all(fd, "y", 1);
    CHECK(fstat(fd, &st2) == 0);
    CHECK(before(st.st_mtim, st2.st_mtim) && before(st.st_ctim, st2.st_ctim));
    pause_a_tick();
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK(before(st2.st_mtim, st.st_mtim));
    close(fd);
    CHECK(stat(base, &st) == 0);
    pause_a_tick();
    put_file(at("new"), "");
    CHECK(stat(base, &st2) == 0);
    CHECK(before(st.st_mtim, st2.st_mtim) && before(st.st_ctim, st2.st_ctim));
    pause_a_tick();
    CHECK(unlink(at("new")) == 0);
    CHECK(stat(base, &st) == 0);
    CHECK(before(st2.st_mtim, st.st_mtim));
}

/* What a tmpfs and the other file systems tell statfs; /proc/mounts and filesystems. */
void test_tmpfs_statfs_mounts(void)
{
    struct statfs sf;
    CHECK(statfs("/dev/shm", &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, TMPFS_MAGIC);
    CHECK_EQ(sf.f_bsize, 4096);
    CHECK(sf.f_blocks > 0 && sf.f_bfree <= sf.f_blocks && sf.f_ffree <= sf.f_files);
    CHECK(statfs("/proc", &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, PROC_SUPER_MAGIC);
    CHECK_ERRNO(statfs("/nonexistent", &sf), ENOENT);
    CHECK_ERRNO(syscall(SYS_statfs64, "/proc", 10, &sf), EINVAL);
    CHECK_ERRNO(fstatfs(999, &sf), EBADF);
    int fd = open("/proc/self/maps", O_RDONLY);
    CHECK(fstatfs(fd, &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, PROC_SUPER_MAGIC);
    close(fd);

    static char text[4096];
    fd = open("/proc/self/mounts", O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, text, sizeof text - 1);
    CHECK(n > 0);
    text[n] = 0;
    close(fd);
    CHECK(strstr(text, " /dev/shm tmpfs rw") != NULL);
    CHECK(strstr(text, "proc /proc proc rw") != NULL);
    fd = open("/proc/filesystems", O_RDONLY);
    CHECK(fd >= 0);
    n = read(fd, text, sizeof text - 1);
    CHECK(n > 0);
    text[n] = 0;
    close(fd);
    CHECK(strstr(text, "nodev\ttmpfs\n") != NULL);
    CHECK(strstr(text, "nodev\tproc\n") != NULL);
    if (on_linux)
        return;
    /* Ferrite's own: the root is the initrd (ramfs, read-only), /dev is tmpfs as Linux's. */
    CHECK(statfs("/", &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, RAMFS_MAGIC);
    CHECK(statfs("/dev", &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, TMPFS_MAGIC);
    CHECK(statfs("/tmp", &sf) == 0);
    CHECK_EQ((unsigned)sf.f_type, TMPFS_MAGIC);
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    CHECK_EQ(sf.f_blocks, (unsigned long long)si.totalram * si.mem_unit / 4096 / 2);
    CHECK_EQ(sf.f_files, sf.f_blocks);
    fd = open("/proc/mounts", O_RDONLY);
    n = read(fd, text, sizeof text - 1);
    text[n > 0 ? n : 0] = 0;
    close(fd);
    char want[128];
    snprintf(want, sizeof want, "tmpfs /tmp tmpfs rw,nosuid,nodev,size=%lluk 0 0\n",
             (unsigned long long)sf.f_blocks * 4);
    if (!strstr(text, want))
        fail("/proc/mounts lacks \"%s\": %s", want, text);
    CHECK(strstr(text, "rootfs / rootfs ro 0 0\n") == text);
    CHECK(strstr(text, "devtmpfs /dev devtmpfs ") != NULL);
    CHECK(strstr(text, "tmpfs /dev/shm tmpfs rw,nosuid,nodev,size=") != NULL);
    snprintf(want, sizeof want, "/proc/%d/mounts", getpid());
    CHECK(access(want, R_OK) == 0);
}

/* Read-only file systems refuse every change with EROFS (Ferrite: the initrd, /proc, /dev). */
void test_tmpfs_readonly_elsewhere(void)
{
    if (on_linux)
        skip("the initrd, /proc and /dev are read-only on Ferrite only");
    CHECK_ERRNO(mkdir("/newdir", 0755), EROFS);
    CHECK_ERRNO(mkdir("/tests", 0755), EEXIST);        /* existing comes first */
    CHECK_ERRNO(unlink("/tests/run"), EROFS);
    CHECK_ERRNO(unlink("/tests/nothing"), EROFS);      /* as Linux: before the lookup */
    CHECK_ERRNO(rmdir("/tests"), EROFS);
    CHECK_ERRNO(rename("/tests/hello", "/tests/hi"), EROFS);
    CHECK_ERRNO(link("/tests/hello", "/tests/hi"), EROFS);
    CHECK_ERRNO(symlink("x", "/tests/hi"), EROFS);
    CHECK_ERRNO(chmod("/tests/hello", 0700), EROFS);
    CHECK_ERRNO(truncate("/tests/hello", 0), EROFS);
    CHECK_ERRNO(open("/tests/new", O_WRONLY | O_CREAT, 0644), EROFS);
    CHECK_ERRNO(access("/tests/run", W_OK), EROFS);
    CHECK_ERRNO(access("/tests", W_OK), EROFS);
    CHECK(access("/dev/null", W_OK) == 0);             /* devices may be written */
    CHECK(access("/tmp", W_OK | X_OK) == 0);
    CHECK_ERRNO(mkdir("/proc/x", 0755), EROFS);
    CHECK_ERRNO(mkdir("/dev/x", 0755), EROFS);
    CHECK_ERRNO(unlink("/dev/null"), EROFS);
    CHECK_ERRNO(chmod("/dev/null", 0600), EROFS);
    CHECK_ERRNO(rmdir("/tmp"), EROFS);                 /* its parent, the root, is read-only */
    CHECK_ERRNO(rmdir("/dev/shm"), EROFS);
    /* Between file systems. */
    CHECK_ERRNO(rename("/tests/hello", "/tmp/hello"), EXDEV);
    CHECK_ERRNO(link("/tests/hello", "/tmp/hello"), EXDEV);
    /* The mounts' roots: sticky and writable by all, whatever the initrd holds. */
    struct stat st;
    CHECK(stat("/tmp", &st) == 0);
    CHECK_EQ(st.st_mode, S_IFDIR | 01777);
    CHECK(stat("/dev/shm", &st) == 0);
    CHECK_EQ(st.st_mode, S_IFDIR | 01777);
    CHECK_EQ(st.st_ino, 1);
    struct stat tmp;
    CHECK(stat("/tmp", &tmp) == 0);
    CHECK(tmp.st_dev != st.st_dev);
}

/* Fills /dev/shm until ENOSPC: the limit is half of RAM, and statfs counts what is used. */
TMPFS_TEST(tmpfs_enospc, "/dev/shm")
{
    if (on_linux)
        skip("filling the host's /dev/shm (half its RAM) is not done");
    struct statfs sf, full;
    CHECK(statfs("/dev/shm", &sf) == 0);
    const char* path = at("fill");
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
    CHECK(fd >= 0);
    static char chunk[64 * 1024];
    memset(chunk, 0x5a, sizeof chunk);
    unsigned long long written = 0;
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) {
            CHECK_EQ(errno, ENOSPC);
            break;
        }
        written += (unsigned long long)n;
        if ((size_t)n < sizeof chunk) {
            CHECK_ERRNO(write(fd, chunk, sizeof chunk), ENOSPC);
            break;
        }
    }
    CHECK(statfs("/dev/shm", &full) == 0);
    CHECK_EQ(full.f_bfree, 0);
    CHECK_EQ(written / 4096, sf.f_bfree);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_blocks, (long long)(written / 512));
    /* Writing over what is there still works when full; more does not. */
    CHECK_EQ(pwrite(fd, "x", 1, 0), 1);
    CHECK_ERRNO(pwrite(fd, "x", 1, (off_t)written + 4096 * 4), ENOSPC);
    int other = open(path, O_RDONLY);
    CHECK(other >= 0);
    CHECK(ftruncate(fd, (off_t)written / 2) == 0);
    CHECK(statfs("/dev/shm", &full) == 0);
    CHECK_EQ(full.f_bfree, sf.f_bfree - (written / 2 + 4095) / 4096);
    close(other);
    close(fd);
    CHECK(unlink(path) == 0);
    CHECK(statfs("/dev/shm", &full) == 0);
    CHECK_EQ(full.f_bfree, sf.f_bfree);
    CHECK_EQ(full.f_ffree, sf.f_ffree);
}

TMPFS_TEST(tmpfs_chroot_fchdir, DEFAULT_PLACE)
{
    CHECK(mkdir(at("jail"), 0755) == 0);
    CHECK(mkdir(at("jail/inner"), 0755) == 0);
    put_file(at("jail/inner/f"), "jailed");
    CHECK(symlink("/inner", at("jail/abs")) == 0);
    int dfd = open(at("jail/inner"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK(fchdir(dfd) == 0);
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(strcmp(cwd, at("jail/inner")) == 0);
    check_file("f", "jailed");
    int ffd = open("f", O_RDONLY);
    CHECK_ERRNO(fchdir(ffd), ENOTDIR);
    CHECK_ERRNO(fchdir(999), EBADF);
    close(ffd);
    CHECK_ERRNO(chroot(at("jail/inner/f")), ENOTDIR);
    CHECK_ERRNO(chroot(at("nothing")), ENOENT);
    pid_t pid = fork();
    if (pid == 0) {
        if (chroot(at("jail")) != 0 || chdir("/") != 0)
            _exit(1);
        struct stat st;
        /* ".." at the new root stays there; absolute symlinks start there. */
        if (stat("/../../inner/f", &st) != 0 || !S_ISREG(st.st_mode))
            _exit(2);
        if (stat("/abs/f", &st) != 0)
            _exit(3);
        if (stat("/tests", &st) == 0)
            _exit(4);
        int sub = fork();       /* the root is inherited */
        if (sub == 0)
            _exit(stat("/inner/f", &st) == 0 ? 0 : 1);
        int status;
        if (waitpid(sub, &status, 0) != sub || !WIFEXITED(status) || WEXITSTATUS(status))
            _exit(5);
        _exit(0);
    }
    int status = wait_for(pid);
    CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
    close(dfd);
    CHECK(chdir("/") == 0);
}

/* A tmpfs file mapped shared is the file; mapped private, a copy; a program in it runs. */
TMPFS_TEST(tmpfs_mappings, DEFAULT_PLACE)
{
    const char* f = at("mapped");
    int fd = open(f, O_RDWR | O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK(ftruncate(fd, 8192) == 0);
    char* shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(shared != MAP_FAILED);
    shared[4096] = 'X';
    char c = 0;
    CHECK_EQ(pread(fd, &c, 1, 4096), 1);
    CHECK_EQ(c, 'X');
    CHECK_EQ(pwrite(fd, "Y", 1, 1), 1);
    CHECK_EQ(shared[1], 'Y');
    char* private = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    CHECK(private != MAP_FAILED);
    CHECK_EQ(private[4096], 'X');
    private[4096] = 'P';
    CHECK_EQ(pread(fd, &c, 1, 4096), 1);
    CHECK_EQ(c, 'X');
    /* Unlinked while mapped and open: the mapping still reaches the data. */
    CHECK(unlink(f) == 0);
    CHECK(close(fd) == 0);
    shared[0] = 'Z';
    CHECK_EQ(shared[4096], 'X');
    CHECK(munmap(shared, 8192) == 0 && munmap(private, 8192) == 0);

    /* A copy of /tests/hello in tmpfs runs. */
    int in = open(root_path("/tests/hello"), O_RDONLY);
    CHECK(in >= 0);
    const char* prog = at("hello");
    int out = open(prog, O_WRONLY | O_CREAT | O_EXCL, 0755);
    CHECK(out >= 0);
    static char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write_all(out, buf, (size_t)n);
    close(in);
    close(out);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        char* argv[] = { "hello", "7", NULL };
        char* envp[] = { NULL };
        execve(prog, argv, envp);
        _exit(99);
    }
    int status = wait_for(pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 7);
}

/* The inode limit: as many nodes as statfs says are free, then ENOSPC; all come back. */
TMPFS_TEST(tmpfs_inode_limit, "/dev/shm")
{
    if (on_linux)
        skip("making the host's /dev/shm run out of inodes is not done");
    struct statfs sf, now;
    CHECK(statfs("/dev/shm", &sf) == 0);
    char name[32];
    unsigned long made = 0;
    for (;;) {
        snprintf(name, sizeof name, "i%lu", made);
        int fd = open(at(name), O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            CHECK_EQ(errno, ENOSPC);
            break;
        }
        close(fd);
        made++;
        CHECK(made <= sf.f_ffree);
    }
    CHECK_EQ(made, sf.f_ffree);
    CHECK(statfs("/dev/shm", &now) == 0);
    CHECK_EQ(now.f_ffree, 0);
    CHECK_ERRNO(mkdir(at("d"), 0755), ENOSPC);
    CHECK_ERRNO(symlink("x", at("s")), ENOSPC);
    CHECK(link(at("i0"), at("another name")) == 0);    /* a name is not a node */
    CHECK(unlink(at("another name")) == 0);
    for (unsigned long i = 0; i < made; i++) {
        snprintf(name, sizeof name, "i%lu", i);
        CHECK(unlink(at(name)) == 0);
    }
    CHECK(statfs("/dev/shm", &now) == 0);
    CHECK_EQ(now.f_ffree, sf.f_ffree);
}
