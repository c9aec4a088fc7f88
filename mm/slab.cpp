#include <kernel/irq.h>
#include <mm/slab.h>

namespace mm {

void SlabAllocator::init(PageAllocator& pages)
{
    m_pages = &pages;
    for (u32& head : m_partial)
        head = no_partial;
}

int SlabAllocator::class_for(size_t size)
{
    for (u32 cls = 0; cls < nr_classes; cls++)
        if (size <= class_size(cls))
            return int(cls);
    return -1;
}

void SlabAllocator::bad(const char* what, Pfn pfn, const void* caller) const
{
    bad_page(what, pfn.value(), caller);
}

/* Free objects: word 0 is the index of the next free object, word 1 the free marker. */
void SlabAllocator::format_page_locked(Pfn pfn, u32 cls)
{
    u32 size = class_size(cls);
    u32 count = PAGE_SIZE / size;
    auto* base = m_pages->address_of(pfn).as_ptr<u8>();
    for (u32 i = 0; i < count; i++) {
        auto* words = reinterpret_cast<u32*>(base + i * size);
        words[0] = i + 1 < count ? i + 1 : end_of_chain;
        words[1] = free_magic;
    }
    Page& p = m_pages->page(pfn);
    p.state = PageState::Slab;
    p.flags = u8(cls);
    p.count = 0;
    p.slab.first_free = 0;
    p.slab.next_partial = m_partial[cls];
    m_partial[cls] = pfn.value();
}

void SlabAllocator::unlink_partial_locked(u32 cls, Pfn pfn)
{
    /* The links are bitfields, which cannot be pointed to: walk with loads and stores. */
    if (m_partial[cls] == pfn.value()) {
        m_partial[cls] = m_pages->page(pfn).slab.next_partial;
        return;
    }
    for (u32 cur = m_partial[cls]; cur != no_partial;) {
        Page& p = m_pages->page(Pfn(cur));
        if (p.slab.next_partial == pfn.value()) {
            p.slab.next_partial = m_pages->page(pfn).slab.next_partial;
            return;
        }
        cur = p.slab.next_partial;
    }
}

void* SlabAllocator::allocate(size_t size, Gfp gfp)
{
    if (size == 0 || size > PAGE_SIZE)
        return nullptr;
    int cls = class_for(size);
    if (cls < 0) {
        VirtAddr page = m_pages->allocate(gfp, Zero::No);
        if (!page)
            return nullptr;
        IrqGuard guard;
        Page& p = m_pages->page(m_pages->pfn_of(page));
        p.state = PageState::Slab;
        p.flags = whole_page_class;
        return page.as_ptr();
    }

    VirtAddr fresh;
    if (m_partial[cls] == no_partial) {
        /* Taken without the guard held: the page allocator may have to reclaim. */
        fresh = m_pages->allocate(gfp, Zero::No);
        if (!fresh)
            return nullptr;
    }
    IrqGuard guard;
    if (fresh) {
        if (m_partial[cls] == no_partial) {
            format_page_locked(m_pages->pfn_of(fresh), u32(cls));
        } else {
            /* An interrupt refilled the class meanwhile: give the page back. */
            m_pages->free(fresh, __builtin_return_address(0));
        }
    }
    Pfn pfn(m_partial[cls]);
    Page& p = m_pages->page(pfn);
    u32 index = p.slab.first_free;
    auto* object = m_pages->address_of(pfn).as_ptr<u8>() + index * class_size(u32(cls));
    auto* words = reinterpret_cast<u32*>(object);
    p.slab.first_free = words[0];
    words[1] = 0;
    p.count++;
    if (p.slab.first_free == end_of_chain)
        m_partial[cls] = p.slab.next_partial;
    return object;
}

size_t SlabAllocator::object_size(const void* object) const
{
    Pfn pfn = m_pages->pfn_of(VirtAddr(object));
    u8 cls = m_pages->page(pfn).flags;
    return cls == whole_page_class ? PAGE_SIZE : class_size(cls);
}

void SlabAllocator::free(void* object, const void* caller)
{
    if (!object)
        return;
    VirtAddr addr(object);
    if (!m_pages->contains(addr))
        bad("kfree: not a kmalloc address", Pfn(NO_PAGE), caller);
    Pfn pfn = m_pages->pfn_of(addr);
    IrqGuard guard;
    Page& p = m_pages->page(pfn);
    if (p.state != PageState::Slab)
        bad("kfree: page holds no kmalloc objects", pfn, caller);

    if (p.flags == whole_page_class) {
        if (!addr.page_aligned())
            bad("kfree: not the start of an object", pfn, caller);
        p.state = PageState::InUse;
        p.flags = 0;
        m_pages->free(addr, caller);
        return;
    }

    u32 cls = p.flags;
    u32 size = class_size(cls);
    uintptr_t offset = addr.value() & (PAGE_SIZE - 1);
    if (offset % size)
        bad("kfree: not the start of an object", pfn, caller);
    u32 index = u32(offset / size);
    auto* words = static_cast<u32*>(object);
    if (words[1] == free_magic) {
        /* Probably a double free; the chain says for sure (the marker may be user data). */
        auto* base = m_pages->address_of(pfn).as_ptr<u8>();
        for (u32 i = p.slab.first_free; i != end_of_chain;
             i = reinterpret_cast<u32*>(base + i * size)[0])
            if (i == index)
                bad("kfree: object is already free", pfn, caller);
    }
    if (p.count == 0)
        bad("kfree: object count would go below zero", pfn, caller);

    bool was_full = p.slab.first_free == end_of_chain;
    words[0] = p.slab.first_free;
    words[1] = free_magic;
    p.slab.first_free = index;
    p.count--;
    if (was_full) {
        p.slab.next_partial = m_partial[cls];
        m_partial[cls] = pfn.value();
    }
    if (p.count == 0) {
        unlink_partial_locked(cls, pfn);
        p.state = PageState::InUse;
        p.flags = 0;
        p.count = 1;
        p.next_free = NO_PAGE;
        m_pages->free(m_pages->address_of(pfn), caller);
    }
}

} // namespace mm
