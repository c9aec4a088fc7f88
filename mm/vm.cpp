#include <arch/i386/io.h>
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/swap.h>
#include <mm/vm.h>

#include <new>

namespace mm {

using arch::Pte;

namespace {

constexpr u32 USER_PDE = Pte::PRESENT | Pte::WRITABLE | Pte::USER;
/* A page table shared copy-on-write since fork: every PTE under it is read-only through it. */
constexpr u32 SHARED_PDE = Pte::PRESENT | Pte::USER;
constexpr u32 FIRST_KERNEL_PDE = PAGE_OFFSET >> 22;
constexpr u32 PGDIR_SIZE = 4u << 20;
constexpr u32 PTRS_PER_TABLE = 1024;
static_assert(FIRST_KERNEL_PDE == 768, "AddressSpace::m_tables covers the user half");

bool managed(PhysAddr frame) { return frame.pfn().value() < page_allocator.nr_pages(); }
Page& page_of(PhysAddr frame) { return mem_map[frame.pfn().value()]; }
/* A page that mem_map counts references to: not reserved, not outside memory. */
bool counted(PhysAddr frame) { return managed(frame) && !page_of(frame).reserved(); }

Pte* table_of(Pte pde) { return reinterpret_cast<Pte*>(phys_to_virt(pde.frame().value())); }

u32 user_pte_flags(u32 prot, bool writable)
{
    u32 flags = Pte::PRESENT;
    if (prot != PROT_NONE)
        flags |= Pte::USER;
    if (writable && (prot & PROT_WRITE))
        flags |= Pte::WRITABLE;
    return flags;
}

void note_rss(AddressSpace& as)
{
    as.rss++;
    if (current && as.rss > current->max_rss)
        current->max_rss = as.rss;
}

/*
 * The seed's empty_zero_page: a read fault on untouched anonymous memory maps this one
 * page read-only, and the first write takes a fresh page. It is part of the kernel's bss,
 * reserved in mem_map: never counted, freed, stolen or written.
 */
alignas(PAGE_SIZE) u8 empty_zero_page[PAGE_SIZE];

/*
 * Calls fn(first, last) for each run [first, last) of entry indices of table `index`
 * that regions cover: entries outside every region are always empty (a PTE is only ever
 * made inside a region, and munmap clears what it unmaps), so walks of a table look at
 * these runs only, as Linux walks the page tables of each vm_area.
 */
template <typename Fn>
void for_each_mapped_run(const RegionSet& set, u32 index, Fn fn)
{
    u32 base = index * PGDIR_SIZE, limit = base + (PGDIR_SIZE - 1);
    for (Region* r = set.find_above(base); r && r->start <= limit; r = r->next) {
        u32 first = r->start > base ? arch::pte_index(r->start) : 0;
        u32 last = r->end - 1 < limit ? arch::pte_index(r->end - 1) + 1 : PTRS_PER_TABLE;
        fn(first, last);
    }
}

/*
 * One table of copy_page_tables' work, done when a table shared since fork is first
 * written through: every page gains a reference, writable ones become read-only in both
 * tables (copy-on-write), swap entries are duplicated. Entries first..last-1.
 */
void copy_entries(Pte* from, Pte* to, u32 first, u32 last)
{
    for (u32 j = first; j < last; j++) {
        Pte e = from[j];
        if (e.none())
            continue;
        if (e.present()) {
            if (counted(e.frame())) {
                page_allocator.get(to_virt(e.frame()), __builtin_return_address(0));
                if (e.writable()) {
                    e = Pte(e.raw() & ~Pte::WRITABLE);
                    from[j] = e;
                }
            }
        } else {
            swap_duplicate(SwapEntry::from_pte_value(e.raw()));
        }
        to[j] = e;
    }
}

} // namespace

PhysAddr zero_page()
{
    return PhysAddr(virt_to_phys(u32(empty_zero_page)));
}

void release_pte(AddressSpace& as, Pte& pte)
{
    if (pte.present()) {
        if (counted(pte.frame())) {
            free_page(to_virt(pte.frame()));
            as.rss--;
        }
    } else if (!pte.none()) {
        swap_free(SwapEntry::from_pte_value(pte.raw()));    /* a swapped-out page */
    }
    pte = Pte();
}

void account_rss(AddressSpace& as, u32 addr, int delta)
{
    as.rss += u32(delta);
    Pte pde = as.directory()[arch::pgd_index(addr)];
    if (!pde.present() || page_of(pde.frame()).count == 1)
        return;
    /* A table shared since fork: the page was in every sharer's memory. */
    /* By frame: the CPU sets the ACCESSED bit of each sharer's directory entry on its own. */
    for (Task* t : task) {
        Pte theirs = t && t->mm && t->mm != &as ? t->mm->directory()[arch::pgd_index(addr)] : Pte();
        if (theirs.present() && theirs.frame() == pde.frame())
            t->mm->rss += u32(delta);
    }
}

AddressSpace* AddressSpace::create()
{
    auto* as = new (std::nothrow) AddressSpace;
    if (!as)
        return nullptr;
    VirtAddr pgd = get_free_page(Gfp::Kernel);
    if (!pgd) {
        delete as;
        return nullptr;
    }
    as->m_pgd = pgd.as_ptr<Pte>();
    /* The kernel half points at the kernel's own page tables: shared, never copied. */
    const Pte* kernel = reinterpret_cast<const Pte*>(swapper_pg_dir);
    for (u32 i = FIRST_KERNEL_PDE; i < 1024; i++)
        as->m_pgd[i] = kernel[i];
    return as;
}

PhysAddr AddressSpace::directory_phys() const
{
    return to_phys(VirtAddr(m_pgd));
}

Pte* AddressSpace::pte(u32 addr) const
{
    Pte pde = m_pgd[arch::pgd_index(addr)];
    return pde.present() ? &table_of(pde)[arch::pte_index(addr)] : nullptr;
}

Pte* AddressSpace::pte_alloc(u32 addr)
{
    Pte& pde = m_pgd[arch::pgd_index(addr)];
    if (!pde.present()) {
        VirtAddr table = get_free_page(Gfp::Kernel);
        if (!table)
            return nullptr;
        if (!pde.present()) {           /* nobody made one while we allocated */
            pde = Pte::make(to_phys(table), USER_PDE);
            note_table(arch::pgd_index(addr));
        } else {
            free_page(table);
        }
    } else if (!pde.writable() && unshare_table(arch::pgd_index(addr))) {
        return nullptr;
    }
    return &table_of(pde)[arch::pte_index(addr)];
}

bool AddressSpace::table_shared(u32 addr) const
{
    Pte pde = m_pgd[arch::pgd_index(addr)];
    return pde.present() && page_of(pde.frame()).count > 1;
}

long AddressSpace::unshare_table(u32 index)
{
    Pte& pde = m_pgd[index];
    if (!pde.present() || pde.writable())
        return 0;
    if (page_of(pde.frame()).count > 1) {
        VirtAddr copy = get_free_page(Gfp::Kernel);
        if (!copy)
            return -ENOMEM;
        /* The allocation may have slept, and the other sharers exited meanwhile. */
        if (page_of(pde.frame()).count > 1) {
            PhysAddr shared = pde.frame();
            Pte* from = table_of(pde);
            Pte* to = copy.as_ptr<Pte>();
            for_each_mapped_run(m_set, index, [&](u32 first, u32 last) { copy_entries(from, to, first, last); });
            pde = Pte::make(to_phys(copy), USER_PDE);
            free_page(to_virt(shared));         /* one sharer fewer */
            flush_if_current();
            return 0;
        }
        free_page(copy);
    }
    pde = Pte(pde.raw() | Pte::WRITABLE);       /* the last sharer: the table is ours */
    flush_if_current();
    return 0;
}

long AddressSpace::unshare_range(u32 start, u32 end)
{
    long err = 0;
    for_each_table([&](u32 i) {
        if (!err && i >= arch::pgd_index(start) && i * PGDIR_SIZE < end)
            err = unshare_table(i);
    });
    return err;
}

void AddressSpace::flush_if_current() const
{
    if (to_phys(VirtAddr(m_pgd)).value() == arch::read_cr3())
        arch::flush_tlb();
}

void AddressSpace::zap_range(u32 start, u32 end)
{
    for (u32 addr = start; addr < end;) {
        Pte* p = pte(addr);
        if (!p) {
            addr = (addr & ~(PGDIR_SIZE - 1)) + PGDIR_SIZE;
            continue;
        }
        if (!p->none()) {
            release_pte(*this, *p);
            arch::invlpg(addr);
        }
        addr += PAGE_SIZE;
    }
}

void AddressSpace::free_region(Region* r)
{
    if (r->file)
        r->file->put();
    delete r;
}

void AddressSpace::clear()
{
    /* The pages first, region by region, in the tables that are ours alone. */
    for (Region* r = m_set.first(); r; r = r->next) {
        for (u32 addr = r->start; addr < r->end;) {
            u32 table_end = (addr | (PGDIR_SIZE - 1)) + 1;
            u32 stop = table_end - 1 < r->end - 1 ? table_end : r->end;
            Pte pde = m_pgd[arch::pgd_index(addr)];
            if (pde.present() && page_of(pde.frame()).count == 1) {
                Pte* table = table_of(pde);
                for (u32 j = arch::pte_index(addr), last = arch::pte_index(stop - 1); j <= last; j++)
                    if (!table[j].none())
                        release_pte(*this, table[j]);
            }
            addr = stop;
        }
    }
    /* Then the tables: a shared one loses only our share. */
    for_each_table([&](u32 i) {
        free_page(to_virt(m_pgd[i].frame()));
        m_pgd[i] = Pte();
    });
    for (u32& word : m_tables)
        word = 0;
    rss = 0;
    for (Region* r = m_set.take_all(); r;) {
        Region* next = r->next;
        free_region(r);
        r = next;
    }
    start_code = end_code = start_data = end_data = start_brk = brk = start_stack = 0;
    flush_if_current();
}

AddressSpace::~AddressSpace()
{
    if (!m_pgd)
        return;
    clear();
    free_page(VirtAddr(m_pgd));
}

/*
 * copy_page_tables, as the seed has it, with its per-page work put off: the kernel half
 * is shared; every user page table is shared too, write-protected in both directories
 * and counted in mem_map once per directory pointing at it. The first write through a
 * shared table, or any change to its entries, gives that process its own copy
 * (unshare_table, which does what the seed did here for each page). Then the parent's
 * TLB is flushed. It allocates nothing, so it cannot fail half way.
 */
void copy_page_tables(AddressSpace& from, AddressSpace& to)
{
    Pte* source = from.directory();
    Pte* target = to.directory();
    from.for_each_table([&](u32 i) {
        Pte pde = Pte::make(source[i].frame(), SHARED_PDE);
        page_allocator.get(to_virt(pde.frame()), __builtin_return_address(0));
        source[i] = target[i] = pde;
        to.note_table(i);
    });
    to.rss = from.rss;
    from.flush_if_current();
}

AddressSpace* AddressSpace::fork_copy()
{
    AddressSpace* child = create();
    if (!child)
        return nullptr;
    /* The regions, copied in order and then made a balanced tree at once: O(n). */
    Region* copies = nullptr;
    Region** tail = &copies;
    for (Region* r = m_set.first(); r; r = r->next) {
        Region* copy = new (std::nothrow) Region(r->unlinked());
        if (!copy) {
            while (Region* c = copies) {
                copies = c->next;
                free_region(c);
            }
            delete child;
            return nullptr;
        }
        if (copy->file)
            copy->file->get();
        *tail = copy;
        tail = &copy->next;
    }
    child->m_set.adopt_sorted(copies, m_set.count());
    child->start_code = start_code;
    child->end_code = end_code;
    child->start_data = start_data;
    child->end_data = end_data;
    child->start_brk = start_brk;
    child->brk = brk;
    child->start_stack = start_stack;
    memcpy(child->exe_path, exe_path, sizeof exe_path);
    copy_page_tables(*this, *child);
    return child;
}

bool AddressSpace::range_mapped(u32 start, u32 end) const
{
    u32 addr = start;
    for (Region* r = m_set.find_above(start); r && addr < end; r = r->next) {
        if (r->start > addr)
            return false;
        addr = r->end;
    }
    return addr >= end;
}

namespace {

bool mergeable(const Region* a, const Region* b)
{
    return a && b && a->end == b->start && a->kind == RegionKind::Anonymous
        && b->kind == RegionKind::Anonymous && a->prot == b->prot;
}

} // namespace

void AddressSpace::merge_around(Region* r)
{
    if (Region* p = r->prev; mergeable(p, r)) {
        m_set.erase(r);
        p->end = r->end;
        m_set.changed(p);
        free_region(r);
        r = p;
    }
    if (Region* n = r->next; mergeable(r, n)) {
        m_set.erase(n);
        r->end = n->end;
        m_set.changed(r);
        free_region(n);
    }
}

long AddressSpace::map(const Region& shape)
{
    Region* r = new (std::nothrow) Region(shape.unlinked());
    if (!r)
        return -ENOMEM;
    if (r->file)
        r->file->get();
    m_set.insert(r);
    merge_around(r);
    return 0;
}

void AddressSpace::resize(Region* r, u32 end)
{
    r->end = end;
    m_set.changed(r);
}

void AddressSpace::move_start(Region* r, u32 start)
{
    r->start = start;
    m_set.changed(r);
}

long AddressSpace::split(u32 addr)
{
    Region* r = find(addr);
    if (!r || r->start == addr)
        return 0;
    Region* tail = new (std::nothrow) Region(r->unlinked());
    if (!tail)
        return -ENOMEM;
    if (tail->file) {
        tail->file->get();
        tail->offset += addr - r->start;
    }
    /* r's own gap is unchanged, and its successor's is as before once tail is in. */
    tail->start = addr;
    r->end = addr;
    m_set.insert(tail);
    return 0;
}

long AddressSpace::unmap(u32 start, u32 end)
{
    Region* first = m_set.find_above(start);
    if (!first || first->start >= end)
        return 0;                       /* nothing there: no region, so no PTE either */
    if (long err = unshare_range(start, end); err)
        return err;
    if (long err = split(start); err)
        return err;
    if (end < TASK_SIZE)
        if (long err = split(end); err)
            return err;
    /* After the splits, every region meeting [start, end) lies inside it. */
    for (Region* r = m_set.find_above(start); r && r->start < end;) {
        Region* next = r->next;
        zap_range(r->start, r->end);
        m_set.erase(r);
        free_region(r);
        r = next;
    }
    return 0;
}

long AddressSpace::protect(u32 start, u32 end, u32 prot)
{
    if (!range_mapped(start, end))
        return -ENOMEM;
    if (long err = unshare_range(start, end); err)
        return err;
    if (long err = split(start); err)
        return err;
    if (end < TASK_SIZE)
        if (long err = split(end); err)
            return err;
    Region* last = nullptr;
    for (Region* r = find(start); r && r->start < end; r = r->next) {
        last = r;
        r->prot = prot;
        /* Write permission is never granted here: the next write fault decides (copy-on-write). */
        for (u32 addr = r->start; addr < r->end; addr += PAGE_SIZE) {
            Pte* p = pte(addr);
            if (!p || !p->present())
                continue;
            *p = Pte::make(p->frame(), user_pte_flags(prot, p->writable()) | (p->raw() & (Pte::ACCESSED | Pte::DIRTY)));
            arch::invlpg(addr);
        }
    }
    /* The changed regions may now join each other and their neighbours. */
    for (Region* r = last; r && r->end > start;) {
        Region* prev = r->prev;
        merge_around(r);
        r = prev;
    }
    return 0;
}

u32 AddressSpace::find_free(u32 len, u32 hint) const
{
    u32 low = hint >= MMAP_BASE ? page_align_down(hint) : MMAP_BASE;
    return m_set.find_gap(len, low, STACK_TOP - STACK_LIMIT - PAGE_SIZE);
}

namespace {

PageFaultResponse do_wp_page(AddressSpace& as, u32 addr, Pte& pte)
{
    PhysAddr old = pte.frame();
    if (counted(old) && page_of(old).count == 1) {
        /* Sole owner: the page becomes writable in place. */
        pte = Pte(pte.raw() | Pte::WRITABLE);
        arch::invlpg(addr);
        current->min_flt++;
        return PageFaultResponse::Continue;
    }
    /* The zero page is not copied: a fresh page is zero already. */
    bool zero = old == zero_page();
    VirtAddr copy = zero ? get_free_page(Gfp::User) : __get_free_page(Gfp::User);
    if (!copy)
        return PageFaultResponse::OutOfMemory;
    /*
     * Allocating may have reclaimed: swap_out can have dropped this very PTE and freed
     * its page. Copy only from the page still mapped; otherwise fault again.
     */
    if (!pte.present() || pte.frame() != old) {
        free_page(copy);
        return PageFaultResponse::Continue;
    }
    if (!zero)
        memcpy(copy.as_ptr(), to_virt(old).as_ptr(), PAGE_SIZE);
    pte = Pte::make(to_phys(copy), Pte::PRESENT | Pte::USER | Pte::WRITABLE | Pte::DIRTY);
    arch::invlpg(addr);
    if (counted(old))
        free_page(to_virt(old));
    else
        note_rss(as);                   /* the zero page was not counted in rss */
    current->min_flt++;
    return PageFaultResponse::Continue;
}

/*
 * share_page: another process maps the same page of the same file and has not written
 * it; both then map it read-only and a write later copies it.
 */
bool share_page(AddressSpace& as, const Region& r, u32 addr, Pte& pte)
{
    u32 file_offset = r.offset + (addr - r.start);
    for (int slot = 0; slot < NR_TASKS; slot++) {
        Task* t = task[slot];
        if (!t || !t->mm || t->mm == &as || t->state == TaskState::Zombie)
            continue;
        for (Region* q = t->mm->regions(); q; q = q->next) {
            if (q->kind != RegionKind::File || q->dev != r.dev || q->ino != r.ino)
                continue;
            if (file_offset < q->offset || file_offset - q->offset >= q->end - q->start)
                continue;
            u32 their_addr = q->start + (file_offset - q->offset);
            if (their_addr + PAGE_SIZE > q->file_end)
                continue;
            Pte* theirs = t->mm->pte(their_addr);
            if (!theirs || !theirs->present() || theirs->dirty() || !counted(theirs->frame()))
                continue;
            page_allocator.get(to_virt(theirs->frame()), __builtin_return_address(0));
            *theirs = Pte(theirs->raw() & ~Pte::WRITABLE);
            arch::invlpg(their_addr);   /* their table may be ours too (shared since fork) */
            pte = Pte::make(theirs->frame(), user_pte_flags(r.prot, false));
            return true;
        }
    }
    return false;
}

PageFaultResponse do_no_page(AddressSpace& as, const Region& r, u32 addr, Pte& pte, bool write)
{
    if (!pte.none())
        return swap_in(as, r, addr, pte, SwapEntry::from_pte_value(pte.raw()));

    if (r.kind == RegionKind::File && addr < r.file_end) {
        if (addr + PAGE_SIZE <= r.file_end && share_page(as, r, addr, pte)) {
            note_rss(as);
            arch::invlpg(addr);
            current->min_flt++;
            return PageFaultResponse::Continue;
        }
        VirtAddr page = __get_free_page(Gfp::User);
        if (!page)
            return PageFaultResponse::OutOfMemory;
        ErrorOr<size_t> got = r.file->read_page(r.offset + (addr - r.start), page.as_ptr());
        if (got.is_error() || !pte.none()) {
            /* An error, or (after the allocation and the read) the PTE is no longer empty. */
            free_page(page);
            return got.is_error() ? PageFaultResponse::BusError : PageFaultResponse::Continue;
        }
        if (r.file_end < addr + PAGE_SIZE)     /* the bss starts inside this page */
            memset(page.as_ptr<u8>() + (r.file_end - addr), 0, addr + PAGE_SIZE - r.file_end);
        pte = Pte::make(to_phys(page), user_pte_flags(r.prot, true));
        current->maj_flt++;
    } else if (!write) {
        /* A read of memory never written: the zero page, read-only, costs no RAM. */
        pte = Pte::make(zero_page(), user_pte_flags(r.prot, false));
        arch::invlpg(addr);
        current->min_flt++;
        return PageFaultResponse::Continue;
    } else {
        VirtAddr page = get_free_page(Gfp::User);
        if (!page)
            return PageFaultResponse::OutOfMemory;
        if (!pte.none()) {              /* filled while we allocated */
            free_page(page);
            return PageFaultResponse::Continue;
        }
        pte = Pte::make(to_phys(page), user_pte_flags(r.prot, true));
        current->min_flt++;
    }
    note_rss(as);
    arch::invlpg(addr);
    return PageFaultResponse::Continue;
}

/* The stack grows down to its limit, keeping a page of gap above the region below it. */
Region* grow_stack(AddressSpace& as, u32 addr)
{
    Region* above = as.find_above(addr);
    if (!above || above->kind != RegionKind::Stack || addr < STACK_TOP - STACK_LIMIT)
        return nullptr;
    u32 new_start = page_align_down(addr);
    if (above->prev && above->prev->end + PAGE_SIZE > new_start)
        return nullptr;
    as.move_start(above, new_start);
    return above;
}

} // namespace

PageFaultResponse do_page_fault(u32 address, u32 error_code)
{
    constexpr u32 PF_WRITE = 2;     /* bit 1 of the error code: a write */
    AddressSpace* as = current ? current->mm : nullptr;
    if (!as || address >= TASK_SIZE)
        return PageFaultResponse::Segv;

    Region* r = as->find(address);
    if (!r && !(r = grow_stack(*as, address)))
        return PageFaultResponse::Segv;
    bool write = error_code & PF_WRITE;
    if (write ? !(r->prot & PROT_WRITE) : !(r->prot & (PROT_READ | PROT_EXEC)))
        return PageFaultResponse::AccessError;

    u32 page_addr = page_align_down(address);
    Pte* pte = as->pte_alloc(page_addr);
    if (!pte)
        return PageFaultResponse::OutOfMemory;
    if (pte->present()) {
        if (write && !pte->writable())
            return do_wp_page(*as, page_addr, *pte);
        /* Present and allowed: another path already resolved it, or a stale TLB entry. */
        arch::invlpg(page_addr);
        return PageFaultResponse::Continue;
    }
    return do_no_page(*as, *r, page_addr, *pte, write);
}

} // namespace mm
