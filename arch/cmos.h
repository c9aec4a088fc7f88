/* The battery-backed CMOS memory that holds the real-time clock. */
#pragma once

#if defined(__i386__)
#include <arch/i386/cmos.h>
#else
#error "no cmos interface for this architecture"
#endif
