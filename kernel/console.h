/*
 * Consoles: where kernel messages and the console terminal's output go (serial port, VGA
 * text screen, Bochs's port 0xE9), and where the serial port's and the keyboard's input
 * enters the terminal (kernel/tty.h).
 */
#pragma once

#include <kernel/types.h>

struct Console {
    const char* name;
    /* Kernel messages: a newline starts a new line, whatever the device needs for that. */
    void (*write)(const char* s, size_t n);
    /* The terminal's output, already processed by termios (OPOST); nullptr: as write. */
    void (*write_raw)(const char* s, size_t n) = nullptr;
    Console* next = nullptr;
};

void register_console(Console& console);
void console_write(const char* s, size_t n);
void console_write_tty(const char* s, size_t n);
void console_print(const char* fmt, ...) __printf(1, 2);

/*
 * For self-tests: while one lives, everything written to the consoles goes to `console`
 * alone (the terminal's echo, say, which the KTAP report must not get).
 */
class ConsoleRedirect {
public:
    explicit ConsoleRedirect(Console& console);
    ~ConsoleRedirect();
    ConsoleRedirect(const ConsoleRedirect&) = delete;
    ConsoleRedirect& operator=(const ConsoleRedirect&) = delete;

private:
    Console* m_saved;
};

/* Input: drivers push typed characters from interrupt handlers into the terminal. */
void console_input(char c);
