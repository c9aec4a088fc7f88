#include <kernel/string.h>

extern "C" {

/* Whole words first (a page is 1024 of them), then the odd bytes. */
void* memcpy(void* dst, const void* src, size_t n)
{
    void* ret = dst;
    size_t words = n / 4, bytes = n % 4;
    asm volatile("rep movsl; movl %3, %%ecx; rep movsb"
                 : "+D"(dst), "+S"(src), "+c"(words) : "r"(bytes) : "memory");
    return ret;
}

void* memmove(void* dst, const void* src, size_t n)
{
    auto* d = static_cast<unsigned char*>(dst);
    auto* s = static_cast<const unsigned char*>(src);
    if (d <= s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
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

int memcmp(const void* a, const void* b, size_t n)
{
    auto* x = static_cast<const unsigned char*>(a);
    auto* y = static_cast<const unsigned char*>(b);
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char* s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char* a, const char* b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char* a, const char* b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || !*a)
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

}
