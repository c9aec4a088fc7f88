/* The GDT (built by the boot stub, see segments.h) and the task state segment. */
#pragma once

#include <arch/i386/segments.h>
#include <kernel/types.h>

extern "C" u64 gdt[GDT_ENTRIES];

struct Tss {
    u32 prev_task;
    u32 esp0, ss0;
    u32 esp1, ss1, esp2, ss2;
    u32 cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs, ldt;
    u16 trap, iomap_base;
};
static_assert(sizeof(Tss) == 104);

extern Tss tss;

/* Fills the TSS descriptor and loads the task register; esp0 is the boot stack for now. */
void tss_init();

/* Fields of a segment descriptor, for checks. */
struct SegmentDescriptor {
    u32 base, limit;            /* limit in bytes - 1, granularity applied */
    u8 dpl, type;
    bool present, big;
    static SegmentDescriptor decode(u64 raw);
};
