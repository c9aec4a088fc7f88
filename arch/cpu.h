/* Control registers, TLB flushes, the time-stamp counter, CPUID, compiler barrier. */
#pragma once

#if defined(__i386__)
#include <arch/i386/cpu.h>
#else
#error "no cpu interface for this architecture"
#endif
