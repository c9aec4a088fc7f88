/* Segment selectors, the GDT and the task state segment. */
#pragma once

#if defined(__i386__)
#include <arch/i386/gdt.h>
#else
#error "no segments interface for this architecture"
#endif
