/*
 * What the page-table code of mm/ shares between its files (address_space.cpp, fault.cpp,
 * swap.cpp): the kinds of directory entry, mem_map by frame, and the PTE flags a region's
 * protection gives. Internal to mm/.
 */
#pragma once

#include <arch/i386/paging.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/vm.h>

namespace mm {

constexpr u32 USER_PDE = arch::Pte::PRESENT | arch::Pte::WRITABLE | arch::Pte::USER;
/* A page table shared copy-on-write since fork: every PTE under it is read-only through it. */
constexpr u32 SHARED_PDE = arch::Pte::PRESENT | arch::Pte::USER;
constexpr u32 FIRST_KERNEL_PDE = PAGE_OFFSET >> 22;
constexpr u32 PGDIR_SIZE = 4u << 20;
constexpr u32 PTRS_PER_TABLE = 1024;

inline Page& page_of(PhysAddr frame) { return mem_map[frame.pfn().value()]; }
/* A page that mem_map counts references to: not reserved, not outside memory. */
inline bool counted(PhysAddr frame) { return page_allocator.counted(frame.pfn()); }

inline arch::Pte* table_of(arch::Pte pde)
{
    return reinterpret_cast<arch::Pte*>(phys_to_virt(pde.frame().value()));
}

/* The flags of a user PTE in a region of protection prot; writable only if asked. */
inline u32 user_pte_flags(u32 prot, bool writable)
{
    u32 flags = arch::Pte::PRESENT;
    if (prot != PROT_NONE)
        flags |= arch::Pte::USER;
    if (writable && (prot & PROT_WRITE))
        flags |= arch::Pte::WRITABLE;
    return flags;
}

} // namespace mm
