/*
 * A user-space address, as a system call's register brings it. It cannot be dereferenced,
 * only handed to copy_to_user and friends (kernel/uaccess.h), which check it and recover
 * from faults; and a kernel pointer cannot be passed where one is expected. The only way
 * in is explicit construction from the register value, which the system-call dispatcher
 * does (SerenityOS's Userspace<T*>). Pure code: it also builds for the host tests.
 */
#pragma once

#include <kernel/types.h>

#include <type_traits>

template <typename T>
class Userspace;

template <typename T>
class Userspace<T*> {
public:
    constexpr Userspace() = default;
    explicit constexpr Userspace(u32 address) : m_address(address) { }
    Userspace(T*) = delete;             /* kernel pointers stay out */

    /* As U* converts to const U* and to void*: const is added, never dropped. */
    template <typename U>
        requires(!std::is_same_v<T, U> && std::is_convertible_v<U*, T*>
                 && (std::is_void_v<T> || std::is_same_v<std::remove_const_t<T>, U>))
    constexpr Userspace(Userspace<U*> other) : m_address(other.address()) { }

    constexpr u32 address() const { return m_address; }
    constexpr bool is_null() const { return m_address == 0; }

    /* The address `bytes` further on: a field or the next element of a user array. */
    constexpr Userspace offset(u32 bytes) const { return Userspace(m_address + bytes); }
    /* The i-th element of the array this points to. */
    constexpr Userspace element(u32 i) const
        requires(!std::is_void_v<T>)
    {
        return Userspace(m_address + i * u32(sizeof(T)));
    }
    /* The same address seen as another type (a struct's field, a packed record). */
    template <typename U>
    constexpr Userspace<U*> as() const { return Userspace<U*>(m_address); }

private:
    u32 m_address = 0;
};
