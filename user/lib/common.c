#include "common.h"

#include <errno.h>
#include <fcntl.h>
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
