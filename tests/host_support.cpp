/* What the pure kernel code calls that the kernel proper provides: here, for the tests. */
#include <mm/page.h>

#include <cstdio>
#include <cstdlib>

namespace mm {

void bad_page(const char* what, u32 pfn, const void*)
{
    std::fprintf(stderr, "bad_page: %s: pfn %#x\n", what, pfn);
    std::abort();
}

} // namespace mm

void error_or_misused(const char* what, int code)
{
    std::fprintf(stderr, "%s: %d\n", what, code);
    std::abort();
}

/* fs::File keeps its path in kmalloc'ed memory. */
void* kmalloc(size_t size, mm::Gfp)
{
    return std::malloc(size);
}

void kfree(void* object)
{
    std::free(object);
}
