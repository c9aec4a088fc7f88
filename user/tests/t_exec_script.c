/*
 * "#!" scripts: execve of a file whose first line names an interpreter runs that
 * interpreter with the line's one argument, the script's path and the script's own
 * arguments (Linux's binfmt_script). The scripts are user/tests/exec/, in /tests/exec.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Runs path with argv in a child, its standard output into out (NUL-terminated): the wait
 * status, or -errno when execve failed.
 */
static int run(const char* path, char* const argv[], char* out, size_t size)
{
    int output[2], failure[2];
    CHECK(pipe(output) == 0 && pipe2(failure, O_CLOEXEC) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(output[1], 1);
        close(output[0]);
        close(failure[0]);
        execv(path, argv);
        int err = errno;
        (void)!write(failure[1], &err, sizeof err);
        _exit(127);
    }
    close(output[1]);
    close(failure[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < size && (got = read(output[0], out + n, size - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = '\0';
    int err = 0;
    ssize_t failed = read(failure[0], &err, sizeof err);
    close(output[0]);
    close(failure[0]);
    int status = wait_for(pid);
    return failed == sizeof err ? -err : status;
}

static int run_script(const char* name, char* out, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s", root_path(name));
    char* argv[] = { path, NULL };
    return run(path, argv, out, size);
}

static void expect_exit(const char* name, int code)
{
    char out[256];
    int status = run_script(name, out, sizeof out);
    if (status < 0)
        fail("%s: execve failed: %s", name, strerror(-status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code)
        fail("%s: %s, want exit %d", name, describe_status(status), code);
}

static void expect_errno(const char* name, int err)
{
    char out[256];
    int status = run_script(name, out, sizeof out);
    if (status != -err)
        fail("%s: %s, want execve to fail with %s", name,
             status < 0 ? strerror(-status) : describe_status(status), strerror(err));
}

/* The script's path and arguments reach its interpreter: $0 and "$@" of busybox's sh. */
void test_exec_script_args(void)
{
    const char* path = root_path("/tests/exec/args.sh");
    char* argv[] = { (char*)"args.sh", (char*)"a", (char*)"b c", NULL };
    char out[512], want[512];
    int status = run(path, argv, out, sizeof out);
    if (status < 0)
        fail("execve: %s", strerror(-status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    snprintf(want, sizeof want, "%s|a|b c|", path);
    if (strcmp(out, want) != 0)
        fail("the script printed \"%s\", want \"%s\"", out, want);
}

/* The line's argument (spaces trimmed), scripts as interpreters, and the errors. */
void test_exec_script_lines(void)
{
    /* Linux gives the same errors; the interpreters named are the initrd's own paths. */
    expect_errno("/tests/exec/not-executable", EACCES);
    if (on_linux)
        skip("the scripts' interpreters are paths in Ferrite's initrd");
    expect_exit("/tests/exec/status7", 7);              /* "#!/tests/hello   7   " */
    expect_exit("/tests/exec/no-newline", 9);           /* "#!/tests/hello 9", no newline */
    expect_exit("/tests/exec/nested", 7);               /* its interpreter is status7 */
    expect_errno("/tests/exec/loop", ELOOP);            /* its own interpreter */
    expect_errno("/tests/exec/empty", ENOEXEC);         /* "#!" and blanks */
    expect_errno("/tests/exec/long-name", ENOEXEC);     /* a name past the first 256 bytes */
    expect_errno("/tests/exec/no-interpreter", ENOENT);
}
