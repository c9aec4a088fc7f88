#include <arch/i386/insn_emulate.h>

namespace insn {
namespace {

constexpr u32 CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
              OF = 1u << 11;

/* x87 status word: exception summary and the condition codes FCOM sets. */
constexpr u16 FSW_ES = 1u << 7, FSW_C0 = 1u << 8, FSW_C2 = 1u << 10, FSW_C3 = 1u << 14;

enum Gpr { ESP = 4, EBP = 5 };

/* Reads what follows the opcode: ModRM, SIB and displacement, in 32-bit addressing. */
DecodeStatus decode_modrm(const u8* code, size_t n, size_t& i, const u32 (&gpr)[NR_GPRS],
                          bool segment_override, Decoded& out)
{
    if (i >= n)
        return DecodeStatus::Truncated;
    u8 modrm = code[i++];
    u8 mod = modrm >> 6, rm = modrm & 7;
    out.reg = (modrm >> 3) & 7;
    out.rm = rm;
    if (mod == 3)
        return DecodeStatus::Ok;

    out.memory = true;
    u32 address = 0;
    bool stack_default = false;         /* ESP or EBP as base: SS, not DS */
    bool disp32_only = false;
    if (rm == 4) {
        if (i >= n)
            return DecodeStatus::Truncated;
        u8 sib = code[i++];
        u8 scale = sib >> 6, index = (sib >> 3) & 7, base = sib & 7;
        if (index != ESP)               /* index 100: none */
            address += gpr[index] << scale;
        if (base == EBP && mod == 0) {
            disp32_only = true;
        } else {
            address += gpr[base];
            stack_default = base == ESP || base == EBP;
        }
    } else if (rm == EBP && mod == 0) {
        disp32_only = true;
    } else {
        address += gpr[rm];
        stack_default = rm == EBP;
    }

    size_t disp_size = mod == 1 ? 1 : (mod == 2 || disp32_only) ? 4 : 0;
    if (i + disp_size > n)
        return DecodeStatus::Truncated;
    if (disp_size == 1) {
        address += u32(i32(i8(code[i])));
    } else if (disp_size == 4) {
        address += u32(code[i]) | u32(code[i + 1]) << 8 | u32(code[i + 2]) << 16 |
                   u32(code[i + 3]) << 24;
    }
    i += disp_size;
    out.address = address;
    if (!segment_override)
        out.segment = stack_default ? Segment::SS : Segment::DS;
    return DecodeStatus::Ok;
}

/* DA/DB/DF with a register ModRM: which x87 instruction, if one emulated here. */
bool decode_x87(u8 opcode, u8 modrm, Decoded& out)
{
    if (modrm < 0xC0)
        return false;                   /* memory forms: 387 instructions, never trapped */
    u8 group = (modrm >> 3) & 7;        /* C0, C8, ... F8 */
    out.rm = modrm & 7;
    /* FCMOVcc's conditions as CMOVcc's: B E BE U, then NB NE NBE NU. */
    static const u8 fcmov_cc[4] = { 0x2, 0x4, 0x6, 0xA };
    if ((opcode == 0xDA || opcode == 0xDB) && group < 4) {
        out.op = Op::Fcmov;
        out.cc = u8(fcmov_cc[group] | (opcode == 0xDB ? 1 : 0));
        return true;
    }
    if ((opcode == 0xDB || opcode == 0xDF) && (group == 5 || group == 6)) {
        out.op = Op::Fcomi;
        out.unordered = group == 5;     /* E8: FUCOMI(P), F0: FCOMI(P) */
        out.pop = opcode == 0xDF;
        return true;
    }
    return false;
}

} // namespace

DecodeStatus decode(const u8* code, size_t n, const u32 (&gpr)[NR_GPRS], Decoded& out)
{
    out = Decoded { };
    out.segment = Segment::DS;
    if (n > MAX_INSN_LENGTH)
        n = MAX_INSN_LENGTH;
    /* A truncation at the 15-byte limit is an instruction too long to exist. */
    auto truncated = [&] {
        return n == MAX_INSN_LENGTH ? DecodeStatus::NotEmulated : DecodeStatus::Truncated;
    };
    bool segment_override = false;
    size_t i = 0;
    for (;; i++) {
        if (i >= n)
            return truncated();
        Segment s;
        switch (code[i]) {
        case 0x66: out.operand16 = true; continue;
        case 0xF2: case 0xF3: continue;         /* REP: ignored by these instructions */
        case 0x26: s = Segment::ES; break;
        case 0x2E: s = Segment::CS; break;
        case 0x36: s = Segment::SS; break;
        case 0x3E: s = Segment::DS; break;
        case 0x64: s = Segment::FS; break;
        case 0x65: s = Segment::GS; break;
        /* LOCK makes these #UD on any CPU; 16-bit addressing is not emulated. */
        default: goto opcode;
        }
        out.segment = s;
        segment_override = true;
    }
opcode:
    u8 first = code[i++];
    if (first == 0xDA || first == 0xDB || first == 0xDF) {
        if (i >= n)
            return truncated();
        if (!decode_x87(first, code[i++], out))
            return DecodeStatus::NotEmulated;
    } else if (first == 0x0F) {
        if (i >= n)
            return truncated();
        u8 second = code[i++];
        if (second == 0x31) {
            out.op = Op::Rdtsc;         /* no operands */
            out.length = u8(i);
            return DecodeStatus::Ok;
        }
        if (second >= 0x40 && second <= 0x4F) {
            out.op = Op::Cmov;
            out.cc = second & 0xF;
        } else if (second >= 0x18 && second <= 0x1F) {
            out.op = Op::HintNop;
        } else {
            return DecodeStatus::NotEmulated;
        }
        DecodeStatus s = decode_modrm(code, n, i, gpr, segment_override, out);
        if (s == DecodeStatus::Truncated)
            return truncated();
    } else {
        return DecodeStatus::NotEmulated;
    }
    out.length = u8(i);
    return DecodeStatus::Ok;
}

bool condition(u8 cc, u32 eflags)
{
    bool sf_ne_of = !(eflags & SF) != !(eflags & OF);
    bool holds = false;
    switch ((cc >> 1) & 7) {
    case 0: holds = eflags & OF; break;
    case 1: holds = eflags & CF; break;
    case 2: holds = eflags & ZF; break;
    case 3: holds = eflags & (CF | ZF); break;
    case 4: holds = eflags & SF; break;
    case 5: holds = eflags & PF; break;
    case 6: holds = sf_ne_of; break;
    case 7: holds = (eflags & ZF) || sf_ne_of; break;
    }
    return holds != bool(cc & 1);
}

Outcome execute_integer(const Decoded& insn, u32 (&gpr)[NR_GPRS], u32 eflags,
                        const MemoryReader& memory)
{
    if (insn.op != Op::Cmov)
        return Outcome::Done;           /* a hint NOP: no access, no effect */
    u32 value = 0;
    if (insn.memory) {
        if (!memory.read(memory.context, insn.segment, insn.address, &value,
                         insn.operand16 ? 2 : 4))
            return Outcome::MemoryFault;
    } else {
        value = gpr[insn.rm];
    }
    if (condition(insn.cc, eflags)) {
        u32& dest = gpr[insn.reg];
        dest = insn.operand16 ? (dest & 0xFFFF0000u) | (value & 0xFFFF) : value;
    }
    return Outcome::Done;
}

void execute_rdtsc(u64 counter, u32 (&gpr)[NR_GPRS])
{
    gpr[0] = u32(counter);              /* EAX */
    gpr[2] = u32(counter >> 32);        /* EDX */
}

namespace {

/* x87 register operands are part of the encoding: one instruction per ST(i). */
#define ST_SWITCH(i, mnemonic)                                                     \
    switch (i) {                                                                   \
    case 0: asm volatile(mnemonic " %st(0)"); break;                               \
    case 1: asm volatile(mnemonic " %st(1)"); break;                               \
    case 2: asm volatile(mnemonic " %st(2)"); break;                               \
    case 3: asm volatile(mnemonic " %st(3)"); break;                               \
    case 4: asm volatile(mnemonic " %st(4)"); break;                               \
    case 5: asm volatile(mnemonic " %st(5)"); break;                               \
    case 6: asm volatile(mnemonic " %st(6)"); break;                               \
    default: asm volatile(mnemonic " %st(7)"); break;                              \
    }

u16 fnstsw()
{
    u16 sw;
    asm volatile("fnstsw %0" : "=a"(sw));
    return sw;
}

} // namespace

Outcome execute_x87(const Decoded& insn, u32& eflags)
{
    /* Every x87 instruction below but FNSTSW waits: it would raise #MF in the kernel
     * if an exception were pending. The instruction emulated would raise it first. */
    if (fnstsw() & FSW_ES)
        return Outcome::FpuExceptionPending;
    if (insn.op == Op::Fcmov) {
        if (!condition(insn.cc, eflags))
            return Outcome::Done;
        /* Swap ST(0) and ST(i), then copy ST(0) back into ST(i): ST(0) = old ST(i),
         * without a push that a full stack could not take. */
        ST_SWITCH(insn.rm, "fxch");
        if (fnstsw() & FSW_ES)
            return Outcome::Done;       /* stack underflow, unmasked: nothing moved */
        ST_SWITCH(insn.rm, "fst");
        return Outcome::Done;
    }
    if (insn.unordered) {
        ST_SWITCH(insn.rm, "fucom");
    } else {
        ST_SWITCH(insn.rm, "fcom");
    }
    /* FCOM also sets C0, C2 and C3 in the status word, which FCOMI leaves alone; the
     * one difference from the real instruction (glibc never reads them after FCOMI). */
    u16 sw = fnstsw();
    if (sw & FSW_ES)
        return Outcome::Done;           /* unmasked invalid: flags unchanged, no pop */
    eflags &= ~(CF | PF | AF | ZF | SF | OF);
    if (sw & FSW_C3)
        eflags |= ZF;
    if (sw & FSW_C2)
        eflags |= PF;
    if (sw & FSW_C0)
        eflags |= CF;
    if (insn.pop)
        asm volatile("fstp %st(0)");
    return Outcome::Done;
}

} // namespace insn
