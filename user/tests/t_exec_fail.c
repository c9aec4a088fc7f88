/*
 * execve failing after its point of no return: the old program is gone and the new one
 * cannot be mapped. The process dies, and what the call held on the way (the path, the
 * argument pages) is freed with it; the runner's free RAM count around the test checks
 * that. Fault injection found the leak there (fail_page_alloc=).
 */
#include "tests.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

/*
 * /tests/hello-huge-bss is hello with a bss reaching 0xbff00000 (scripts/stretch-bss.py):
 * its headers pass, but its memory would overlap the stack's 8 MB. Linux has room there
 * (a 64-bit kernel's i386 processes have the full 4 GB); the address space limit makes
 * it refuse the bss too.
 */
static void exec_huge_bss(void* arg)
{
    (void)arg;
    struct rlimit limit = { 64 << 20, 64 << 20 };
    if (on_linux)
        CHECK_EQ(setrlimit(RLIMIT_AS, &limit), 0);
    char* argv[] = { "hello-huge-bss", NULL };
    execve(root_path("/tests/hello-huge-bss"), argv, (char*[]){ NULL });
    fail("execve returned (errno %d): it failed before the point of no return", errno);
}

/*
 * Killed, not returned to: Ferrite sends SIGKILL when the image does not fit (no memory,
 * as an out-of-memory kill), Linux SIGSEGV. Three times, so that a page lost each time
 * shows plainly in the count.
 */
void test_exec_late_failure(void)
{
    for (int i = 0; i < 3; i++)
        expect_death("execve of a program with no room for its bss", on_linux ? SIGSEGV : SIGKILL,
                      exec_huge_bss, NULL);
}
