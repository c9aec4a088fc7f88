/* The C string and memory functions the kernel (and the compiler) use. */
#pragma once

#include <kernel/types.h>

#ifdef FERRITE_HOST
#include <string.h>
#else
extern "C" {
void* memcpy(void* dst, const void* src, size_t n);
void* memmove(void* dst, const void* src, size_t n);
void* memset(void* dst, int c, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);
int strcmp(const char* a, const char* b);
int strncmp(const char* a, const char* b, size_t n);
}
#endif
