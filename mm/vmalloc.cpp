#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <arch/paging.h>
#include <kernel/printk.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/vmalloc.h>

namespace mm {
namespace {

constexpr u32 SLOTS = VMALLOC_SIZE / PAGE_SIZE;
arch::Pte* table;               /* the window's page table */
/* Per slot: 0 free; otherwise the length in pages of the allocation starting there, or
   NO_PAGE for the slots it covers after its first. */
u32 lengths[SLOTS];

} // namespace

void vmalloc_init()
{
    VirtAddr page = get_free_page(Gfp::Kernel);
    if (!page)
        panic("vmalloc_init: no page for the window's page table");
    table = page.as_ptr<arch::Pte>();
    swapper_pg_dir[arch::pgd_index(VMALLOC_START)] = arch::Pde::kernel_table(to_phys(page));
}

void* vmalloc(size_t size)
{
    u32 pages = u32((size + PAGE_SIZE - 1) / PAGE_SIZE);
    if (!pages || pages > SLOTS)
        return nullptr;
    u32 start = SLOTS;
    {
        arch::InterruptDisabler guard;
        for (u32 s = 0, run = 0; s < SLOTS; s++) {
            run = lengths[s] == 0 ? run + 1 : 0;
            if (run == pages) {
                start = s + 1 - pages;
                break;
            }
        }
        if (start == SLOTS)
            return nullptr;
        lengths[start] = pages;
        for (u32 i = 1; i < pages; i++)
            lengths[start + i] = NO_PAGE;
    }
    for (u32 i = 0; i < pages; i++) {
        VirtAddr page = get_free_page(Gfp::Kernel);
        if (!page) {
            lengths[start] = i;         /* vfree releases the i pages mapped so far */
            for (u32 j = i ? i : 1; j < pages; j++)
                lengths[start + j] = 0;
            vfree(reinterpret_cast<void*>(VMALLOC_START + start * PAGE_SIZE));
            return nullptr;
        }
        table[start + i] = arch::Pte::kernel_page(to_phys(page));
        arch::invlpg(VMALLOC_START + (start + i) * PAGE_SIZE);
    }
    return reinterpret_cast<void*>(VMALLOC_START + start * PAGE_SIZE);
}

void vfree(void* addr)
{
    if (!addr)
        return;
    u32 start = (u32(addr) - VMALLOC_START) / PAGE_SIZE;
    if (u32(addr) < VMALLOC_START || start >= SLOTS || lengths[start] == NO_PAGE)
        panic("vfree: %p is not a vmalloc address", addr);
    u32 pages = lengths[start];
    for (u32 i = 0; i < pages; i++) {
        arch::Pte& pte = table[start + i];
        if (pte.present())
            free_page(to_virt(pte.frame()));
        pte = arch::Pte();
        arch::invlpg(VMALLOC_START + (start + i) * PAGE_SIZE);
    }
    arch::InterruptDisabler guard;
    lengths[start] = 0;
    for (u32 i = 1; i < pages; i++)
        lengths[start + i] = 0;
}

} // namespace mm
