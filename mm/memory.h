/*
 * The kernel's physical memory: mem_map, the seed's get_free_page family, kmalloc.
 * docs/physical-memory.md describes the design.
 */
#pragma once

#include <kernel/bootinfo.h>
#include <mm/page_alloc.h>
#include <mm/slab.h>

using mm::Gfp;

namespace mm {

extern PageAllocator page_allocator;
extern SlabAllocator slab_allocator;
extern Page* mem_map;

/* The seed's three markers (physical addresses). */
extern u32 low_memory_start;    /* end of the kernel image */
extern u32 memory_start;        /* end of what boot took above 1 MB (page tables, mem_map) */
extern u32 memory_end;          /* end of the highest usable page (also high_memory) */
extern u32 managed_pages;       /* pages mem_init gave to the allocator: MemTotal */

/* Builds the kernel page tables and mem_map from the boot information, prints the map. */
void init(const BootInfo& boot);

/* A physical range the boot map lists (for tests): name, [start, end). */
struct MapItem {
    const char* name;
    u32 start, end;
};
size_t boot_map(const MapItem*& items);

/*
 * fail_page_alloc=SETTING (already checked by the command-line parser): from now on, page
 * allocations made for processes other than init fail as SETTING says (mm/fault_inject.h).
 */
void start_fail_page_alloc(const char* setting);

} // namespace mm

/* A zeroed page (kernel virtual address), or null. */
VirtAddr get_free_page(Gfp priority);
/* The same without zeroing. */
VirtAddr __get_free_page(Gfp priority);
void free_page(VirtAddr page);
u32 nr_free_pages();            /* free list and reserve list together */

void* kmalloc(size_t size, Gfp priority);
void kfree(void* object);
