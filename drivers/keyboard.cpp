#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/keyboard.h>
#include <kernel/console.h>

namespace keyboard {
namespace {

constexpr u16 data_port = 0x60;
constexpr u16 status_port = 0x64;

/* Scan code set 1 make codes 0x00..0x39 to characters, unshifted and shifted. */
/* Backspace gives DEL and Enter CR, as on Linux's console; the terminal's termios does the rest. */
constexpr char plain[] =
    "\0\0331234567890-=\177\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
constexpr char shifted[] =
    "\0\033!@#$%^&*()_+\177\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";
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
    } else if (released) {
        return;
    } else if (const char* sequence = escape_sequence(key, was_extended)) {
        while (*sequence)
            console_input(*sequence++);
    } else if (!was_extended) {
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
    if (ctrl && (c == '[' || c == '\\' || c == ']'))
        return char(c & 037);           /* ^[ ^\\ ^] */
    return c;
}

const char* escape_sequence(u8 scancode, bool extended)
{
    /* Linux's console keymap: the cursor and editing keys are E0-prefixed, F1..F12 not. */
    struct Key { u8 code; bool extended; const char* sequence; };
    static constexpr Key keys[] = {
        { 0x48, true, "\033[A" }, { 0x50, true, "\033[B" }, { 0x4D, true, "\033[C" },
        { 0x4B, true, "\033[D" }, { 0x47, true, "\033[1~" }, { 0x52, true, "\033[2~" },
        { 0x53, true, "\033[3~" }, { 0x4F, true, "\033[4~" }, { 0x49, true, "\033[5~" },
        { 0x51, true, "\033[6~" },
        { 0x3B, false, "\033[[A" }, { 0x3C, false, "\033[[B" }, { 0x3D, false, "\033[[C" },
        { 0x3E, false, "\033[[D" }, { 0x3F, false, "\033[[E" }, { 0x40, false, "\033[17~" },
        { 0x41, false, "\033[18~" }, { 0x42, false, "\033[19~" }, { 0x43, false, "\033[20~" },
        { 0x44, false, "\033[21~" }, { 0x57, false, "\033[23~" }, { 0x58, false, "\033[24~" },
    };
    for (const Key& k : keys)
        if (k.code == scancode && k.extended == extended)
            return k.sequence;
    return nullptr;
}

void init()
{
    while (arch::inb(status_port) & 1)      /* drain what the BIOS left behind */
        arch::inb(data_port);
    request_irq(1, interrupt);
}

} // namespace keyboard
