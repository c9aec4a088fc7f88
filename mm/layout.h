/* The kernel's view of addresses: all low physical memory appears at PAGE_OFFSET. */
#pragma once

#include <arch/paging.h>
#include <mm/types.h>

constexpr u32 PAGE_OFFSET = 0xC0000000;
constexpr u32 TASK_SIZE = PAGE_OFFSET;
/* The most physical memory the kernel maps (and so manages): 768 MB of its 1 GB window. */
constexpr u32 MAX_MAPPED_MEMORY = 768u << 20;

constexpr u32 phys_to_virt(u32 phys) { return phys + PAGE_OFFSET; }
constexpr u32 virt_to_phys(u32 virt) { return virt - PAGE_OFFSET; }
inline VirtAddr to_virt(PhysAddr p) { return VirtAddr(uintptr_t(p.value()) + PAGE_OFFSET); }
inline PhysAddr to_phys(VirtAddr v) { return PhysAddr(u32(v.value() - PAGE_OFFSET)); }

/* Linker symbols bounding the kernel image (kernel virtual addresses). */
extern "C" char _text[], _etext[], _erodata[], _edata[], _bss[], _end[];
/* The boot stub's page directory, the kernel's own, and the table mapping the first 4 MB. */
extern "C" arch::Pde swapper_pg_dir[PTRS_PER_TABLE];
extern "C" arch::Pte pg0[PTRS_PER_TABLE];
