/*
 * memcpy and memset, which the compiler also calls on its own for copies and clears: the
 * 386's string instructions, whole words first, then the odd bytes.
 */
#include <kernel/string.h>

extern "C" {

void* memcpy(void* dst, const void* src, size_t n)
{
    void* ret = dst;
    size_t words = n / 4, bytes = n % 4;
    asm volatile("rep movsl; movl %3, %%ecx; rep movsb"
                 : "+D"(dst), "+S"(src), "+c"(words) : "r"(bytes) : "memory");
    return ret;
}

void* memset(void* dst, int c, size_t n)
{
    void* ret = dst;
    u32 pattern = u32(u8(c)) * 0x01010101u;
    size_t words = n / 4, bytes = n % 4;
    asm volatile("rep stosl; movl %3, %%ecx; rep stosb"
                 : "+D"(dst), "+c"(words) : "a"(pattern), "r"(bytes) : "memory");
    return ret;
}

} // extern "C"
