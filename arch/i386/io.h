/* Port I/O, control registers and the interrupt flag, until every user includes the one it needs. */
#pragma once

#include <arch/i386/cpu.h>
#include <arch/i386/irqflags.h>
#include <arch/i386/ports.h>
