/*
 * The system's shell, busybox's ash: a script on its stdin, everything it prints (stdout and
 * stderr together) compared line by line, and its exit status.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void test_shell(void)
{
    char script[1024], expected[1024], path_env[600];
    snprintf(script, sizeof script,
             "echo one \"two  three\" 'four $HOME' five\\ six # a comment\n"
             "hello 3\n"
             "echo status $?\n"
             "no-such-command\n"
             "echo status $?\n"
             "cd %s\n"
             "pwd\n"
             "cat motd\n"
             "echo \"unterminated\n"
             "echo not reached\n",
             root_path("/etc"));
    /* A syntax error ends a script that is not interactive, with status 2. */
    snprintf(expected, sizeof expected,
             "one two  three four $HOME five six\n"
             "hello, world\n"
             "status 3\n"
             "sh: no-such-command: not found\n"
             "status 127\n"
             "%s\n"
             "Welcome to Ferrite.\n"
             "sh: syntax error: unterminated quoted string\n",
             root_path("/etc"));
    snprintf(path_env, sizeof path_env, "PATH=%s:%s", root_path("/bin"), root_path("/tests"));

    int in[2], out[2];
    CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        char* envp[] = { path_env, "HOME=/", NULL };
        execve(root_path("/bin/sh"), (char*[]){ "sh", NULL }, envp);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    write_all(in[1], script, strlen(script));
    close(in[1]);

    char got[2048];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof got - 1 && (n = read(out[0], got + len, sizeof got - 1 - len)) > 0)
        len += n;
    got[len] = 0;
    close(out[0]);
    int status = wait_for(pid);

    if (strcmp(got, expected) != 0) {
        /* Show the first line that differs. */
        const char *g = got, *e = expected;
        for (int line = 1;; line++) {
            size_t gl = strcspn(g, "\n"), el = strcspn(e, "\n");
            if (gl != el || memcmp(g, e, gl) != 0)
                fail("sh output line %d is \"%.*s\", want \"%.*s\"", line, (int)gl, g,
                     (int)el, e);
            g += gl + (g[gl] != 0);
            e += el + (e[el] != 0);
        }
    }
    if (status != 2 << 8)
        fail("sh %s, want exit status 2", describe_status(status));
}
