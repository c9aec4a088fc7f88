/* Exceptions: recovery through the exception table, breakpoints, and the oops report. */
#include <arch/i386/interrupts.h>
#include <arch/i386/io.h>
#include <drivers/power.h>
#include <kernel/console.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/uaccess.h>

void handle_irq(TrapFrame& frame);

volatile u32 breakpoint_count;

namespace {

constexpr u32 VEC_BREAKPOINT = 3;
constexpr u32 VEC_GENERAL_PROTECTION = 13;
constexpr u32 VEC_PAGE_FAULT = 14;

const char* const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
    "invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
    "invalid TSS", "segment not present", "stack segment fault", "general protection fault",
    "page fault", "reserved", "x87 floating point error", "alignment check", "machine check",
    "SIMD floating point error", "virtualization", "control protection", "reserved",
    "reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "reserved",
    "security exception", "reserved",
};

[[noreturn]] void oops(const TrapFrame& f)
{
    arch::cli();
    u32 cr2 = arch::read_cr2();
    console_print("\nOops: %s (vector %u), error code %#x\n", exception_name(f.vector), f.vector,
                  f.error_code);
    print_symbol("EIP: ", f.eip);
    console_print("EAX: %08x EBX: %08x ECX: %08x EDX: %08x\n", f.eax, f.ebx, f.ecx, f.edx);
    console_print("ESI: %08x EDI: %08x EBP: %08x ESP: %08x\n", f.esi, f.edi, f.ebp,
                  f.esp_at_pusha + 20);     /* kernel trap: no ESP pushed, frame ended here */
    console_print("CS: %04x DS: %04x ES: %04x EFLAGS: %08x\n", f.cs, f.ds, f.es, f.eflags);
    console_print("CR0: %08x CR2: %08x CR3: %08x\n", arch::read_cr0(), cr2, arch::read_cr3());
    show_backtrace(f.ebp);
    console_print("Kernel panic: fatal exception in kernel mode\n");
    halt_after_panic();
}

} // namespace

const char* exception_name(u32 vector)
{
    return vector < 32 ? names[vector] : "interrupt";
}

extern "C" void trap_dispatch(TrapFrame& frame)
{
    if (frame.vector >= IRQ_BASE && frame.vector < IRQ_BASE + NR_IRQS) {
        handle_irq(frame);
        return;
    }
    if (frame.vector == VEC_BREAKPOINT) {
        breakpoint_count = breakpoint_count + 1;
        return;                 /* int3 is a trap: EIP already points past it */
    }
    if (!frame.from_user()
        && (frame.vector == VEC_PAGE_FAULT || frame.vector == VEC_GENERAL_PROTECTION)) {
        if (u32 fixup = search_exception_table(frame.eip)) {
            last_recovered_fault = { frame.vector,
                                     frame.vector == VEC_PAGE_FAULT ? arch::read_cr2() : 0 };
            frame.eip = fixup;
            return;
        }
    }
    /* No user mode exists yet: every other exception is a kernel bug. */
    oops(frame);
}
