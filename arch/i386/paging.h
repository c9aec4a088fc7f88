/*
 * The 386's two-level page tables: a page directory of Pde, each naming a page table of
 * Pte, each mapping one page. Entries are built and changed through named constructors and
 * withers, so that no caller does bit arithmetic on the hardware format. Pure code; the
 * host tests build it too.
 */
#pragma once

#include <arch/i386/paging_geometry.h>
#include <mm/swap_entry.h>
#include <mm/types.h>

namespace arch {

static_assert(PTRS_PER_TABLE * PAGE_SIZE == PGDIR_SIZE, "a table maps what a directory entry covers");
static_assert(PTRS_PER_TABLE * 4 == PAGE_SIZE, "a directory or a table fills one page");

/*
 * A page table entry: a present page with its permissions and what the CPU recorded
 * (accessed, dirty); a page in swap (not present, holding a SwapEntry); or none.
 */
class Pte {
public:
    static constexpr u32 PRESENT = 1u << 0;
    static constexpr u32 WRITABLE = 1u << 1;
    static constexpr u32 USER = 1u << 2;
    static constexpr u32 ACCESSED = 1u << 5;
    static constexpr u32 DIRTY = 1u << 6;

    /* Nothing mapped and nothing in swap. */
    constexpr Pte() = default;
    /* A present page; flags from WRITABLE, USER, ACCESSED, DIRTY. */
    static constexpr Pte mapping(PhysAddr frame, u32 flags) { return Pte(frame.value() | flags | PRESENT); }
    /* The kernel's read-write mapping of a frame (not reachable from user mode). */
    static constexpr Pte kernel_page(PhysAddr frame) { return mapping(frame, WRITABLE); }
    /* A page swapped out to entry: not present, so every access faults. entry is not none. */
    static constexpr Pte swapped(SwapEntry entry) { return Pte(entry.pte_value()); }

    constexpr bool present() const { return m_raw & PRESENT; }
    constexpr bool writable() const { return m_raw & WRITABLE; }
    constexpr bool user() const { return m_raw & USER; }
    constexpr bool accessed() const { return m_raw & ACCESSED; }
    constexpr bool dirty() const { return m_raw & DIRTY; }
    constexpr PhysAddr frame() const { return PhysAddr(m_raw & PAGE_MASK); }
    constexpr bool none() const { return m_raw == 0; }
    /* Holding a swap entry: neither none nor present. */
    constexpr bool swapped_out() const { return !present() && !none(); }
    /* The swap entry of a swapped-out page. */
    constexpr SwapEntry swap_entry() const { return SwapEntry::from_pte_value(m_raw); }

    /* Copies with one bit changed; the frame and every other bit are kept. */
    constexpr Pte write_protected() const { return Pte(m_raw & ~WRITABLE); }
    constexpr Pte made_writable() const { return Pte(m_raw | WRITABLE); }
    constexpr Pte with_accessed_cleared() const { return Pte(m_raw & ~ACCESSED); }
    constexpr Pte with_dirty_cleared() const { return Pte(m_raw & ~DIRTY); }
    constexpr Pte made_dirty() const { return Pte(m_raw | DIRTY); }
    /* The same page with new permissions (flags as for mapping); accessed and dirty stay. */
    constexpr Pte with_permissions(u32 flags) const
    {
        return mapping(frame(), flags | (m_raw & (ACCESSED | DIRTY)));
    }

    constexpr bool operator==(const Pte&) const = default;

private:
    constexpr explicit Pte(u32 raw) : m_raw(raw) { }

    u32 m_raw = 0;
};
static_assert(sizeof(Pte) == 4);

/*
 * A page directory entry: a present page table, or none. A user table shared between
 * processes since fork is write-protected here (shared_table), so every write through it
 * faults whatever its PTEs say; see docs/processes.md.
 */
class Pde {
public:
    static constexpr u32 PRESENT = 1u << 0;
    static constexpr u32 WRITABLE = 1u << 1;
    static constexpr u32 USER = 1u << 2;
    static constexpr u32 ACCESSED = 1u << 5;

    /* No table: the 4 MB it would map fault. */
    constexpr Pde() = default;
    /* The kernel's tables: the half above PAGE_OFFSET, the same in every directory. */
    static constexpr Pde kernel_table(PhysAddr table) { return Pde(table.value() | PRESENT | WRITABLE); }
    /* A user process's own table: its PTEs alone decide what may be written. */
    static constexpr Pde user_table(PhysAddr table) { return Pde(table.value() | PRESENT | WRITABLE | USER); }
    /* A user table shared copy-on-write since fork (the seed's SHARED_PDE): read-only through it. */
    static constexpr Pde shared_table(PhysAddr table) { return Pde(table.value() | PRESENT | USER); }

    constexpr bool present() const { return m_raw & PRESENT; }
    constexpr bool writable() const { return m_raw & WRITABLE; }
    constexpr bool user() const { return m_raw & USER; }
    constexpr bool accessed() const { return m_raw & ACCESSED; }
    constexpr PhysAddr frame() const { return PhysAddr(m_raw & PAGE_MASK); }
    constexpr bool none() const { return m_raw == 0; }
    /* A present table that is write-protected in the directory: shared since fork. */
    constexpr bool shared() const { return present() && !writable(); }

    /* The last sharer's entry: the table is its own again; the other bits stay. */
    constexpr Pde unshared() const { return Pde(m_raw | WRITABLE); }

    constexpr bool operator==(const Pde&) const = default;

private:
    constexpr explicit Pde(u32 raw) : m_raw(raw) { }

    u32 m_raw = 0;
};
static_assert(sizeof(Pde) == 4);

constexpr u32 pgd_index(u32 va) { return va >> PGDIR_SHIFT; }
constexpr u32 pte_index(u32 va) { return (va >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1); }
/* Where the next directory entry's 4 MB start after va's; 0 past the top. */
constexpr u32 pgdir_next(u32 va) { return (va | (PGDIR_SIZE - 1)) + 1; }

/*
 * Walks the tables under a page directory (a kernel virtual pointer; the tables are found
 * through the kernel's linear map). Returns the leaf entry, or an absent one.
 */
Pte walk(const Pde* directory, u32 va);

} // namespace arch
