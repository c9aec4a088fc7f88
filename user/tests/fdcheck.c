/*
 * /tests/fdcheck [+N | -N]...: exits 0 if every fd +N is open and every fd -N is closed;
 * otherwise says which is not, as a KTAP comment, and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv)
{
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = atoi(argv[i] + 1);
        int want_open = argv[i][0] == '+';
        int is_open = fcntl(fd, F_GETFD) >= 0 || errno != EBADF;
        if (is_open != want_open) {
            printf("# fdcheck: fd %d is %s\n", fd, is_open ? "open" : "closed");
            status = 1;
        }
    }
    return status;
}
