/*
 * Distinct types for the three kinds of address the memory manager handles, so that a
 * physical address can never be used where a virtual one is meant.
 */
#pragma once

#include <kernel/types.h>

#include <compare>

constexpr u32 PAGE_SIZE = 4096;
constexpr u32 PAGE_SHIFT = 12;
constexpr u32 PAGE_MASK = ~(PAGE_SIZE - 1);

constexpr u32 page_align_down(u32 v) { return v & PAGE_MASK; }
constexpr u32 page_align_up(u32 v) { return (v + PAGE_SIZE - 1) & PAGE_MASK; }

class PhysAddr;

/* A page frame number: physical address >> 12. */
class Pfn {
public:
    constexpr Pfn() = default;
    constexpr explicit Pfn(u32 value) : m_value(value) { }
    constexpr u32 value() const { return m_value; }
    constexpr PhysAddr addr() const;
    constexpr bool operator==(const Pfn&) const = default;
    constexpr auto operator<=>(const Pfn&) const = default;
private:
    u32 m_value = 0;
};

class PhysAddr {
public:
    constexpr PhysAddr() = default;
    constexpr explicit PhysAddr(u32 value) : m_value(value) { }
    constexpr u32 value() const { return m_value; }
    constexpr Pfn pfn() const { return Pfn(m_value >> PAGE_SHIFT); }
    constexpr u32 page_offset() const { return m_value & ~PAGE_MASK; }
    constexpr bool page_aligned() const { return page_offset() == 0; }
    constexpr PhysAddr offset(u32 by) const { return PhysAddr(m_value + by); }
    constexpr bool operator==(const PhysAddr&) const = default;
    constexpr auto operator<=>(const PhysAddr&) const = default;
private:
    u32 m_value = 0;
};

constexpr PhysAddr Pfn::addr() const { return PhysAddr(m_value << PAGE_SHIFT); }

/* A kernel virtual address; null means "no page" where functions return one. */
class VirtAddr {
public:
    constexpr VirtAddr() = default;
    constexpr explicit VirtAddr(uintptr_t value) : m_value(value) { }
    explicit VirtAddr(const void* p) : m_value(reinterpret_cast<uintptr_t>(p)) { }
    constexpr uintptr_t value() const { return m_value; }
    template<typename T = void>
    T* as_ptr() const { return reinterpret_cast<T*>(m_value); }
    constexpr explicit operator bool() const { return m_value != 0; }
    constexpr bool page_aligned() const { return (m_value & (PAGE_SIZE - 1)) == 0; }
    constexpr VirtAddr offset(uintptr_t by) const { return VirtAddr(m_value + by); }
    constexpr bool operator==(const VirtAddr&) const = default;
    constexpr auto operator<=>(const VirtAddr&) const = default;
private:
    uintptr_t m_value = 0;
};
