/*
 * The invalid-opcode trap of user mode on a CPU without the i686 instructions: fetch the
 * instruction, let insn:: decode and carry it out on the saved registers, and turn a
 * fault on its memory operand into the signal the real instruction would have raised.
 */
#include <arch/i386/gdt.h>
#include <arch/i386/insn_emulate.h>
#include <arch/i386/traps.h>
#include <arch/interrupts.h>
#include <drivers/timer.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>

namespace {

/* What an access refused on behalf of the instruction should raise. */
struct AccessContext {
    const TrapFrame& frame;
    bool general_protection = false;    /* a segment check failed: #GP */
    bool page_fault = false;            /* the memory manager refused: last_recovered_fault */
    u32 kernel_space = 0;               /* the operand reaches TASK_SIZE here (nonzero) */
};

/*
 * The base and limit of a user data segment. The flat user segments (CS, DS, ES, SS)
 * start at 0; FS and GS may select a TLS entry of the GDT (glibc's %gs). False for a
 * selector the CPU would refuse to load or use: a #GP.
 */
bool segment_bounds(const TrapFrame& f, insn::Segment s, u32& base, u32& limit)
{
    u32 selector = s == insn::Segment::FS ? f.fs : s == insn::Segment::GS ? f.gs : USER_DS;
    selector &= 0xFFFF;                 /* a pushed segment register's upper half is junk */
    u32 index = selector >> 3;
    if ((selector & 4) || index >= GDT_ENTRIES || (selector & 3) != 3)
        return false;                   /* null, an LDT selector, or not a user one */
    SegmentDescriptor d = SegmentDescriptor::decode(gdt[index]);
    bool readable_data = (d.type & 0x18) == 0x10 || (d.type & 0x1A) == 0x1A;
    if (!d.present || d.dpl != 3 || !readable_data || (d.type & 0x1C) == 0x14)
        return false;                   /* expand-down segments are not used here */
    base = d.base;
    limit = d.limit;
    return true;
}

bool read_operand(void* context, insn::Segment segment, u32 offset, void* buf, size_t n)
{
    auto& c = *static_cast<AccessContext*>(context);
    u32 base, limit;
    if (!segment_bounds(c.frame, segment, base, limit) || offset > limit ||
        n - 1 > limit - offset) {
        c.general_protection = true;
        return false;
    }
    u32 address = base + offset;
    Userspace<const void*> operand(address);    /* where the user's instruction points */
    if (!user_range_ok(operand, n)) {
        /* The CPU would fault on the first byte in kernel space, a supervisor page. */
        c.kernel_space = address < TASK_SIZE ? TASK_SIZE : address;
        return false;
    }
    if (!copy_from_user(buf, operand, n).is_error())
        return true;
    c.page_fault = true;
    return false;
}

/*
 * Copies the instruction at EIP, up to MAX_INSN_LENGTH bytes, in one piece within the
 * page and a second only if the decoder needs it; a fault on the second page is the
 * instruction fetch's own fault.
 */
enum class Fetch { Decoded, NotEmulated, Faulted };

Fetch fetch_and_decode(const TrapFrame& frame, const u32 (&gpr)[insn::NR_GPRS],
                       insn::Decoded& d)
{
    u8 code[insn::MAX_INSN_LENGTH];
    u32 eip = frame.eip;
    Userspace<const u8*> text(eip);
    size_t first = PAGE_SIZE - (eip & (PAGE_SIZE - 1));
    if (first > sizeof code)
        first = sizeof code;
    if (copy_from_user(code, text, first).is_error())
        return Fetch::NotEmulated;      /* the CPU fetched it: gone since, say unmapped */
    insn::DecodeStatus s = insn::decode(code, first, gpr, d);
    if (s == insn::DecodeStatus::Truncated) {
        if (!user_range_ok(text.offset(u32(first)), sizeof code - first))
            return Fetch::NotEmulated;  /* runs into kernel space: not an instruction */
        if (copy_from_user(code + first, text.offset(u32(first)), sizeof code - first).is_error())
            return Fetch::Faulted;
        s = insn::decode(code, sizeof code, gpr, d);
    }
    return s == insn::DecodeStatus::Ok ? Fetch::Decoded : Fetch::NotEmulated;
}

/*
 * What RDTSC reads on a CPU without a time-stamp counter: ticks of the timer as cycles of
 * a 100 MHz CPU, and always more than the last answer, as a real counter only grows.
 */
u64 emulated_tsc()
{
    static u64 last;
    arch::InterruptDisabler guard;
    u64 now = u64(jiffies) * (100000000 / HZ);
    last = now > last ? now : last + 1;
    return last;
}

void refused(const AccessContext& c)
{
    if (c.page_fault && last_recovered_fault.response != mm::PageFaultResponse::OutOfMemory)
        user_access_refused(last_recovered_fault.response, last_recovered_fault.address);
    else if (c.kernel_space)
        user_access_refused(mm::PageFaultResponse::Segv, c.kernel_space);
    else if (c.general_protection)
        force_fault_signal(*current, SIGSEGV, { SI_KERNEL, 0 });
    /* Out of memory: the page fault handler has already sent SIGKILL. */
}

} // namespace

bool emulate_invalid_opcode(TrapFrame& frame)
{
    /* In ModRM order: EAX ECX EDX EBX ESP EBP ESI EDI. */
    u32 gpr[insn::NR_GPRS] = { frame.eax, frame.ecx, frame.edx, frame.ebx, frame.user_esp,
                               frame.ebp, frame.esi, frame.edi };
    insn::Decoded d;
    AccessContext access { frame };
    switch (fetch_and_decode(frame, gpr, d)) {
    case Fetch::NotEmulated:
        return false;
    case Fetch::Faulted:
        access.page_fault = true;
        refused(access);
        return true;
    case Fetch::Decoded:
        break;
    }

    insn::Outcome outcome;
    if (d.op == insn::Op::Rdtsc) {
        insn::execute_rdtsc(emulated_tsc(), gpr);
        outcome = insn::Outcome::Done;
    } else if (d.op == insn::Op::Fcmov || d.op == insn::Op::Fcomi) {
        /* The FPU holds this task's state: it is switched eagerly with the task. */
        outcome = insn::execute_x87(d, frame.eflags);
    } else {
        outcome = insn::execute_integer(d, gpr, frame.eflags, { read_operand, &access });
    }
    switch (outcome) {
    case insn::Outcome::Done:
        break;
    case insn::Outcome::MemoryFault:
        refused(access);
        return true;
    case insn::Outcome::FpuExceptionPending:
        force_fault_signal(*current, SIGFPE, { 0, frame.eip });    /* as #MF would */
        return true;
    }
    frame.eax = gpr[0];
    frame.ecx = gpr[1];
    frame.edx = gpr[2];
    frame.ebx = gpr[3];
    frame.user_esp = gpr[4];
    frame.ebp = gpr[5];
    frame.esi = gpr[6];
    frame.edi = gpr[7];
    frame.eip += d.length;
    current->emulated_insns++;
    return true;
}
