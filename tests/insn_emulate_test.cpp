/*
 * The i686 instruction emulator against the host CPU (x86-64, which has every one of
 * them): the same operands and flags through the emulator and through the real
 * instruction must give the same registers, flags and x87 stack.
 */
#include <gtest/gtest.h>
#include <arch/i386/insn_emulate.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using namespace insn;

namespace {

constexpr u32 CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7,
              OF = 1u << 11;
constexpr u32 ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;
enum { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };

/*
 * Loads EFLAGS, then runs `insn`. The red zone below RSP may hold the caller's locals:
 * step over it before pushing (LEA leaves the flags alone).
 */
#define WITH_FLAGS(flags, insn)                                                       \
    "lea -128(%%rsp), %%rsp\n\tpush %q[f]\n\tpopfq\n\tlea 128(%%rsp), %%rsp\n\t" insn

#define REAL_CMOV(name)                                                               \
    u32 real_reg32_##name(u64 f, u32 d, u32 s)                                        \
    {                                                                                 \
        asm(WITH_FLAGS(f, "cmov" #name " %[s], %[d]") : [d] "+r"(d) : [s] "r"(s),     \
            [f] "r"(f) : "cc");                                                       \
        return d;                                                                     \
    }                                                                                 \
    u32 real_reg16_##name(u64 f, u32 d, u32 s)                                        \
    {                                                                                 \
        asm(WITH_FLAGS(f, "cmov" #name " %w[s], %w[d]") : [d] "+r"(d) : [s] "r"(s),   \
            [f] "r"(f) : "cc");                                                       \
        return d;                                                                     \
    }                                                                                 \
    u32 real_mem32_##name(u64 f, u32 d, const u32* m)                                 \
    {                                                                                 \
        asm(WITH_FLAGS(f, "cmov" #name "l %[m], %[d]") : [d] "+r"(d) : [m] "m"(*m),   \
            [f] "r"(f) : "cc");                                                       \
        return d;                                                                     \
    }                                                                                 \
    u32 real_mem16_##name(u64 f, u32 d, const u16* m)                                 \
    {                                                                                 \
        asm(WITH_FLAGS(f, "cmov" #name "w %[m], %w[d]") : [d] "+r"(d) : [m] "m"(*m),  \
            [f] "r"(f) : "cc");                                                       \
        return d;                                                                     \
    }

REAL_CMOV(o) REAL_CMOV(no) REAL_CMOV(b) REAL_CMOV(ae) REAL_CMOV(e) REAL_CMOV(ne)
REAL_CMOV(be) REAL_CMOV(a) REAL_CMOV(s) REAL_CMOV(ns) REAL_CMOV(p) REAL_CMOV(np)
REAL_CMOV(l) REAL_CMOV(ge) REAL_CMOV(le) REAL_CMOV(g)

struct RealCmov {
    const char* name;
    u32 (*reg32)(u64, u32, u32);
    u32 (*reg16)(u64, u32, u32);
    u32 (*mem32)(u64, u32, const u32*);
    u32 (*mem16)(u64, u32, const u16*);
};

#define ENTRY(name) { #name, real_reg32_##name, real_reg16_##name, real_mem32_##name,   \
                      real_mem16_##name }
/* In condition-code order, as the opcode 0F 40+cc numbers them. */
const RealCmov real_cmov[16] = {
    ENTRY(o), ENTRY(no), ENTRY(b), ENTRY(ae), ENTRY(e), ENTRY(ne), ENTRY(be), ENTRY(a),
    ENTRY(s), ENTRY(ns), ENTRY(p), ENTRY(np), ENTRY(l), ENTRY(ge), ENTRY(le), ENTRY(g),
};

/* A memory of 64 KB at MEM_BASE for the emulator; reads are recorded. */
constexpr u32 MEM_BASE = 0x10000;
struct FakeMemory {
    std::vector<u8> bytes = std::vector<u8>(0x10000);
    int reads = 0;
    Segment last_segment = Segment::CS;
    u32 last_address = 0;
    u32 fault_from = ~0u;               /* reads at or above this address fault */

    static bool read(void* context, Segment segment, u32 address, void* buf, size_t n)
    {
        auto* m = static_cast<FakeMemory*>(context);
        m->reads++;
        m->last_segment = segment;
        m->last_address = address;
        if (address + n > m->fault_from || address < MEM_BASE ||
            address - MEM_BASE + n > m->bytes.size())
            return false;
        std::memcpy(buf, &m->bytes[address - MEM_BASE], n);
        return true;
    }
    MemoryReader reader() { return { read, this }; }
};

struct Emulated {
    u32 gpr[NR_GPRS] = { };
    Decoded d;
};

/* Decodes and runs one integer instruction; fails the test if it does not decode. */
Outcome run(const std::vector<u8>& code, u32 (&gpr)[NR_GPRS], u32 eflags, FakeMemory& mem,
            Decoded* decoded = nullptr)
{
    Decoded d;
    EXPECT_EQ(decode(code.data(), code.size(), gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.length, code.size());
    if (decoded)
        *decoded = d;
    return execute_integer(d, gpr, eflags, mem.reader());
}

u64 host_flags(u32 arith) { return 0x202 | (arith & ARITH_FLAGS); }

} // namespace

TEST(InsnEmulate, CmovMatchesTheCpuForEveryConditionAndOperand)
{
    std::mt19937 rng(1234);
    FakeMemory mem;
    for (u8 cc = 0; cc < 16; cc++) {
        const RealCmov& real = real_cmov[cc];
        for (int round = 0; round < 500; round++) {
            u32 flags = rng() & ARITH_FLAGS;
            u32 dst = rng(), src = rng();
            u32 gpr[NR_GPRS] = { };

            /* cmov %ebx, %eax and the 16-bit form with 66. */
            gpr[EAX] = dst;
            gpr[EBX] = src;
            ASSERT_EQ(run({ 0x0F, u8(0x40 + cc), 0xC3 }, gpr, flags, mem), Outcome::Done);
            ASSERT_EQ(gpr[EAX], real.reg32(host_flags(flags), dst, src))
                << "cmov" << real.name << " flags " << std::hex << flags;
            ASSERT_EQ(gpr[EBX], src);
            gpr[EAX] = dst;
            ASSERT_EQ(run({ 0x66, 0x0F, u8(0x40 + cc), 0xC3 }, gpr, flags, mem), Outcome::Done);
            ASSERT_EQ(gpr[EAX], real.reg16(host_flags(flags), dst, src))
                << "cmov" << real.name << "w flags " << std::hex << flags;

            /* cmov (%esi), %edx: the operand is read whatever the condition. */
            u32 offset = rng() % (mem.bytes.size() - 4);
            std::memcpy(&mem.bytes[offset], &src, 4);
            gpr[ESI] = MEM_BASE + offset;
            gpr[EDX] = dst;
            int reads = mem.reads;
            ASSERT_EQ(run({ 0x0F, u8(0x40 + cc), 0x16 }, gpr, flags, mem), Outcome::Done);
            ASSERT_EQ(mem.reads, reads + 1);
            u32 host_value;
            std::memcpy(&host_value, &mem.bytes[offset], 4);
            ASSERT_EQ(gpr[EDX], real.mem32(host_flags(flags), dst, &host_value));
            gpr[EDX] = dst;
            ASSERT_EQ(run({ 0x66, 0x0F, u8(0x40 + cc), 0x16 }, gpr, flags, mem), Outcome::Done);
            u16 host16 = u16(host_value);
            ASSERT_EQ(gpr[EDX], real.mem16(host_flags(flags), dst, &host16));
        }
    }
}

TEST(InsnEmulate, EveryDestinationAndSourceRegister)
{
    FakeMemory mem;
    for (u8 reg = 0; reg < 8; reg++) {
        for (u8 rm = 0; rm < 8; rm++) {
            u32 gpr[NR_GPRS];
            for (u32 r = 0; r < 8; r++)
                gpr[r] = 0x11111111u * (r + 1);
            u32 before[NR_GPRS];
            std::memcpy(before, gpr, sizeof gpr);
            /* cmove with ZF set: always moves. */
            ASSERT_EQ(run({ 0x0F, 0x44, u8(0xC0 | reg << 3 | rm) }, gpr, ZF, mem), Outcome::Done);
            for (u32 r = 0; r < 8; r++)
                EXPECT_EQ(gpr[r], r == reg ? before[rm] : before[r]) << int(reg) << "," << int(rm);
        }
    }
}

namespace {

/* The effective address the host computes with 32-bit addressing (67 prefix), as i386. */
struct AddressForm {
    const char* text;
    std::vector<u8> modrm;              /* ModRM (reg 0), SIB, displacement */
    u32 (*host)(u32 eax_unused, u32 ebx, u32 ecx, u32 edx, u32 esi, u32 edi);
};

#define LEA(form)                                                                     \
    [](u32, u32 b, u32 c, u32 d, u32 s, u32 di) {                                     \
        u32 a;                                                                        \
        asm("lea " form ", %%eax" : "=a"(a) : "b"(b), "c"(c), "d"(d), "S"(s), "D"(di)); \
        return a;                                                                     \
    }

const AddressForm address_forms[] = {
    { "(%ebx)", { 0x03 }, LEA("(%%ebx)") },
    { "-0x80(%esi)", { 0x46, 0x80 }, LEA("-0x80(%%esi)") },
    { "0x12345678(%edi)", { 0x87, 0x78, 0x56, 0x34, 0x12 }, LEA("0x12345678(%%edi)") },
    { "0x12(%ebx,%ecx,4)", { 0x44, 0x8B, 0x12 }, LEA("0x12(%%ebx,%%ecx,4)") },
    { "(%ebx,%esi,1)", { 0x04, 0x33 }, LEA("(%%ebx,%%esi,1)") },
    { "-4(%edx,%edx,2)", { 0x44, 0x52, 0xFC }, LEA("-4(%%edx,%%edx,2)") },
    { "0x7ffffff0(,%ecx,8)", { 0x04, 0xCD, 0xF0, 0xFF, 0xFF, 0x7F }, LEA("0x7ffffff0(,%%ecx,8)") },
    { "-0x10000(%edi,%ecx,8)", { 0x84, 0xCF, 0x00, 0x00, 0xFF, 0xFF },
      LEA("-0x10000(%%edi,%%ecx,8)") },
    { "0x1(%edx,%eiz,1)", { 0x44, 0x22, 0x01 }, LEA("0x1(%%edx)") },   /* SIB, no index */
};

} // namespace

TEST(InsnEmulate, AddressingModesMatchTheCpu)
{
    std::mt19937 rng(99);
    FakeMemory mem;
    mem.fault_from = 0;                 /* every read faults: only the address matters */
    for (const AddressForm& form : address_forms) {
        for (int round = 0; round < 200; round++) {
            u32 gpr[NR_GPRS];
            for (u32& r : gpr)
                r = rng();
            std::vector<u8> code = { 0x0F, 0x45 };
            code.insert(code.end(), form.modrm.begin(), form.modrm.end());
            Decoded d;
            ASSERT_EQ(run(code, gpr, 0, mem, &d), Outcome::MemoryFault) << form.text;
            ASSERT_TRUE(d.memory);
            ASSERT_EQ(d.segment, Segment::DS) << form.text;
            ASSERT_EQ(mem.last_address,
                      form.host(0, gpr[EBX], gpr[ECX], gpr[EDX], gpr[ESI], gpr[EDI]))
                << form.text;
        }
    }
}

TEST(InsnEmulate, StackRegistersAsBaseUseSS)
{
    u32 gpr[NR_GPRS] = { 1, 2, 3, 4, 0xBFFF0000u, 0xBFFE0000u, 7, 8 };
    Decoded d;
    /* cmovne 0x10(%ebp), %eax */
    ASSERT_EQ(decode((const u8[]) { 0x0F, 0x45, 0x45, 0x10 }, 4, gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::SS);
    EXPECT_EQ(d.address, 0xBFFE0010u);
    /* cmovne 8(%esp), %ecx */
    ASSERT_EQ(decode((const u8[]) { 0x0F, 0x45, 0x4C, 0x24, 0x08 }, 5, gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::SS);
    EXPECT_EQ(d.address, 0xBFFF0008u);
    EXPECT_EQ(d.reg, ECX);
    /* cmovne (%ebp,%esi,2), %eax: EBP as SIB base, still SS */
    ASSERT_EQ(decode((const u8[]) { 0x0F, 0x45, 0x44, 0x75, 0x00 }, 5, gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::SS);
    EXPECT_EQ(d.address, 0xBFFE0000u + 14);
    /* ds: override, and EBP as index only: DS */
    ASSERT_EQ(decode((const u8[]) { 0x3E, 0x0F, 0x45, 0x45, 0x10 }, 5, gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::DS);
    ASSERT_EQ(decode((const u8[]) { 0x0F, 0x45, 0x04, 0x2E }, 4, gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::DS);
    EXPECT_EQ(d.address, 0xBFFE0000u + 7);
    /* disp32 alone (mod 00, r/m 101) and SIB without base: DS, no register */
    ASSERT_EQ(decode((const u8[]) { 0x0F, 0x45, 0x05, 0x78, 0x56, 0x34, 0x12 }, 7, gpr, d),
              DecodeStatus::Ok);
    EXPECT_EQ(d.segment, Segment::DS);
    EXPECT_EQ(d.address, 0x12345678u);
    EXPECT_EQ(d.length, 7);
}

TEST(InsnEmulate, SegmentOverridePrefixes)
{
    const std::pair<u8, Segment> prefixes[] = {
        { 0x26, Segment::ES }, { 0x2E, Segment::CS }, { 0x36, Segment::SS },
        { 0x3E, Segment::DS }, { 0x64, Segment::FS }, { 0x65, Segment::GS },
    };
    FakeMemory mem;
    u32 value = 0xCAFEF00D;
    std::memcpy(&mem.bytes[0x20], &value, 4);
    for (auto [prefix, segment] : prefixes) {
        /* cmove %gs:0x10020, %eax, say (glibc's TLS reads are of this form) */
        u32 gpr[NR_GPRS] = { };
        Decoded d;
        ASSERT_EQ(run({ prefix, 0x0F, 0x44, 0x05, 0x20, 0x00, 0x01, 0x00 }, gpr, ZF, mem, &d),
                  Outcome::Done);
        EXPECT_EQ(d.segment, segment);
        EXPECT_EQ(mem.last_segment, segment);
        EXPECT_EQ(gpr[EAX], value);
    }
    /* Both 66 and a segment, in either order; the last segment prefix counts. */
    u32 gpr[NR_GPRS] = { 0xAAAA5555u };
    Decoded d;
    ASSERT_EQ(run({ 0x64, 0x66, 0x65, 0x0F, 0x44, 0x05, 0x20, 0x00, 0x01, 0x00 }, gpr, ZF, mem,
                  &d), Outcome::Done);
    EXPECT_EQ(d.segment, Segment::GS);
    EXPECT_EQ(gpr[EAX], 0xAAAAF00Du);
}

TEST(InsnEmulate, MemoryOperandFaultsWhateverTheCondition)
{
    FakeMemory mem;
    mem.fault_from = MEM_BASE + 0x1000;
    for (u32 flags : { 0u, ZF }) {
        u32 gpr[NR_GPRS] = { 0x1234, 0, 0, 0, 0, 0, MEM_BASE + 0xFFE, 0 };
        /* cmove (%esi), %eax: 4 bytes across into the faulting part */
        EXPECT_EQ(run({ 0x0F, 0x44, 0x06 }, gpr, flags, mem), Outcome::MemoryFault);
        EXPECT_EQ(mem.last_address, MEM_BASE + 0xFFEu);
        EXPECT_EQ(gpr[EAX], 0x1234u);
        /* The 16-bit form reads two bytes only: no fault. */
        EXPECT_EQ(run({ 0x66, 0x0F, 0x44, 0x06 }, gpr, flags, mem), Outcome::Done);
    }
}

TEST(InsnEmulate, HintNopsNeverTouchMemory)
{
    FakeMemory mem;
    mem.fault_from = 0;
    u32 gpr[NR_GPRS] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    const std::vector<std::vector<u8>> nops = {
        { 0x0F, 0x1F, 0x00 },                                       /* nopl (%eax) */
        { 0x0F, 0x1F, 0x40, 0x00 },                                 /* nopl 0(%eax) */
        { 0x0F, 0x1F, 0x44, 0x00, 0x00 },                           /* nopl 0(%eax,%eax,1) */
        { 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00 },                     /* nopw 0(%eax,%eax,1) */
        { 0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00 },               /* nopl 0L(%eax) */
        { 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },         /* nopl 0L(%eax,%eax,1) */
        { 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* cs nopw ... */
        { 0x0F, 0x1F, 0xC0 },                                       /* nop %eax */
        { 0x0F, 0x18, 0x08 },                                       /* prefetcht0 (%eax) */
        { 0x0F, 0x1E, 0xFB },                                       /* a reserved hint NOP */
    };
    for (const auto& code : nops) {
        Decoded d;
        ASSERT_EQ(run(code, gpr, 0, mem, &d), Outcome::Done);
        EXPECT_EQ(d.op, Op::HintNop);
    }
    EXPECT_EQ(mem.reads, 0);
    for (u32 r = 0; r < 8; r++)
        EXPECT_EQ(gpr[r], r + 1);
}

TEST(InsnEmulate, Lengths)
{
    const u32 gpr[NR_GPRS] = { };
    const struct { std::vector<u8> code; Op op; u8 length; } cases[] = {
        { { 0x0F, 0x44, 0xC1 }, Op::Cmov, 3 },
        { { 0x0F, 0x44, 0x01 }, Op::Cmov, 3 },
        { { 0x0F, 0x44, 0x41, 0x7F }, Op::Cmov, 4 },
        { { 0x0F, 0x44, 0x81, 1, 2, 3, 4 }, Op::Cmov, 7 },
        { { 0x0F, 0x44, 0x04, 0x24 }, Op::Cmov, 4 },
        { { 0x0F, 0x44, 0x44, 0x24, 0x08 }, Op::Cmov, 5 },
        { { 0x0F, 0x44, 0x84, 0x24, 1, 2, 3, 4 }, Op::Cmov, 8 },
        { { 0x0F, 0x44, 0x04, 0x25, 1, 2, 3, 4 }, Op::Cmov, 8 },   /* SIB, no base: disp32 */
        { { 0x0F, 0x44, 0x05, 1, 2, 3, 4 }, Op::Cmov, 7 },
        { { 0x65, 0x0F, 0x4F, 0x05, 1, 2, 3, 4 }, Op::Cmov, 8 },
        { { 0xF3, 0x66, 0x0F, 0x4F, 0xC0 }, Op::Cmov, 5 },
        { { 0xDA, 0xC1 }, Op::Fcmov, 2 },
        { { 0x66, 0xDB, 0xD9 }, Op::Fcmov, 3 },
        { { 0xDB, 0xE9 }, Op::Fcomi, 2 },
        { { 0xDF, 0xF7 }, Op::Fcomi, 2 },
        /* Trailing bytes belong to the next instruction. */
        { { 0x0F, 0x4C, 0xC8, 0x90, 0x90 }, Op::Cmov, 3 },
    };
    for (const auto& c : cases) {
        Decoded d;
        ASSERT_EQ(decode(c.code.data(), c.code.size(), gpr, d), DecodeStatus::Ok);
        EXPECT_EQ(d.op, c.op);
        EXPECT_EQ(d.length, c.length);
        /* One byte short of its length, an instruction is truncated. */
        EXPECT_EQ(decode(c.code.data(), c.length - 1, gpr, d), DecodeStatus::Truncated);
    }
}

TEST(InsnEmulate, X87Decoding)
{
    const u32 gpr[NR_GPRS] = { };
    /* FCMOVB E BE U (DA), NB NE NBE NU (DB): the CMOV conditions B E BE P, AE NE A NP. */
    const u8 expected_cc[2][4] = { { 0x2, 0x4, 0x6, 0xA }, { 0x3, 0x5, 0x7, 0xB } };
    for (u8 op = 0; op < 2; op++) {
        for (u8 modrm = 0xC0; modrm < 0xE0; modrm++) {
            u8 code[] = { u8(0xDA + op), modrm };
            Decoded d;
            ASSERT_EQ(decode(code, 2, gpr, d), DecodeStatus::Ok);
            EXPECT_EQ(d.op, Op::Fcmov);
            EXPECT_EQ(d.cc, expected_cc[op][(modrm - 0xC0) >> 3]);
            EXPECT_EQ(d.rm, modrm & 7);
        }
    }
    const struct { u8 op, modrm; bool unordered, pop; } compares[] = {
        { 0xDB, 0xE8, true, false }, { 0xDB, 0xF0, false, false },
        { 0xDF, 0xE8, true, true }, { 0xDF, 0xF0, false, true },
    };
    for (const auto& c : compares) {
        for (u8 i = 0; i < 8; i++) {
            u8 code[] = { c.op, u8(c.modrm + i) };
            Decoded d;
            ASSERT_EQ(decode(code, 2, gpr, d), DecodeStatus::Ok);
            EXPECT_EQ(d.op, Op::Fcomi);
            EXPECT_EQ(d.unordered, c.unordered);
            EXPECT_EQ(d.pop, c.pop);
            EXPECT_EQ(d.rm, i);
        }
    }
}

TEST(InsnEmulate, RejectsWhatItDoesNotEmulate)
{
    const u32 gpr[NR_GPRS] = { };
    const std::vector<std::vector<u8>> rejected = {
        { 0x0F, 0x0B },                 /* ud2 */
        { 0x0F, 0xA2 },                 /* cpuid */
        { 0x0F, 0x6F, 0xC1 },           /* movq (MMX) */
        { 0x0F, 0x50, 0xC1 },           /* just past CMOV's range */
        { 0x0F, 0x3F, 0xC1 },           /* just before it */
        { 0xF0, 0x0F, 0x44, 0xC1 },     /* lock cmov: #UD on every CPU */
        { 0x67, 0x0F, 0x44, 0x00 },     /* 16-bit addressing */
        { 0xDB, 0x28 },                 /* fldt (%eax): a memory form */
        { 0xDB, 0xE0 },                 /* feni (8087) */
        { 0xDB, 0xE3 },                 /* fninit: a 387 instruction */
        { 0xDB, 0xF8 },
        { 0xDA, 0xE9 },                 /* fucompp: a 387 instruction */
        { 0xDF, 0xE0 },                 /* fnstsw %ax */
        { 0xDF, 0xC0 },                 /* ffreep */
        { 0xDE, 0xF1 },                 /* fdivrp */
        { 0x90 },
        { 0xC4, 0xE2, 0x79, 0x18, 0x00 }, /* VEX */
        /* More than 15 bytes of prefixes before a CMOV. */
        { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
          0x0F, 0x44, 0xC1 },
    };
    for (const auto& code : rejected) {
        Decoded d;
        EXPECT_EQ(decode(code.data(), code.size(), gpr, d), DecodeStatus::NotEmulated)
            << std::hex << int(code[0]) << " " << int(code[1]);
    }
    /* 15 bytes exactly is still an instruction. */
    std::vector<u8> longest(11, 0x66);
    longest.insert(longest.end(), { 0x0F, 0x44, 0x40, 0x01 });
    Decoded d;
    EXPECT_EQ(decode(longest.data(), longest.size(), gpr, d), DecodeStatus::Ok);
    EXPECT_EQ(d.length, 15);
}

/* ---- x87: the emulator on the live FPU against the real FCOMI and FCMOV */

namespace {

struct X87Result {
    long double st[3];
    u32 flags;
    u16 top;                            /* FSW bits 11-13 */
};

/* Three values on a fresh x87 stack: ST(0) = v[0], ST(1) = v[1], ST(2) = v[2]. */
void load_stack(const long double (&v)[3])
{
    asm volatile("fninit\n\tfldt %2\n\tfldt %1\n\tfldt %0" : : "m"(v[0]), "m"(v[1]), "m"(v[2]));
}

/* Reads the stack back (popping what it reads) and empties it. */
X87Result read_stack(u32 flags)
{
    X87Result r;
    u16 sw;
    asm volatile("fnstsw %0" : "=a"(sw));
    r.top = (sw >> 11) & 7;
    r.flags = flags & ARITH_FLAGS;
    asm volatile("fstpt %0\n\tfstpt %1\n\tfstpt %2\n\tfninit"
                 : "=m"(r.st[0]), "=m"(r.st[1]), "=m"(r.st[2]) : : "memory");
    return r;
}

bool same(long double a, long double b)
{
    return std::memcmp(&a, &b, 10) == 0;
}

template<int I, bool Unordered, bool Pop>
u32 real_compare(u64 flags)
{
    if (Unordered && Pop)
        asm volatile(WITH_FLAGS(f, "fucomip %%st(%c[i]), %%st\n\tpushfq\n\tpopq %q[f]")
                     : [f] "+r"(flags) : [i] "i"(I) : "cc");
    else if (Unordered)
        asm volatile(WITH_FLAGS(f, "fucomi %%st(%c[i]), %%st\n\tpushfq\n\tpopq %q[f]")
                     : [f] "+r"(flags) : [i] "i"(I) : "cc");
    else if (Pop)
        asm volatile(WITH_FLAGS(f, "fcomip %%st(%c[i]), %%st\n\tpushfq\n\tpopq %q[f]")
                     : [f] "+r"(flags) : [i] "i"(I) : "cc");
    else
        asm volatile(WITH_FLAGS(f, "fcomi %%st(%c[i]), %%st\n\tpushfq\n\tpopq %q[f]")
                     : [f] "+r"(flags) : [i] "i"(I) : "cc");
    return u32(flags);
}

#define FCMOV(name)                                                                   \
    template<int I> void real_fcmov##name(u64 flags)                                  \
    {                                                                                 \
        asm volatile(WITH_FLAGS(f, "fcmov" #name " %%st(%c[i]), %%st")                \
                     : : [f] "r"(flags), [i] "i"(I) : "cc");                          \
    }
FCMOV(b) FCMOV(e) FCMOV(be) FCMOV(u) FCMOV(nb) FCMOV(ne) FCMOV(nbe) FCMOV(nu)

/* Opcode, ModRM group: as DA C0 (FCMOVB) ... DB D8 (FCMOVNU). */
using RealFcmov = void (*)(u64);
const struct { u8 op, group; RealFcmov st1, st2; } real_fcmov[] = {
    { 0xDA, 0, real_fcmovb<1>, real_fcmovb<2> }, { 0xDA, 1, real_fcmove<1>, real_fcmove<2> },
    { 0xDA, 2, real_fcmovbe<1>, real_fcmovbe<2> }, { 0xDA, 3, real_fcmovu<1>, real_fcmovu<2> },
    { 0xDB, 0, real_fcmovnb<1>, real_fcmovnb<2> }, { 0xDB, 1, real_fcmovne<1>, real_fcmovne<2> },
    { 0xDB, 2, real_fcmovnbe<1>, real_fcmovnbe<2> }, { 0xDB, 3, real_fcmovnu<1>, real_fcmovnu<2> },
};

const long double values[] = {
    1.0L, 2.0L, -1.5L, 0.0L, -0.0L, std::numeric_limits<long double>::infinity(),
    -std::numeric_limits<long double>::infinity(), std::numeric_limits<long double>::quiet_NaN(),
    1e-4940L,
};

X87Result emulate_x87(std::vector<u8> code, const long double (&v)[3], u32 flags)
{
    const u32 gpr[NR_GPRS] = { };
    Decoded d;
    EXPECT_EQ(decode(code.data(), code.size(), gpr, d), DecodeStatus::Ok);
    load_stack(v);
    EXPECT_EQ(execute_x87(d, flags), Outcome::Done);
    return read_stack(flags);
}

void expect_same(const X87Result& emulated, const X87Result& real, const char* what)
{
    EXPECT_EQ(emulated.flags, real.flags) << what;
    EXPECT_EQ(emulated.top, real.top) << what;
    for (int i = 0; i < 3; i++)
        EXPECT_TRUE(same(emulated.st[i], real.st[i])) << what << ": ST(" << i << ") "
                                                       << emulated.st[i] << " != " << real.st[i];
}

} // namespace

TEST(InsnEmulate, FcomiMatchesTheCpu)
{
    const struct { u8 op, modrm; u32 (*st1)(u64); u32 (*st2)(u64); const char* name; } forms[] = {
        { 0xDB, 0xF0, real_compare<1, false, false>, real_compare<2, false, false>, "fcomi" },
        { 0xDB, 0xE8, real_compare<1, true, false>, real_compare<2, true, false>, "fucomi" },
        { 0xDF, 0xF0, real_compare<1, false, true>, real_compare<2, false, true>, "fcomip" },
        { 0xDF, 0xE8, real_compare<1, true, true>, real_compare<2, true, true>, "fucomip" },
    };
    std::mt19937 rng(7);
    for (const auto& form : forms) {
        for (long double a : values) {
            for (long double b : values) {
                u32 flags = rng() & ARITH_FLAGS;
                const long double v[3] = { a, b, b };
                for (int i = 1; i <= 2; i++) {
                    X87Result emulated = emulate_x87({ form.op, u8(form.modrm + i) }, v, flags);
                    load_stack(v);
                    u32 real_flags = (i == 1 ? form.st1 : form.st2)(host_flags(flags));
                    X87Result real = read_stack(real_flags);
                    expect_same(emulated, real, form.name);
                }
            }
        }
    }
}

TEST(InsnEmulate, FcmovMatchesTheCpu)
{
    std::mt19937 rng(8);
    for (const auto& f : real_fcmov) {
        for (int round = 0; round < 64; round++) {
            u32 flags = rng() & ARITH_FLAGS;
            const long double v[3] = { 1.25L, -7.5L, 1e300L };
            for (int i = 1; i <= 2; i++) {
                X87Result emulated = emulate_x87({ f.op, u8(0xC0 + f.group * 8 + i) }, v, flags);
                load_stack(v);
                (i == 1 ? f.st1 : f.st2)(host_flags(flags));
                X87Result real = read_stack(flags);
                expect_same(emulated, real, "fcmov");
            }
        }
    }
}

TEST(InsnEmulate, X87ExceptionsStayPendingForTheProgram)
{
    const u32 gpr[NR_GPRS] = { };
    const long double v[3] = { std::numeric_limits<long double>::quiet_NaN(), 1.0L, 2.0L };
    const u16 invalid_unmasked = 0x037E;
    Decoded fcomip;
    ASSERT_EQ(decode((const u8[]) { 0xDF, 0xF1 }, 2, gpr, fcomip), DecodeStatus::Ok);

    /* FCOMIP raising an unmasked invalid: flags unchanged, no pop, the exception left
     * pending (ES set) for the program's next x87 instruction. */
    load_stack(v);
    asm volatile("fldcw %0" : : "m"(invalid_unmasked));
    u32 flags = ZF | SF;
    EXPECT_EQ(execute_x87(fcomip, flags), Outcome::Done);
    u16 sw;
    asm volatile("fnstsw %0\n\tfnclex" : "=a"(sw));
    EXPECT_TRUE(sw & 0x80) << std::hex << sw;
    EXPECT_EQ(flags, ZF | SF);
    EXPECT_EQ((sw >> 11) & 7, 5);       /* three loaded, none popped */
    asm volatile("fninit");

    /* An exception already pending: the instruction does not run. */
    load_stack(v);
    asm volatile("fldcw %0\n\tfcom %%st(1)" : : "m"(invalid_unmasked));    /* IE pending */
    flags = 0;
    EXPECT_EQ(execute_x87(fcomip, flags), Outcome::FpuExceptionPending);
    asm volatile("fnstsw %0\n\tfnclex\n\tfninit" : "=a"(sw));
    EXPECT_EQ((sw >> 11) & 7, 5);
    EXPECT_EQ(flags, 0u);
}

TEST(InsnEmulate, RdtscLoadsEdxEax)
{
    const u32 zero[NR_GPRS] = { };
    Decoded d;
    ASSERT_EQ(decode(std::vector<u8>{ 0x0F, 0x31, 0x90 }.data(), 3, zero, d), DecodeStatus::Ok);
    EXPECT_EQ(d.op, Op::Rdtsc);
    EXPECT_EQ(d.length, 2u);
    ASSERT_EQ(decode(std::vector<u8>{ 0x3E, 0x0F, 0x31 }.data(), 3, zero, d), DecodeStatus::Ok);
    EXPECT_EQ(d.length, 3u);                    /* a prefix counts */
    u32 gpr[NR_GPRS] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    execute_rdtsc(0x123456789ABCDEF0ull, gpr);
    EXPECT_EQ(gpr[EAX], 0x9ABCDEF0u);
    EXPECT_EQ(gpr[2], 0x12345678u);             /* EDX */
    EXPECT_EQ(gpr[1], 2u);                      /* the others untouched */
    EXPECT_EQ(gpr[3], 4u);
}
