/* Page-table entries, table geometry and the software walk, for the architecture being built. */
#pragma once

#if defined(__i386__) || defined(FERRITE_HOST)
#include <arch/i386/paging.h>   /* pure code: the host tests build it too */
#else
#error "no paging interface for this architecture"
#endif

#include <concepts>

/*
 * What mm/ uses of an architecture's entries, checked here (as managarm checks its arch
 * concepts) so that a missing piece shows up in one place rather than all over mm/.
 */
template<typename Entry>
concept PageTableEntry = std::regular<Entry> && requires(Entry e) {
    { e.present() } -> std::same_as<bool>;
    { e.writable() } -> std::same_as<bool>;
    { e.none() } -> std::same_as<bool>;
    { e.frame() } -> std::same_as<PhysAddr>;
};
static_assert(PageTableEntry<arch::Pte> && PageTableEntry<arch::Pde>);
static_assert(requires(arch::Pte pte, SwapEntry entry, PhysAddr frame, u32 flags) {
    { arch::Pte::mapping(frame, flags) } -> std::same_as<arch::Pte>;
    { arch::Pte::swapped(entry) } -> std::same_as<arch::Pte>;
    { pte.swap_entry() } -> std::same_as<SwapEntry>;
    { pte.write_protected() } -> std::same_as<arch::Pte>;
    { arch::Pde::shared_table(frame) } -> std::same_as<arch::Pde>;
    { arch::Pde::user_table(frame) } -> std::same_as<arch::Pde>;
}, "the constructors and withers mm/ builds entries with");
