/* The 386's two-level page tables: entry formats and a software walk. */
#pragma once

#include <mm/types.h>

namespace arch {

/* A page directory or page table entry. */
class Pte {
public:
    static constexpr u32 PRESENT = 1u << 0;
    static constexpr u32 WRITABLE = 1u << 1;
    static constexpr u32 USER = 1u << 2;
    static constexpr u32 ACCESSED = 1u << 5;
    static constexpr u32 DIRTY = 1u << 6;

    constexpr Pte() = default;
    constexpr explicit Pte(u32 raw) : m_raw(raw) { }
    static constexpr Pte make(PhysAddr frame, u32 flags) { return Pte(frame.value() | flags); }

    constexpr u32 raw() const { return m_raw; }
    constexpr bool present() const { return m_raw & PRESENT; }
    constexpr bool writable() const { return m_raw & WRITABLE; }
    constexpr bool user() const { return m_raw & USER; }
    constexpr bool accessed() const { return m_raw & ACCESSED; }
    constexpr bool dirty() const { return m_raw & DIRTY; }
    constexpr PhysAddr frame() const { return PhysAddr(m_raw & PAGE_MASK); }
    constexpr bool none() const { return m_raw == 0; }

private:
    u32 m_raw = 0;
};
static_assert(sizeof(Pte) == 4);

constexpr u32 pgd_index(u32 va) { return va >> 22; }
constexpr u32 pte_index(u32 va) { return (va >> PAGE_SHIFT) & 1023; }

/*
 * Walks the tables under a page directory (a kernel virtual pointer; the tables are found
 * through the kernel's linear map). Returns the leaf entry, or an absent one.
 */
Pte walk(const Pte* directory, u32 va);

} // namespace arch
