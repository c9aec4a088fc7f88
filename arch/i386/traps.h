/* What the trap handlers share with the code they hand user exceptions to. */
#pragma once

#include <arch/i386/interrupts.h>
#include <mm/vm.h>

/*
 * The signal for a user access the memory manager refused (SIGSEGV or SIGBUS with the
 * address, SIGKILL for lack of memory); nothing when it was resolved.
 */
void user_access_refused(mm::PageFaultResponse response, u32 address);

/*
 * An invalid-opcode trap from user mode: true if the instruction was one of the i686
 * instructions emulated here and has been carried out (or has raised the signal it
 * would raise itself); false for a real invalid opcode, which is SIGILL.
 */
bool emulate_invalid_opcode(TrapFrame& frame);
