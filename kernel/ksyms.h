/*
 * The kernel's own symbol table (function names for backtraces). The build links the
 * kernel twice: the second link adds a table generated from the first by scripts/ksyms.py,
 * in a section placed so that no code address moves between the two.
 */
#pragma once

#include <kernel/types.h>

struct SymbolLookup {
    const char* name;
    u32 offset;         /* of the address from the symbol's start */
};

/* The function containing address, or {nullptr, 0}. */
SymbolLookup lookup_symbol(u32 address);

/* The address of a symbol by exact name, or 0. */
u32 symbol_address(const char* name);

/* Prints "<prefix>[<address>] name+0xoff" on the console. */
void print_symbol(const char* prefix, u32 address);
