/*
 * /tests/run [-t SECONDS] [GLOB...]: the user-space test suite.
 *
 * Runs every test whose name matches one of the GLOBs (all without one), each in a child process of
 * its own, and prints KTAP version 1 on stdout. A test passes when its child exits 0; it
 * skips when the child exits SKIP_STATUS, having written the reason to the report pipe.
 * Exits 0 if every test passed or skipped, 1 otherwise.
 *
 * It may run as pid 1 (`init=/tests/run`): then orphans are re-parented to it, so while
 * it waits for a test it reaps any child, and its exit status is what the machine
 * powers off with.
 *
 * On Ferrite, free RAM is counted before each test's fork and after its wait: a test
 * that leaves the count different has leaked (or lost track of) pages. Linux's count moves
 * with everything else the machine does, so there the check is left out. The count before
 * the first test and after the last is printed as a comment line ("# free RAM: ...").
 *
 * With -t, a test that runs longer than SECONDS is killed (and fails); that is for runs
 * with injected allocation failures (fail_page_alloc=), where a test may wait forever for
 * a helper process that died. As pid 1 it also kills, before the count, the processes a
 * test left running (a helper that waits forever for a test that died).
 */
#include "common.h"
#include "tests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const struct test {
    const char* name;
    void (*fn)(void);
} tests[] = {
    /* Processes: exec, arguments, exit and wait, scheduling, the process table. */
    { "exec_hello", test_exec_hello },
    { "args_env_auxv", test_args_env_auxv },
    { "exit_status", test_exit_status },
    { "signal_status", test_signal_status },
    { "init_unkillable", test_init_unkillable },
    { "kswapd_listed", test_kswapd_listed },
    { "proc_cmdline_statm", test_proc_cmdline_statm },
    { "wait_variants", test_wait_variants },
    { "two_spinners", test_two_spinners },
    { "many_processes", test_many_processes },
    { "process_table_full", test_process_table_full },

    /* Protection: faults, I/O ports, bad pointers handed to system calls. */
    { "segv", test_segv },
    { "segv_siginfo", test_segv_siginfo },
    { "io_port", test_io_port },
    { "efault", test_efault },
    { "fork_16mb_1000_times", test_fork_16mb_1000_times },
    { "zero_page_reads", test_zero_page_reads },
    { "zero_page_pagemap", test_zero_page_pagemap },
    { "tls_cleared_under_gs", test_tls_cleared_under_gs },
    { "tls_bad_descriptors_refused", test_tls_bad_descriptors_refused },
    { "sigreturn_unloadable_selector", test_sigreturn_unloadable_selector },
    { "sigreturn_kernel_eip", test_sigreturn_kernel_eip },
    { "fpu_exception_pending_across_switch", test_fpu_exception_pending_across_switch },
    { "cmov_conditions", test_cmov_conditions },
    { "cmov_tls_and_nops", test_cmov_tls_and_nops },
    { "cmov_fault", test_cmov_fault },
    { "fcomi_fcmov", test_fcomi_fcmov },
    { "cpu_truth", test_cpu_truth },
    { "emulated_count", test_emulated_count },

    /* Memory a process asks for. */
    { "brk", test_brk },
    { "mmap_anon", test_mmap_anon },
    { "free_memory", test_free_memory },

    /* Files. */
    { "pipe_fds", test_pipe_fds },
    { "close_on_exec", test_close_on_exec },
    { "initrd_files", test_initrd_files },
    { "kernel_files", test_kernel_files },
    { "proc_listing_stats", test_proc_listing_stats },

    /* Time. */
    { "sleep_invalid_times", test_sleep_invalid_times },
    { "sleep_past_absolute", test_sleep_past_absolute },
    { "sleep_huge_times", test_sleep_huge_times },

    /* The initrd's programs. */
    { "shell", test_shell },

    /* The system as users see it: the clocks, /proc's system files. */
    { "clock_realtime", test_clock_realtime },
    { "clock_set_invalid", test_clock_set_invalid },
    { "clock_settime", test_clock_settime },
    { "proc_stat", test_proc_stat },
    { "proc_loadavg", test_proc_loadavg },
    { "proc_system_files", test_proc_system_files },
    { "proc_pid_stat", test_proc_pid_stat },

    /* Virtual memory: copy-on-write, demand paging, sharing, the stack, running out. */
    { "cow_fork", test_cow_fork },
    { "cow_grandchild", test_cow_grandchild },
    { "mem_8mb", test_mem_8mb },
    { "demand_zero", test_demand_zero },
    { "shared_text", test_shared_text },
    { "stack_growth", test_stack_growth },
    { "segv_fixup", test_segv_fixup },
    { "maps_content", test_maps_content },
    { "private_file_mapping", test_private_file_mapping },
    { "swap_errors", test_swap_errors },
    { "swap_twice_ram", test_swap_twice_ram },
    { "swap_cache", test_swap_cache },
    { "swap_fork", test_swap_fork },
    { "swap_fork_race", test_swap_fork_race },
    { "swap_off_while_out", test_swap_off_while_out },
    { "swap_two_areas", test_swap_two_areas },
    { "swap_exhausted", test_swap_exhausted },
    { "ioerr_write", test_ioerr_write },
    { "oom_hog", test_oom_hog },

    /* Shared memory: MAP_SHARED, System V segments, msync. */
    { "shm_anon_fork", test_shm_anon_fork },
    { "shm_anon_maps", test_shm_anon_maps },
    { "shm_file_readonly", test_shm_file_readonly },
    { "sysv_basic", test_sysv_basic },
    { "sysv_errors", test_sysv_errors },
    { "sysv_rmid_attached", test_sysv_rmid_attached },
    { "sysv_exit_exec_detach", test_sysv_exit_exec_detach },
    { "sysv_ipc_multiplexer", test_sysv_ipc_multiplexer },
    { "sysv_info", test_sysv_info },
    { "msync_checks", test_msync_checks },
    { "shmem_meminfo", test_shmem_meminfo },
    { "swap_shm_sysv", test_swap_shm_sysv },
    { "swap_shm_anon", test_swap_shm_anon },
    { "swap_shm_swapoff", test_swap_shm_swapoff },
    /* Reclaim's edges: a kill with shared pages in flight, the runner's clean-up of swap left on. */
    { "swap_oom_shared", test_swap_oom_shared },
    { "swap_left_on", test_swap_left_on },

    { "disk_file", test_disk_file },
    { "disk_io_sleeps", test_disk_io_sleeps },
    { "disk_mkswap", test_disk_mkswap },

    /* tmpfs at /tmp and /dev/shm, and the calls that change files. */
    { "tmpfs_files", test_tmpfs_files },
    { "tmpfs_directories", test_tmpfs_directories },
    { "tmpfs_many_entries", test_tmpfs_many_entries },
    { "tmpfs_links", test_tmpfs_links },
    { "tmpfs_rename", test_tmpfs_rename },
    { "tmpfs_unlinked_open", test_tmpfs_unlinked_open },
    { "tmpfs_attributes", test_tmpfs_attributes },
    { "tmpfs_statfs_mounts", test_tmpfs_statfs_mounts },
    { "tmpfs_readonly_elsewhere", test_tmpfs_readonly_elsewhere },
    { "tmpfs_enospc", test_tmpfs_enospc },
    { "tmpfs_chroot_fchdir", test_tmpfs_chroot_fchdir },
    { "tmpfs_mappings", test_tmpfs_mappings },
    { "tmpfs_inode_limit", test_tmpfs_inode_limit },
    /* The terminal, sessions and job control. */
    { "tty_termios", test_tty_termios },
    { "tty_line_editing", test_tty_line_editing },
    { "tty_raw_mode", test_tty_raw_mode },
    { "tty_signal_keys", test_tty_signal_keys },
    { "tty_background_jobs", test_tty_background_jobs },
    { "tty_sessions", test_tty_sessions },
    { "tty_stop_continue", test_tty_stop_continue },
    { "tty_orphaned_group", test_tty_orphaned_group },
    { "tty_leader_exit_hangup", test_tty_leader_exit_hangup },
    { "tty_read_restarts", test_tty_read_restarts },

    /* Waiting for files, futexes, signals and timers; a process's standing; the kernel log. */
    { "alarm_itimer", test_alarm_itimer },
    { "itimer_fork_exec", test_itimer_fork_exec },
    { "sigsuspend_mask", test_sigsuspend_mask },
    { "sigtimedwait", test_sigtimedwait },
    { "sigaltstack", test_sigaltstack },
    { "poll_pipe", test_poll_pipe },
    { "poll_console", test_poll_console },
    { "poll_eintr", test_poll_eintr },
    { "select_sets", test_select_sets },
    { "pselect_ppoll_sigmask", test_pselect_ppoll_sigmask },
    { "futex_wait_errors", test_futex_wait_errors },
    { "futex_glibc", test_futex_glibc },
    { "futex_shared", test_futex_shared },
    { "groups", test_groups },
    { "priority", test_priority },
    { "nice_shares", test_nice_shares },
    { "affinity", test_affinity },
    { "prctl", test_prctl },
    { "pdeathsig", test_pdeathsig },
    { "sendfile", test_sendfile },
    { "syslog", test_syslog },
    /* vfork, and programs started through the dynamic linker. */
    { "vfork_shares_memory", test_vfork_shares_memory },
    { "vfork_exec_wakes_parent", test_vfork_exec_wakes_parent },
    { "clone_vm_vfork", test_clone_vm_vfork },
    { "spawn_system_popen", test_spawn_system_popen },
    { "vfork_child_killed", test_vfork_child_killed },
    { "vfork_parent_killed", test_vfork_parent_killed },
    { "vfork_memory_pressure", test_vfork_memory_pressure },
    { "dash_runs", test_dash_runs },
    { "dash_shares_libc", test_dash_shares_libc },
    { "bad_interpreter", test_bad_interpreter },
    { "exec_script_args", test_exec_script_args },
    { "exec_script_lines", test_exec_script_lines },
    { "proc_exe", test_proc_exe },
    { "dev_random", test_dev_random },
    /* Watching the memory manager: vmstat's counters, the live trace's switch. */
    { "vmstat_counters", test_vmstat_counters },
    { "mmtrace_switch", test_mmtrace_switch },

    /* Region calls: mremap, mlock, madvise, mincore, smaps. */
    { "regions_mremap_errors", test_regions_mremap_errors },
    { "regions_mremap_shrink_grow", test_regions_mremap_shrink_grow },
    { "regions_mremap_move", test_regions_mremap_move },
    { "regions_mremap_file", test_regions_mremap_file },
    { "regions_realloc", test_regions_realloc },
    { "regions_mlock", test_regions_mlock },
    { "regions_mlockall", test_regions_mlockall },
    { "regions_mlock_limit", test_regions_mlock_limit },
    { "regions_madvise_dontneed", test_regions_madvise_dontneed },
    { "regions_madvise_fork", test_regions_madvise_fork },
    { "regions_madvise_populate", test_regions_madvise_populate },
    { "regions_mincore", test_regions_mincore },
    { "regions_smaps", test_regions_smaps },
    { "regions_shared", test_regions_shared },
    { "swap_mlock_pressure", test_swap_mlock_pressure },
    { "swap_regions_calls", test_swap_regions_calls },

    /* Bugs the fuzzer and fault injection found. */
    { "clone_fault_files", test_clone_fault_files },
    { "orphan_exit_signal", test_orphan_exit_signal },

    /* Pages lost on error paths (found under fail_page_alloc=). */
    { "exec_late_failure", test_exec_late_failure },
};
#define NTESTS (sizeof tests / sizeof tests[0])

/* On a kernel other than the one in the initrd, files live under the tree run is in. */
static void find_test_root(void)
{
    char exe[sizeof test_root];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return;
    exe[n] = 0;
    const char* suffix = "/tests/run";
    size_t len = strlen(suffix);
    if ((size_t)n > len && strcmp(exe + n - len, suffix) == 0) {
        exe[n - len] = 0;
        strcpy(test_root, exe);
    }
}

/* -t SECONDS: the limit of one test, 0 for none (the suite under injected failures). */
static int time_limit;

/*
 * A test over the time limit is killed, and as pid 1 everything it left running too:
 * a test whose helper died of an injected allocation failure may wait for it forever.
 */
static void kill_late_test(pid_t pid)
{
    printf("# timed out after %d s: killed\n", time_limit);
    kill(pid, SIGKILL);
    if (getpid() == 1)
        kill(-1, SIGKILL);
}

/* Waits for the test child, reaping orphans that arrive meanwhile. */
static int wait_test(pid_t pid)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int polling = time_limit > 0;
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, polling ? WNOHANG : 0);
        if (r == pid)
            return status;
        if (r == 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec >= time_limit) {
                kill_late_test(pid);
                polling = 0;
            } else {
                struct timespec tick = { 0, 10 * 1000 * 1000 };
                nanosleep(&tick, NULL);
            }
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            printf("# waitpid: %s\n", strerror(errno));
            return -1;
        }
        printf("# reaped stray process %d (%s)\n", r, describe_status(status));
    }
}

static void reap_strays(void)
{
    int status;
    pid_t r;
    while ((r = waitpid(-1, &status, WNOHANG)) > 0)
        printf("# reaped stray process %d (%s)\n", r, describe_status(status));
}

/*
 * Kills the processes from pid `first` on (the test's, as pids are handed out in order and
 * the earlier tests' are gone) and waits, reaping, until they are gone too: as pid 1 every
 * orphan becomes the runner's to reap. Their memory would otherwise be counted as lost.
 */
static void kill_leftovers(pid_t first)
{
    pid_t left[64];
    int n = 0;
    DIR* proc = opendir("/proc");
    if (!proc) {
        printf("# opendir /proc: %s\n", strerror(errno));
        return;
    }
    for (struct dirent* e; (e = readdir(proc)) && n < 64;) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid >= first && pid != getpid() && kill(pid, SIGKILL) == 0) {
            printf("# killed process %d, left running\n", pid);
            left[n++] = pid;
        }
    }
    closedir(proc);
    /* SIGKILL ends even a disk wait; ten seconds is far beyond any that finishes. */
    for (int i = 0, ticks = 0; i < n;) {
        reap_strays();
        if (kill(left[i], 0) < 0 && errno == ESRCH) {
            i++;
            continue;
        }
        if (++ticks == 1000) {
            printf("# process %d still there 10 s after SIGKILL\n", left[i]);
            return;
        }
        struct timespec tick = { 0, 10 * 1000 * 1000 };
        nanosleep(&tick, NULL);
    }
}

enum result { PASS, FAIL, SKIP };

static void nothing(void);

static enum result run_test(const struct test* t, char* reason, size_t reason_size)
{
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        printf("# pipe: %s\n", strerror(errno));
        return FAIL;
    }
    fflush(stdout);

    if (!on_linux)
        fault_in_everything();
    int segments[64];
    int nsegments = sysv_snapshot(segments, 64);
    struct swap_areas swaps;
    swap_snapshot(&swaps);
    unsigned long long before = free_ram();
    pid_t pid = fork();
    if (pid == 0) {
        close(report[0]);
        test_report_fd = report[1];
        t->fn();
        fflush(stdout);
        _exit(0);
    }
    int status = pid < 0 ? -1 : wait_test(pid);
    reap_strays();
    if (pid > 0 && time_limit > 0 && getpid() == 1)
        kill_leftovers(pid);
    if (status != 0 && strncmp(t->name, "tmpfs_", 6) == 0)
        tmpfs_remove_leftovers();
    int left_segments = sysv_remove_left(segments, nsegments);
    int left_swaps = swap_off_left(&swaps);
    if (!on_linux)
        fault_in_everything();
    unsigned long long after = free_ram();

    /* Read only after a skip: a process the test left behind may hold the write end. */
    close(report[1]);
    int skipped = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == SKIP_STATUS;
    ssize_t n = skipped ? read(report[0], reason, reason_size - 1) : 0;
    reason[n > 0 ? n : 0] = 0;
    close(report[0]);

    /*
     * Told for failed tests too: under injected failures that is where pages go missing.
     * Not for the warm-up, whose count moves by design.
     */
    int ram_moved = !on_linux && after != before;
    if (ram_moved && t->fn != nothing) {
        long long pages = ((long long)before - (long long)after) / 4096;
        printf("# %s: free RAM %llu kB before, %llu kB after: %lld pages %s\n", t->name,
               before / 1024, after / 1024, pages < 0 ? -pages : pages,
               pages > 0 ? "leaked" : "too many free");
    }
    if (pid < 0) {
        printf("# fork: %s\n", strerror(errno));
        return FAIL;
    }
    if (status == -1)
        return FAIL;
    if (skipped)
        return SKIP;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("# %s: test process %s\n", t->name, describe_status(status));
        return FAIL;
    }
    if (left_segments) {
        printf("# %s: left %d System V segments behind\n", t->name, left_segments);
        return FAIL;
    }
    if (left_swaps) {
        printf("# %s: left %d swap areas on\n", t->name, left_swaps);
        return FAIL;
    }
    if (ram_moved)
        return FAIL;
    return PASS;
}

/*
 * Runs a do-nothing test once, unreported, so that the runner's own lazily allocated
 * memory (stdio buffers, its stack, pages copied since its last fork) is in place
 * before the first count.
 */
static void nothing(void)
{
}

static void warm_up(void)
{
    static const struct test noop = { "warm_up", nothing };
    char reason[8];
    for (int i = 0; i < 2; i++)
        run_test(&noop, reason, sizeof reason);
}

static int chosen(const char* name, int nglobs, char** globs)
{
    for (int g = 0; g < nglobs; g++)
        if (fnmatch(globs[g], name, 0) == 0)
            return 1;
    return nglobs == 0;
}

int main(int argc, char** argv)
{
    ensure_std_fds();
    setvbuf(stdout, NULL, _IOLBF, 0);
    on_linux = running_on_linux();
    find_test_root();
    if (on_linux) {
        /* The tests crash children on purpose: no core files. */
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
    }

    int arg = 1;
    if (argc > 2 && strcmp(argv[1], "-t") == 0) {
        time_limit = atoi(argv[2]);
        arg = 3;
    }
    size_t planned = 0;
    for (size_t i = 0; i < NTESTS; i++)
        planned += chosen(tests[i].name, argc - arg, argv + arg);

    printf("KTAP version 1\n");
    printf("1..%zu\n", planned);
    tmpfs_remove_leftovers();           /* of an earlier run; and its stack is in place */
    warm_up();
    if (!on_linux)
        fault_in_everything();
    unsigned long long ram_before = free_ram();

    int number = 0, passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < NTESTS; i++) {
        const struct test* t = &tests[i];
        if (!chosen(t->name, argc - arg, argv + arg))
            continue;
        char reason[256];
        enum result r = run_test(t, reason, sizeof reason);
        number++;
        if (r == SKIP) {
            printf("ok %d %s # SKIP %s\n", number, t->name, reason);
            skipped++;
        } else if (r == PASS) {
            printf("ok %d %s\n", number, t->name);
            passed++;
        } else {
            printf("not ok %d %s\n", number, t->name);
            failed++;
        }
    }
    /* What the whole suite left behind: the count must be back (failed tests included). */
    reap_strays();
    if (!on_linux) {
        fault_in_everything();
        printf("# free RAM: %llu kB before the tests, %llu kB after\n", ram_before / 1024,
               free_ram() / 1024);
    }
    printf("# %d passed, %d failed, %d skipped\n", passed, failed, skipped);
    fflush(stdout);
    return failed ? 1 : 0;
}
