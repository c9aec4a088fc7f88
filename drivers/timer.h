/* The PIT, channel 0, at HZ interrupts a second; jiffies counts them. */
#pragma once

#include <kernel/types.h>

constexpr u32 HZ = 100;
extern volatile u32 jiffies;

namespace timer {
void init();

/*
 * Time measured without the timer interrupt, for waits that poll with interrupts off
 * (jiffies stand still then): PIT channel 0's counter runs whatever the interrupt flag.
 * It counts down once a period (1/HZ s) and reloads; reads less than a period apart see
 * every wrap. A longer gap (the emulator descheduled on a busy host, say) loses whole
 * periods, so a deadline can only come late; where the timer interrupt runs, jiffies
 * make up for them.
 */
class Stopwatch {
public:
    Stopwatch();
    /* Milliseconds since construction; call it more often than HZ times a second. */
    u32 elapsed_ms();

private:
    u16 m_last;
    u32 m_start_jiffies;
    u32 m_ms = 0;
    u32 m_rest = 0;             /* PIT input clocks beyond m_ms, times 1000 */
};
}
