#include <arch/i386/interrupts.h>
#include <arch/i386/io.h>
#include <drivers/timer.h>
#include <kernel/task.h>

volatile u32 jiffies;

namespace timer {
namespace {

constexpr u32 PIT_FREQUENCY = 1193182;
constexpr u16 PIT_CHANNEL0 = 0x40;
constexpr u16 PIT_COMMAND = 0x43;

void tick(TrapFrame& frame)
{
    jiffies = jiffies + 1;
    if (current)
        scheduler_tick(frame);
}

} // namespace

void init()
{
    constexpr u32 divisor = (PIT_FREQUENCY + HZ / 2) / HZ;
    static_assert(divisor > 0 && divisor < 65536);
    arch::outb(PIT_COMMAND, 0x34);      /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    arch::outb(PIT_CHANNEL0, u8(divisor));
    arch::outb(PIT_CHANNEL0, u8(divisor >> 8));
    request_irq(0, tick);
}

} // namespace timer
