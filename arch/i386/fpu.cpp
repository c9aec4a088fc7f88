#include <arch/i386/fpu.h>
#include <kernel/string.h>

namespace arch {
namespace {

bool has_fxsr;
bool has_sse;
FpuState initial_state;
/* The MXCSR bits this CPU implements: fxrstor of any other raises #GP. */
u32 mxcsr_mask;

constexpr u32 MXCSR_OFFSET = 24, MXCSR_MASK_OFFSET = 28;
constexpr u32 MXCSR_DEFAULT_MASK = 0xFFBF;     /* when the CPU leaves the field 0 */

u32 field(const FpuState& state, u32 offset)
{
    u32 v;
    memcpy(&v, state.bytes + offset, sizeof v);
    return v;
}

void cpuid(u32 leaf, u32& a, u32& b, u32& c, u32& d)
{
    asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
}

/* CPUID exists when EFLAGS.ID (bit 21) can be flipped; a 486 without it has no SSE. */
bool has_cpuid()
{
    u32 before, after;
    asm volatile("pushfl; popl %0; movl %0, %1; xorl $0x200000, %1; pushl %1; popfl;"
                 "pushfl; popl %1; pushl %0; popfl"
                 : "=&r"(before), "=&r"(after));
    return (before ^ after) & 0x200000;
}

} // namespace

bool cpu_has_sse() { return has_sse; }
bool cpu_has_fxsr() { return has_fxsr; }

void fpu_init()
{
    if (has_cpuid()) {
        u32 a, b, c, d;
        cpuid(1, a, b, c, d);
        has_fxsr = d & (1u << 24);
        has_sse = has_fxsr && (d & (1u << 25));
    }
    u32 cr0;
    asm volatile("movl %%cr0, %0" : "=r"(cr0));
    cr0 &= ~(1u << 2);                  /* EM off: an FPU is there */
    cr0 &= ~(1u << 3);                  /* TS off: state is switched eagerly */
    cr0 |= (1u << 1) | (1u << 5);       /* MP, NE: FPU errors as exceptions */
    asm volatile("movl %0, %%cr0" : : "r"(cr0));
    if (has_sse) {
        u32 cr4;
        asm volatile("movl %%cr4, %0" : "=r"(cr4));
        cr4 |= (1u << 9) | (1u << 10);  /* OSFXSR, OSXMMEXCPT */
        asm volatile("movl %0, %%cr4" : : "r"(cr4));
    }
    asm volatile("fninit");
    fpu_save(initial_state);
    if (has_fxsr) {
        mxcsr_mask = field(initial_state, MXCSR_MASK_OFFSET);
        if (!mxcsr_mask)
            mxcsr_mask = MXCSR_DEFAULT_MASK;
    }
}

bool fpu_state_valid(const FpuState& state)
{
    return !has_fxsr || !(field(state, MXCSR_OFFSET) & ~mxcsr_mask);
}

void fpu_init_state(FpuState& state)
{
    memcpy(&state, &initial_state, sizeof state);
}

void fpu_save(FpuState& state)
{
    if (has_fxsr)
        asm volatile("fxsave %0" : "=m"(state));
    else
        asm volatile("fnsave %0; frstor %0" : "+m"(state));   /* fnsave reinitialises */
}

void fpu_restore(const FpuState& state)
{
    if (has_fxsr)
        asm volatile("fxrstor %0" : : "m"(state));
    else    /* frstor waits for the FPU: an exception the last state left pending must not fire here */
        asm volatile("fnclex; frstor %0" : : "m"(state));
}

} // namespace arch
