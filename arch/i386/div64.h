/* 64-bit by 32-bit division with the i386's own divl: the kernel links without libgcc. */
#pragma once

#include <kernel/types.h>

namespace arch {

/* Divides value by base in place and returns the remainder (Linux's do_div). */
inline u32 div64_32(u64& value, u32 base)
{
    u32 hi = u32(value >> 32), lo = u32(value);
    u32 qhi = hi / base, rem = hi % base;
    u32 qlo;
    asm("divl %4" : "=a"(qlo), "=d"(rem) : "a"(lo), "d"(rem), "rm"(base));    /* rem < base: no overflow */
    value = (u64(qhi) << 32) | qlo;
    return rem;
}

} // namespace arch
