/* Self-tests of what the boot stub and arch/i386 set up: descriptors, paging, traps. */
#include <arch/i386/cpu.h>
#include <arch/i386/fpu.h>
#include <arch/i386/gdt.h>
#include <arch/i386/interrupts.h>
#include <arch/i386/irqflags.h>
#include <kernel/ksyms.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <mm/layout.h>
#include <mm/memory.h>

extern "C" const char trap_stubs[];
extern "C" [[noreturn]] void start_kernel();

namespace {

struct [[gnu::packed]] TableRegister {
    u16 limit;
    u32 base;
};

u16 read_selector(int which)
{
    u16 v = 0;
    switch (which) {
    case 0: asm volatile("movw %%cs, %0" : "=r"(v)); break;
    case 1: asm volatile("movw %%ds, %0" : "=r"(v)); break;
    case 2: asm volatile("movw %%ss, %0" : "=r"(v)); break;
    default: asm volatile("str %0" : "=r"(v)); break;
    }
    return v;
}

u32 writable_word;

} // namespace

KTEST(gdt, kernel_segments_flat)
{
    for (int entry : { GDT_ENTRY_KERNEL_CS, GDT_ENTRY_KERNEL_DS }) {
        auto d = SegmentDescriptor::decode(gdt[entry]);
        EXPECT_TRUE(d.present);
        EXPECT_TRUE(d.big);
        EXPECT_EQ(d.base, 0u);
        EXPECT_EQ(d.limit, 0xFFFFFFFFu);
        EXPECT_EQ(d.dpl, 0);
    }
    /* Bit 0 of the type is the accessed bit, which the CPU sets on use. */
    EXPECT_EQ(SegmentDescriptor::decode(gdt[GDT_ENTRY_KERNEL_CS]).type & ~1, 0x1A); /* code, r/x */
    EXPECT_EQ(SegmentDescriptor::decode(gdt[GDT_ENTRY_KERNEL_DS]).type & ~1, 0x12); /* data, r/w */
}

KTEST(gdt, user_segments_end_at_3gb)
{
    for (int entry : { GDT_ENTRY_USER_CS, GDT_ENTRY_USER_DS }) {
        auto d = SegmentDescriptor::decode(gdt[entry]);
        EXPECT_TRUE(d.present);
        EXPECT_EQ(d.base, 0u);
        EXPECT_EQ(d.limit, TASK_SIZE - 1);
        EXPECT_EQ(d.dpl, 3);
    }
}

KTEST(gdt, tss_loaded_and_tls_slots_free)
{
    EXPECT_EQ(read_selector(3), TSS_SELECTOR);
    auto d = SegmentDescriptor::decode(gdt[GDT_ENTRY_TSS]);
    EXPECT_TRUE(d.present);
    EXPECT_EQ(d.type, 0x0B);            /* busy 32-bit TSS: ltr marked it */
    EXPECT_EQ(d.base, u32(&tss));
    EXPECT_EQ(tss.ss0, u32(KERNEL_DS));
    EXPECT_NE(tss.esp0, 0u);
    for (int i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++)
        EXPECT_EQ(gdt[GDT_ENTRY_TLS_MIN + i], 0ull);
}

KTEST(gdt, kernel_runs_on_kernel_selectors)
{
    EXPECT_EQ(read_selector(0), KERNEL_CS);
    EXPECT_EQ(read_selector(1), KERNEL_DS);
    EXPECT_EQ(read_selector(2), KERNEL_DS);
    TableRegister gdtr;
    asm volatile("sgdt %0" : "=m"(gdtr));
    EXPECT_EQ(gdtr.base, u32(gdt));     /* a kernel virtual address, not the boot-time one */
    EXPECT_EQ(gdtr.limit, sizeof(u64) * GDT_ENTRIES - 1);
}

KTEST(idt, exceptions_and_irqs_installed)
{
    TableRegister idtr;
    asm volatile("sidt %0" : "=m"(idtr));
    ASSERT_GE(idtr.limit, 48 * 8 - 1);
    const u64* gates = reinterpret_cast<const u64*>(idtr.base);
    for (u32 v = 0; v < 48; v++) {
        u64 g = gates[v];
        u32 handler = u32(g & 0xFFFF) | u32(g >> 48) << 16;
        u32 selector = u32(g >> 16) & 0xFFFF;
        u32 attr = u32(g >> 40) & 0xFF;
        u32 dpl = v == 3 || v == 4 ? 3 : 0;
        EXPECT_EQ(handler, u32(trap_stubs) + v * 16);
        EXPECT_EQ(selector, u32(KERNEL_CS));
        EXPECT_EQ(attr, 0x8Eu | dpl << 5);
    }
    u64 g = gates[0x80];                /* the system-call gate: a DPL 3 trap gate */
    EXPECT_EQ(u32(g >> 40) & 0xFF, 0xEFu);
    EXPECT_EQ(u32(g >> 16) & 0xFFFF, u32(KERNEL_CS));
}

KTEST(paging, enabled_with_write_protect)
{
    u32 cr0 = arch::read_cr0();
    EXPECT_TRUE(cr0 & arch::CR0_PG);
    EXPECT_TRUE(cr0 & arch::CR0_WP);
    EXPECT_EQ(arch::read_cr3(), virt_to_phys(u32(swapper_pg_dir)));
}

KTEST(paging, identity_mapping_dropped)
{
    EXPECT_TRUE(swapper_pg_dir[0].none());
    EXPECT_READ_FAULTS(0x100000);                       /* the kernel's physical address */
    EXPECT_READ_FAULTS(virt_to_phys(u32(&writable_word)));
    EXPECT_READ_FAULTS(0x3FF000);
    for (u32 i = 0; i < arch::pgd_index(PAGE_OFFSET); i++)  /* no user-half entry at all */
        EXPECT_TRUE(swapper_pg_dir[i].none());
}

KTEST(paging, page_zero_unmapped)
{
    EXPECT_READ_FAULTS(0);
    EXPECT_WRITE_FAULTS(0);
    EXPECT_READ_FAULTS(PAGE_OFFSET);                    /* physical page 0 through the kernel map */
    EXPECT_TRUE(pg0[0].none());
}

KTEST(paging, first_4mb_mapped_at_page_offset)
{
    EXPECT_EQ(swapper_pg_dir[arch::pgd_index(PAGE_OFFSET)].frame(), PhysAddr(virt_to_phys(u32(pg0))));
    EXPECT_READABLE(PAGE_OFFSET + PAGE_SIZE);
    EXPECT_READABLE(u32(_text));
    /* pg0 maps physical memory that exists; paging_init cleared the rest (small machines). */
    for (u32 i = 1; i < PTRS_PER_TABLE; i++) {
        if (i * PAGE_SIZE < mm::memory_end)
            EXPECT_EQ(pg0[i].frame(), PhysAddr(i * PAGE_SIZE));
        else
            EXPECT_TRUE(pg0[i].none());
    }
}

KTEST(paging, kernel_text_read_only)
{
    EXPECT_WRITE_FAULTS(u32(_text));
    EXPECT_WRITE_FAULTS(u32(&start_kernel));
    EXPECT_WRITE_FAULTS(u32(_erodata) - 4);
    writable_word = 1;
    EXPECT_TRUE(probe_write_u32(u32(&writable_word), 42));
    EXPECT_EQ(writable_word, 42u);
}

KTEST(traps, int3_returns)
{
    u32 before = breakpoint_count;
    asm volatile("int3");
    asm volatile("int3");
    EXPECT_EQ(breakpoint_count, before + 2);
}

KTEST(traps, page_fault_recovered_with_address)
{
    u32 value = 0xAAAA5555;
    last_recovered_fault = { };
    EXPECT_FALSE(probe_read_u32(0xFFFF0004, value));
    EXPECT_EQ(last_recovered_fault.vector, 14u);
    EXPECT_EQ(last_recovered_fault.address, 0xFFFF0004u);
    EXPECT_EQ(value, 0xAAAA5555u);      /* a failed read stores nothing */
    EXPECT_TRUE(arch::interrupts_enabled());
    u32 v2 = 0;
    EXPECT_TRUE(probe_read_u32(u32(&writable_word), v2));
}

/*
 * Every instruction of the return to user mode that loads a state the process chose has
 * an exception-table entry: the four segment pops and the iret after them.
 */
KTEST(traps, return_to_user_loads_have_fixups)
{
    extern const char ret_from_trap[];
    u32 covered = 0;
    /* popal (1 byte), then pop %gs, %fs (2 bytes each), %es, %ds (1 byte each). */
    const u32 pops[] = { 1, 3, 5, 6 };
    for (u32 offset : pops)
        covered += search_exception_table(u32(ret_from_trap) + offset) != 0;
    EXPECT_EQ(covered, 4u);
    /* addl $8, %esp (3 bytes) after the pops, then iret. */
    EXPECT_EQ(u8(ret_from_trap[10]), 0xCFu);
    EXPECT_NE(search_exception_table(u32(ret_from_trap) + 10), 0u);
}

/* A signal frame's FPU state with a reserved MXCSR bit would make fxrstor fault. */
KTEST(fpu, reserved_mxcsr_bits_refused)
{
    static arch::FpuState state;
    arch::fpu_init_state(state);
    EXPECT_TRUE(arch::fpu_state_valid(state));
    u32 mxcsr;
    memcpy(&mxcsr, state.bytes + 24, 4);
    mxcsr |= 1u << 31;
    memcpy(state.bytes + 24, &mxcsr, 4);
    /* Without fxsave the area is fsave's, which has no MXCSR: anything loads. */
    EXPECT_EQ(arch::fpu_state_valid(state), !arch::cpu_has_fxsr());
}

KTEST(ksyms, lookup_names_functions)
{
    u32 addr = u32(&start_kernel);
    SymbolLookup sym = lookup_symbol(addr + 3);
    ASSERT_TRUE(sym.name != nullptr);
    EXPECT_STREQ(sym.name, "start_kernel");
    EXPECT_EQ(sym.offset, 3u);
    EXPECT_EQ(symbol_address("start_kernel"), addr);
    EXPECT_TRUE(lookup_symbol(0x1000).name == nullptr);
}

namespace {
[[gnu::noinline]] void crash_write_to(u32 address)
{
    *reinterpret_cast<volatile u32*>(address) = 0x0BAD0BAD;
}
}

/* Ends in an oops: run with selftest=crash.kernel_page_fault and read the report. */
KTEST_EXPLICIT(crash, kernel_page_fault)
{
    crash_write_to(0xDEADBEEF);
    EXPECT_TRUE(false);                 /* not reached */
}
