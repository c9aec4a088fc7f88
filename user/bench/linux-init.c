/*
 * /init of the initrd that boots Debian's Linux for `make bench`: loads the modules that
 * find the IDE disk, waits for /dev/sda, runs /tests/bench (the very binary Ferrite's
 * test initrd carries) with this program's own arguments, and powers off.
 *
 * /modules.list names the modules, one path per line, each after the modules it needs
 * (scripts/fetch-linux.sh writes it from modules.dep). The kernel hands init the words
 * after `--` on its command line as argv[1..].
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DISK "/dev/sda"
#define DISK_WAIT_SECONDS 30

static void load_modules(const char* list)
{
    FILE* f = fopen(list, "r");
    if (!f) {
        perror(list);
        return;
    }
    char path[256];
    while (fgets(path, sizeof path, f)) {
        path[strcspn(path, "\n")] = 0;
        if (!path[0])
            continue;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || syscall(SYS_finit_module, fd, "", 0) < 0) {
            if (errno != EEXIST)
                fprintf(stderr, "linux-init: %s: %s\n", path, strerror(errno));
        }
        if (fd >= 0)
            close(fd);
    }
    fclose(f);
}

/* The disk appears in devtmpfs once the SCSI disk driver has probed it, which happens
 * after finit_module returns (libata probes ports asynchronously). */
static int wait_for(const char* path, int seconds)
{
    struct timespec tick = { 0, 10 * 1000 * 1000 };
    for (int i = 0; i < seconds * 100; i++) {
        if (access(path, F_OK) == 0)
            return 0;
        nanosleep(&tick, NULL);
    }
    return -1;
}

static void power_off(void)
{
    sync();
    reboot(RB_POWER_OFF);
    perror("reboot");
    for (;;)
        pause();
}

int main(int argc, char** argv)
{
    (void)argc;
    mkdir("/dev", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0)
        perror("linux-init: mount devtmpfs");
    mkdir("/proc", 0755);
    if (mount("proc", "/proc", "proc", 0, NULL) < 0)
        perror("linux-init: mount proc");
    load_modules("/modules.list");
    if (wait_for(DISK, DISK_WAIT_SECONDS) < 0)
        fprintf(stderr, "linux-init: no %s after %d s\n", DISK, DISK_WAIT_SECONDS);

    pid_t child = fork();
    if (child == 0) {
        argv[0] = "/tests/bench";
        execv(argv[0], argv);
        perror(argv[0]);
        _exit(127);
    }
    int status = 0;
    if (child < 0)
        perror("linux-init: fork");
    else
        while (waitpid(child, &status, 0) < 0 && errno == EINTR)
            ;
    printf("linux-init: /tests/bench exited with status %d\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fflush(stdout);
    power_off();
}
