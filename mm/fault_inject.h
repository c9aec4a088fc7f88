/*
 * Fault injection, as Linux's fault_attr (lib/fault-inject.c): the kernel command line's
 * `fail_page_alloc=INTERVAL,PROBABILITY,SPACE,TIMES` makes page allocations fail.
 * Pure code (the host tests run it); the allocator asks should_fail() through a hook that
 * mm/memory.cpp sets once init runs (docs/physical-memory.md).
 */
#pragma once

#include <kernel/types.h>

namespace mm {

struct FaultAttr {
    u32 interval = 1;           /* only every INTERVALth call may fail */
    u32 probability = 0;        /* then it fails with this chance, in percent */
    u32 space = 0;              /* bytes that are let through before any failure */
    i32 times = -1;             /* failures left; -1: no limit */
    u32 count = 0;              /* calls seen, for the interval */
    u32 random = 0x9E3779B9;    /* a fixed seed: the same calls fail in the same order */

    /* Linux's format, all four fields: "1,5,0,-1" fails one allocation in twenty. */
    static bool parse(const char* text, FaultAttr& out);

    /* Decides one call of `size` bytes, as Linux's should_fail(). */
    bool should_fail(u32 size);
};

} // namespace mm
