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
