#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/serial.h>
#include <kernel/console.h>

namespace serial {
namespace {

constexpr u16 base = 0x3F8;
constexpr u16 RBR = base + 0, THR = base + 0, DLL = base + 0;
constexpr u16 IER = base + 1, DLM = base + 1;
constexpr u16 FCR = base + 2;
constexpr u16 LCR = base + 3;
constexpr u16 MCR = base + 4;
constexpr u16 LSR = base + 5;

constexpr u8 LSR_DATA_READY = 0x01;
constexpr u8 LSR_THR_EMPTY = 0x20;
constexpr u8 MCR_DTR_RTS_OUT2 = 0x0B;   /* OUT2 gates the UART's interrupt line on PCs */
constexpr u8 MCR_LOOPBACK = 0x10;
constexpr u8 IER_RX_AVAILABLE = 0x01;
constexpr int poll_limit = 100000;

void put_raw(u8 c)
{
    for (int i = 0; i < poll_limit && !(arch::inb(LSR) & LSR_THR_EMPTY); i++) { }
    arch::outb(THR, c);
}

/* The terminal's output: its termios already chose CR LF or not. */
void write_raw(const char* s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_raw(s[i]);
}

Console console { "ttyS0", write, write_raw };

void interrupt(TrapFrame&)
{
    while (arch::inb(LSR) & LSR_DATA_READY) {
        console_input(char(arch::inb(RBR)));    /* Enter's CR: ICRNL makes it NL */
    }
}

} // namespace

void init()
{
    arch::outb(IER, 0);
    arch::outb(LCR, 0x80);              /* DLAB: divisor follows */
    arch::outb(DLL, 1);                 /* 115200 / 1 */
    arch::outb(DLM, 0);
    arch::outb(LCR, 0x03);              /* 8 bits, no parity, 1 stop bit */
    arch::outb(FCR, 0xC7);              /* FIFOs on and cleared, 14-byte trigger */
    arch::outb(MCR, MCR_DTR_RTS_OUT2);
    register_console(console);
}

void enable_input_interrupts()
{
    request_irq(4, interrupt);
    arch::outb(IER, IER_RX_AVAILABLE);
}

void write(const char* s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            put_raw('\r');
        put_raw(s[i]);
    }
}

bool loopback_test(const u8* bytes, size_t n)
{
    arch::InterruptDisabler guard;
    u8 ier = arch::inb(IER);
    arch::outb(IER, 0);
    arch::outb(MCR, MCR_LOOPBACK | MCR_DTR_RTS_OUT2);
    while (arch::inb(LSR) & LSR_DATA_READY)     /* drop anything already received */
        arch::inb(RBR);

    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        put_raw(bytes[i]);
        int tries = 0;
        while (!(arch::inb(LSR) & LSR_DATA_READY) && ++tries < poll_limit) { }
        ok = tries < poll_limit && arch::inb(RBR) == bytes[i];
    }
    arch::outb(MCR, MCR_DTR_RTS_OUT2);
    arch::outb(IER, ier);
    return ok;
}

} // namespace serial
