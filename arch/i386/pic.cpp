/* The two 8259A interrupt controllers, remapped above the CPU's exceptions. */
#include <arch/i386/interrupts.h>
#include <arch/i386/irqflags.h>
#include <arch/i386/ports.h>

namespace {

constexpr u16 PIC1_CMD = 0x20, PIC1_DATA = 0x21;
constexpr u16 PIC2_CMD = 0xA0, PIC2_DATA = 0xA1;
constexpr u8 EOI = 0x20;
constexpr unsigned CASCADE_IRQ = 2;

IrqHandler irq_handlers[NR_IRQS];
u16 irq_mask = 0xFFFF & ~(1u << CASCADE_IRQ);

void write_mask()
{
    arch::outb(PIC1_DATA, u8(irq_mask));
    arch::outb(PIC2_DATA, u8(irq_mask >> 8));
}

} // namespace

void pic_init()
{
    auto out = [](u16 port, u8 v) { arch::outb(port, v); arch::io_delay(); };
    out(PIC1_CMD, 0x11);                /* ICW1: edge triggered, cascade, ICW4 follows */
    out(PIC2_CMD, 0x11);
    out(PIC1_DATA, IRQ_BASE);           /* ICW2: vector base */
    out(PIC2_DATA, IRQ_BASE + 8);
    out(PIC1_DATA, 1 << CASCADE_IRQ);   /* ICW3: slave on IRQ 2 */
    out(PIC2_DATA, CASCADE_IRQ);
    out(PIC1_DATA, 0x01);               /* ICW4: 8086 mode */
    out(PIC2_DATA, 0x01);
    write_mask();
}

void request_irq(unsigned irq, IrqHandler handler)
{
    arch::InterruptDisabler guard;
    irq_handlers[irq] = handler;
    irq_mask &= ~(1u << irq);
    write_mask();
}

namespace {
u32 irq_counts[16];
}

u32 irq_count(unsigned irq)
{
    return irq < 16 ? irq_counts[irq] : 0;
}

/* Called by trap_dispatch for vectors IRQ_BASE..IRQ_BASE+15. */
void handle_irq(TrapFrame& frame)
{
    unsigned irq = frame.vector - IRQ_BASE;
    /*
     * IRQ 7 and 15 also arrive spuriously; the in-service register tells. A spurious IRQ 15
     * still needs an EOI to the master for the cascade line.
     */
    if (irq == 7 || irq == 15) {
        u16 cmd = irq == 7 ? PIC1_CMD : PIC2_CMD;
        arch::outb(cmd, 0x0B);
        if (!(arch::inb(cmd) & 0x80)) {
            if (irq == 15)
                arch::outb(PIC1_CMD, EOI);
            return;
        }
    }
    if (irq >= 8)
        arch::outb(PIC2_CMD, EOI);
    arch::outb(PIC1_CMD, EOI);
    irq_counts[irq]++;
    if (irq_handlers[irq])
        irq_handlers[irq](frame);
}
