/* Traps and interrupts: the frame the entry stubs build, handler registration, the PIC. */
#pragma once

#include <kernel/types.h>

/* What the entry stub pushes, lowest address first (see entry.S). */
struct TrapFrame {
    u32 edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;
    u32 gs, fs, es, ds;
    u32 vector, error_code;
    u32 eip, cs, eflags;
    u32 user_esp, user_ss;      /* only when the trap came from ring 3 */

    bool from_user() const { return (cs & 3) != 0; }
};

constexpr u32 IRQ_BASE = 0x20;  /* the 8259s are remapped to vectors 0x20..0x2F */
constexpr u32 NR_IRQS = 16;
constexpr u32 SYSCALL_VECTOR = 0x80;

/*
 * Leaves the kernel through a trap frame (exec built it, say) on the current kernel stack:
 * everything below the frame is dropped.
 */
extern "C" [[noreturn]] void jump_to_ret_from_trap(TrapFrame* frame);

using IrqHandler = void (*)(TrapFrame&);

/* entry.S: the stubs of vectors 0..47 (16 bytes each), int $0x80's, and the way back out. */
extern "C" const char trap_stubs[], system_call_stub[], ret_from_trap[];

void idt_init();                /* all 32 exceptions and the 16 IRQ lines */
void pic_init();                /* remap, every line masked */
void request_irq(unsigned irq, IrqHandler handler);     /* installs and unmasks */
/* Interrupts taken on an IRQ line since boot (/proc/stat's intr line); spurious ones not. */
u32 irq_count(unsigned irq);

/* How many int3 traps the kernel has taken (and returned from). */
extern volatile u32 breakpoint_count;

const char* exception_name(u32 vector);
