#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/keyboard.h>
#include <kernel/console.h>

namespace keyboard {
namespace {

constexpr u16 data_port = 0x60;
constexpr u16 status_port = 0x64;

/* Scan code set 1 make codes 0x00..0x39 to characters, unshifted and shifted. */
constexpr char plain[] =
    "\0\0331234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
constexpr char shifted[] =
    "\0\033!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
static_assert(sizeof plain == sizeof shifted);

constexpr u8 LSHIFT = 0x2A, RSHIFT = 0x36, CTRL = 0x1D, CAPS = 0x3A;
constexpr u8 RELEASE = 0x80, EXTENDED = 0xE0;

bool shift_down, ctrl_down, caps_lock, extended;

void interrupt(TrapFrame&)
{
    u8 code = arch::inb(data_port);
    if (code == EXTENDED) {
        extended = true;
        return;
    }
    bool released = code & RELEASE;
    u8 key = code & ~RELEASE;
    bool was_extended = extended;
    extended = false;

    if (key == LSHIFT || key == RSHIFT) {
        shift_down = !released;
    } else if (key == CTRL) {
        ctrl_down = !released;
    } else if (!released && key == CAPS) {
        caps_lock = !caps_lock;
    } else if (!released && !was_extended) {
        char c = translate(key, shift_down, ctrl_down, caps_lock);
        if (c)
            console_input(c);
    }
}

} // namespace

char translate(u8 scancode, bool shift, bool ctrl, bool caps)
{
    if (scancode >= sizeof plain - 1)
        return 0;
    char c = plain[scancode];
    bool letter = c >= 'a' && c <= 'z';
    if (shift != (caps && letter))
        c = shifted[scancode];
    if (ctrl && letter)
        return char(plain[scancode] - 'a' + 1);
    return c;
}

void init()
{
    while (arch::inb(status_port) & 1)      /* drain what the BIOS left behind */
        arch::inb(data_port);
    request_irq(1, interrupt);
}

} // namespace keyboard
