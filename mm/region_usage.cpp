/*
 * The page counts of /proc/PID/smaps, as Linux 6.1's smaps_account: a page of ours (not
 * the zero page) is resident; it is shared when more than one mapping references it, and
 * its proportional size is divided by that number. A page table shared since fork maps
 * each of its pages once per process sharing it, while mem_map counts the table once: the
 * number of mappers is the page's count (less the swap cache's own reference) times the
 * table's (and less a shared memory object's own reference). A swapped-out page counts
 * as Swap, divided among the users of its slot.
 */
#include <mm/pgtable.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

namespace mm {

using arch::Pte;

namespace {

/* The processes mapping the table under addr (1 unless it is shared since fork). */
u32 table_mappers(const AddressSpace& as, u32 addr)
{
    arch::Pde pde = as.directory()[arch::pgd_index(addr)];
    return pde.present() ? page_of(pde.frame()).count : 1;
}

void add_present(const AddressSpace& as, const Region& r, u32 addr, Pte pte, RegionUsage& u)
{
    PhysAddr frame = pte.frame();
    if (!counted(frame))
        return;                         /* the zero page: nobody's memory, as in Linux */
    const Page& page = page_of(frame);
    bool cached = page.flags & PG_SWAP_CACHE;
    bool shmem = r.kind == RegionKind::Shared;
    /* Neither the swap cache's reference nor a shared memory object's own maps the page. */
    u32 owners = (cached ? 1 : 0) + (shmem ? 1 : 0);
    u32 mappers = page.count > owners ? (page.count - owners) * table_mappers(as, addr) : 1;
    /* A file region's page that was written, or came back from swap, is anonymous memory. */
    bool anonymous = !shmem && (r.kind != RegionKind::File || pte.dirty() || cached);
    u64 share = (PAGE_SIZE << PSS_SHIFT) / mappers;
    u.rss += PAGE_SIZE;
    if (pte.accessed() || (page.flags & PG_REFERENCED))
        u.referenced += PAGE_SIZE;
    if (anonymous) {
        u.anonymous += PAGE_SIZE;
        u.pss_anon += share;
    } else if (shmem) {
        u.pss_shmem += share;
    } else {
        u.pss_file += share;
    }
    u.pss += share;
    if (pte.dirty())
        u.pss_dirty += share;
    if (mappers > 1)
        (pte.dirty() ? u.shared_dirty : u.shared_clean) += PAGE_SIZE;
    else
        (pte.dirty() ? u.private_dirty : u.private_clean) += PAGE_SIZE;
    if (r.flags & VM_LOCKED)
        u.pss_locked += share;
}

void add_swapped(Pte pte, RegionUsage& u)
{
    SwapEntry entry = pte.swap_entry();
    SwapInfo& si = area_of(entry, "smaps");
    u32 users = si.map.count(entry.offset()) - (si.cache[entry.offset()] ? 1 : 0);
    u.swap += PAGE_SIZE;
    u.swap_pss += (PAGE_SIZE << PSS_SHIFT) / (users ? users : 1);
}

} // namespace

void add_region_usage(const AddressSpace& as, const Region& r, RegionUsage& usage)
{
    for (u32 addr = r.start; addr < r.end;) {
        const Pte* pte = as.pte(addr);
        if (!pte) {
            addr = arch::pgdir_next(addr);
            continue;
        }
        if (pte->present())
            add_present(as, r, addr, *pte, usage);
        else if (pte->swapped_out())
            add_swapped(*pte, usage);
        addr += PAGE_SIZE;
    }
}

} // namespace mm
