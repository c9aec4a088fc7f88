/*
 * kmalloc's engine: objects of 8..2048 bytes packed into pages, larger ones (up to a page)
 * on a page of their own. Bookkeeping lives in mem_map (see docs/physical-memory.md).
 * Pure code; the kernel's instance is behind kmalloc/kfree in mm/memory.h.
 */
#pragma once

#include <mm/page_alloc.h>

namespace mm {

class SlabAllocator {
public:
    static constexpr u32 min_size = 8;
    static constexpr u32 nr_classes = 9;           /* 8 << 0 .. 8 << 8 = 2048 */
    static constexpr u8 whole_page_class = nr_classes;

    void init(PageAllocator& pages);

    void* allocate(size_t size, Gfp gfp);
    void free(void* object, const void* caller);

    /* The usable size of an allocated object (its class's size). */
    size_t object_size(const void* object) const;

    static u32 class_size(u32 cls) { return min_size << cls; }
    static int class_for(size_t size);     /* -1 when it needs a whole page or more */

private:
    static constexpr u32 no_partial = (1u << 21) - 1;
    static constexpr u32 end_of_chain = (1u << 11) - 1;
    static constexpr u32 free_magic = 0x6b6b6b6b;

    void format_page_locked(Pfn pfn, u32 cls);
    void unlink_partial_locked(u32 cls, Pfn pfn);
    [[noreturn]] void bad(const char* what, Pfn pfn, const void* caller) const;

    PageAllocator* m_pages = nullptr;
    u32 m_partial[nr_classes];
};

} // namespace mm
