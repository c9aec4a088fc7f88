#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/power.h>

bool power_off_on_panic;

namespace {
[[noreturn]] void halt_forever()
{
    for (;;) {
        arch::cli();
        arch::hlt();
    }
}
} // namespace

void machine_power_off(u8 status)
{
    arch::cli();
    arch::outb(0xF4, status);
    for (const char* p = "Shutdown"; *p; p++)
        arch::outb(0x8900, *p);
    halt_forever();
}

void halt_after_panic()
{
    if (power_off_on_panic)
        machine_power_off(panic_exit_status);
    halt_forever();
}
