/*
 * Accesses that may fault. Each faulting instruction has an entry in the exception table
 * (__ex_table: faulting address, address to resume at); the page fault and general
 * protection handlers resume there instead of oopsing. copy_from_user and friends will be
 * built the same way.
 */
#pragma once

#include <kernel/types.h>

struct ExceptionTableEntry {
    u32 insn;
    u32 fixup;
};

/* The fixup for a faulting kernel instruction, or 0. */
u32 search_exception_table(u32 eip);

/* The last fault that a fixup recovered: its vector and CR2 (for page faults). */
struct RecoveredFault {
    u32 vector;
    u32 address;
};
extern RecoveredFault last_recovered_fault;

/* Read or write 32 bits; false if the access faulted. */
extern "C" bool probe_read_u32(u32 address, u32& value);
extern "C" bool probe_write_u32(u32 address, u32 value);
