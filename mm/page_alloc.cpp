#include <kernel/irq.h>
#include <kernel/string.h>
#include <mm/page_alloc.h>

#include <new>

namespace mm {

namespace {
/* A reclaim hook that keeps saying "freed one" while the list stays empty is broken. */
constexpr int max_fruitless_reclaims = 16;
}

void PageAllocator::init(Page* map, u32 nr_pages, uintptr_t base)
{
    m_map = map;
    m_nr_pages = nr_pages;
    m_base = base;
    for (u32 i = 0; i < nr_pages; i++)
        new (&map[i]) Page();
    m_free = { };
    m_reserve = { };
    m_nr_free = m_nr_reserve = 0;
}

bool PageAllocator::contains(VirtAddr addr) const
{
    return addr.value() >= m_base && addr.value() - m_base < (uintptr_t(m_nr_pages) << PAGE_SHIFT);
}

Pfn PageAllocator::checked_pfn(VirtAddr addr, const char* who, const void* caller) const
{
    if (!contains(addr))
        bad_page(who, NO_PAGE, caller);
    Pfn pfn = pfn_of(addr);
    if (!addr.page_aligned())
        bad_page(who, pfn.value(), caller);
    return pfn;
}

void PageAllocator::push_locked(List& list, Pfn pfn)
{
    Page& p = page(pfn);
    p.state = PageState::Free;
    p.count = 0;
    p.flags = 0;
    p.next_free = list.head;
    list.head = pfn.value();
}

Pfn PageAllocator::pop_locked(List& list, const void* caller)
{
    Pfn pfn(list.head);
    Page& p = page(pfn);
    if (p.state != PageState::Free || p.count != 0)
        bad_page("get_free_page: page on a free list is not free", pfn.value(), caller);
    list.head = p.next_free;
    p.state = PageState::InUse;
    p.count = 1;
    p.next_free = NO_PAGE;
    return pfn;
}

void PageAllocator::put_free_locked(Pfn pfn)
{
    if (m_nr_reserve < RESERVE_PAGES) {
        push_locked(m_reserve, pfn);
        m_nr_reserve++;
    } else {
        push_locked(m_free, pfn);
        m_nr_free++;
    }
}

void PageAllocator::release_boot_page(Pfn pfn)
{
    IrqGuard guard;
    put_free_locked(pfn);
}

Pfn PageAllocator::take_locked(Gfp gfp, bool reserve_allowed, const void* caller)
{
    if (m_free.head != NO_PAGE) {
        m_nr_free--;
        return pop_locked(m_free, caller);
    }
    if (reserve_allowed && gfp != Gfp::Buffer && m_reserve.head != NO_PAGE) {
        m_nr_reserve--;
        return pop_locked(m_reserve, caller);
    }
    return Pfn(NO_PAGE);
}

VirtAddr PageAllocator::allocate(Gfp gfp, Zero zero)
{
    const void* caller = __builtin_return_address(0);
    if (m_fail && m_fail())
        return VirtAddr();
    bool may_reclaim = gfp == Gfp::User || gfp == Gfp::Kernel;
    Pfn pfn(NO_PAGE);
    int fruitless = 0;
    for (;;) {
        {
            IrqGuard guard;
            /* Atomic requests may go to the reserve at once; others only as a last resort. */
            pfn = take_locked(gfp, gfp == Gfp::Atomic || !may_reclaim || !m_reclaim, caller);
            if (pfn.value() != NO_PAGE)
                break;
        }
        if (!may_reclaim || !m_reclaim || !m_reclaim() || ++fruitless > max_fruitless_reclaims) {
            IrqGuard guard;
            pfn = take_locked(gfp, true, caller);
            break;
        }
    }
    if (pfn.value() == NO_PAGE)
        return VirtAddr();
    if (m_low_hook && m_nr_free + m_nr_reserve < m_low)
        m_low_hook();
    VirtAddr addr = address_of(pfn);
    if (zero == Zero::Yes)
        memset(addr.as_ptr(), 0, PAGE_SIZE);
    return addr;
}

void PageAllocator::free(VirtAddr addr, const void* caller)
{
    Pfn pfn = checked_pfn(addr, "free_page: not a page address", caller);
    IrqGuard guard;
    Page& p = page(pfn);
    switch (p.state) {
    case PageState::Reserved:
        bad_page("free_page: page is reserved", pfn.value(), caller);
    case PageState::Free:
        bad_page("free_page: page is already free", pfn.value(), caller);
    case PageState::Slab:
        bad_page("free_page: page belongs to kmalloc", pfn.value(), caller);
    case PageState::InUse:
        break;
    }
    if (p.count == 0)
        bad_page("free_page: count would go below zero", pfn.value(), caller);
    if (--p.count == 0) {
        if (p.flags & PG_SWAP_CACHE)
            bad_page("free_page: page is still in the swap cache", pfn.value(), caller);
        put_free_locked(pfn);
    }
}

void PageAllocator::get(VirtAddr addr, const void* caller)
{
    Pfn pfn = checked_pfn(addr, "get_page: not a page address", caller);
    IrqGuard guard;
    Page& p = page(pfn);
    if (p.state != PageState::InUse || p.count == 0 || p.count == 0xFFFF)
        bad_page("get_page: page is not in use or its count is full", pfn.value(), caller);
    p.count++;
}

} // namespace mm
