/* Fixed-width types and a few small helpers used everywhere in the kernel. */
#pragma once

#include <stddef.h>
#include <stdint.h>

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i8 = int8_t;
using i16 = int16_t;
using i32 = int32_t;
using i64 = int64_t;

#define __section(s)    __attribute__((section(s)))
#define __used          __attribute__((used))
#define __noreturn      __attribute__((noreturn))
#define __printf(a, b)  __attribute__((format(printf, a, b)))
#define __packed        __attribute__((packed))

template<typename T, size_t N>
constexpr size_t array_size(T (&)[N]) { return N; }
