/* 64-bit by 32-bit division without libgcc, for the architecture being built. */
#pragma once

#if defined(FERRITE_HOST)
#include <kernel/types.h>
namespace arch {
/* The host tests' build: a 64-bit machine divides natively. */
inline u32 div64_32(u64& value, u32 base) { u32 rem = u32(value % base); value /= base; return rem; }
} // namespace arch
#elif defined(__i386__)
#include <arch/i386/div64.h>
#else
#error "no div64 interface for this architecture"
#endif
