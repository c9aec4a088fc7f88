/* The PC's CMOS memory (MC146818 clock and its RAM), reached through an index port and a data port. */
#pragma once

#include <arch/i386/ports.h>

namespace arch {

constexpr u16 CMOS_INDEX = 0x70, CMOS_DATA = 0x71;

inline u8 cmos_read(u8 reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

} // namespace arch
