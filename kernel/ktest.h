/*
 * In-kernel self-tests. KTEST(suite, case) { ... } defines a test and registers it in the
 * .ktests section; `selftest` or `selftest=GLOB` on the command line runs them (all, or
 * those whose "suite.case" matches), prints KTAP version 1 and powers off with status 0
 * if no case failed, 1 otherwise.
 *
 * EXPECT_* records a failure and carries on; ASSERT_* also ends the case. KTEST_SKIP
 * ends a case that cannot run on this machine (no disks attached, no initrd): KTAP's
 * `ok N name # SKIP reason`, counted as neither a pass nor a failure.
 * EXPECT_READ_FAULTS / EXPECT_WRITE_FAULTS check that an access at an address takes a
 * page fault there (recovered through the exception table).
 */
#pragma once

#include <kernel/types.h>
#include <kernel/string.h>
#include <kernel/uaccess.h>
#include <initializer_list>
#include <type_traits>

namespace ktest {

struct Context {
    bool failed = false;
    const char* skip_reason = nullptr;  /* a string literal: set by KTEST_SKIP */
};

struct Case {
    const char* suite;
    const char* name;
    void (*run)(Context&);
    const char* file;           /* cases run sorted by file, then line */
    int line;
    bool explicit_only;         /* runs only when selftest= names it exactly */
};

/* Prints a failure as a KTAP diagnostic line. */
void report(Context& ctx, const char* file, int line, const char* fmt, ...) __printf(4, 5);

template<typename T>
long long printable(T v)
{
    if constexpr (std::is_pointer_v<std::remove_cvref_t<T>>)
        return (long long)(uintptr_t)v;
    else if constexpr (requires { v.value(); })        /* PhysAddr, VirtAddr, Pfn */
        return (long long)v.value();
    else
        return (long long)v;
}

bool address_faults(u32 address, bool write);

/* Runs the cases matching glob; returns the number that failed. */
unsigned run(const char* glob);

} // namespace ktest

#define KTEST_DEFINE_(suite, name, explicit_only)                                       \
    static void ktest_##suite##_##name(ktest::Context&);                                \
    [[gnu::used, gnu::section(".ktests")]] static const ktest::Case                     \
        ktest_case_##suite##_##name = { #suite, #name, ktest_##suite##_##name,          \
                                        __FILE__, __LINE__, explicit_only };            \
    [[gnu::noinline]] static void ktest_##suite##_##name([[maybe_unused]] ktest::Context& ktest_ctx)

#define KTEST(suite, name) KTEST_DEFINE_(suite, name, false)

/* A case that stops the kernel on purpose (an oops, a panic), checked from outside. */
#define KTEST_EXPLICIT(suite, name) KTEST_DEFINE_(suite, name, true)

#define KTEST_CHECK_(cond, on_fail, ...)                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            ktest::report(ktest_ctx, __FILE__, __LINE__, __VA_ARGS__);                  \
            on_fail;                                                                    \
        }                                                                               \
    } while (0)

#define KTEST_COMPARE_(a, op, b, on_fail)                                               \
    do {                                                                                \
        const auto ktest_a_ = (a);                                                          \
        const auto ktest_b_ = (b);                                                          \
        if (!(ktest_a_ op ktest_b_)) {                                                  \
            ktest::report(ktest_ctx, __FILE__, __LINE__,                                \
                          "expected %s " #op " %s: %lld (%#llx) vs %lld (%#llx)", #a, #b, \
                          ktest::printable(ktest_a_), ktest::printable(ktest_a_),       \
                          ktest::printable(ktest_b_), ktest::printable(ktest_b_));      \
            on_fail;                                                                    \
        }                                                                               \
    } while (0)

/* A failure recorded before the skip still fails the case. */
#define KTEST_SKIP(reason)                                                              \
    do {                                                                                \
        ktest_ctx.skip_reason = (reason);                                               \
        return;                                                                         \
    } while (0)

#define EXPECT_TRUE(c)      KTEST_CHECK_((c), (void)0, "expected %s", #c)
#define EXPECT_FALSE(c)     KTEST_CHECK_(!(c), (void)0, "expected !(%s)", #c)
#define ASSERT_TRUE(c)      KTEST_CHECK_((c), return, "expected %s", #c)
#define ASSERT_FALSE(c)     KTEST_CHECK_(!(c), return, "expected !(%s)", #c)
#define EXPECT_EQ(a, b)     KTEST_COMPARE_(a, ==, b, (void)0)
#define EXPECT_NE(a, b)     KTEST_COMPARE_(a, !=, b, (void)0)
#define EXPECT_LT(a, b)     KTEST_COMPARE_(a, <, b, (void)0)
#define EXPECT_LE(a, b)     KTEST_COMPARE_(a, <=, b, (void)0)
#define EXPECT_GT(a, b)     KTEST_COMPARE_(a, >, b, (void)0)
#define EXPECT_GE(a, b)     KTEST_COMPARE_(a, >=, b, (void)0)
#define ASSERT_EQ(a, b)     KTEST_COMPARE_(a, ==, b, return)
#define ASSERT_NE(a, b)     KTEST_COMPARE_(a, !=, b, return)
#define ASSERT_GE(a, b)     KTEST_COMPARE_(a, >=, b, return)
#define EXPECT_STREQ(a, b)                                                              \
    KTEST_CHECK_(strcmp((a), (b)) == 0, (void)0, "expected %s == %s: \"%s\" vs \"%s\"", \
                 #a, #b, (a), (b))
#define EXPECT_READ_FAULTS(addr)                                                        \
    KTEST_CHECK_(ktest::address_faults(u32(addr), false), (void)0,                      \
                 "expected a read of %s (%#x) to fault", #addr, u32(addr))
#define EXPECT_WRITE_FAULTS(addr)                                                       \
    KTEST_CHECK_(ktest::address_faults(u32(addr), true), (void)0,                       \
                 "expected a write to %s (%#x) to fault", #addr, u32(addr))
#define EXPECT_READABLE(addr)                                                           \
    KTEST_CHECK_(!ktest::address_faults(u32(addr), false), (void)0,                     \
                 "expected %s (%#x) to be readable", #addr, u32(addr))
