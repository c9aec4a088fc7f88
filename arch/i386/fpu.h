/*
 * The FPU and SSE state of user programs (glibc uses both). The kernel itself never
 * touches them (-mgeneral-regs-only), so the state is saved and restored on every switch.
 */
#pragma once

#include <kernel/types.h>

namespace arch {

struct alignas(16) FpuState {
    u8 bytes[512];                      /* fxsave's layout, or fsave's in the first 108 */
};

void fpu_init();                        /* CR0/CR4 set up; which save format to use */
void fpu_init_state(FpuState& state);   /* what a new program starts with */
void fpu_save(FpuState& state);
void fpu_restore(const FpuState& state);
/* Whether fpu_restore can load a state user code supplied (no reserved MXCSR bit set). */
bool fpu_state_valid(const FpuState& state);
bool cpu_has_sse();
bool cpu_has_fxsr();

} // namespace arch
