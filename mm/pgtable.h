/*
 * What the page-table code of mm/ shares between its files (address_space.cpp, fault.cpp,
 * swap.cpp): where the kernel's directory entries start, mem_map by frame, and the PTE flags
 * a region's protection gives. Internal to mm/.
 */
#pragma once

#include <arch/paging.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/vm.h>

namespace mm {

constexpr u32 FIRST_KERNEL_PDE = arch::pgd_index(PAGE_OFFSET);

inline Page& page_of(PhysAddr frame) { return mem_map[frame.pfn().value()]; }
/* A page that mem_map counts references to: not reserved, not outside memory. */
inline bool counted(PhysAddr frame) { return page_allocator.counted(frame.pfn()); }

inline arch::Pte* table_of(arch::Pde pde)
{
    return reinterpret_cast<arch::Pte*>(phys_to_virt(pde.frame().value()));
}

/* The flags (for Pte::mapping) of a user PTE in a region of protection prot; writable only if asked. */
inline u32 user_pte_flags(u32 prot, bool writable)
{
    u32 flags = 0;
    if (prot != PROT_NONE)
        flags |= arch::Pte::USER;
    if (writable && (prot & PROT_WRITE))
        flags |= arch::Pte::WRITABLE;
    return flags;
}

} // namespace mm
