/* Exceptions: recovery through the exception table, breakpoints, and the oops report. */
#include <arch/i386/cpu.h>
#include <arch/i386/interrupts.h>
#include <arch/i386/irqflags.h>
#include <arch/i386/traps.h>
#include <drivers/power.h>
#include <kernel/console.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>
#include <mm/vm.h>

void handle_irq(TrapFrame& frame);
long syscall_dispatch(TrapFrame& frame);

volatile u32 breakpoint_count;

namespace {

constexpr u32 VEC_BREAKPOINT = 3;
constexpr u32 VEC_SEGMENT_NOT_PRESENT = 11;
constexpr u32 VEC_STACK_SEGMENT = 12;
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

namespace {

/*
 * A fault in kernel mode. On a user address with a task to serve, the memory manager may
 * resolve it (copy_to_user into a copy-on-write page, say); otherwise an instruction
 * with an exception-table entry resumes at its fixup; anything else is a kernel bug.
 */
void kernel_fault(TrapFrame& frame)
{
    u32 cr2 = frame.vector == VEC_PAGE_FAULT ? arch::read_cr2() : 0;
    mm::PageFaultResponse r = mm::PageFaultResponse::Segv;
    if (frame.vector == VEC_PAGE_FAULT && cr2 < TASK_SIZE && current && current->mm) {
        bool was_enabled = frame.eflags & arch::EFLAGS_IF;
        if (was_enabled)
            arch::sti();
        r = mm::do_page_fault(cr2, frame.error_code);
        if (r == mm::PageFaultResponse::Continue)
            return;
        if (r == mm::PageFaultResponse::OutOfMemory)
            oom(*current);
    }
    if (u32 fixup = search_exception_table(frame.eip)) {
        last_recovered_fault = { frame.vector, cr2, r };
        frame.eip = fixup;
        return;
    }
    oops(frame);
}

} // namespace

void user_access_refused(mm::PageFaultResponse response, u32 address)
{
    int sig = SIGSEGV;
    FaultInfo info { 0, address };
    switch (response) {
    case mm::PageFaultResponse::Continue: return;
    case mm::PageFaultResponse::Segv: info.code = 1 /* SEGV_MAPERR */; break;
    case mm::PageFaultResponse::AccessError: info.code = 2 /* SEGV_ACCERR */; break;
    case mm::PageFaultResponse::BusError: sig = SIGBUS; info.code = 2 /* BUS_ADRERR */; break;
    case mm::PageFaultResponse::OutOfMemory:
        oom(*current);
        return;
    }
    force_fault_signal(*current, sig, info);
}

namespace {

/* An exception in user mode becomes a signal, as Linux maps them. */
void user_exception(TrapFrame& frame, u32 cr2)
{
    int sig = SIGSEGV;
    FaultInfo info { 0x80 /* SI_KERNEL */, 0 };
    switch (frame.vector) {
    case 0: sig = SIGFPE; info = { 1 /* FPE_INTDIV */, frame.eip }; break;
    case 1: case 3: sig = SIGTRAP; info = { 1, frame.eip }; break;
    case 6:
        if (emulate_invalid_opcode(frame))
            return;
        sig = SIGILL;
        info = { 2 /* ILL_ILLOPN */, frame.eip };
        break;
    case 16: case 19: sig = SIGFPE; info = { 0, frame.eip }; break;
    case 17: sig = SIGBUS; info = { 1 /* BUS_ADRALN */, cr2 }; break;
    case 14:
        user_access_refused(mm::do_page_fault(cr2, frame.error_code), cr2);
        return;
    default: break;                     /* #GP and the rest: SIGSEGV, as Linux */
    }
    force_fault_signal(*current, sig, info);
}

} // namespace

extern "C" void trap_dispatch(TrapFrame& frame)
{
    if (frame.vector >= IRQ_BASE && frame.vector < IRQ_BASE + NR_IRQS) {
        handle_irq(frame);
    } else if (frame.vector == SYSCALL_VECTOR) {
        frame.error_code = frame.eax;   /* the call's number, to restart it (Linux's orig_eax) */
        frame.eax = u32(syscall_dispatch(frame));
    } else if (frame.from_user()) {
        u32 cr2 = frame.vector == VEC_PAGE_FAULT ? arch::read_cr2() : 0;
        arch::sti();
        user_exception(frame, cr2);
    } else if (frame.vector == VEC_BREAKPOINT) {
        breakpoint_count = breakpoint_count + 1;    /* a trap: EIP is already past int3 */
    } else if (frame.vector == VEC_PAGE_FAULT || frame.vector == VEC_GENERAL_PROTECTION
               || frame.vector == VEC_SEGMENT_NOT_PRESENT || frame.vector == VEC_STACK_SEGMENT) {
        kernel_fault(frame);        /* the segment faults: a user selector reloaded on return */
    } else {
        oops(frame);
    }
    if (frame.from_user())
        return_to_user(frame);
}
