/*
 * /sbin/swapon and /sbin/swapoff, one program told apart by its name.
 *
 *   swapon [-p PRIORITY] DEVICE...    start swapping to each DEVICE
 *   swapon -s                         show the active areas (/proc/swaps)
 *   swapoff DEVICE...                 bring every page back and stop
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/swap.h>
#include <unistd.h>

static int show_summary(void)
{
    int fd = open("/proc/swaps", O_RDONLY);
    if (fd < 0) {
        perror("swapon: /proc/swaps");
        return 1;
    }
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(fd);
    return 0;
}

int main(int argc, char** argv)
{
    const char* name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    int off = strcmp(name, "swapoff") == 0;
    int flags = 0, first = 1;
    if (!off && argc == 2 && strcmp(argv[1], "-s") == 0)
        return show_summary();
    if (!off && argc > 2 && strcmp(argv[1], "-p") == 0) {
        int prio = atoi(argv[2]);
        if (prio < 0 || prio > SWAP_FLAG_PRIO_MASK) {
            fprintf(stderr, "swapon: bad priority %s\n", argv[2]);
            return 1;
        }
        flags = SWAP_FLAG_PREFER | (prio << SWAP_FLAG_PRIO_SHIFT);
        first = 3;
    }
    if (first >= argc) {
        fprintf(stderr, off ? "usage: swapoff DEVICE...\n"
                            : "usage: swapon [-p PRIORITY] DEVICE... | swapon -s\n");
        return 1;
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        if ((off ? swapoff(argv[i]) : swapon(argv[i], flags)) < 0) {
            fprintf(stderr, "%s: %s: %s\n", name, argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}
