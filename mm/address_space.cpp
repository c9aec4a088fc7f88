/*
 * Address spaces: the page directory and tables of a process, its regions, and what fork,
 * exec, mmap, munmap and mprotect do to them (the seed's copy_page_tables,
 * free_page_tables and clear_page_tables). The fault handlers are in fault.cpp;
 * docs/processes.md has the design.
 */
#include <arch/cpu.h>
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

#include <new>

namespace mm {

using arch::Pde;
using arch::Pte;

static_assert(FIRST_KERNEL_PDE == arch::pgd_index(TASK_SIZE), "AddressSpace::m_tables covers the user half");

namespace {

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
                    e = e.write_protected();
                    from[j] = e;
                }
            }
        } else {
            swap_duplicate(e.swap_entry());
        }
        to[j] = e;
    }
}

} // namespace

void release_pte(AddressSpace& as, Pte& pte)
{
    if (pte.present()) {
        if (counted(pte.frame())) {
            put_user_page(pte.frame());
            as.rss--;
        }
    } else if (pte.swapped_out()) {
        swap_free(pte.swap_entry());
    }
    pte = Pte();
}

void account_rss(AddressSpace& as, u32 addr, int delta)
{
    as.rss += u32(delta);
    Pde pde = as.directory()[arch::pgd_index(addr)];
    if (!pde.present() || page_of(pde.frame()).count == 1)
        return;
    /* A table shared since fork: the page was in every sharer's memory. */
    /* By frame: the CPU sets the ACCESSED bit of each sharer's directory entry on its own. */
    for (Task* t : task) {
        bool other = t && t->mm && t->mm != &as && first_user(*t);
        Pde theirs = other ? t->mm->directory()[arch::pgd_index(addr)] : Pde();
        if (theirs.present() && theirs.frame() == pde.frame())
            t->mm->rss += u32(delta);
    }
}

void mmput(AddressSpace* as)
{
    if (--as->users == 0)
        free_page_tables(as);
}

bool first_user(const Task& t)
{
    if (!t.mm)
        return false;
    if (t.mm->users == 1)
        return true;
    for (Task* other : task) {
        if (other == &t)
            return true;
        if (other && other->mm == t.mm)
            return false;
    }
    return true;
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
    as->m_pgd = pgd.as_ptr<Pde>();
    /* The kernel half points at the kernel's own page tables: shared, never copied. */
    for (u32 i = FIRST_KERNEL_PDE; i < PTRS_PER_TABLE; i++)
        as->m_pgd[i] = swapper_pg_dir[i];
    return as;
}

PhysAddr AddressSpace::directory_phys() const
{
    return to_phys(VirtAddr(m_pgd));
}

Pte* AddressSpace::pte(u32 addr) const
{
    Pde pde = m_pgd[arch::pgd_index(addr)];
    return pde.present() ? &table_of(pde)[arch::pte_index(addr)] : nullptr;
}

/* The seed's get_empty_pgtable, and the unsharing that fork's shared tables add. */
Pte* AddressSpace::pte_alloc(u32 addr)
{
    Pde& pde = m_pgd[arch::pgd_index(addr)];
    if (!pde.present()) {
        VirtAddr table = get_free_page(Gfp::Kernel);
        if (!table)
            return nullptr;
        if (!pde.present()) {           /* nobody made one while we allocated */
            pde = Pde::user_table(to_phys(table));
            note_table(arch::pgd_index(addr));
        } else {
            free_page(table);
        }
    } else if (pde.shared() && unshare_table(arch::pgd_index(addr)).is_error()) {
        return nullptr;
    }
    return &table_of(pde)[arch::pte_index(addr)];
}

bool AddressSpace::table_shared(u32 addr) const
{
    Pde pde = m_pgd[arch::pgd_index(addr)];
    return pde.present() && page_of(pde.frame()).count > 1;
}

ErrorOr<void> AddressSpace::unshare_table(u32 index)
{
    Pde& pde = m_pgd[index];
    if (!pde.shared())
        return {};
    if (page_of(pde.frame()).count > 1) {
        VirtAddr copy = get_free_page(Gfp::Kernel);
        if (!copy)
            return Error::from_errno(ENOMEM);
        /* The allocation may have slept, and the other sharers exited meanwhile. */
        if (page_of(pde.frame()).count > 1) {
            PhysAddr shared = pde.frame();
            Pte* from = table_of(pde);
            Pte* to = copy.as_ptr<Pte>();
            for_each_mapped_run(m_set, index, [&](u32 first, u32 last) { copy_entries(from, to, first, last); });
            pde = Pde::user_table(to_phys(copy));
            free_page(to_virt(shared));         /* one sharer fewer */
            flush_if_current();
            return {};
        }
        free_page(copy);
    }
    pde = pde.unshared();                       /* the last sharer: the table is ours */
    flush_if_current();
    return {};
}

ErrorOr<void> AddressSpace::unshare_range(u32 start, u32 end)
{
    ErrorOr<void> result;
    for_each_table([&](u32 i) {
        if (!result.is_error() && i >= arch::pgd_index(start) && i * PGDIR_SIZE < end)
            result = unshare_table(i);
    });
    return result;
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
            addr = arch::pgdir_next(addr);
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
    if (r->shm) {
        shm_detach(r);
        shm_put(r->shm);
    }
    delete r;
}

/* A new Region of this space (a copy of another): it takes its references and joins its object's list. */
void AddressSpace::adopt(Region* r)
{
    if (r->file)
        r->file->get();
    if (r->shm) {
        shm_get(r->shm);
        r->space = this;
        shm_attach(r);
    }
}

/* exec's clear_page_tables; the destructor's free_page_tables goes through here too. */
void AddressSpace::clear()
{
    /*
     * The pages first, region by region, in the tables that are ours alone (the seed's
     * free_one_table: every page and swap entry a table holds is released).
     */
    for (Region* r = m_set.first(); r; r = r->next) {
        for (u32 addr = r->start; addr < r->end;) {
            u32 table_end = arch::pgdir_next(addr);
            u32 stop = table_end - 1 < r->end - 1 ? table_end : r->end;
            Pde pde = m_pgd[arch::pgd_index(addr)];
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
        m_pgd[i] = Pde();
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
    arg_start = arg_end = 0;
    def_flags = 0;                      /* mlockall does not outlive exec */
    flush_if_current();
}

/* The exit path, the seed's free_page_tables: the user pages and tables, then the directory. */
AddressSpace::~AddressSpace()
{
    if (!m_pgd)
        return;
    clear();
    /* A task without a directory of its own may have been running on this one. */
    if (directory_phys().value() == arch::read_cr3())
        arch::write_cr3(virt_to_phys(u32(swapper_pg_dir)));
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
    Pde* source = from.directory();
    Pde* target = to.directory();
    from.for_each_table([&](u32 i) {
        Pde pde = Pde::shared_table(source[i].frame());
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
        child->adopt(copy);
        copy->flags &= u8(~(VM_LOCKED | VM_LOCKONFAULT));  /* locks are not inherited */
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
    child->arg_start = arg_start;
    child->arg_end = arg_end;
    memcpy(child->exe_path, exe_path, sizeof exe_path);
    copy_page_tables(*this, *child);
    /*
     * The child gets tables of its own at once under our locked regions (its scan for
     * pages to steal must not reach them through a table it shares with us), and under
     * the regions it does not get or gets empty, whose entries it then drops.
     */
    for (Region* r = m_set.first(); r; r = r->next) {
        if (!(r->flags & (VM_LOCKED | VM_DONTCOPY | VM_WIPEONFORK)))
            continue;
        if (child->unshare_range(r->start, r->end).is_error()) {
            delete child;
            return nullptr;
        }
        if (r->flags & (VM_DONTCOPY | VM_WIPEONFORK))
            child->zap_range(r->start, r->end);
        if (r->flags & VM_DONTCOPY) {
            Region* gone = child->find(r->start);
            child->m_set.erase(gone);
            child->free_region(gone);
        }
    }
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
        && b->kind == RegionKind::Anonymous && a->prot == b->prot && a->flags == b->flags;
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

ErrorOr<void> AddressSpace::map(const Region& shape)
{
    Region* r = new (std::nothrow) Region(shape.unlinked());
    if (!r)
        return Error::from_errno(ENOMEM);
    adopt(r);
    r->flags |= def_flags;
    m_set.insert(r);
    merge_around(r);
    return {};
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

ErrorOr<void> AddressSpace::split(u32 addr)
{
    Region* r = find(addr);
    if (!r || r->start == addr)
        return {};
    Region* tail = new (std::nothrow) Region(r->unlinked());
    if (!tail)
        return Error::from_errno(ENOMEM);
    adopt(tail);
    if (tail->file || tail->shm)
        tail->offset += addr - r->start;
    /* r's own gap is unchanged, and its successor's is as before once tail is in. */
    tail->start = addr;
    r->end = addr;
    m_set.insert(tail);
    return {};
}

ErrorOr<void> AddressSpace::unmap(u32 start, u32 end)
{
    Region* first = m_set.find_above(start);
    if (!first || first->start >= end)
        return {};                       /* nothing there: no region, so no PTE either */
    TRY(unshare_range(start, end));
    TRY(split(start));
    if (end < TASK_SIZE)
        TRY(split(end));
    /* After the splits, every region meeting [start, end) lies inside it. */
    for (Region* r = m_set.find_above(start); r && r->start < end;) {
        Region* next = r->next;
        zap_range(r->start, r->end);
        m_set.erase(r);
        free_region(r);
        r = next;
    }
    return {};
}

ErrorOr<void> AddressSpace::protect(u32 start, u32 end, u32 prot)
{
    if (!range_mapped(start, end))
        return Error::from_errno(ENOMEM);
    /* A shared mapping of a file opened read-only, or a SHM_RDONLY segment, stays so (Linux's VM_MAYWRITE). */
    for (Region* r = find(start); r && r->start < end; r = r->next)
        if (prot & ~r->max_prot)
            return Error::from_errno(EACCES);
    TRY(unshare_range(start, end));
    TRY(split(start));
    if (end < TASK_SIZE)
        TRY(split(end));
    Region* last = nullptr;
    bool fill_locked = false;
    for (Region* r = find(start); r && r->start < end; r = r->next) {
        last = r;
        /* A locked region made writable is written in now, as mlock would have. */
        fill_locked |= (r->flags & (VM_LOCKED | VM_LOCKONFAULT)) == VM_LOCKED
                       && (prot & PROT_WRITE) && !(r->prot & PROT_WRITE);
        r->prot = prot;
        /* Write permission is never granted here: the next write fault decides (copy-on-write). */
        for (u32 addr = r->start; addr < r->end; addr += PAGE_SIZE) {
            Pte* p = pte(addr);
            if (!p || !p->present())
                continue;
            *p = p->with_permissions(user_pte_flags(prot, p->writable()));
            arch::invlpg(addr);
        }
    }
    /* The changed regions may now join each other and their neighbours. */
    for (Region* r = last; r && r->end > start;) {
        Region* prev = r->prev;
        merge_around(r);
        r = prev;
    }
    if (fill_locked)
        (void)populate(start, end, FaultIn::AsMlock, OnError::Skip).is_error();    /* the rest comes on touch */
    return {};
}

u32 AddressSpace::find_free(u32 len, u32 hint) const
{
    u32 low = hint >= MMAP_BASE ? page_align_down(hint) : MMAP_BASE;
    return m_set.find_gap(len, low, STACK_TOP - STACK_LIMIT - PAGE_SIZE);
}

/* The seed's names (vm.h): not inlined, so that `break get_empty_pgtable` works. */
[[gnu::noinline]] Pte* get_empty_pgtable(AddressSpace& as, u32 addr) { return as.pte_alloc(addr); }
[[gnu::noinline]] void clear_page_tables(AddressSpace& as) { as.clear(); }
[[gnu::noinline]] void free_page_tables(AddressSpace* as) { delete as; }

} // namespace mm
