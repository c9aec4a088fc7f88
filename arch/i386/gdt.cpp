#include <arch/i386/gdt.h>
#include <mm/layout.h>

Tss tss;

SegmentDescriptor SegmentDescriptor::decode(u64 raw)
{
    SegmentDescriptor d;
    d.base = u32((raw >> 16) & 0xFFFFFF) | u32((raw >> 56) & 0xFF) << 24;
    u32 limit = u32(raw & 0xFFFF) | u32((raw >> 48) & 0xF) << 16;
    bool granular = raw & (1ull << 55);
    d.limit = granular ? (limit << 12 | 0xFFF) : limit;
    d.type = u8((raw >> 40) & 0x1F);
    d.dpl = u8((raw >> 45) & 3);
    d.present = raw & (1ull << 47);
    d.big = raw & (1ull << 54);
    return d;
}

void tss_init()
{
    tss.ss0 = KERNEL_DS;
    tss.esp0 = u32(boot_stack_top);
    tss.iomap_base = sizeof(Tss);       /* no I/O bitmap: ring 3 may touch no port */
    u32 base = u32(&tss);
    u32 limit = sizeof(Tss) - 1;
    gdt[GDT_ENTRY_TSS] = u64(limit & 0xFFFF) | u64(base & 0xFFFFFF) << 16
                       | u64(0x89) << 40    /* present, DPL 0, available 32-bit TSS */
                       | u64((limit >> 16) & 0xF) << 48 | u64(base >> 24) << 56;
    asm volatile("ltr %w0" : : "r"(TSS_SELECTOR));
}
