/*
 * The one lock the memory manager needs on a uniprocessor: interrupts off. Pure code uses
 * IrqGuard; the host build of that code (tests) has no interrupts to turn off.
 */
#pragma once

#ifdef FERRITE_HOST
struct IrqGuard {
    IrqGuard() { }
    IrqGuard(const IrqGuard&) = delete;
};
#else
#include <arch/interrupts.h>
using IrqGuard = arch::InterruptDisabler;
#endif
