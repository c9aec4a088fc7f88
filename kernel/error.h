/*
 * What can fail returns ErrorOr<T>: a value, or an Error (an errno code, Linux's values,
 * kernel/errno.h). Errors travel up with TRY and become -errno only at the system-call
 * boundary (to_syscall_result), so no caller mistakes a negative count for an error or
 * forgets to look. Pure code: it also builds for the host tests.
 */
#pragma once

#include <kernel/errno.h>
#include <kernel/types.h>

#include <type_traits>
#include <utility>

/*
 * A broken invariant of the types below: the value of an error asked for, or an error
 * made of a code that is none. The kernel panics; the host tests abort.
 */
[[noreturn]] void error_or_misused(const char* what, int code);

/* A positive errno code. */
class Error {
public:
    static constexpr Error from_errno(int code)
    {
        if (code <= 0)
            error_or_misused("Error::from_errno: not an errno", code);
        return Error(code);
    }
    constexpr int code() const { return m_code; }
    constexpr bool operator==(const Error&) const = default;

private:
    explicit constexpr Error(int code) : m_code(code) { }
    int m_code;
};

/*
 * The values carried are small (counts, offsets, pointers, Vnodes): they are kept beside
 * the error rather than in a union, and must be default-constructible.
 */
template <typename T>
class [[nodiscard]] ErrorOr {
public:
    template <typename U>
        requires std::is_convertible_v<U&&, T>
    constexpr ErrorOr(U&& value) : m_value(std::forward<U>(value)) { }
    constexpr ErrorOr(Error error) : m_error(error.code()) { }

    constexpr bool is_error() const { return m_error != 0; }
    constexpr Error error() const { return Error::from_errno(m_error); }
    constexpr T& value()
    {
        if (is_error())
            error_or_misused("ErrorOr::value: the result is an error", m_error);
        return m_value;
    }
    constexpr const T& value() const
    {
        if (is_error())
            error_or_misused("ErrorOr::value: the result is an error", m_error);
        return m_value;
    }
    constexpr T release_value() { return std::move(value()); }

private:
    T m_value { };
    int m_error = 0;
};

template <>
class [[nodiscard]] ErrorOr<void> {
public:
    constexpr ErrorOr() = default;
    constexpr ErrorOr(Error error) : m_error(error.code()) { }

    constexpr bool is_error() const { return m_error != 0; }
    constexpr Error error() const { return Error::from_errno(m_error); }
    constexpr void release_value() { }

private:
    int m_error = 0;
};

/*
 * Evaluates an ErrorOr expression; on an error returns it from the enclosing function,
 * else yields the value (GNU statement expression, as SerenityOS's AK/Try.h).
 */
#define TRY(...)                                                        \
    ({                                                                  \
        auto _try_result = (__VA_ARGS__);                               \
        if (_try_result.is_error()) [[unlikely]]                        \
            return _try_result.error();                                 \
        _try_result.release_value();                                    \
    })

/*
 * A transfer that stopped at an error: the bytes it moved count, as read and write report
 * them; the error only when there were none.
 */
inline ErrorOr<size_t> bytes_or_error(size_t done, Error error)
{
    if (done)
        return done;
    return error;
}

/* The register value of a system call's result: the value, or -errno. */
inline long to_syscall_result(const ErrorOr<void>& result)
{
    return result.is_error() ? -long(result.error().code()) : 0;
}

template <typename T>
long to_syscall_result(const ErrorOr<T>& result)
{
    return result.is_error() ? -long(result.error().code()) : long(result.value());
}
