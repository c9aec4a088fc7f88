/*
 * Every system call that takes a pointer refuses bad ones with EFAULT: two kernel
 * addresses, NULL (where NULL is not itself meaningful), and a range that starts in
 * user space and runs past 3 GB. The calls are made with raw syscall() so that glibc
 * neither checks nor rewrites them. All failures are reported, then the test fails.
 *
 * For a buffer with a length the straddling range is [0xBFFFFFF0, +64); for a fixed-size
 * structure it starts as many bytes below 3 GB as half its size, at most 16. Calls that
 * copy out only what they produce (getcwd, readlink) get a start close enough to 3 GB
 * that what they produce crosses it.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KERNEL_BASE 0xC0000000u

enum bad_kind { KERNEL, KERNEL_1M, NULL_PTR, STRADDLE, NKINDS };
static const char* const kind_names[] = { "0xC0000000", "0xC0100000", "NULL", "across 3 GB" };

static int failures;

/* A bad pointer of that kind for an object of `size` bytes. */
static void* bad(enum bad_kind kind, size_t size)
{
    switch (kind) {
    case KERNEL: return (void*)KERNEL_BASE;
    case KERNEL_1M: return (void*)(KERNEL_BASE + 0x100000);
    case NULL_PTR: return NULL;
    default: return (void*)(uintptr_t)(KERNEL_BASE - (size >= 32 ? 16 : size / 2));
    }
}

/* A bad path: as bad(), except that a string across 3 GB needs no NUL before it. */
static const char* bad_path(enum bad_kind kind)
{
    return kind == STRADDLE ? (const char*)(uintptr_t)(KERNEL_BASE - 16) : bad(kind, 0);
}

static void expect_efault(const char* call, enum bad_kind kind, long ret, int err)
{
    if (ret == -1 && err == EFAULT)
        return;
    diag("%s with %s: returned %ld, errno %d (%s); want EFAULT", call, kind_names[kind], ret,
         ret == -1 ? err : 0, ret == -1 ? strerror(err) : "none");
    failures++;
}

#define EXPECT_EFAULT(kind, call)                                                     \
    do {                                                                              \
        errno = 0;                                                                    \
        long efault_r_ = (long)(call);                                                \
        expect_efault(#call, kind, efault_r_, errno);                                 \
    } while (0)

/*
 * If the 16 bytes below 3 GB are this process's memory (the top of Ferrite's stack),
 * fill them with non-NUL bytes: a path there then runs on into the kernel, and only
 * the 3 GB limit can stop it. Elsewhere they are unmapped and fault anyway.
 */
static sigjmp_buf probe_env;

static void on_probe_fault(int sig)
{
    (void)sig;
    siglongjmp(probe_env, 1);
}

static void prepare_straddling_string(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_probe_fault;
    sigaction(SIGSEGV, &sa, &old);
    if (sigsetjmp(probe_env, 1) == 0)
        memset((void*)(uintptr_t)(KERNEL_BASE - 16), 'a', 16);
    sigaction(SIGSEGV, &old, NULL);
}

/* execve in a child: returns the errno it failed with, or 0 if the program ran. */
static int exec_errno(const char* path, char* const* argv, char* const* envp)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(1);   /* should the program run after all, it stays quiet */
        syscall(SYS_execve, path, argv, envp);
        _exit(errno & 0xff);
    }
    int status = wait_for(pid);
    if (!WIFEXITED(status)) {
        diag("execve child %s", describe_status(status));
        return 0;
    }
    return WEXITSTATUS(status);
}

#define EXPECT_EXEC_EFAULT(kind, path, argv, envp)                                    \
    do {                                                                              \
        int exec_e_ = exec_errno(path, argv, envp);                                   \
        expect_efault("execve(" #path ", " #argv ", " #envp ")", kind, exec_e_ ? -1 : 0, \
                      exec_e_);                                                       \
    } while (0)

/* The lowest free fd: a call that fails must not leave one behind. */
static int lowest_free_fd(void)
{
    int fd = dup(0);
    CHECK(fd >= 0);
    close(fd);
    return fd;
}

void test_efault(void)
{
    CHECK(chdir("/") == 0);     /* getcwd must fit its 64 bytes */
    prepare_straddling_string();

    const char* motd = root_path("/etc/motd");
    const char* etc = root_path("/etc");
    const char* hello = root_path("/tests/hello");
    int file = open(motd, O_RDONLY);
    CHECK(file >= 0);
    int pipefd[2];
    CHECK(pipe(pipefd) == 0);
    int first_free = lowest_free_fd();

    for (int k = 0; k < NKINDS; k++) {
        enum bad_kind kind = k;
        const char* path = bad_path(kind);
        struct stat64 st;
        char buf[64];

        /* Buffers with a length. */
        CHECK(lseek(file, 0, SEEK_SET) == 0);
        EXPECT_EFAULT(kind, syscall(SYS_read, file, bad(kind, 64), 64));
        EXPECT_EFAULT(kind, syscall(SYS_write, pipefd[1], bad(kind, 64), 64));
        int dir = open(etc, O_RDONLY | O_DIRECTORY);
        CHECK(dir >= 0);
        EXPECT_EFAULT(kind, syscall(SYS_getdents64, dir, bad(kind, 64), 64));
        close(dir);
        /* getcwd copies only the path, "/" and its NUL: start 1 byte below 3 GB. */
        EXPECT_EFAULT(kind, syscall(SYS_getcwd, bad(kind, 2), 64));

        /* Paths. */
        EXPECT_EFAULT(kind, syscall(SYS_open, path, O_RDONLY));
        EXPECT_EFAULT(kind, syscall(SYS_openat, AT_FDCWD, path, O_RDONLY));
        EXPECT_EFAULT(kind, syscall(SYS_stat64, path, &st));
        EXPECT_EFAULT(kind, syscall(SYS_readlink, path, buf, sizeof buf));
        char* no_env[] = { NULL };
        char* hello_argv[] = { "hello", NULL };
        EXPECT_EXEC_EFAULT(kind, path, hello_argv, no_env);

        /* Structures the kernel fills. */
        EXPECT_EFAULT(kind, syscall(SYS_stat64, "/", bad(kind, 96)));
        EXPECT_EFAULT(kind, syscall(SYS_fstat64, file, bad(kind, 96)));
        EXPECT_EFAULT(kind, syscall(SYS_uname, bad(kind, 390)));
        EXPECT_EFAULT(kind, syscall(SYS_sysinfo, bad(kind, 64)));
        EXPECT_EFAULT(kind, syscall(SYS_getrusage, RUSAGE_SELF, bad(kind, 72)));
        EXPECT_EFAULT(kind, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, bad(kind, 8)));
        EXPECT_EFAULT(kind, syscall(SYS_pipe, bad(kind, 8)));
        EXPECT_EFAULT(kind, syscall(SYS__llseek, file, 0, 0, bad(kind, 8), SEEK_SET));

        /* Structures the kernel reads. */
        EXPECT_EFAULT(kind, syscall(SYS_nanosleep, bad(kind, 8), NULL));
        EXPECT_EFAULT(kind, syscall(SYS_set_thread_area, bad(kind, 16)));
        EXPECT_EFAULT(kind, syscall(SYS_writev, pipefd[1], bad(kind, 8), 1));
        struct iovec iov = { bad(kind, 64), 64 };
        EXPECT_EFAULT(kind, syscall(SYS_writev, pipefd[1], &iov, 1));

            /*
         * The readlink buffer: only a link that exists gets as far as copying it out, and
         * then only its length (at least 5 bytes, "/init"): start 4 bytes below 3 GB.
         */
        if (syscall(SYS_readlink, "/proc/self/exe", buf, sizeof buf) > 0)
            EXPECT_EFAULT(kind, syscall(SYS_readlink, "/proc/self/exe", bad(kind, 8), 64));

        if (kind == NULL_PTR)
            continue;   /* for the calls below NULL means "none" */

        EXPECT_EFAULT(kind, syscall(SYS_time, bad(kind, 4)));
        EXPECT_EFAULT(kind, syscall(SYS_rt_sigaction, SIGUSR1, bad(kind, 20), NULL, 8));
        EXPECT_EFAULT(kind, syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad(kind, 20), 8));
        EXPECT_EFAULT(kind, syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad(kind, 8), NULL, 8));
        EXPECT_EFAULT(kind, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad(kind, 8), 8));

        /* wait4: status and rusage, each for a child that has already exited. */
        for (int which = 0; which < 2; which++) {
            fflush(stdout);
            pid_t pid = fork();
            CHECK(pid >= 0);
            if (pid == 0)
                _exit(0);
            if (which == 0)
                EXPECT_EFAULT(kind, syscall(SYS_wait4, pid, bad(kind, 4), 0, NULL));
            else
                EXPECT_EFAULT(kind, syscall(SYS_wait4, pid, NULL, 0, bad(kind, 72)));
            /* Whether the failed wait4 reaped it differs between kernels: either is fine. */
            waitpid(pid, NULL, 0);
        }

        /* execve's argv and envp arrays, and the strings in them. */
        char* good_argv[] = { "hello", NULL };
        char* good_envp[] = { "A=1", NULL };
        char* bad_argv[] = { "hello", (char*)path, NULL };
        char* bad_envp[] = { "A=1", (char*)path, NULL };
        EXPECT_EXEC_EFAULT(kind, hello, (char**)bad(kind, 8), good_envp);
        EXPECT_EXEC_EFAULT(kind, hello, good_argv, (char**)bad(kind, 8));
        EXPECT_EXEC_EFAULT(kind, hello, bad_argv, good_envp);
        EXPECT_EXEC_EFAULT(kind, hello, good_argv, bad_envp);
    }

    /* Nothing was written to the pipe, and no call left an fd open. */
    CHECK(fcntl(pipefd[0], F_SETFL, O_NONBLOCK) == 0);
    char c;
    CHECK_ERRNO(read(pipefd[0], &c, 1), EAGAIN);
    CHECK_EQ(lowest_free_fd(), first_free);

    /* A zero-length write needs no buffer at all. */
    CHECK_EQ(syscall(SYS_write, pipefd[1], NULL, 0), 0);

    if (failures)
        fail("%d calls accepted a bad pointer", failures);
}
