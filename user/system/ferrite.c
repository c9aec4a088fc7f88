/*
 * /bin/ferrite: the system's own programs in one executable, as busybox is Debian's, so
 * that the ISO's initrd (which must fit an 8 MB machine) carries one copy of the C
 * library for all of them. /sbin/init, /sbin/mkswap, /bin/cowdemo, /bin/sharedemo and
 * /bin/swapdemo are links to it: the name it is run by picks the program, or
 * `ferrite NAME [ARGS]`.
 */
#include <stdio.h>
#include <string.h>

#include "programs.h"

static const struct program {
    const char* name;
    int (*main)(int argc, char** argv);
    const char* what;
} programs[] = {
    { "init", init_main, "the first process: swap on, the shell, power off" },
    { "mkswap", mkswap_main, "formats a swap area (the original format, or -v1)" },
    { "cowdemo", cowdemo_main, "copy-on-write after fork, frame by frame" },
    { "sharedemo", sharedemo_main, "two processes running one program share its text" },
    { "swapdemo", swapdemo_main, "more memory than the machine has, through swap" },
};

int main(int argc, char** argv)
{
    const char* name = argc > 0 ? argv[0] : "";
    const char* slash = strrchr(name, '/');
    if (slash)
        name = slash + 1;
    if (strcmp(name, "ferrite") == 0 && argc > 1) {
        argc--;
        argv++;
        name = argv[0];
    }
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
        if (strcmp(name, programs[i].name) == 0)
            return programs[i].main(argc, argv);
    fprintf(stderr, "usage: ferrite PROGRAM [ARGS], or run as one of:\n");
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
        fprintf(stderr, "  %-10s %s\n", programs[i].name, programs[i].what);
    return 2;
}
