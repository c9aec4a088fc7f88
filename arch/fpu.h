/* Saving and restoring user programs' floating-point state. */
#pragma once

#if defined(__i386__)
#include <arch/i386/fpu.h>
#else
#error "no fpu interface for this architecture"
#endif
