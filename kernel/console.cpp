#include <arch/i386/io.h>
#include <kernel/console.h>
#include <kernel/format.h>

namespace {

Console* consoles;

/* Single producer (interrupt handlers, interrupts off) and single consumer ring. */
constexpr size_t input_size = 256;
char input_ring[input_size];
volatile size_t input_head;     /* next slot to write */
volatile size_t input_tail;     /* next slot to read */

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

void console_print(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kfmt::vformat(write_all, nullptr, fmt, ap);
    va_end(ap);
}

void console_input(char c)
{
    size_t next = (input_head + 1) % input_size;
    if (next == input_tail)
        return;         /* full: drop, as a terminal does when nobody reads */
    input_ring[input_head] = c;
    input_head = next;
}

int console_read_char()
{
    arch::InterruptDisabler guard;
    if (input_tail == input_head)
        return -1;
    char c = input_ring[input_tail];
    input_tail = (input_tail + 1) % input_size;
    return (unsigned char)c;
}
