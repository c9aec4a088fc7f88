/* The kernel's view of addresses: all low physical memory appears at PAGE_OFFSET. */
#pragma once

#include <kernel/types.h>

constexpr u32 PAGE_OFFSET = 0xC0000000;
constexpr u32 PAGE_SIZE = 4096;
constexpr u32 PAGE_SHIFT = 12;
constexpr u32 TASK_SIZE = PAGE_OFFSET;

constexpr u32 phys_to_virt(u32 phys) { return phys + PAGE_OFFSET; }
constexpr u32 virt_to_phys(u32 virt) { return virt - PAGE_OFFSET; }

/* Linker symbols bounding the kernel image (kernel virtual addresses). */
extern "C" char _text[], _etext[], _erodata[], _edata[], _bss[], _end[];
extern "C" u32 swapper_pg_dir[1024], pg0[1024];
