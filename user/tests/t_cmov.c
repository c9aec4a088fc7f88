/*
 * The i686 instructions (CMOVcc, long NOPs, FCMOVcc, FCOMI and friends) give the same
 * results on every CPU: natively on an i686, emulated by the kernel on a 486 or a
 * Pentium (docs/old-cpus.md). A CMOV's memory operand faults whatever the condition,
 * with the real instruction's signal and address. The kernel tells the truth about the
 * CPU (AT_HWCAP, uname) and counts what it emulated in /proc/PID/status.
 */
#include "tests.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define HWCAP_CMOV (1u << 15)

/* Loads the arithmetic flags, then runs insn (flags restored by the asm's caller). */
#define WITH_FLAGS "pushl %[f]\n\tpopfl\n\t"

#define CMOV_FUNCS(name)                                                              \
    static uint32_t reg_##name(uint32_t f, uint32_t d, uint32_t s)                    \
    {                                                                                 \
        __asm__ volatile(WITH_FLAGS "cmov" #name " %[s], %[d]"                        \
                         : [d] "+r"(d) : [s] "r"(s), [f] "r"(f) : "cc");              \
        return d;                                                                     \
    }                                                                                 \
    static uint32_t mem_##name(uint32_t f, uint32_t d, const uint32_t* p, uint32_t i) \
    {                                                                                 \
        __asm__ volatile(WITH_FLAGS "cmov" #name "l 4(%[p],%[i],4), %[d]"             \
                         : [d] "+r"(d) : [p] "r"(p), [i] "r"(i), [f] "r"(f),          \
                           "m"(*(const uint32_t(*)[64])p) : "cc");                    \
        return d;                                                                     \
    }                                                                                 \
    static uint32_t w_##name(uint32_t f, uint32_t d, const uint16_t* p)               \
    {                                                                                 \
        __asm__ volatile(WITH_FLAGS "cmov" #name "w %[m], %w[d]"                      \
                         : [d] "+r"(d) : [m] "m"(*p), [f] "r"(f) : "cc");             \
        return d;                                                                     \
    }

CMOV_FUNCS(o) CMOV_FUNCS(no) CMOV_FUNCS(b) CMOV_FUNCS(ae) CMOV_FUNCS(e) CMOV_FUNCS(ne)
CMOV_FUNCS(be) CMOV_FUNCS(a) CMOV_FUNCS(s) CMOV_FUNCS(ns) CMOV_FUNCS(p) CMOV_FUNCS(np)
CMOV_FUNCS(l) CMOV_FUNCS(ge) CMOV_FUNCS(le) CMOV_FUNCS(g)

#define ENTRY(name) { #name, reg_##name, mem_##name, w_##name }
static const struct {
    const char* name;
    uint32_t (*reg)(uint32_t, uint32_t, uint32_t);
    uint32_t (*mem)(uint32_t, uint32_t, const uint32_t*, uint32_t);
    uint32_t (*w)(uint32_t, uint32_t, const uint16_t*);
} cmovs[16] = {
    ENTRY(o), ENTRY(no), ENTRY(b), ENTRY(ae), ENTRY(e), ENTRY(ne), ENTRY(be), ENTRY(a),
    ENTRY(s), ENTRY(ns), ENTRY(p), ENTRY(np), ENTRY(l), ENTRY(ge), ENTRY(le), ENTRY(g),
};

/* The Jcc conditions, from the manual's table. */
static int holds(int cc, uint32_t f)
{
    int sf_ne_of = !(f & SF) != !(f & OF);
    int r = 0;
    switch (cc >> 1) {
    case 0: r = !!(f & OF); break;
    case 1: r = !!(f & CF); break;
    case 2: r = !!(f & ZF); break;
    case 3: r = !!(f & (CF | ZF)); break;
    case 4: r = !!(f & SF); break;
    case 5: r = !!(f & PF); break;
    case 6: r = sf_ne_of; break;
    case 7: r = (f & ZF) || sf_ne_of; break;
    }
    return r ^ (cc & 1);
}

/* The count of emulated instructions in /proc/self/status. */
static unsigned long emulated_insns(void)
{
    FILE* f = fopen("/proc/self/status", "r");
    CHECK(f != NULL);
    char line[128];
    unsigned long n = 0;
    int found = 0;
    while (fgets(line, sizeof line, f))
        found |= sscanf(line, "EmulatedInsns: %lu", &n) == 1;
    fclose(f);
    CHECK(found);
    return n;
}

/*
 * AT_HWCAP as the kernel passed it: glibc's getauxval(AT_HWCAP) answers with its own
 * x86 bits instead. The auxiliary vector follows the environment on the initial stack,
 * where environ still points (nothing here calls setenv).
 */
static unsigned long kernel_auxv(unsigned long type)
{
    extern char** environ;
    char** p = environ;
    while (*p)
        p++;
    for (unsigned long* a = (unsigned long*)(p + 1); a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return a[1];
    return 0;
}

static int cpu_has_cmov(void)
{
    return (kernel_auxv(AT_HWCAP) & HWCAP_CMOV) != 0;
}

void test_cmov_conditions(void)
{
    static uint32_t table[64];
    for (int i = 0; i < 64; i++)
        table[i] = 0x01010101u * (uint32_t)i;
    /* Every combination of the six arithmetic flags, for each condition. */
    for (int cc = 0; cc < 16; cc++) {
        for (uint32_t bits = 0; bits < 64; bits++) {
            uint32_t f = 0x202;
            const uint32_t all[6] = { CF, PF, AF, ZF, SF, OF };
            for (int k = 0; k < 6; k++)
                if (bits & (1u << k))
                    f |= all[k];
            int h = holds(cc, f);
            uint32_t got = cmovs[cc].reg(f, 0xDEADBEEF, 0x12345678);
            if (got != (h ? 0x12345678u : 0xDEADBEEFu))
                fail("cmov%s with flags %#x: %#x", cmovs[cc].name, f, got);
            uint32_t i = bits % 60;
            got = cmovs[cc].mem(f, 0xDEADBEEF, table, i);
            if (got != (h ? table[i + 1] : 0xDEADBEEFu))
                fail("cmov%s 4(p,%u,4) with flags %#x: %#x", cmovs[cc].name, i, f, got);
            uint16_t half = 0xA5C3;
            got = cmovs[cc].w(f, 0xDEADBEEF, &half);
            if (got != (h ? 0xDEADA5C3u : 0xDEADBEEFu))
                fail("cmov%sw with flags %#x: %#x", cmovs[cc].name, f, got);
        }
    }
}

/* %gs:0 is glibc's thread pointer (the TCB points to itself): a segment-relative CMOV. */
void test_cmov_tls_and_nops(void)
{
    uint32_t self, moved = 0, kept = 7;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(self));
    __asm__ volatile("xorl %%ecx, %%ecx\n\tcmovel %%gs:0, %0" : "+r"(moved) : : "ecx", "cc");
    __asm__ volatile("testl %%esp, %%esp\n\tcmovel %%gs:0, %0" : "+r"(kept) : : "cc");
    CHECK_EQ(moved, self);
    CHECK_EQ(kept, 7);
    /* The long NOPs compilers pad with; their memory operands are never touched. */
    __asm__ volatile("nopl (%%eax)\n\tnopw 0(%%eax,%%eax,1)\n\t"
                     ".byte 0x66, 0x2e, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0" : : "a"(0));
}

static sigjmp_buf recover;
static volatile siginfo_t last_fault;

static void on_segv(int sig, siginfo_t* info, void* context)
{
    (void)sig, (void)context;
    last_fault = *info;
    siglongjmp(recover, 1);
}

/* Runs cmov (with ZF as given) from `address`, expecting SIGSEGV with code and si_addr. */
static void expect_cmov_fault(const char* what, const char* address, int zf, int code,
                              const char* fault_address)
{
    memset((void*)&last_fault, 0, sizeof last_fault);
    uint32_t dest = 0x600D;
    if (!sigsetjmp(recover, 1)) {
        __asm__ volatile("cmpl $0, %[zf]\n\tcmovnel (%[a]), %[d]"
                         : [d] "+r"(dest) : [a] "r"(address), [zf] "r"(zf) : "cc", "memory");
        fail("%s: no SIGSEGV", what);
    }
    if (last_fault.si_signo != SIGSEGV || last_fault.si_code != code ||
        last_fault.si_addr != fault_address)
        fail("%s: signal %d code %d address %p; want SIGSEGV, code %d, address %p", what,
             last_fault.si_signo, last_fault.si_code, last_fault.si_addr, code, fault_address);
}

/*
 * Ferrite's user segments end at 3 GB, so the CPU raises #GP there (SI_KERNEL, no
 * address) before paging; QEMU does not check the limits of flat segments and
 * page-faults instead (SEGV_MAPERR at the address), as Linux's 4 GB segments do.
 */
static void expect_kernel_half_fault(int zf)
{
    const char* kernel = (const char*)0xC0001000u;
    memset((void*)&last_fault, 0, sizeof last_fault);
    uint32_t dest = 0;
    if (!sigsetjmp(recover, 1)) {
        __asm__ volatile("cmpl $0, %[zf]\n\tcmovnel (%[a]), %[d]"
                         : [d] "+r"(dest) : [a] "r"(kernel), [zf] "r"(zf) : "cc", "memory");
        fail("cmov from the kernel's half: no SIGSEGV");
    }
    int as_gp = last_fault.si_code == 0x80 /* SI_KERNEL */ && last_fault.si_addr == NULL;
    int as_page_fault = last_fault.si_code == SEGV_MAPERR && last_fault.si_addr == kernel;
    if (last_fault.si_signo != SIGSEGV || !(as_gp || as_page_fault))
        fail("cmov from the kernel's half: signal %d code %d address %p", last_fault.si_signo,
             last_fault.si_code, last_fault.si_addr);
}

void test_cmov_fault(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char* p = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    CHECK_EQ(munmap(p + page, page), 0);
    CHECK_EQ(mprotect(p + 2 * page, page, PROT_NONE), 0);
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
    /* The condition does not matter: the operand is read first. */
    for (int zf = 0; zf < 2; zf++) {
        expect_cmov_fault("cmov from an unmapped page", p + page + 12, zf, SEGV_MAPERR,
                          p + page + 12);
        expect_cmov_fault("cmov from a PROT_NONE page", p + 2 * page + 40, zf, SEGV_ACCERR,
                          p + 2 * page + 40);
        expect_cmov_fault("cmov across into an unmapped page", p + page - 2, zf, SEGV_MAPERR,
                          p + page);
        expect_kernel_half_fault(zf);
    }
    /* Nor does the fault lose the page it could resolve: a page not yet touched. */
    uint32_t dest = 1;
    __asm__ volatile("cmpl %%eax, %%eax\n\tcmovnel (%[a]), %[d]"
                     : [d] "+r"(dest) : [a] "r"(p + 4), "a"(0) : "cc", "memory");
    CHECK_EQ(dest, 1);
}

/* FCOMI and friends into EFLAGS, FCMOV on the x87 stack. */
void test_fcomi_fcmov(void)
{
    static const struct { double a, b; uint32_t want; } cases[] = {
        { 1.0, 2.0, CF }, { 2.0, 1.0, 0 }, { 3.0, 3.0, ZF }, { -0.0, 0.0, ZF },
        { __builtin_nan(""), 1.0, ZF | PF | CF },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t f1, f2;
        double a = cases[i].a, b = cases[i].b;
        __asm__ volatile("fldl %2\n\tfldl %3\n\tfucomi %%st(1), %%st\n\tpushfl\n\tpopl %0\n\t"
                         "fcomip %%st(1), %%st\n\tpushfl\n\tpopl %1\n\tfstp %%st(0)"
                         : "=r"(f1), "=r"(f2) : "m"(b), "m"(a) : "cc");
        if ((f1 & (CF | PF | ZF)) != cases[i].want || (f2 & (CF | PF | ZF)) != cases[i].want)
            fail("fucomi/fcomip of %g and %g: flags %#x %#x, want %#x", a, b, f1, f2,
                 cases[i].want);
    }
    double result, one = 1.0, two = 2.0;
    /* cmp 1 with 2 sets CF: fcmovb moves, fcmovnb does not. */
    __asm__ volatile("fldl %1\n\tfldl %2\n\tcmpl $2, %3\n\tfcmovb %%st(1), %%st\n\t"
                     "fstpl %0\n\tfstp %%st(0)" : "=m"(result) : "m"(two), "m"(one), "r"(1) : "cc");
    CHECK(result == 2.0);
    __asm__ volatile("fldl %1\n\tfldl %2\n\tcmpl $2, %3\n\tfcmovnb %%st(1), %%st\n\t"
                     "fstpl %0\n\tfstp %%st(0)" : "=m"(result) : "m"(two), "m"(one), "r"(1) : "cc");
    CHECK(result == 1.0);
}

/* AT_HWCAP is CPUID's feature word, CMOV included or not; uname names the CPU family. */
void test_cpu_truth(void)
{
    if (on_linux)
        skip("checks Ferrite's own AT_HWCAP and uname");
    uint32_t before, after;
    __asm__ volatile("pushfl\n\tpopl %0\n\tmovl %0, %1\n\txorl $0x200000, %1\n\tpushl %1\n\t"
                     "popfl\n\tpushfl\n\tpopl %1\n\tpushl %0\n\tpopfl" : "=&r"(before), "=&r"(after));
    uint32_t signature = 0x400, features = 0;
    if ((before ^ after) & 0x200000) {
        uint32_t b, c;
        __asm__ volatile("cpuid" : "=a"(signature), "=b"(b), "=c"(c), "=d"(features) : "a"(1));
    }
    CHECK_EQ(kernel_auxv(AT_HWCAP), features);
    uint32_t family = (signature >> 8) & 0xF;
    const char* machine = family <= 4 ? "i486" : family == 5 ? "i586" : "i686";
    struct utsname u;
    CHECK_EQ(uname(&u), 0);
    if (strcmp(u.machine, machine) != 0)
        fail("uname machine %s on a CPU of family %u; want %s", u.machine, family, machine);
    CHECK(strcmp((const char*)kernel_auxv(AT_PLATFORM), machine) == 0);
}

/* Where the CPU has CMOV nothing traps; where it lacks it, each one is counted. */
void test_emulated_count(void)
{
    if (on_linux)
        skip("/proc/PID/status has no EmulatedInsns on Linux");
    unsigned long before = emulated_insns();
    uint32_t d = 0;
    for (int i = 0; i < 100; i++)
        __asm__ volatile("cmpl $0, %1\n\tcmovel %1, %0" : "+r"(d) : "r"(i) : "cc");
    unsigned long after = emulated_insns();
    diag("CMOV %s: %lu emulated instructions in this process so far",
         cpu_has_cmov() ? "native" : "emulated", after);
    if (cpu_has_cmov())
        CHECK_EQ(after, 0);
    else
        CHECK(after >= before + 100);
}
