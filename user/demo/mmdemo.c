/*
 * mmdemo: the memory manager's demos in one program, so that the system's initrd (which
 * must fit an 8 MB machine) carries one copy of the C library for all of them.
 * /bin/cowdemo, /bin/sharedemo and /bin/swapdemo are links to it; the name it is run by
 * picks the demo, or `mmdemo NAME [ARGS]`.
 */
#include <stdio.h>
#include <string.h>

#include "demos.h"

static const struct demo {
    const char* name;
    int (*main)(int argc, char** argv);
    const char* what;
} demos[] = {
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
    if (strcmp(name, "mmdemo") == 0 && argc > 1) {
        argc--;
        argv++;
        name = argv[0];
    }
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++)
        if (strcmp(name, demos[i].name) == 0)
            return demos[i].main(argc, argv);
    fprintf(stderr, "usage: mmdemo DEMO [ARGS], or run as one of:\n");
    for (size_t i = 0; i < sizeof demos / sizeof demos[0]; i++)
        fprintf(stderr, "  %-10s %s\n", demos[i].name, demos[i].what);
    return 2;
}
