#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/timer.h>
#include <kernel/task.h>

volatile u32 jiffies;

namespace timer {
namespace {

constexpr u32 PIT_FREQUENCY = 1193182;
constexpr u16 PIT_CHANNEL0 = 0x40;
constexpr u16 PIT_COMMAND = 0x43;
constexpr u32 DIVISOR = (PIT_FREQUENCY + HZ / 2) / HZ;
static_assert(DIVISOR > 0 && DIVISOR < 65536);

/* Channel 0's count (DIVISOR .. 1), latched so that both bytes belong together. */
u16 read_counter()
{
    arch::InterruptDisabler guard;
    arch::outb(PIT_COMMAND, 0x00);      /* latch channel 0 */
    u8 low = arch::inb(PIT_CHANNEL0);
    return u16(low | arch::inb(PIT_CHANNEL0) << 8);
}

void tick(TrapFrame& frame)
{
    jiffies = jiffies + 1;
    if (current)
        scheduler_tick(frame);
}

} // namespace

void init()
{
    arch::outb(PIT_COMMAND, 0x34);      /* channel 0, lobyte/hibyte, mode 2 (rate generator) */
    arch::outb(PIT_CHANNEL0, u8(DIVISOR));
    arch::outb(PIT_CHANNEL0, u8(DIVISOR >> 8));
    request_irq(0, tick);
}

Stopwatch::Stopwatch() : m_last(read_counter()), m_start_jiffies(jiffies) { }

u32 Stopwatch::elapsed_ms()
{
    u16 now = read_counter();
    /* The counter runs down; below the last reading it has not wrapped since. */
    u32 counts = now <= m_last ? m_last - now : m_last + DIVISOR - now;
    m_last = now;
    /* In 32 bits (no 64-bit division without libgcc): at most DIVISOR * 1000 is added. */
    m_rest += counts * 1000;
    m_ms += m_rest / PIT_FREQUENCY;
    m_rest %= PIT_FREQUENCY;
    /* Whole ticks seen, less the one the start may have been late in. */
    u32 ticks = jiffies - m_start_jiffies;
    u32 by_ticks = ticks ? (ticks - 1) * (1000 / HZ) : 0;
    return m_ms > by_ticks ? m_ms : by_ticks;
}

} // namespace timer
