/* What the C++ compiler expects of its runtime in a freestanding kernel. */
#include <kernel/printk.h>

extern "C" {

using Constructor = void (*)();
extern const Constructor __init_array_start[], __init_array_end[];

void run_global_constructors()
{
    for (const Constructor* c = __init_array_start; c < __init_array_end; c++)
        (*c)();
}

void __cxa_pure_virtual()
{
    panic("pure virtual function called");
}

/* Kernel objects live forever: destructors of globals are never registered. */
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle;

}

/*
 * operator new for kernel objects, on kmalloc. Kernel code that can cope with failure
 * uses new (nothrow); plain new treats running out of memory as fatal.
 */
#include <mm/memory.h>
#include <new>

/* The tag object itself lives in libsupc++, which the kernel does not link. */
const std::nothrow_t std::nothrow { };

void* operator new(size_t size)
{
    void* p = kmalloc(size, Gfp::Kernel);
    if (!p)
        panic("operator new: out of memory for %zu bytes", size);
    return p;
}

void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return kmalloc(size, Gfp::Kernel); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return kmalloc(size, Gfp::Kernel); }
void operator delete(void* p) noexcept { kfree(p); }
void operator delete[](void* p) noexcept { kfree(p); }
void operator delete(void* p, size_t) noexcept { kfree(p); }
void operator delete[](void* p, size_t) noexcept { kfree(p); }
