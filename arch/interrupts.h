/* The interrupt flag and its guard; trap frames, IRQ registration. */
#pragma once

#if defined(__i386__)
#include <arch/i386/irqflags.h>
#include <arch/i386/interrupts.h>
#else
#error "no interrupts interface for this architecture"
#endif
