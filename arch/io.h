/* Port I/O (outb, inb, io_delay ...), for the architecture being built. */
#pragma once

#if defined(__i386__)
#include <arch/i386/ports.h>
#else
#error "no io interface for this architecture"
#endif
