#include <arch/div64.h>
#include <kernel/format.h>

namespace kfmt {
namespace {

struct Spec {
    bool left = false;
    bool zero = false;
    bool plus = false;
    bool space = false;
    bool alt = false;
    int width = 0;
    int precision = -1;
};

class Out {
public:
    Out(Sink sink, void* ctx) : m_sink(sink), m_ctx(ctx) { }
    void put(const char* s, size_t n) { if (n) { m_sink(m_ctx, s, n); m_count += n; } }
    void repeat(char c, int n)
    {
        char buf[16];
        for (int i = 0; i < 16; i++)
            buf[i] = c;
        while (n > 0) {
            int k = n < 16 ? n : 16;
            put(buf, k);
            n -= k;
        }
    }
    size_t count() const { return m_count; }
private:
    Sink m_sink;
    void* m_ctx;
    size_t m_count = 0;
};

size_t string_length(const char* s, int max)
{
    size_t n = 0;
    while ((max < 0 || n < size_t(max)) && s[n])
        n++;
    return n;
}

void emit_padded(Out& out, const Spec& spec, const char* prefix, const char* body, size_t len)
{
    size_t plen = string_length(prefix, -1);
    int pad = spec.width - int(plen + len);
    if (!spec.left && !spec.zero)
        out.repeat(' ', pad);
    out.put(prefix, plen);
    if (!spec.left && spec.zero)
        out.repeat('0', pad);
    out.put(body, len);
    if (spec.left)
        out.repeat(' ', pad);
}

void emit_number(Out& out, Spec spec, u64 value, bool negative, unsigned base, bool upper)
{
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[32];
    size_t pos = sizeof buf;
    bool was_zero = value == 0;
    while (value)
        buf[--pos] = digits[arch::div64_32(value, base)];
    int min_digits = spec.precision < 0 ? 1 : spec.precision;
    while (int(sizeof buf - pos) < min_digits)
        buf[--pos] = '0';
    if (spec.precision >= 0)
        spec.zero = false;

    const char* prefix = "";
    if (negative)
        prefix = "-";
    else if (spec.plus)
        prefix = "+";
    else if (spec.space)
        prefix = " ";
    if (spec.alt && !was_zero) {
        if (base == 16)
            prefix = upper ? "0X" : "0x";
        else if (base == 8 && buf[pos] != '0')
            buf[--pos] = '0';
    }
    emit_padded(out, spec, prefix, buf + pos, sizeof buf - pos);
}

int parse_int(const char*& p)
{
    int n = 0;
    while (*p >= '0' && *p <= '9')
        n = n * 10 + (*p++ - '0');
    return n;
}

} // namespace

size_t vformat(Sink sink, void* ctx, const char* fmt, va_list ap)
{
    Out out(sink, ctx);
    const char* p = fmt;
    while (*p) {
        const char* start = p;
        while (*p && *p != '%')
            p++;
        out.put(start, p - start);
        if (!*p)
            break;
        p++;

        Spec spec;
        for (;; p++) {
            if (*p == '-') spec.left = true;
            else if (*p == '0') spec.zero = true;
            else if (*p == '+') spec.plus = true;
            else if (*p == ' ') spec.space = true;
            else if (*p == '#') spec.alt = true;
            else break;
        }
        if (*p == '*') {
            spec.width = va_arg(ap, int);
            if (spec.width < 0) {
                spec.left = true;
                spec.width = -spec.width;
            }
            p++;
        } else {
            spec.width = parse_int(p);
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                spec.precision = va_arg(ap, int);
                p++;
            } else {
                spec.precision = parse_int(p);
            }
        }
        if (spec.left)
            spec.zero = false;

        int longs = 0;          /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
        for (;; p++) {
            if (*p == 'l') longs++;
            else if (*p == 'h') longs--;
            else if (*p == 'z') longs = 1;
            else break;
        }

        char conv = *p ? *p++ : '\0';
        switch (conv) {
        case 'd':
        case 'i': {
            i64 v = longs >= 2 ? va_arg(ap, long long) : longs == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (longs == -1) v = short(v);
            if (longs <= -2) v = (signed char)v;
            bool negative = v < 0;
            emit_number(out, spec, negative ? u64(0) - u64(v) : u64(v), negative, 10, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            u64 v = longs >= 2 ? va_arg(ap, unsigned long long)
                  : longs == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            if (longs == -1) v = u16(v);
            if (longs <= -2) v = u8(v);
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            emit_number(out, spec, v, false, base, conv == 'X');
            break;
        }
        case 'p': {
            spec.alt = false;
            spec.zero = true;
            spec.precision = -1;
            if (spec.width < 10)
                spec.width = 10;
            uintptr_t v = uintptr_t(va_arg(ap, void*));
            Spec hex = spec;
            hex.width -= 2;
            out.put("0x", 2);
            emit_number(out, hex, v, false, 16, false);
            break;
        }
        case 'c': {
            char c = char(va_arg(ap, int));
            emit_padded(out, spec, "", &c, 1);
            break;
        }
        case 's': {
            const char* s = va_arg(ap, const char*);
            if (!s)
                s = "(null)";
            spec.zero = false;
            emit_padded(out, spec, "", s, string_length(s, spec.precision));
            break;
        }
        case '%':
            out.put("%", 1);
            break;
        default:
            /* Unknown conversion: show it as written so the mistake is visible. */
            out.put("%", 1);
            if (conv)
                out.put(&conv, 1);
            break;
        }
    }
    return out.count();
}

namespace {
struct BufferSink {
    char* buf;
    size_t size;
    size_t used;
};

void buffer_put(void* ctx, const char* s, size_t n)
{
    auto* b = static_cast<BufferSink*>(ctx);
    for (size_t i = 0; i < n; i++) {
        if (b->used + 1 < b->size)
            b->buf[b->used] = s[i];
        b->used++;
    }
}
} // namespace

size_t vsnprintf(char* buf, size_t size, const char* fmt, va_list ap)
{
    BufferSink b { buf, size, 0 };
    size_t n = vformat(buffer_put, &b, fmt, ap);
    if (size)
        buf[b.used < size ? b.used : size - 1] = '\0';
    return n;
}

size_t snprintf(char* buf, size_t size, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

} // namespace kfmt
