/*
 * printf-style formatting, independent of any console so that it builds for the host tests.
 * Conversions: d i u x X o c s p %, flags - 0 + space #, width and precision (also *),
 * lengths hh h l ll z. %p prints 0x and eight hex digits.
 */
#pragma once

#include <kernel/types.h>
#include <stdarg.h>

namespace kfmt {

/* Receives formatted output piece by piece. */
using Sink = void (*)(void* ctx, const char* s, size_t n);

/* Formats into sink; returns the number of characters produced. */
size_t vformat(Sink sink, void* ctx, const char* fmt, va_list ap);

/* Like vsnprintf: always NUL-terminates when size > 0, returns the untruncated length. */
size_t vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
size_t snprintf(char* buf, size_t size, const char* fmt, ...) __printf(3, 4);

} // namespace kfmt
