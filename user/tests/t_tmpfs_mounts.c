/*
 * tmpfs as file systems: what statfs and /proc/mounts say, EROFS on the read-only ones,
 * the size and inode limits (ENOSPC), chroot and fchdir, mappings of tmpfs files and
 * programs run from them.
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
#include <sys/sendfile.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
    const char* path = tmpfs_path("fill");
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
    CHECK(mkdir(tmpfs_path("jail"), 0755) == 0);
    CHECK(mkdir(tmpfs_path("jail/inner"), 0755) == 0);
    tmpfs_put_file(tmpfs_path("jail/inner/f"), "jailed");
    CHECK(symlink("/inner", tmpfs_path("jail/abs")) == 0);
    int dfd = open(tmpfs_path("jail/inner"), O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    CHECK(fchdir(dfd) == 0);
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(strcmp(cwd, tmpfs_path("jail/inner")) == 0);
    tmpfs_check_file("f", "jailed");
    int ffd = open("f", O_RDONLY);
    CHECK_ERRNO(fchdir(ffd), ENOTDIR);
    CHECK_ERRNO(fchdir(999), EBADF);
    close(ffd);
    CHECK_ERRNO(chroot(tmpfs_path("jail/inner/f")), ENOTDIR);
    CHECK_ERRNO(chroot(tmpfs_path("nothing")), ENOENT);
    pid_t pid = fork();
    if (pid == 0) {
        if (chroot(tmpfs_path("jail")) != 0 || chdir("/") != 0)
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
    const char* f = tmpfs_path("mapped");
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

    /* sendfile between two tmpfs files: the kernel's own reads and writes of them. */
    tmpfs_put_file(tmpfs_path("from"), "sent through the kernel");
    int from = open(tmpfs_path("from"), O_RDONLY);
    int to = open(tmpfs_path("to"), O_WRONLY | O_CREAT, 0644);
    CHECK(from >= 0 && to >= 0);
    off_t start = 5;
    CHECK_EQ(sendfile(to, from, &start, 100), 18);
    CHECK_EQ(start, 23);
    close(from);
    close(to);
    tmpfs_check_file(tmpfs_path("to"), "through the kernel");

    /* A copy of /tests/hello in tmpfs runs. */
    int in = open(root_path("/tests/hello"), O_RDONLY);
    CHECK(in >= 0);
    const char* prog = tmpfs_path("hello");
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
        int fd = open(tmpfs_path(name), O_WRONLY | O_CREAT | O_EXCL, 0600);
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
    CHECK_ERRNO(mkdir(tmpfs_path("d"), 0755), ENOSPC);
    CHECK_ERRNO(symlink("x", tmpfs_path("s")), ENOSPC);
    CHECK(link(tmpfs_path("i0"), tmpfs_path("another name")) == 0);    /* a name is not a node */
    CHECK(unlink(tmpfs_path("another name")) == 0);
    for (unsigned long i = 0; i < made; i++) {
        snprintf(name, sizeof name, "i%lu", i);
        CHECK(unlink(tmpfs_path(name)) == 0);
    }
    CHECK(statfs("/dev/shm", &now) == 0);
    CHECK_EQ(now.f_ffree, sf.f_ffree);
}
