#include <mm/fault_inject.h>

namespace mm {

namespace {

/* A decimal number, with a leading '-' when `negative_ok`; the text after it in `rest`. */
bool parse_number(const char* s, bool negative_ok, i64& out, const char*& rest)
{
    bool negative = false;
    if (negative_ok && *s == '-') {
        negative = true;
        s++;
    }
    if (*s < '0' || *s > '9')
        return false;
    i64 value = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        value = value * 10 + (*s - '0');
        if (value > 0xFFFFFFFFll)
            return false;
    }
    out = negative ? -value : value;
    rest = s;
    return true;
}

} // namespace

bool FaultAttr::parse(const char* text, FaultAttr& out)
{
    i64 fields[4];
    const char* s = text;
    for (int i = 0; i < 4; i++) {
        if (!parse_number(s, i == 3, fields[i], s))
            return false;
        if (*s != (i < 3 ? ',' : '\0'))
            return false;
        s++;
    }
    if (fields[0] < 1 || fields[1] > 100 || fields[3] < -1 || fields[3] > 0x7FFFFFFF)
        return false;
    out = FaultAttr();
    out.interval = u32(fields[0]);
    out.probability = u32(fields[1]);
    out.space = u32(fields[2]);
    out.times = i32(fields[3]);
    return true;
}

bool FaultAttr::should_fail(u32 size)
{
    if (times == 0)
        return false;
    if (space > size) {
        space -= size;
        return false;
    }
    if (interval > 1 && ++count % interval)
        return false;
    random ^= random << 13;             /* xorshift32 */
    random ^= random >> 17;
    random ^= random << 5;
    if (probability <= random % 100)
        return false;
    if (times > 0)
        times--;
    return true;
}

} // namespace mm
