/*
 * Shared memory objects: their page slots, reference counts, and the copies to and from
 * user buffers that tmpfs's read and write use. The mappings of an object (attach list,
 * faults) and its pages' way to swap are in shmem_swap.cpp; docs/shared-memory.md has the
 * design.
 */
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/pgtable.h>
#include <mm/shmem.h>
#include <mm/swap.h>
#include <mm/swap_cache.h>

#include <new>

namespace mm {

u32 shmem_pages;

/* shm_swap's hand (shmem_swap.cpp): moved on when its object goes. */
ShmObject* shm_swap_object;

namespace {

ShmObject* all_objects;
u32 next_ino = 1;

constexpr u32 pages_for(u64 size) { return u32((size + PAGE_SIZE - 1) >> PAGE_SHIFT); }

constexpr auto holds_frame = ShmObject::holds_frame;
constexpr auto frame_of = ShmObject::frame_of;

} // namespace

u32* ShmObject::slot(u32 index, Alloc alloc)
{
    u32 t = index / SLOTS_PER_TABLE;
    if (t >= m_nr_tables) {
        if (alloc == Alloc::No)
            return nullptr;
        u32 n = m_nr_tables ? m_nr_tables : 1;
        while (n <= t)
            n *= 2;
        auto** grown = static_cast<u32**>(kmalloc(n * sizeof(u32*), Gfp::Kernel));
        if (!grown)
            return nullptr;
        /* kmalloc may have slept: another caller may have grown the directory meanwhile. */
        if (t < m_nr_tables) {
            kfree(grown);
        } else {
            for (u32 i = 0; i < n; i++)
                grown[i] = i < m_nr_tables ? m_tables[i] : nullptr;
            kfree(m_tables);
            m_tables = grown;
            m_nr_tables = n;
        }
    }
    if (!m_tables[t]) {
        if (alloc == Alloc::No)
            return nullptr;
        VirtAddr table = get_free_page(Gfp::Kernel);
        if (!table)
            return nullptr;
        if (m_tables[t])
            free_page(table);
        else
            m_tables[t] = table.as_ptr<u32>();
    }
    return &m_tables[t][index % SLOTS_PER_TABLE];
}

void ShmObject::free_pages_from(u32 first)
{
    for (u32 t = first / SLOTS_PER_TABLE; t < m_nr_tables; t++) {
        if (!m_tables[t])
            continue;
        u32 from = t == first / SLOTS_PER_TABLE ? first % SLOTS_PER_TABLE : 0;
        for (u32 i = from; i < SLOTS_PER_TABLE; i++) {
            u32 v = m_tables[t][i];
            if (!v)
                continue;
            m_tables[t][i] = 0;
            m_held--;
            if (holds_frame(v)) {
                shmem_pages--;
                m_resident--;
                free_page(to_virt(frame_of(v)));
            } else {
                swap_free(SwapEntry::from_pte_value(v));
            }
        }
    }
}

ErrorOr<PhysAddr> ShmObject::get_page(u32 index, Alloc alloc)
{
    for (int tries = 0; tries < 8; tries++) {
        u32* s = slot(index, alloc);
        if (!s)
            return alloc == Alloc::Yes ? ErrorOr<PhysAddr>(Error::from_errno(ENOMEM)) : PhysAddr();
        u32 v = *s;
        if (holds_frame(v)) {
            page_allocator.get(to_virt(frame_of(v)), __builtin_return_address(0));
            return frame_of(v);
        }
        if (!v) {
            if (alloc == Alloc::No)
                return PhysAddr();
            VirtAddr page = get_free_page(Gfp::User);
            if (!page)
                return Error::from_errno(ENOMEM);
            if (*s) {                   /* filled while we allocated */
                free_page(page);
                continue;
            }
            *s = to_phys(page).value() | 1;
            m_held++;
            m_resident++;
            shmem_pages++;
            page_allocator.get(page, __builtin_return_address(0));
            return to_phys(page);
        }
        /* In swap: through the swap cache, where a write in flight or read-ahead left it. */
        SwapEntry entry = SwapEntry::from_pte_value(v);
        PhysAddr frame;
        if (!lookup_swap_cache(entry, frame)) {
            TRY(swap_read_cluster(entry));
            continue;                   /* slept: look at the slot again */
        }
        SwapInfo& si = area_of(entry, "shm get_page");
        lock_slot(si, entry.offset());  /* its write may be in flight */
        if (*s != v) {
            unlock_slot(si, entry.offset());
            put_user_page(frame);
            continue;
        }
        /*
         * The object takes the page over: its slot reference goes, then the cache's (last,
         * so that a slot whose write failed is retired, not handed out again).
         */
        *s = frame.value() | 1;
        m_resident++;
        shmem_pages++;
        swap_free(entry);
        if (in_swap_cache(frame) && swap_cache_entry(frame) == entry)
            delete_from_swap_cache(frame);
        unlock_slot(si, entry.offset());
        page_of(frame).flags &= u8(~PG_REFERENCED);
        page_allocator.get(to_virt(frame), __builtin_return_address(0));
        return frame;
    }
    return Error::from_errno(ENOMEM);
}

ErrorOr<ShmObject*> shm_create(u64 size)
{
    if (size > SHM_MAX_SIZE)
        return Error::from_errno(EFBIG);
    auto* obj = new (std::nothrow) ShmObject;
    if (!obj)
        return Error::from_errno(ENOMEM);
    obj->m_size = size;
    obj->m_ino = next_ino++;
    obj->m_next = all_objects;
    if (all_objects)
        all_objects->m_prev = obj;
    all_objects = obj;
    return obj;
}

void shm_get(ShmObject* obj)
{
    obj->m_refs++;
}

void shm_put(ShmObject* obj)
{
    if (--obj->m_refs)
        return;
    if (obj->m_attaches)
        panic("shm_put: object %p freed with %u regions attached", obj, obj->m_nattach);
    obj->free_pages_from(0);
    for (u32 t = 0; t < obj->m_nr_tables; t++)
        if (obj->m_tables[t])
            free_page(VirtAddr(obj->m_tables[t]));
    kfree(obj->m_tables);
    if (shm_swap_object == obj)
        shm_swap_object = obj->m_next;
    if (obj->m_prev)
        obj->m_prev->m_next = obj->m_next;
    else
        all_objects = obj->m_next;
    if (obj->m_next)
        obj->m_next->m_prev = obj->m_prev;
    delete obj;
}

ShmObject* shm_first_object()
{
    return all_objects;
}

u64 shm_size(const ShmObject* obj)
{
    return obj->m_size;
}

u32 shm_pages(const ShmObject* obj)
{
    return obj->m_held;
}

ErrorOr<void> shm_truncate(ShmObject* obj, u64 size)
{
    if (size > SHM_MAX_SIZE)
        return Error::from_errno(EFBIG);
    if (size < obj->m_size) {
        u32 keep = pages_for(size);
        if (size % PAGE_SIZE) {
            /* The tail of the last page kept reads as zeros if the object grows again. */
            PhysAddr frame = TRY(obj->get_page(u32(size >> PAGE_SHIFT), ShmObject::Alloc::No));
            if (frame != PhysAddr()) {
                u32 from = u32(size % PAGE_SIZE);
                memset(to_virt(frame).as_ptr<u8>() + from, 0, PAGE_SIZE - from);
                free_page(to_virt(frame));
            }
        }
        shm_unmap_pages(obj, keep);
        obj->free_pages_from(keep);
    }
    obj->m_size = size;
    return {};
}

namespace {

/* One page's part of a read or write: the bytes copied, or an error if none. */
template <typename Copy>
ErrorOr<size_t> transfer(ShmObject* obj, u64 offset, size_t n, ShmObject::Alloc alloc, Copy copy)
{
    size_t done = 0;
    while (done < n) {
        u64 at = offset + done;
        u32 in_page = u32(at % PAGE_SIZE);
        size_t chunk = PAGE_SIZE - in_page < n - done ? PAGE_SIZE - in_page : n - done;
        ErrorOr<PhysAddr> got = obj->get_page(u32(at >> PAGE_SHIFT), alloc);
        if (got.is_error())
            return bytes_or_error(done, got.error());
        PhysAddr frame = got.value();
        /* A hole reads as zeros: the zero page stands in for it. */
        u8* data = to_virt(frame != PhysAddr() ? frame : zero_page()).as_ptr<u8>() + in_page;
        /* The reference taken keeps the frame ours even if the copy faults and sleeps. */
        ErrorOr<void> copied = copy(data, done, chunk);
        if (frame != PhysAddr())
            free_page(to_virt(frame));
        if (copied.is_error())
            return bytes_or_error(done, copied.error());
        done += chunk;
    }
    return done;
}

} // namespace

ErrorOr<size_t> shm_read(ShmObject* obj, u64 offset, Userspace<void*> buf, size_t n)
{
    if (offset >= obj->m_size)
        return size_t(0);
    if (n > obj->m_size - offset)
        n = size_t(obj->m_size - offset);
    return transfer(obj, offset, n, ShmObject::Alloc::No, [&](u8* data, size_t done, size_t chunk) {
        return copy_to_user(Userspace<void*>(buf.address() + u32(done)), data, chunk);
    });
}

ErrorOr<size_t> shm_write(ShmObject* obj, u64 offset, Userspace<const void*> buf, size_t n)
{
    if (offset >= SHM_MAX_SIZE)
        return n ? ErrorOr<size_t>(Error::from_errno(EFBIG)) : size_t(0);
    if (n > SHM_MAX_SIZE - offset)
        n = size_t(SHM_MAX_SIZE - offset);
    ErrorOr<size_t> done = transfer(obj, offset, n, ShmObject::Alloc::Yes, [&](u8* data, size_t at, size_t chunk) {
        return copy_from_user(data, Userspace<const void*>(buf.address() + u32(at)), chunk);
    });
    if (!done.is_error() && offset + done.value() > obj->m_size)
        obj->m_size = offset + done.value();
    return done;
}

} // namespace mm
