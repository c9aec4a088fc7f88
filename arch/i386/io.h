/* Port I/O, control registers and the interrupt flag. */
#pragma once

#include <kernel/types.h>

namespace arch {

inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(u16 port, u16 v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(u16 port, u32 v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
inline u16 inw(u16 port) { u16 v; asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
inline u32 inl(u16 port) { u32 v; asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
/* A write to an unused port: about a microsecond on ISA, enough for old PICs and PITs. */
inline void io_delay() { outb(0x80, 0); }

inline u32 read_cr0() { u32 v; asm volatile("movl %%cr0, %0" : "=r"(v)); return v; }
inline u32 read_cr2() { u32 v; asm volatile("movl %%cr2, %0" : "=r"(v)); return v; }
inline u32 read_cr3() { u32 v; asm volatile("movl %%cr3, %0" : "=r"(v)); return v; }
inline void write_cr3(u32 v) { asm volatile("movl %0, %%cr3" : : "r"(v) : "memory"); }
inline u32 read_eflags() { u32 v; asm volatile("pushfl; popl %0" : "=r"(v)); return v; }
inline void flush_tlb() { write_cr3(read_cr3()); }
inline void invlpg(u32 va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

constexpr u32 CR0_WP = 1u << 16;
constexpr u32 CR0_PG = 1u << 31;
constexpr u32 EFLAGS_IF = 1u << 9;

inline void cli() { asm volatile("cli" : : : "memory"); }
inline void sti() { asm volatile("sti" : : : "memory"); }
inline void hlt() { asm volatile("hlt" : : : "memory"); }
inline bool interrupts_enabled() { return read_eflags() & EFLAGS_IF; }

/* rdtsc exists from the Pentium on; callers check cpu_has_tsc() first. */
inline u64 rdtsc() { u32 lo, hi; asm volatile("rdtsc" : "=a"(lo), "=d"(hi)); return (u64(hi) << 32) | lo; }

/* Disables interrupts for its lifetime and restores the previous state. */
class InterruptDisabler {
public:
    InterruptDisabler() : m_was_enabled(interrupts_enabled()) { cli(); }
    ~InterruptDisabler() { if (m_was_enabled) sti(); }
    InterruptDisabler(const InterruptDisabler&) = delete;
    InterruptDisabler& operator=(const InterruptDisabler&) = delete;
private:
    bool m_was_enabled;
};

} // namespace arch
