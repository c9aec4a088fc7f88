#include <arch/i386/cpu.h>

namespace arch {

/* CPUID exists when EFLAGS.ID (bit 21) can be flipped; the flags are restored after. */
bool has_cpuid()
{
    u32 before, after;
    asm volatile("pushfl; popl %0; movl %0, %1; xorl $0x200000, %1; pushl %1; popfl;"
                 "pushfl; popl %1; pushl %0; popfl"
                 : "=&r"(before), "=&r"(after));
    return (before ^ after) & 0x200000;
}

CpuidResult cpuid(u32 leaf)
{
    CpuidResult r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(0));
    return r;
}

} // namespace arch
