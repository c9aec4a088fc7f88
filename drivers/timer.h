/* The PIT, channel 0, at HZ interrupts a second; jiffies counts them. */
#pragma once

#include <kernel/types.h>

constexpr u32 HZ = 100;
extern volatile u32 jiffies;

namespace timer {
void init();
}
