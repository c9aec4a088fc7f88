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
