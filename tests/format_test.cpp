#include <gtest/gtest.h>
#include <kernel/format.h>

#include <cstdio>
#include <string>

namespace {

template<typename... Args>
std::string kformat(const char* fmt, Args... args)
{
    char buf[256];
    kfmt::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

template<typename... Args>
std::string libc_format(const char* fmt, Args... args)
{
    char buf[256];
    std::snprintf(buf, sizeof buf, fmt, args...);
    return buf;
}

} // namespace

TEST(Format, MatchesLibcForIntegers)
{
    const char* formats[] = { "%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%x", "%#x",
                              "%X", "%#o", "%u", "%8.3x" };
    const int values[] = { 0, 1, -1, 42, -42, 0x7fffffff, -0x7fffffff - 1, 255 };
    for (const char* f : formats)
        for (int v : values)
            EXPECT_EQ(kformat(f, v), libc_format(f, v)) << f << " with " << v;
}

TEST(Format, MatchesLibcForLongLong)
{
    const char* formats[] = { "%lld", "%llu", "%llx", "%#018llx", "%20lld" };
    const long long values[] = { 0, -1, 1234567890123LL, -9223372036854775807LL - 1,
                                 0x7fffffffffffffffLL };
    for (const char* f : formats)
        for (long long v : values)
            EXPECT_EQ(kformat(f, v), libc_format(f, v)) << f << " with " << v;
}

TEST(Format, Strings)
{
    EXPECT_EQ(kformat("[%s]", "abc"), "[abc]");
    EXPECT_EQ(kformat("[%6s]", "abc"), "[   abc]");
    EXPECT_EQ(kformat("[%-6s]", "abc"), "[abc   ]");
    EXPECT_EQ(kformat("[%.2s]", "abc"), "[ab]");
    EXPECT_EQ(kformat("[%*s]", 4, "x"), "[   x]");
    EXPECT_EQ(kformat("[%s]", static_cast<const char*>(nullptr)), "[(null)]");
    EXPECT_EQ(kformat("%c%c", 'o', 'k'), "ok");
    EXPECT_EQ(kformat("100%%"), "100%");
}

TEST(Format, PointerIsZeroPaddedHex)
{
    EXPECT_EQ(kformat("%p", reinterpret_cast<void*>(0xc0100000)), "0xc0100000");
    EXPECT_EQ(kformat("%p", reinterpret_cast<void*>(0x1000)), "0x00001000");
}

TEST(Format, TruncatesButCounts)
{
    char buf[5];
    EXPECT_EQ(kfmt::snprintf(buf, sizeof buf, "%s", "abcdefgh"), 8u);
    EXPECT_STREQ(buf, "abcd");
    EXPECT_EQ(kfmt::snprintf(buf, 0, "%d", 12345), 5u);
}

TEST(Format, UnknownConversionShownAsWritten)
{
    EXPECT_EQ(kformat("a%qb"), "a%qb");
}
