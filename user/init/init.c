/*
 * /sbin/init: the first user process.
 *
 * Gives itself a console, greets, turns swap on, starts /bin/sh (busybox's ash) and reaps
 * every child until the shell exits; then powers the machine off. Orphans are re-parented
 * to pid 1, so the wait loop reaps them too. The arguments after a lone `--` on the kernel
 * command line arrive as init's argv[1..] and are handed to the shell (`-- -c ps` runs one
 * command and powers off); the environment the kernel gives (HOME=/, TERM=linux) is
 * passed on as it is, as Linux's init does: ash has its own default PATH.
 *
 * Busybox's init would need an /etc/inittab, keeps respawning the shell, and does not turn
 * the machine off when the shell ends, which the test boots rely on; this one is simpler.
 */
#include "common.h"
#include "../system/programs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHELL "/bin/sh"

static void greet(void)
{
    struct utsname u;
    if (uname(&u) == 0)
        printf("init: %s %s (%s), starting " SHELL "\n", u.sysname, u.release, u.machine);
    else
        printf("init: starting " SHELL "\n");
    fflush(stdout);
}

/*
 * With a first disk (make run attaches build/swap.img as /dev/hda), swap on it from the
 * start: run `/sbin/swapon /dev/hda` and wait for it, before the shell starts.
 */
static void enable_swap(void)
{
    int fd = open("/dev/hda", O_RDONLY);
    if (fd < 0)
        return;                         /* no first disk: no swap */
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        char* args[] = { "/sbin/swapon", "/dev/hda", NULL };
        execv(args[0], args);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

static pid_t start_shell(int argc, char** argv)
{
    char** args = calloc(argc + 1, sizeof(char*));
    if (!args)
        return -1;
    args[0] = "sh";
    for (int i = 1; i < argc; i++)
        args[i] = argv[i];

    pid_t pid = fork();
    if (pid == 0) {
        /*
         * As busybox init does for its console shell: a session of its own with the
         * console as its controlling terminal, so that ^C reaches the shell's commands
         * and a shell with job control (busybox sh -i) can have it.
         */
        setsid();
        ioctl(STDIN_FILENO, TIOCSCTTY, 0);
        execve(SHELL, args, environ);
        fprintf(stderr, "init: " SHELL ": %s\n", strerror(errno));
        _exit(127);
    }
    if (pid < 0)
        fprintf(stderr, "init: fork: %s\n", strerror(errno));
    free(args);
    return pid;
}

/* Waits for `shell`, reaping whatever else exits meanwhile. Returns the shell's status. */
static int reap_until(pid_t shell)
{
    for (;;) {
        int status;
        pid_t pid = wait(&status);
        if (pid == shell)
            return status;
        if (pid < 0 && errno != EINTR) {
            fprintf(stderr, "init: wait: %s\n", strerror(errno));
            return 0;
        }
    }
}

static void power_off(void)
{
    sync();
    syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
            LINUX_REBOOT_CMD_POWER_OFF, NULL);
    fprintf(stderr, "init: reboot: %s\n", strerror(errno));
}

int init_main(int argc, char** argv)
{
    ensure_std_fds();
    chdir("/");

    greet();
    enable_swap();

    int status = 0;
    pid_t shell = start_shell(argc, argv);
    if (shell > 0)
        status = reap_until(shell);

    /* Only the real init turns the machine off; a copy started by hand just ends. */
    if (getpid() == 1) {
        printf("init: shell ended, powering off\n");
        fflush(stdout);
        power_off();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
