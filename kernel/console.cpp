#include <arch/interrupts.h>
#include <kernel/console.h>
#include <kernel/format.h>
#include <kernel/poll.h>

namespace {

Console* consoles;

/* Single producer (interrupt handlers, interrupts off) and single consumer ring. */
constexpr size_t input_size = 256;
char input_ring[input_size];
volatile size_t input_head;     /* next slot to write */
volatile size_t input_tail;     /* next slot to read */

void write_all(void*, const char* s, size_t n) { console_write(s, n); }

WaitQueue input_wait;           /* woken by console_input, for poll */

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
    wake_up(input_wait);
}

/* Until processes can sleep on a wait queue: wait for the next interrupt. */
void console_wait_for_input()
{
    arch::sti();
    arch::hlt();
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

namespace {

constexpr size_t line_max = 256;
char line[line_max];
size_t line_length;     /* characters typed into the current line */
size_t line_ready;      /* characters of a finished line not yet read */
size_t line_read;       /* of those, already read */
bool line_eof;

void echo(const char* s, size_t n) { console_write(s, n); }

/* Moves raw input into the line; true when a line (or an end of file) is ready. */
bool cook_input()
{
    int c;
    while (!line_ready && !line_eof && (c = console_read_char()) >= 0) {
        if (c == '\b' || c == 0x7F) {
            if (line_length) {
                line_length--;
                echo("\b \b", 3);
            }
        } else if (c == 4) {                    /* Ctrl-D */
            if (line_length)
                line_ready = line_length;
            else
                line_eof = true;
        } else if (line_length < line_max - 1 || c == '\n') {
            line[line_length++] = char(c);
            echo(&line[line_length - 1], 1);
            if (c == '\n')
                line_ready = line_length;
        }
    }
    return line_ready || line_eof;
}

} // namespace

size_t tty_read(char* buf, size_t n)
{
    while (!cook_input())
        console_wait_for_input();
    if (line_eof && !line_ready) {
        line_eof = false;
        return 0;
    }
    size_t k = line_ready - line_read < n ? line_ready - line_read : n;
    for (size_t i = 0; i < k; i++)
        buf[i] = line[line_read + i];
    line_read += k;
    if (line_read == line_ready) {
        /* The line is used up; anything typed after it moves to the front. */
        for (size_t i = line_ready; i < line_length; i++)
            line[i - line_ready] = line[i];
        line_length -= line_ready;
        line_ready = line_read = 0;
    }
    return k;
}

size_t tty_write(const char* buf, size_t n)
{
    console_write(buf, n);
    return n;
}

u32 tty_poll(PollTable* table)
{
    if (table)
        table->watch(input_wait);
    return POLLOUT | POLLWRNORM | (cook_input() ? POLLIN | POLLRDNORM : 0);
}
