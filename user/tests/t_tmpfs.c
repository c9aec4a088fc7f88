/*
 * tmpfs at /tmp and /dev/shm, and the calls that change names and files: each call and
 * Linux's errors, holes, umask, times, links, renames, unlinked open files, big
 * directories. t_tmpfs_mounts.c has the file systems' side: statfs, /proc/mounts, the
 * limits, EROFS elsewhere, chroot, mappings.
 *
 * The runner counts free RAM before and after each test, so a page left in tmpfs would
 * be a leak: every body runs in a directory that goes afterwards (t_tmpfs.h).
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

TMPFS_TEST(tmpfs_files, DEFAULT_PLACE)
{
    umask(022);
    const char* f = tmpfs_path("file");
    int fd = open(f, O_RDWR | O_CREAT | O_EXCL, 0666);
    CHECK(fd >= 0);
    CHECK_ERRNO(open(f, O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);

    /* umask is applied to the creation mode, and umask() returns the old one. */
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_mode, S_IFREG | (0666 & ~022));
    CHECK_EQ(umask(077), 022);
    int g = open(tmpfs_path("private"), O_WRONLY | O_CREAT, 0666);
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
    CHECK_ERRNO(truncate(tmpfs_base, 0), EISDIR);
    CHECK_ERRNO(truncate(tmpfs_path("missing"), 0), ENOENT);
    fd = open(f, O_RDONLY);
    CHECK_ERRNO(ftruncate(fd, 0), EINVAL);        /* not open for writing */
    close(fd);

    /* O_APPEND writes at the end whatever the offset; O_TRUNC empties. */
    tmpfs_put_file(f, "abc");
    fd = open(f, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    write_all(fd, "def", 3);
    close(fd);
    tmpfs_check_file(f, "abcdef");
    fd = open(f, O_RDWR | O_TRUNC);
    CHECK(fd >= 0);
    CHECK(fstat(fd, &st) == 0);
    CHECK_EQ(st.st_size, 0);
    close(fd);

    /* Errors of open and of names. */
    CHECK_ERRNO(open(tmpfs_path("missing/x"), O_RDWR | O_CREAT, 0644), ENOENT);
    CHECK_ERRNO(open(tmpfs_path("file/x"), O_RDWR | O_CREAT, 0644), ENOTDIR);
    CHECK_ERRNO(open(tmpfs_base, O_RDWR), EISDIR);
    CHECK_ERRNO(open(tmpfs_path("new/"), O_RDWR | O_CREAT, 0644), EISDIR);
    char longname[300];
    memset(longname, 'n', 256);
    longname[256] = 0;
    CHECK_ERRNO(open(tmpfs_path(longname), O_RDWR | O_CREAT, 0644), ENAMETOOLONG);
    longname[255] = 0;
    fd = open(tmpfs_path(longname), O_RDWR | O_CREAT, 0644);  /* 255 bytes: the longest name */
    CHECK(fd >= 0);
    close(fd);
}

TMPFS_TEST(tmpfs_directories, DEFAULT_PLACE)
{
    struct stat st;
    CHECK(mkdir(tmpfs_path("d"), 0777) == 0);
    CHECK(stat(tmpfs_path("d"), &st) == 0);
    CHECK_EQ(st.st_mode, S_IFDIR | 0755);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_ERRNO(mkdir(tmpfs_path("d"), 0755), EEXIST);
    CHECK_ERRNO(mkdir(tmpfs_path("d/x/y"), 0755), ENOENT);
    CHECK(mkdir(tmpfs_path("d/sub/"), 0755) == 0);      /* a trailing slash is fine for mkdir */
    CHECK(stat(tmpfs_path("d"), &st) == 0);
    CHECK_EQ(st.st_nlink, 3);
    tmpfs_put_file(tmpfs_path("d/f"), "x");
    CHECK_ERRNO(mkdir(tmpfs_path("d/f/x"), 0755), ENOTDIR);
    CHECK_ERRNO(rmdir(tmpfs_path("d")), ENOTEMPTY);
    CHECK_ERRNO(rmdir(tmpfs_path("d/f")), ENOTDIR);
    CHECK_ERRNO(unlink(tmpfs_path("d/sub")), EISDIR);
    CHECK_ERRNO(unlink(tmpfs_path("d/f/")), ENOTDIR);
    CHECK_ERRNO(rmdir(tmpfs_path("d/.")), EINVAL);
    CHECK_ERRNO(rmdir(tmpfs_path("d/sub/..")), ENOTEMPTY);
    CHECK_ERRNO(unlink(tmpfs_path("d/.")), EISDIR);
    CHECK_ERRNO(mkdir(tmpfs_path("d/.."), 0755), EEXIST);
    CHECK_ERRNO(rename(tmpfs_path("d/sub"), tmpfs_path("d/sub/..")), EBUSY);
    CHECK_ERRNO(rmdir(tmpfs_path("d/nothing")), ENOENT);
    CHECK_ERRNO(unlink(tmpfs_path("d/nothing")), ENOENT);

    /* The *at forms, relative to a directory descriptor. */
    int dfd = open(tmpfs_path("d"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK(mkdirat(dfd, "viafd", 0700) == 0);
    CHECK(stat(tmpfs_path("d/viafd"), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_ERRNO(unlinkat(dfd, "viafd", 0), EISDIR);
    CHECK(unlinkat(dfd, "viafd", AT_REMOVEDIR) == 0);
    CHECK_ERRNO(unlinkat(dfd, "f", AT_REMOVEDIR), ENOTDIR);
    CHECK(unlinkat(dfd, "f", 0) == 0);
    CHECK_ERRNO(unlinkat(dfd, "sub", 0x4000), EINVAL);
    int ffd = open(tmpfs_path("plain"), O_RDWR | O_CREAT, 0644);
    CHECK(ffd >= 0);
    CHECK_ERRNO(mkdirat(ffd, "x", 0755), ENOTDIR);
    CHECK_ERRNO(mkdirat(999, "x", 0755), EBADF);
    close(ffd);
    CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR) == 0);
    CHECK(rmdir(tmpfs_path("d")) == 0);
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
        tmpfs_put_file(tmpfs_path(name), "");
    }
    static char seen[MANY + GONE], removed[MANY];
    int fd = open(tmpfs_base, O_RDONLY | O_DIRECTORY);
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
                CHECK(unlink(tmpfs_path(name)) == 0);
                removed[i] = 1;
                gone++;
            }
            for (int i = MANY; i < MANY + GONE; i++) {
                snprintf(name, sizeof name, "e%d", i);
                tmpfs_put_file(tmpfs_path(name), "");
            }
        }
    }
    CHECK_EQ(n, 0);
    close(fd);
    for (int i = 0; i < MANY; i++)
        if (!removed[i] && !seen[i])
            fail("e%d was not listed", i);
    struct stat st;
    CHECK(stat(tmpfs_base, &st) == 0);
    if (!on_linux)
        CHECK_EQ(st.st_size, (2 + MANY) * 20);         /* Linux's 20 bytes a name */
}

TMPFS_TEST(tmpfs_links, DEFAULT_PLACE)
{
    struct stat st;
    tmpfs_put_file(tmpfs_path("f"), "data");
    CHECK(link(tmpfs_path("f"), tmpfs_path("g")) == 0);
    CHECK(stat(tmpfs_path("f"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    ino_t ino = st.st_ino;
    CHECK(stat(tmpfs_path("g"), &st) == 0);
    CHECK_EQ(st.st_ino, ino);
    CHECK_ERRNO(link(tmpfs_path("f"), tmpfs_path("g")), EEXIST);
    CHECK_ERRNO(link(tmpfs_path("missing"), tmpfs_path("h")), ENOENT);
    CHECK(mkdir(tmpfs_path("d"), 0755) == 0);
    CHECK_ERRNO(link(tmpfs_path("d"), tmpfs_path("d2")), EPERM);
    CHECK(unlink(tmpfs_path("f")) == 0);
    CHECK(stat(tmpfs_path("g"), &st) == 0);
    CHECK_EQ(st.st_nlink, 1);
    tmpfs_check_file(tmpfs_path("g"), "data");

    /* Symlinks: the target as written; followed by open, not by lstat or readlink. */
    CHECK(symlink("g", tmpfs_path("s")) == 0);
    CHECK(lstat(tmpfs_path("s"), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_size, 1);
    char buf[64];
    CHECK_EQ(readlink(tmpfs_path("s"), buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'g');
    tmpfs_check_file(tmpfs_path("s"), "data");
    CHECK_ERRNO(symlink("x", tmpfs_path("s")), EEXIST);
    CHECK_ERRNO(symlink("", tmpfs_path("empty")), ENOENT);
    CHECK_ERRNO(readlink(tmpfs_path("g"), buf, sizeof buf), EINVAL);
    /* link() names the symlink itself; linkat with AT_SYMLINK_FOLLOW its target. */
    CHECK(link(tmpfs_path("s"), tmpfs_path("s2")) == 0);
    CHECK(lstat(tmpfs_path("s2"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(linkat(AT_FDCWD, tmpfs_path("s"), AT_FDCWD, tmpfs_path("g2"), AT_SYMLINK_FOLLOW) == 0);
    CHECK(lstat(tmpfs_path("g2"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK_EQ(st.st_nlink, 2);
    /* Loops end in ELOOP; O_CREAT through a dangling link makes its target. */
    CHECK(symlink("loop2", tmpfs_path("loop1")) == 0);
    CHECK(symlink("loop1", tmpfs_path("loop2")) == 0);
    CHECK_ERRNO(open(tmpfs_path("loop1"), O_RDONLY), ELOOP);
    CHECK(symlink("made", tmpfs_path("dangling")) == 0);
    int fd = open(tmpfs_path("dangling"), O_WRONLY | O_CREAT, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(stat(tmpfs_path("made"), &st) == 0 && S_ISREG(st.st_mode));
    CHECK_ERRNO(open(tmpfs_path("s"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    int dfd = open(tmpfs_path("d"), O_RDONLY | O_DIRECTORY);
    CHECK(symlinkat("../g", dfd, "up") == 0);
    tmpfs_check_file(tmpfs_path("d/up"), "data");
    close(dfd);

    /* Across file systems: EXDEV (where /tmp and /dev/shm are two). */
    struct stat a, b;
    if (stat("/tmp", &a) == 0 && stat("/dev/shm", &b) == 0 && a.st_dev != b.st_dev) {
        char other[64];
        snprintf(other, sizeof other, "%s/tmpfs-x.%d", on_linux ? "/tmp" : "/dev/shm", getpid());
        CHECK_ERRNO(link(tmpfs_path("g"), other), EXDEV);
        CHECK_ERRNO(rename(tmpfs_path("g"), other), EXDEV);
    }
}

TMPFS_TEST(tmpfs_rename, DEFAULT_PLACE)
{
    struct stat st;
    tmpfs_put_file(tmpfs_path("a"), "aaa");
    tmpfs_put_file(tmpfs_path("b"), "bbbbbb");
    int open_b = open(tmpfs_path("b"), O_RDONLY);
    CHECK(rename(tmpfs_path("a"), tmpfs_path("b")) == 0);       /* over an existing file */
    CHECK_ERRNO(stat(tmpfs_path("a"), &st), ENOENT);
    tmpfs_check_file(tmpfs_path("b"), "aaa");
    char buf[16];
    CHECK_EQ(read(open_b, buf, sizeof buf), 6);  /* the replaced file lives on while open */
    CHECK(memcmp(buf, "bbbbbb", 6) == 0);
    close(open_b);
    CHECK(link(tmpfs_path("b"), tmpfs_path("c")) == 0);
    CHECK(rename(tmpfs_path("b"), tmpfs_path("c")) == 0);       /* two names of one file: nothing happens */
    CHECK(stat(tmpfs_path("b"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    CHECK(unlink(tmpfs_path("c")) == 0);

    CHECK(mkdir(tmpfs_path("d"), 0755) == 0);
    CHECK(mkdir(tmpfs_path("d/e"), 0755) == 0);
    CHECK(mkdir(tmpfs_path("empty"), 0755) == 0);
    CHECK(mkdir(tmpfs_path("full"), 0755) == 0);
    tmpfs_put_file(tmpfs_path("full/x"), "");
    CHECK_ERRNO(rename(tmpfs_path("d"), tmpfs_path("d/e/f")), EINVAL);      /* into itself */
    CHECK(rename(tmpfs_path("d"), tmpfs_path("d")) == 0);                   /* the same name: nothing */
    CHECK_ERRNO(rename(tmpfs_path("d"), tmpfs_path("full")), ENOTEMPTY);
    CHECK_ERRNO(rename(tmpfs_path("d/e"), tmpfs_path("d")), ENOTEMPTY);     /* over its own parent */
    tmpfs_put_file(tmpfs_path("f"), "f");
    CHECK_ERRNO(rename(tmpfs_path("d"), tmpfs_path("f")), ENOTDIR);
    CHECK_ERRNO(rename(tmpfs_path("f"), tmpfs_path("d")), EISDIR);
    CHECK_ERRNO(rename(tmpfs_path("f"), tmpfs_path("g/")), ENOTDIR);
    CHECK_ERRNO(rename(tmpfs_path("missing"), tmpfs_path("g")), ENOENT);
    /* A directory over an empty one, and into another directory: ".." follows. */
    CHECK(rename(tmpfs_path("d"), tmpfs_path("empty")) == 0);
    CHECK(rename(tmpfs_path("empty/e"), tmpfs_path("full/e")) == 0);
    struct stat up, full;
    CHECK(stat(tmpfs_path("full/e/.."), &up) == 0);
    CHECK(stat(tmpfs_path("full"), &full) == 0);
    CHECK_EQ(up.st_ino, full.st_ino);
    CHECK_EQ(full.st_nlink, 3);
    CHECK(stat(tmpfs_path("empty"), &st) == 0);
    CHECK_EQ(st.st_nlink, 2);
    /* renameat2: RENAME_NOREPLACE refuses to replace; unknown flags are EINVAL. */
    tmpfs_put_file(tmpfs_path("g"), "g");
    CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, tmpfs_path("f"), AT_FDCWD, tmpfs_path("g"), 1), EEXIST);
    CHECK(syscall(SYS_renameat2, AT_FDCWD, tmpfs_path("f"), AT_FDCWD, tmpfs_path("h"), 0) == 0);
    CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, tmpfs_path("h"), AT_FDCWD, tmpfs_path("i"), 8), EINVAL);
    int dfd = open(tmpfs_base, O_RDONLY | O_DIRECTORY);
    CHECK(renameat(dfd, "h", dfd, "i") == 0);
    close(dfd);
    tmpfs_check_file(tmpfs_path("i"), "f");
}

/* An unlinked file that is still open keeps its data until the last close. */
TMPFS_TEST(tmpfs_unlinked_open, DEFAULT_PLACE)
{
    const char* f = tmpfs_path("gone");
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
    tmpfs_put_file(f, "new");
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
    const char* f = tmpfs_path("f");
    tmpfs_put_file(f, "x");
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
    CHECK_ERRNO(chmod(tmpfs_path("missing"), 0644), ENOENT);
    /* access: root may write anything writable; executing needs an x bit. */
    CHECK(access(f, R_OK | W_OK) == 0);
    CHECK_ERRNO(access(f, X_OK), EACCES);
    CHECK(faccessat(AT_FDCWD, f, W_OK, 0) == 0);
    int dirfd = open(tmpfs_base, O_RDONLY | O_DIRECTORY);
    CHECK(faccessat(dirfd, "f", W_OK, 0) == 0);
    CHECK(symlink("f", tmpfs_path("viadir")) == 0);
    char target[8];
    CHECK_EQ(readlinkat(dirfd, "viadir", target, sizeof target), 1);
    CHECK_EQ(target[0], 'f');
    CHECK(unlink(tmpfs_path("viadir")) == 0);
    close(dirfd);
    /* chown as root: to anyone; -1 keeps a value. */
    CHECK(chown(f, 1234, 5678) == 0);
    CHECK(fchown(fd, -1, 42) == 0);
    CHECK(stat(f, &st) == 0);
    CHECK_EQ(st.st_uid, 1234);
    CHECK_EQ(st.st_gid, 42);
    CHECK(symlink("f", tmpfs_path("s")) == 0);
    CHECK(lchown(tmpfs_path("s"), 7, 7) == 0);
    CHECK(lstat(tmpfs_path("s"), &st) == 0);
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
    CHECK_ERRNO(utimensat(AT_FDCWD, tmpfs_path("missing"), NULL, 0), ENOENT);
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
    CHECK(stat(tmpfs_base, &st) == 0);
    pause_a_tick();
    tmpfs_put_file(tmpfs_path("new"), "");
    CHECK(stat(tmpfs_base, &st2) == 0);
    CHECK(before(st.st_mtim, st2.st_mtim) && before(st.st_ctim, st2.st_ctim));
    pause_a_tick();
    CHECK(unlink(tmpfs_path("new")) == 0);
    CHECK(stat(tmpfs_base, &st) == 0);
    CHECK(before(st2.st_mtim, st.st_mtim));
}
