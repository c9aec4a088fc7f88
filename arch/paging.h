/* Page-table entries, table geometry and the software walk, for the architecture being built. */
#pragma once

#if defined(__i386__) || defined(FERRITE_HOST)
#include <arch/i386/paging.h>   /* pure code: the host tests build it too */
#else
#error "no paging interface for this architecture"
#endif
