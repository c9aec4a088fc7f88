/*
 * Shared pages to swap and back, as Linux 1.0's shm_swap: the object owns its pages, so a
 * page goes out once, from the object, after every PTE that maps it (found through the
 * object's attach list) is cleared; the object records the swap entry, and a fault in any
 * sharer brings the page back through the object (ShmObject::get_page). Written pages go
 * through the swap cache, where a fault during the write finds them.
 * docs/shared-memory.md has the design.
 */
#include <arch/cpu.h>
#include <kernel/printk.h>
#include <kernel/wait.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>
#include <mm/vm.h>

namespace mm {

using arch::Pte;

extern ShmObject* shm_swap_object;

namespace {

/* Calls fn(pte, addr, region) for each present PTE of obj's attached regions at page `index`. */
template <typename Fn>
void for_each_mapping(ShmObject* obj, u32 index, Fn fn)
{
    u64 at = u64(index) * PAGE_SIZE;
    for (Region* r = obj->m_attaches; r; r = r->shm_next) {
        if (at < r->offset || at - r->offset >= r->end - r->start)
            continue;
        u32 addr = r->start + u32(at - r->offset);
        Pte* pte = r->space->pte(addr);
        if (pte && pte->present())
            fn(*pte, addr, *r);
    }
}

/* Pages on their way out: in the swap cache with their slots locked, the objects naming the slots. */
struct ShmVictim {
    PhysAddr frame;
    SwapEntry entry;
};
ShmVictim victims[SWAP_CLUSTER_MAX];
u32 nr_victims;
Mutex shm_swap_lock;

/*
 * Writes the batch, adjacent slots in one request. A page written and wanted by nobody
 * meanwhile leaves memory. A page whose write failed stays in the cache marked
 * PG_SWAP_ERROR (shrink_swap_cache leaves it alone): the next fault takes it back into
 * its object, and its slot is retired when the last reference goes.
 */
u32 flush_victims()
{
    u32 freed = 0;
    for (u32 first = 0; first < nr_victims;) {
        SwapEntry start = victims[first].entry;
        u32 n = 1;
        while (first + n < nr_victims && victims[first + n].entry.type() == start.type()
               && victims[first + n].entry.offset() == start.offset() + n)
            n++;
        SwapInfo& si = swap_info[start.type()];
        void* pages[SWAP_CLUSTER_MAX];
        for (u32 i = 0; i < n; i++)
            pages[i] = to_virt(victims[first + i].frame).as_ptr();
        bool run_failed = si.device->write_pages(start.offset(), n, pages).is_error();
        for (u32 i = 0; i < n; i++) {
            const ShmVictim& v = victims[first + i];
            if (run_failed && (n == 1 || si.device->write_page(v.entry.offset(), pages[i]).is_error())) {
                printk(KERN_ERR "swap: write error on %s page %u: keeping the shared page in memory\n",
                       si.path, v.entry.offset());
                page_of(v.frame).flags |= PG_SWAP_ERROR;
                unlock_slot(si, v.entry.offset());
                continue;
            }
            pswpout++;
            unlock_slot(si, v.entry.offset());
            if (page_of(v.frame).count == 1) {  /* the cache's reference alone */
                delete_from_swap_cache(v.frame);
                freed++;
            }
        }
        first += n;
    }
    nr_victims = 0;
    if (freed)
        note_swap_progress();           /* swap took dirty pages: not the clean-drop cut-off */
    return freed;
}

enum class Steal : u8 { Skipped, Batched, SwapFull };

/*
 * One page of obj: a second chance if any sharer used it since the last look; otherwise
 * every PTE mapping it is cleared and, if nothing else holds the page, it takes a slot
 * and joins the batch.
 */
Steal try_to_swap_out_shm(ShmObject* obj, u32 index, u32& slot_value)
{
    PhysAddr frame = ShmObject::frame_of(slot_value);
    bool young = false, locked = false;
    for_each_mapping(obj, index, [&](Pte& pte, u32 addr, Region& r) {
        locked |= pte.frame() == frame && (r.flags & VM_LOCKED);   /* mlocked by a sharer */
        if (pte.frame() == frame && pte.accessed()) {
            pte = pte.with_accessed_cleared();
            arch::invlpg(addr);
            young = true;
        }
    });
    if (young || locked)
        return Steal::Skipped;
    if (page_of(frame).count > 1) {
        /* Unmapped from every sharer, as shm_swap does; the next touch maps it again. */
        for_each_mapping(obj, index, [&](Pte& pte, u32 addr, Region& r) {
            if (pte.frame() != frame)
                return;
            pte = Pte();
            arch::invlpg(addr);
            account_rss(*r.space, addr, -1);
            free_page(to_virt(frame));
        });
        if (page_of(frame).count > 1)
            return Steal::Skipped;      /* held by a copy in progress (read, write) */
    }
    SwapEntry entry = get_swap_page();
    if (!entry)
        return Steal::SwapFull;
    swap_info[entry.type()].map.try_lock(entry.offset());      /* free slots are handed out unlocked */
    /* The object's page reference and the slot's first go to the cache; the object gets a second. */
    add_to_swap_cache(frame, entry);
    swap_duplicate(entry);
    slot_value = entry.pte_value();
    obj->m_resident--;
    shmem_pages--;
    victims[nr_victims++] = { frame, entry };
    return Steal::Batched;
}

} // namespace

u32 shm_swap(u32 budget, u32 want)
{
    /*
     * Another reclaimer holding the lock is writing its batch: wait for it, as Linux waits
     * for writeback before it gives up. Coming back with nothing at once would let an
     * allocation whose only candidates are shared pages count a round as fruitless each
     * time, and a slow disk would end in the OOM killer with swap half empty.
     */
    MutexLocker lock(shm_swap_lock);
    u32 freed = 0, empty_objects = 0;
    while (budget && freed < want) {
        ShmObject* obj = shm_swap_object;
        if (!obj && !(obj = shm_swap_object = shm_first_object()))
            break;
        u32 capacity = obj->m_nr_tables * ShmObject::SLOTS_PER_TABLE;
        if (obj->m_locked || !obj->m_resident || obj->m_swap_hand >= capacity) {
            obj->m_swap_hand = 0;
            shm_swap_object = obj->m_next;
            if (++empty_objects > 2 * 1024)
                break;                  /* round them all with nothing to take */
            continue;
        }
        u32 index = obj->m_swap_hand++;
        u32* s = obj->slot(index, ShmObject::Alloc::No);
        if (!s || !ShmObject::holds_frame(*s))
            continue;
        budget--;
        empty_objects = 0;
        Steal got = try_to_swap_out_shm(obj, index, *s);
        if (got == Steal::SwapFull)
            break;
        if (nr_victims == SWAP_CLUSTER_MAX || (got == Steal::Batched && freed + nr_victims >= want))
            freed += flush_victims();   /* sleeps: the hand is looked at afresh */
    }
    return freed + flush_victims();
}

ErrorOr<void> shm_unuse(u32 type)
{
    /* A reference on the object being emptied keeps it, and its place in the list, across sleeps. */
    ShmObject* obj = shm_first_object();
    if (obj)
        shm_get(obj);
    while (obj) {
        ErrorOr<void> result;
        for (u32 index = 0; index < obj->m_nr_tables * ShmObject::SLOTS_PER_TABLE && !result.is_error(); index++) {
            u32* s = obj->slot(index, ShmObject::Alloc::No);
            if (!s || !*s || ShmObject::holds_frame(*s) || SwapEntry::from_pte_value(*s).type() != type)
                continue;
            ErrorOr<PhysAddr> got = obj->get_page(index, ShmObject::Alloc::No);
            if (got.is_error())
                result = got.error();
            else if (got.value() != PhysAddr())
                free_page(to_virt(got.value()));
        }
        ShmObject* next = obj->m_next;
        if (next)
            shm_get(next);
        shm_put(obj);
        if (result.is_error()) {
            if (next)
                shm_put(next);
            return result;
        }
        obj = next;
    }
    return {};
}

} // namespace mm
