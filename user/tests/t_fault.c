/*
 * Protection: what user mode may not touch dies of SIGSEGV, and a SIGSEGV handler learns
 * the faulting address.
 *
 * On Ferrite the user segments end at 3 GB, so a kernel address gives a general
 * protection fault rather than a page fault; Linux turns both into SIGSEGV, and so must
 * Ferrite.
 */
#include "tests.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define KERNEL_BASE 0xC0000000u

static void read_at(void* arg)
{
    (void)*(volatile int*)arg;
}

static void write_at(void* arg)
{
    *(volatile int*)arg = 0x55aa55aa;
}

static void jump_to(void* arg)
{
    ((void (*)(void))arg)();
}

static void write_own_text(void* arg)
{
    (void)arg;
    *(volatile unsigned char*)(uintptr_t)write_own_text = 0xc3;
}

void test_segv(void)
{
    static const struct {
        const char* what;
        void (*fn)(void*);
        uintptr_t addr;
    } cases[] = {
        { "read of 0xC0000000", read_at, KERNEL_BASE },
        { "write of 0xC0000000", write_at, KERNEL_BASE },
        { "read of 0xC0100000", read_at, KERNEL_BASE + 0x100000 },
        { "write of 0xC0100000", write_at, KERNEL_BASE + 0x100000 },
        { "read of 0xFFFFF000", read_at, 0xFFFFF000u },
        { "read of NULL", read_at, 0 },
        { "write of NULL", write_at, 0 },
        { "read of 4 bytes at 0xBFFFFFFE", read_at, KERNEL_BASE - 2 },
        { "write of 4 bytes at 0xBFFFFFFE", write_at, KERNEL_BASE - 2 },
        { "call to 0xC0100000", jump_to, KERNEL_BASE + 0x100000 },
        { "call to NULL", jump_to, 0 },
        { "write to the program's text", write_own_text, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_death(cases[i].what, SIGSEGV, cases[i].fn, (void*)cases[i].addr);
}

static sigjmp_buf recover;
static volatile siginfo_t last_fault;
static volatile int faults;

static void on_segv(int sig, siginfo_t* info, void* context)
{
    (void)sig, (void)context;
    last_fault = *info;
    faults++;
    siglongjmp(recover, 1);
}

/* Touches addr (writing if write), expecting a SIGSEGV that the handler catches. */
static void fault_at(volatile char* addr, int write)
{
    int before = faults;
    if (sigsetjmp(recover, 1) == 0) {
        if (write)
            *addr = 1;
        else
            (void)*addr;
        fail("%s of %p did not fault", write ? "write" : "read", (void*)addr);
    }
    CHECK_EQ(faults, before + 1);
    CHECK_EQ(last_fault.si_signo, SIGSEGV);
    if (last_fault.si_addr != (void*)addr)
        fail("%s of %p: si_addr is %p", write ? "write" : "read", (void*)addr,
             last_fault.si_addr);
}

void test_segv_siginfo(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0);

    /* An address that was mapped a moment ago is surely free now. */
    char* page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    CHECK(munmap(page, 2 * 4096) == 0);

    fault_at(page + 100, 0);
    fault_at(page + 4096 + 7, 1);
    /* Leaving the handler by siglongjmp restored the mask: a second fault is caught too. */
    fault_at(page + 4095, 0);
    CHECK_EQ(faults, 3);
}

static void in_port_0x60(void* arg)
{
    (void)arg;
    unsigned char value;
    __asm__ volatile("inb $0x60, %0" : "=a"(value));
}

static void out_port_0x80(void* arg)
{
    (void)arg;
    __asm__ volatile("outb %0, $0x80" : : "a"((unsigned char)0));
}

static void disable_interrupts(void* arg)
{
    (void)arg;
    __asm__ volatile("cli");
}

static void halt(void* arg)
{
    (void)arg;
    __asm__ volatile("hlt");
}

void test_io_port(void)
{
    expect_death("inb from port 0x60", SIGSEGV, in_port_0x60, NULL);
    expect_death("outb to port 0x80", SIGSEGV, out_port_0x80, NULL);
    expect_death("cli", SIGSEGV, disable_interrupts, NULL);
    expect_death("hlt", SIGSEGV, halt, NULL);
}
