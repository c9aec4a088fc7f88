/* ErrorOr, TRY and the conversion to a system call's result. */
#include <kernel/error.h>

#include <gtest/gtest.h>

namespace {

ErrorOr<size_t> length_or_error(const char* s)
{
    if (!s)
        return Error::from_errno(EFAULT);
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int steps = 0;

ErrorOr<size_t> doubled(const char* s)
{
    size_t n = TRY(length_or_error(s));
    steps++;                    /* only reached without an error */
    return 2 * n;
}

ErrorOr<void> check_short(const char* s)
{
    if (TRY(length_or_error(s)) > 3)
        return Error::from_errno(ENAMETOOLONG);
    return {};
}

ErrorOr<void> both(const char* a, const char* b)
{
    TRY(check_short(a));
    steps++;
    TRY(check_short(b));
    return {};
}

} // namespace

TEST(ErrorOr, HoldsValueOrError)
{
    ErrorOr<size_t> ok = length_or_error("abc");
    ASSERT_FALSE(ok.is_error());
    EXPECT_EQ(ok.value(), 3u);
    ErrorOr<size_t> bad = length_or_error(nullptr);
    ASSERT_TRUE(bad.is_error());
    EXPECT_EQ(bad.error(), Error::from_errno(EFAULT));
    EXPECT_EQ(bad.error().code(), EFAULT);
}

TEST(ErrorOr, TryReturnsTheErrorEarly)
{
    steps = 0;
    ErrorOr<size_t> r = doubled(nullptr);
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code(), EFAULT);
    EXPECT_EQ(steps, 0);
    r = doubled("hello");
    ASSERT_FALSE(r.is_error());
    EXPECT_EQ(r.value(), 10u);
    EXPECT_EQ(steps, 1);
}

TEST(ErrorOr, VoidResults)
{
    steps = 0;
    EXPECT_FALSE(both("ab", "cd").is_error());
    EXPECT_EQ(steps, 1);
    ErrorOr<void> r = both("abcd", "ab");
    ASSERT_TRUE(r.is_error());
    EXPECT_EQ(r.error().code(), ENAMETOOLONG);
    EXPECT_EQ(steps, 1);
    r = both("ab", nullptr);
    EXPECT_EQ(r.error().code(), EFAULT);
    EXPECT_EQ(steps, 2);
}

TEST(ErrorOr, BytesCountBeforeAnError)
{
    ErrorOr<size_t> some = bytes_or_error(5, Error::from_errno(EPIPE));
    ASSERT_FALSE(some.is_error());
    EXPECT_EQ(some.value(), 5u);
    ErrorOr<size_t> none = bytes_or_error(0, Error::from_errno(EPIPE));
    ASSERT_TRUE(none.is_error());
    EXPECT_EQ(none.error().code(), EPIPE);
}

TEST(ErrorOrDeathTest, MisuseStops)
{
    ErrorOr<size_t> bad = length_or_error(nullptr);
    EXPECT_DEATH((void)bad.value(), "ErrorOr::value: the result is an error: 14");
    EXPECT_DEATH((void)Error::from_errno(0), "Error::from_errno: not an errno: 0");
}

TEST(ErrorOr, SystemCallResults)
{
    EXPECT_EQ(to_syscall_result(length_or_error("abcd")), 4);
    EXPECT_EQ(to_syscall_result(length_or_error(nullptr)), -EFAULT);
    EXPECT_EQ(to_syscall_result(both("a", "b")), 0);
    EXPECT_EQ(to_syscall_result(both("abcde", "b")), -ENAMETOOLONG);
    /* A value whose long is negative (a time past 2038 on i386) stays a value. */
    EXPECT_EQ(to_syscall_result(ErrorOr<i64>(i64(-5))), -5);
}
