/*
 * The user-space test suite: each test is a function that the runner (run.c) calls in a
 * child process of its own. A test passes by returning (the child exits 0), fails by
 * calling fail() (directly or through CHECK) or by dying, and skips with skip().
 *
 * Diagnostics are KTAP comment lines ("# ...") written straight to fd 1, unbuffered, so
 * that they come out in order however processes fork.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit status of a test child that skipped; the reason goes through the report pipe. */
#define SKIP_STATUS 77

void diag(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void skip(const char* reason);

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond))                                                                  \
            fail("%s:%d: CHECK(%s) failed", __FILE__, __LINE__, #cond);               \
    } while (0)

/* Both sides are evaluated once and printed as integers when they differ. */
#define CHECK_EQ(a, b)                                                                \
    do {                                                                              \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);               \
        if (check_a_ != check_b_)                                                     \
            fail("%s:%d: %s == %s failed: %lld != %lld (%#llx != %#llx)", __FILE__,   \
                 __LINE__, #a, #b, check_a_, check_b_, check_a_, check_b_);           \
    } while (0)

/* `call` must fail (return -1) with errno == err. */
#define CHECK_ERRNO(call, err)                                                        \
    do {                                                                              \
        errno = 0;                                                                    \
        long check_r_ = (long)(call);                                                 \
        int check_e_ = errno;                                                         \
        if (check_r_ != -1 || check_e_ != (err))                                      \
            fail("%s:%d: %s returned %ld, errno %d (%s); want -1, %s", __FILE__,      \
                 __LINE__, #call, check_r_, check_e_, strerror(check_e_), #err);      \
    } while (0)

/* Set by the runner in the test child: where skip() writes its reason. */
extern int test_report_fd;

/* Nonzero on Linux, where Ferrite-only checks skip. */
extern int on_linux;

/*
 * Where the initrd's files are: "" on Ferrite. On another kernel the suite runs from a
 * copy of the initrd tree (build/rootfs/tests/run), found from /proc/self/exe.
 */
extern char test_root[256];

/* test_root + path, allocated and never freed (a test process lives briefly). */
const char* root_path(const char* path);

/* sysinfo(): free RAM in bytes. */
unsigned long long free_ram(void);

/*
 * Runs fn(arg) in a child process that exits 0 when fn returns. Returns its pid.
 * stdout is flushed first so that no buffered output is duplicated.
 */
pid_t spawn(void (*fn)(void* arg), void* arg);

/* waitpid(pid), retrying on EINTR; fails the test if that does not return pid. */
int wait_for(pid_t pid);

/* A 4 KB page's contents from its index and a seed, so that any page mixed up is caught. */
void fill_page(uint32_t* p, uint32_t index, uint32_t seed);
/* Whether p holds what fill_page writes for index and seed. */
int page_ok(const uint32_t* p, uint32_t index, uint32_t seed);

/* Describes a wait status in words, in a static buffer. */
const char* describe_status(int status);

/* Runs fn(arg) in a child and fails the test unless it dies of signal `sig`. */
void expect_death(const char* what, int sig, void (*fn)(void* arg), void* arg);

/* Runs fn(arg) in a child and fails the test unless it exits 0. */
void expect_success(const char* what, void (*fn)(void* arg), void* arg);

/* Writes or reads all n bytes, or fails the test. */
void write_all(int fd, const void* buf, size_t n);
void read_all(int fd, void* buf, size_t n);

/* Touches (writes) every page of [p, p + n). */
void touch_pages(void* p, size_t n);

/*
 * System V segments (t_shm.c): the ids there are (at most max), and the removal of those
 * a test left behind, made since by processes now gone; how many were removed.
 */
int sysv_snapshot(int* ids, int max);
int sysv_remove_left(const int* ids, int n);

/* Swap areas (t_swap.c): those on, and the swapoff of those on now but not before; how many. */
#define SWAP_AREAS_MAX 8
struct swap_areas {
    int n;
    char name[SWAP_AREAS_MAX][64];
};
void swap_snapshot(struct swap_areas* s);
int swap_off_left(const struct swap_areas* before);

/* The tests, grouped by file. */
void test_exec_hello(void);
void test_args_env_auxv(void);
void test_exit_status(void);
void test_signal_status(void);
void test_init_unkillable(void);
void test_wait_variants(void);
void test_two_spinners(void);
void test_many_processes(void);
void test_process_table_full(void);

void test_segv(void);
void test_segv_siginfo(void);
void test_io_port(void);

void test_efault(void);

void test_fork_16mb_1000_times(void);
void test_zero_page_reads(void);
void test_zero_page_pagemap(void);

void test_tls_cleared_under_gs(void);
void test_tls_bad_descriptors_refused(void);
void test_sigreturn_unloadable_selector(void);
void test_sigreturn_kernel_eip(void);
void test_fpu_exception_pending_across_switch(void);

void test_cmov_conditions(void);
void test_cmov_tls_and_nops(void);
void test_cmov_fault(void);
void test_fcomi_fcmov(void);
void test_cpu_truth(void);
void test_emulated_count(void);

void test_brk(void);
void test_mmap_anon(void);
void test_free_memory(void);

void test_pipe_fds(void);
void test_close_on_exec(void);
void test_initrd_files(void);
void test_kernel_files(void);
void test_proc_listing_stats(void);

void test_sleep_invalid_times(void);
void test_sleep_past_absolute(void);
void test_sleep_huge_times(void);

void test_shell(void);
void test_clock_realtime(void);
void test_clock_set_invalid(void);
void test_clock_settime(void);
void test_proc_stat(void);
void test_proc_loadavg(void);
void test_proc_system_files(void);
void test_proc_pid_stat(void);

void test_cow_fork(void);
void test_cow_grandchild(void);
void test_mem_8mb(void);
void test_demand_zero(void);
void test_shared_text(void);
void test_stack_growth(void);
void test_segv_fixup(void);
void test_maps_content(void);
void test_private_file_mapping(void);
void test_oom_hog(void);

void test_swap_errors(void);
void test_swap_twice_ram(void);
void test_swap_cache(void);
void test_kswapd_listed(void);
void test_proc_cmdline_statm(void);
void test_swap_fork(void);
void test_swap_fork_race(void);
void test_swap_off_while_out(void);
void test_swap_two_areas(void);
void test_swap_exhausted(void);
void test_ioerr_write(void);
void test_disk_file(void);
void test_disk_io_sleeps(void);
void test_disk_mkswap(void);

void test_swap_oom_shared(void);
void test_swap_left_on(void);

void test_tty_termios(void);
void test_tty_line_editing(void);
void test_tty_raw_mode(void);
void test_tty_signal_keys(void);
void test_tty_background_jobs(void);
void test_tty_sessions(void);
void test_tty_stop_continue(void);
void test_tty_orphaned_group(void);
void test_tty_leader_exit_hangup(void);
void test_tty_read_restarts(void);

void test_vfork_shares_memory(void);
void test_vfork_exec_wakes_parent(void);
void test_clone_vm_vfork(void);
void test_spawn_system_popen(void);
void test_vfork_child_killed(void);
void test_vfork_parent_killed(void);
void test_vfork_memory_pressure(void);
void test_dash_runs(void);
void test_dash_shares_libc(void);
void test_bad_interpreter(void);

void test_regions_mremap_errors(void);
void test_regions_mremap_shrink_grow(void);
void test_regions_mremap_move(void);
void test_regions_mremap_file(void);
void test_regions_realloc(void);
void test_regions_mlock(void);
void test_regions_mlockall(void);
void test_regions_mlock_limit(void);
void test_regions_madvise_dontneed(void);
void test_regions_madvise_fork(void);
void test_regions_madvise_populate(void);
void test_regions_mincore(void);
void test_regions_smaps(void);
void test_regions_shared(void);
void test_swap_mlock_pressure(void);
void test_swap_regions_calls(void);

void test_clone_fault_files(void);
void test_orphan_exit_signal(void);

void test_tmpfs_files(void);
void test_tmpfs_directories(void);
void test_tmpfs_many_entries(void);
void test_tmpfs_links(void);
void test_tmpfs_rename(void);
void test_tmpfs_unlinked_open(void);
void test_tmpfs_attributes(void);
void test_tmpfs_statfs_mounts(void);
void test_tmpfs_readonly_elsewhere(void);
void test_tmpfs_enospc(void);
void test_tmpfs_chroot_fchdir(void);
void test_tmpfs_mappings(void);
void test_tmpfs_inode_limit(void);
/*
 * What a tmpfs test that failed left in /tmp or /dev/shm goes (the runner calls it once
 * before the first test, and after each tmpfs test that fails).
 */
void tmpfs_remove_leftovers(void);

void test_exec_late_failure(void);

void test_alarm_itimer(void);
void test_itimer_fork_exec(void);
void test_sigsuspend_mask(void);
void test_sigtimedwait(void);
void test_sigaltstack(void);
void test_poll_pipe(void);
void test_poll_console(void);
void test_poll_eintr(void);
void test_select_sets(void);
void test_pselect_ppoll_sigmask(void);
void test_futex_wait_errors(void);
void test_futex_glibc(void);
void test_futex_shared(void);
void test_exec_script_args(void);
void test_exec_script_lines(void);
void test_proc_exe(void);
void test_dev_random(void);
void test_groups(void);
void test_priority(void);
void test_nice_shares(void);
void test_affinity(void);
void test_prctl(void);
void test_pdeathsig(void);
void test_sendfile(void);
void test_syslog(void);
void test_shm_anon_fork(void);
void test_shm_anon_maps(void);
void test_shm_file_readonly(void);
void test_sysv_basic(void);
void test_sysv_errors(void);
void test_sysv_rmid_attached(void);
void test_sysv_exit_exec_detach(void);
void test_sysv_ipc_multiplexer(void);
void test_sysv_info(void);
void test_msync_checks(void);
void test_shmem_meminfo(void);
void test_swap_shm_sysv(void);
void test_swap_shm_anon(void);
void test_swap_shm_swapoff(void);
void test_vmstat_counters(void);
void test_mmtrace_switch(void);
