/* The interrupt descriptor table: 32 exceptions and 16 IRQ lines, all through entry.S. */
#include <arch/i386/interrupts.h>
#include <arch/i386/segments.h>

namespace {

constexpr u32 stub_size = 16;
constexpr u32 NR_VECTORS = 256;

struct Gate {
    u16 offset_low;
    u16 selector;
    u8 zero;
    u8 type_attr;
    u16 offset_high;
};
static_assert(sizeof(Gate) == 8);

constexpr u8 INTERRUPT_GATE = 0x8E;     /* present, DPL 0, 32-bit interrupt gate */
constexpr u8 TRAP_GATE = 0x8F;          /* the same, leaving interrupts on */
constexpr u8 DPL3 = 0x60;

Gate idt[NR_VECTORS];

struct [[gnu::packed]] {
    u16 limit;
    u32 base;
} idt_descr;

void set_gate(u32 vector, u32 handler, u8 type_attr)
{
    idt[vector] = { u16(handler), KERNEL_CS, 0, type_attr, u16(handler >> 16) };
}

} // namespace

void idt_init()
{
    for (u32 v = 0; v < 32 + NR_IRQS; v++)
        set_gate(v, u32(trap_stubs) + v * stub_size, INTERRUPT_GATE);
    /* int3 and into may be used from user mode, as on Linux. */
    set_gate(3, u32(trap_stubs) + 3 * stub_size, INTERRUPT_GATE | DPL3);
    set_gate(4, u32(trap_stubs) + 4 * stub_size, INTERRUPT_GATE | DPL3);
    /* System calls run with interrupts on, as any other process context. */
    set_gate(SYSCALL_VECTOR, u32(system_call_stub), TRAP_GATE | DPL3);
    idt_descr = { sizeof idt - 1, u32(idt) };
    asm volatile("lidt %0" : : "m"(idt_descr));
}
