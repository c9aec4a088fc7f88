/*
 * /tests/hello [STATUS [wait]]: prints "hello, world" through malloc'd memory and printf,
 * then, given "wait", reads stdin to its end; exits with STATUS (default 0).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    char* greeting = malloc(64);
    if (!greeting)
        return 100;
    strcpy(greeting, "hello, world");
    printf("%s\n", greeting);
    fflush(stdout);
    free(greeting);
    if (argc > 2 && strcmp(argv[2], "wait") == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0)
            ;
    }
    return argc > 1 ? atoi(argv[1]) : 0;
}
