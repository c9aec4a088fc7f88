/*
 * Consoles: where kernel messages and the console device's output go (serial port, VGA
 * text screen, Bochs's port 0xE9), and the one input queue fed by the serial port and the
 * keyboard.
 */
#pragma once

#include <kernel/types.h>

struct Console {
    const char* name;
    void (*write)(const char* s, size_t n);
    Console* next = nullptr;
};

void register_console(Console& console);
void console_write(const char* s, size_t n);
void console_print(const char* fmt, ...) __printf(1, 2);

/* Input: drivers push characters from interrupt handlers; readers take them. */
void console_input(char c);
int console_read_char();        /* -1 when nothing is queued */
void console_wait_for_input();  /* sleeps until console_input may have run */

/*
 * The console as a terminal, canonical mode: input is echoed and edited (backspace) a line
 * at a time; read returns what is left of the current line, up to n bytes, and 0 for a
 * Ctrl-D at the start of a line. Blocks until a line is complete.
 */
size_t tty_read(char* buf, size_t n);
size_t tty_write(const char* buf, size_t n);

/* poll on the console: readable when a line (or an end of file) is ready; always writable. */
class PollTable;
u32 tty_poll(PollTable* table);
