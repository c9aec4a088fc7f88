/* The i386's control registers, TLB control, the time-stamp counter, CPUID; the compiler barrier. */
#pragma once

#include <kernel/types.h>

namespace arch {

inline u32 read_cr0() { u32 v; asm volatile("movl %%cr0, %0" : "=r"(v)); return v; }
inline void write_cr0(u32 v) { asm volatile("movl %0, %%cr0" : : "r"(v) : "memory"); }
inline u32 read_cr2() { u32 v; asm volatile("movl %%cr2, %0" : "=r"(v)); return v; }
inline u32 read_cr3() { u32 v; asm volatile("movl %%cr3, %0" : "=r"(v)); return v; }
inline void write_cr3(u32 v) { asm volatile("movl %0, %%cr3" : : "r"(v) : "memory"); }
/* CR4 appeared with the Pentium (and late 486s); callers check a CPUID feature first. */
inline u32 read_cr4() { u32 v; asm volatile("movl %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr4(u32 v) { asm volatile("movl %0, %%cr4" : : "r"(v) : "memory"); }
inline void flush_tlb() { write_cr3(read_cr3()); }
inline void invlpg(u32 va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

constexpr u32 CR0_WP = 1u << 16;
constexpr u32 CR0_PG = 1u << 31;

/* rdtsc exists from the Pentium on; callers check CPUID's TSC bit first. */
inline u64 rdtsc() { u32 lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (u64(hi) << 32) | lo; }

/*
 * Tells the compiler that memory may have changed behind its back (a fault handler ran, an
 * interrupt came): values read before are read again. No instruction is emitted.
 */
inline void barrier() { asm volatile("" : : : "memory"); }

/* In a spin-wait loop: pause (rep; nop), a plain nop before the Pentium 4; a barrier too. */
inline void cpu_relax() { asm volatile("rep; nop" : : : "memory"); }

struct CpuidResult {
    u32 eax, ebx, ecx, edx;
};

/* Whether the CPU has CPUID at all: early 486s do not. */
bool has_cpuid();
/* One CPUID leaf (subleaf 0); only when has_cpuid(). */
CpuidResult cpuid(u32 leaf);

} // namespace arch
