#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void ensure_std_fds(void)
{
    int console = -1;
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        if (console < 0) {
            console = open("/dev/console", O_RDWR | O_NOCTTY);
            if (console < 0)
                return;     /* nowhere to say so */
            if (console == fd)
                continue;   /* open() took the lowest free fd: this one */
        }
        dup2(console, fd);
    }
    if (console > 2)
        close(console);
}

int running_on_linux(void)
{
    struct utsname u;
    return uname(&u) == 0 && strcmp(u.sysname, "Linux") == 0;
}

/*
 * Reads every page this process maps, so that none of its own pages is in swap or
 * dropped when free memory is counted: a test that makes the system swap steals the
 * runner's pages too, and they must be back for the counts before and after to compare.
 */
void fault_in_everything(void)
{
    static char maps[16384];
    int fd = open("/proc/self/maps", O_RDONLY);
    if (fd < 0)
        return;
    ssize_t len = 0, n;
    while (len < (ssize_t)sizeof maps - 1 && (n = read(fd, maps + len, sizeof maps - 1 - len)) > 0)
        len += n;
    close(fd);
    maps[len] = 0;
    for (char* line = maps; *line;) {
        unsigned long start, end;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 && perms[0] == 'r')
            for (unsigned long a = start; a < end; a += 4096)
                (void)*(volatile const char*)a;
        char* next = strchr(line, '\n');
        line = next ? next + 1 : line + strlen(line);
    }
}
