/* The interrupt flag: turning interrupts off and on, halting until one comes, the guard. */
#pragma once

#include <kernel/types.h>

namespace arch {

constexpr u32 EFLAGS_IF = 1u << 9;

inline u32 read_eflags() { u32 v; asm volatile("pushfl; popl %0" : "=r"(v)); return v; }
inline void cli() { asm volatile("cli" : : : "memory"); }
inline void sti() { asm volatile("sti" : : : "memory"); }
inline bool interrupts_enabled() { return read_eflags() & EFLAGS_IF; }
/* Stops until the next interrupt; with interrupts off, for good. */
inline void hlt() { asm volatile("hlt" : : : "memory"); }
/*
 * Enables interrupts and halts until the next one, returning with interrupts on. sti takes
 * effect after the instruction that follows it, so an interrupt that arrives between a
 * check made with interrupts off and this halt still ends the halt: no wakeup is missed.
 */
inline void safe_halt() { asm volatile("sti; hlt" : : : "memory"); }

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
