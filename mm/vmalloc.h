/*
 * Virtually contiguous kernel memory from scattered pages, for the few structures larger
 * than a page (swap_map of a big swap area). The window sits above the linear map and its
 * page table exists from boot, so every address space sees it without copying.
 */
#pragma once

#include <arch/paging.h>
#include <kernel/types.h>

namespace mm {

constexpr u32 VMALLOC_START = 0xFF000000;
constexpr u32 VMALLOC_SIZE = PGDIR_SIZE;            /* one page table */

void vmalloc_init();
/* Zeroed memory of `size` bytes, page granular; nullptr without pages or window room. */
void* vmalloc(size_t size);
void vfree(void* addr);

} // namespace mm
