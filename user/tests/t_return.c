/*
 * Returning to user mode with state the process chose: segment selectors whose
 * descriptors it changed, a signal frame it rewrote, an FPU exception left pending
 * across a task switch. None of it may bring the kernel down; the process keeps a null
 * selector or dies of the signal Linux sends.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests.h"

/* Linux's struct user_desc for set_thread_area. */
struct user_desc_bits {
    unsigned int entry_number;
    unsigned int base_addr;
    unsigned int limit;
    unsigned int seg_32bit : 1;
    unsigned int contents : 2;
    unsigned int read_exec_only : 1;
    unsigned int limit_in_pages : 1;
    unsigned int seg_not_present : 1;
    unsigned int useable : 1;
};

static long raw_syscall1(long nr, long a)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a) : "memory");
    return r;
}

static unsigned read_gs(void)
{
    unsigned v;
    __asm__ volatile("movl %%gs, %0" : "=r"(v));
    return v;
}

/* Exits without touching TLS (errno, stdio): %gs may be null by now. */
static _Noreturn void raw_exit(int code)
{
    for (;;)
        raw_syscall1(SYS_exit_group, code);
}

static void clear_own_tls(void* arg)
{
    (void)arg;
    unsigned gs = read_gs();
    if (gs == 0)
        raw_exit(2);
    /* Linux's "empty" descriptor, written over the entry %gs holds right now. */
    struct user_desc_bits d;
    memset(&d, 0, sizeof d);
    d.entry_number = gs >> 3;
    d.read_exec_only = 1;
    d.seg_not_present = 1;
    if (raw_syscall1(SYS_set_thread_area, (long)&d) != 0)
        raw_exit(3);
    /* The return could not reload %gs: it holds the null selector now. */
    raw_exit(read_gs() == 0 ? 0 : 4);
}

/* set_thread_area emptying the TLS entry in use: the process goes on with %gs null. */
void test_tls_cleared_under_gs(void)
{
    expect_success("set_thread_area empties the entry %gs holds", clear_own_tls, NULL);
}

/* TLS entries are present data segments: set_thread_area refuses others, as Linux does. */
void test_tls_bad_descriptors_refused(void)
{
    struct user_desc_bits d;
    memset(&d, 0, sizeof d);
    d.entry_number = (unsigned)-1;
    d.limit = 0xFFFFF;
    d.seg_32bit = 1;
    d.limit_in_pages = 1;
    d.contents = 2;                     /* code */
    d.read_exec_only = 1;
    CHECK_EQ(raw_syscall1(SYS_set_thread_area, (long)&d), -EINVAL);
    d.contents = 0;
    d.read_exec_only = 0;
    d.base_addr = 0x10000;
    d.seg_not_present = 1;
    CHECK_EQ(raw_syscall1(SYS_set_thread_area, (long)&d), -EINVAL);
}

static unsigned bad_ds;

static void put_bad_ds(int sig, siginfo_t* info, void* ucv)
{
    (void)sig, (void)info;
    ucontext_t* uc = ucv;
    uc->uc_mcontext.gregs[REG_DS] = bad_ds;
}

static void sigreturn_bad_ds(void* arg)
{
    (void)arg;
    bad_ds = 0xFFFF;                    /* the last LDT entry: there is no LDT */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = put_bad_ds;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    /*
     * %ds holds the null selector now, as on Linux. Nothing may go through it: a real CPU
     * faults there (QEMU does not check), so the exit is a system call with no memory use.
     */
    unsigned ds;
    __asm__ volatile("movl %%ds, %0" : "=r"(ds));
    raw_exit(ds == 0 ? 0 : 7);
}

/* rt_sigreturn with a selector no segment register can hold: a null %ds, not an oops. */
void test_sigreturn_unloadable_selector(void)
{
    expect_success("rt_sigreturn restores %ds = 0xffff", sigreturn_bad_ds, NULL);
}

static void put_kernel_eip(int sig, siginfo_t* info, void* ucv)
{
    (void)sig, (void)info;
    ucontext_t* uc = ucv;
    uc->uc_mcontext.gregs[REG_EIP] = 0xC0001000;
}

static void sigreturn_kernel_eip(void* arg)
{
    (void)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = put_kernel_eip;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    raw_exit(0);
}

/* rt_sigreturn to an EIP in the kernel's half: the return faults, the process gets SIGSEGV. */
void test_sigreturn_kernel_eip(void)
{
    expect_death("rt_sigreturn to EIP 0xc0001000", SIGSEGV, sigreturn_kernel_eip, NULL);
}

static void spin_briefly(void* arg)
{
    (void)arg;
    for (volatile int i = 0; i < 2000000; i++)
        ;
    _exit(0);
}

static void pending_fpu_exception(void* arg)
{
    (void)arg;
    pid_t other = spawn(spin_briefly, NULL);
    /* Unmask divide-by-zero, divide by zero: the exception waits for the next x87 wait. */
    unsigned short cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw &= (unsigned short)~0x4;
    __asm__ volatile("fldcw %0" : : "m"(cw));
    __asm__ volatile("fld1; fldz; fdivrp" ::: "memory");
    /* Task switches with it pending: the kernel saves and loads FPU state meanwhile. */
    for (int i = 0; i < 3; i++)
        syscall(SYS_sched_yield);
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    __asm__ volatile("fwait");
    raw_exit(0);
}

/* An x87 exception left pending across task switches fires in the process: SIGFPE. */
void test_fpu_exception_pending_across_switch(void)
{
    expect_death("a pending x87 exception across task switches", SIGFPE, pending_fpu_exception, NULL);
}
