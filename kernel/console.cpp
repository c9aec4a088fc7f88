#include <kernel/console.h>
#include <kernel/format.h>
#include <kernel/tty.h>

namespace {

Console* consoles;

void write_all(void*, const char* s, size_t n) { console_write(s, n); }

} // namespace

void register_console(Console& console)
{
    Console** tail = &consoles;
    while (*tail)
        tail = &(*tail)->next;
    console.next = nullptr;
    *tail = &console;
}

void console_write(const char* s, size_t n)
{
    for (Console* c = consoles; c; c = c->next)
        c->write(s, n);
}

void console_write_tty(const char* s, size_t n)
{
    for (Console* c = consoles; c; c = c->next)
        (c->write_raw ? c->write_raw : c->write)(s, n);
}

void console_print(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kfmt::vformat(write_all, nullptr, fmt, ap);
    va_end(ap);
}

ConsoleRedirect::ConsoleRedirect(Console& console) : m_saved(consoles)
{
    console.next = nullptr;
    consoles = &console;
}

ConsoleRedirect::~ConsoleRedirect()
{
    consoles = m_saved;
}

void console_input(char c)
{
    tty_receive(c);
}
