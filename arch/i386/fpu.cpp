#include <arch/i386/cpu.h>
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

} // namespace

bool cpu_has_sse() { return has_sse; }
bool cpu_has_fxsr() { return has_fxsr; }

void fpu_init()
{
    if (has_cpuid()) {                  /* a 486 without CPUID has no SSE */
        u32 features = cpuid(1).edx;
        has_fxsr = features & (1u << 24);
        has_sse = has_fxsr && (features & (1u << 25));
    }
    u32 cr0 = read_cr0();
    cr0 &= ~(1u << 2);                  /* EM off: an FPU is there */
    cr0 &= ~(1u << 3);                  /* TS off: state is switched eagerly */
    cr0 |= (1u << 1) | (1u << 5);       /* MP, NE: FPU errors as exceptions */
    write_cr0(cr0);
    if (has_sse)
        write_cr4(read_cr4() | (1u << 9) | (1u << 10));     /* OSFXSR, OSXMMEXCPT */
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
