#include <arch/io.h>
#include <drivers/vga.h>
#include <kernel/console.h>
#include <mm/layout.h>

namespace vga {
namespace {

constexpr u16 crtc_index = 0x3D4;
constexpr u16 crtc_data = 0x3D5;
constexpr u8 attribute = 0x07;          /* light grey on black */

volatile u16* const screen = reinterpret_cast<volatile u16*>(phys_to_virt(0xB8000));
int row, column;

Console console { "tty0", write };

u16 blank() { return u16(attribute << 8 | ' '); }

void move_cursor()
{
    u16 pos = u16(row * columns + column);
    arch::outb(crtc_index, 0x0E);
    arch::outb(crtc_data, u8(pos >> 8));
    arch::outb(crtc_index, 0x0F);
    arch::outb(crtc_data, u8(pos));
}

void scroll()
{
    for (int i = 0; i < (rows - 1) * columns; i++)
        screen[i] = screen[i + columns];
    for (int i = (rows - 1) * columns; i < rows * columns; i++)
        screen[i] = blank();
    row = rows - 1;
}

void newline()
{
    column = 0;
    if (++row == rows)
        scroll();
}

void put(char c)
{
    switch (c) {
    case '\n':
        newline();
        break;
    case '\r':
        column = 0;
        break;
    case '\b':
        if (column > 0)
            column--;
        break;
    case '\t':
        do
            put(' ');
        while (column % 8);
        break;
    default:
        screen[row * columns + column] = u16(attribute << 8 | (unsigned char)c);
        if (++column == columns)
            newline();
        break;
    }
}

} // namespace

void init()
{
    for (int i = 0; i < rows * columns; i++)
        screen[i] = blank();
    row = column = 0;
    move_cursor();
    register_console(console);
}

void write(const char* s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(s[i]);
    move_cursor();
}

u16 cell(int r, int c)
{
    return screen[r * columns + c];
}

} // namespace vga
