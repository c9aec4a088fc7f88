/*
 * The mappings of shared memory objects: the attach list of the regions that map an
 * object (Linux 1.0's shp->attaches), through which a page's every PTE is found.
 * docs/shared-memory.md has the design.
 */
#include <arch/cpu.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap_cache.h>
#include <mm/vm.h>

namespace mm {

using arch::Pte;

void shm_attach(Region* r)
{
    ShmObject* obj = r->shm;
    r->shm_prev = nullptr;
    r->shm_next = obj->m_attaches;
    if (obj->m_attaches)
        obj->m_attaches->shm_prev = r;
    obj->m_attaches = r;
    obj->m_nattach++;
    if (obj->m_watcher)
        obj->m_watcher->attached(obj);
}

void shm_detach(Region* r)
{
    ShmObject* obj = r->shm;
    if (r->shm_prev)
        r->shm_prev->shm_next = r->shm_next;
    else
        obj->m_attaches = r->shm_next;
    if (r->shm_next)
        r->shm_next->shm_prev = r->shm_prev;
    r->shm_next = r->shm_prev = nullptr;
    obj->m_nattach--;
    if (obj->m_watcher)
        obj->m_watcher->detached(obj);
}

void shm_unmap_pages(ShmObject* obj, u32 first)
{
    for (Region* r = obj->m_attaches; r; r = r->shm_next) {
        for (u32 addr = r->start; addr < r->end; addr += PAGE_SIZE) {
            if ((r->offset + (addr - r->start)) / PAGE_SIZE < first)
                continue;
            Pte* pte = r->space->pte(addr);
            if (!pte || !pte->present())
                continue;
            PhysAddr frame = pte->frame();
            *pte = Pte();
            arch::invlpg(addr);
            account_rss(*r->space, addr, -1);
            put_user_page(frame);
        }
    }
}

} // namespace mm
