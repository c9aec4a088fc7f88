/*
 * The i686 instructions that Debian's i386 user space uses and a 486 or a Pentium lacks:
 * CMOVcc, the hint NOPs (0F 18-1F), FCMOVcc and FCOMI/FUCOMI(P), and the Pentium's RDTSC
 * (Debian's dynamic linker reads it at every start). The invalid-opcode trap
 * of user mode decodes the instruction here and carries it out on the saved registers
 * (docs/old-cpus.md). Pure code: the host tests compare it with the host CPU.
 */
#pragma once

#include <kernel/types.h>

namespace insn {

/* Operand-size registers in ModRM order: EAX ECX EDX EBX ESP EBP ESI EDI. */
constexpr int NR_GPRS = 8;

enum class Segment : u8 { ES, CS, SS, DS, FS, GS };

enum class Op : u8 {
    Cmov,       /* 0F 40+cc /r */
    HintNop,    /* 0F 18-1F /r: decoded for its length, the operand never touched */
    Fcmov,      /* DA/DB C0-DF: ST(0) = ST(i) if the condition holds */
    Fcomi,      /* DB E8-F7, DF E8-F7: compare ST(0) with ST(i) into ZF, PF, CF */
    Rdtsc,      /* 0F 31: the Pentium's time-stamp counter, which a 486 lacks */
};

struct Decoded {
    Op op;
    u8 length;                  /* bytes, prefixes included */
    u8 cc;                      /* Jcc condition code; FCMOV's as the equivalent CMOV's */
    bool operand16;             /* 66 prefix: CMOV moves 16 bits */
    bool memory;                /* r/m is a memory operand at segment:address */
    u8 reg;                     /* ModRM reg: CMOV's destination */
    u8 rm;                      /* ModRM r/m when a register; x87: i of ST(i) */
    Segment segment;
    u32 address;                /* effective address (offset in segment) */
    bool unordered;             /* FUCOMI(P): quiet NaNs raise no invalid exception */
    bool pop;                   /* FCOMIP, FUCOMIP */
};

enum class DecodeStatus {
    Ok,
    Truncated,                  /* the bytes end inside the instruction */
    NotEmulated,                /* a real #UD (or an instruction this file does not know) */
};

/* The longest instruction the CPU accepts; one that would be longer is not emulated. */
constexpr size_t MAX_INSN_LENGTH = 15;

/* Decodes code[0..n); gpr supplies the registers an address is computed from. */
DecodeStatus decode(const u8* code, size_t n, const u32 (&gpr)[NR_GPRS], Decoded& out);

/* Whether Jcc condition cc (0-15: O NO B AE E NE BE A S NS P NP L GE LE G) holds. */
bool condition(u8 cc, u32 eflags);

/* Reads n bytes at segment:address into buf; false when the access faults. */
struct MemoryReader {
    bool (*read)(void* context, Segment segment, u32 address, void* buf, size_t n);
    void* context;
};

enum class Outcome {
    Done,                       /* registers updated: resume after the instruction */
    MemoryFault,                /* the operand could not be read: the fault's signal */
    FpuExceptionPending,        /* an earlier x87 exception is pending: SIGFPE, as #MF */
};

/*
 * Carries out an integer instruction (Cmov, HintNop) on gpr. A memory operand is read
 * whatever the condition, as the CPU does.
 */
Outcome execute_integer(const Decoded& insn, u32 (&gpr)[NR_GPRS], u32 eflags,
                        const MemoryReader& memory);

/* RDTSC: EDX:EAX = counter, which the caller keeps counting up. */
void execute_rdtsc(u64 counter, u32 (&gpr)[NR_GPRS]);

/*
 * Carries out an x87 instruction (Fcmov, Fcomi) on the live FPU, which must hold the
 * program's state, updating eflags for FCOMI. An exception the instruction raises
 * unmasked is left pending for the program's next x87 instruction, as the CPU leaves it;
 * no x87 instruction here can trap, since each that waits runs with none pending.
 */
Outcome execute_x87(const Decoded& insn, u32& eflags);

} // namespace insn
