/*
 * The shape of the 386's two-level page tables, shared by the boot stub's assembly
 * (boot/head.S) and C++: hence macros, as in segments.h.
 */
#pragma once

#define PGDIR_SHIFT     22                      /* a directory entry maps 4 MB */
#define PGDIR_SIZE      (1 << PGDIR_SHIFT)
#define PTRS_PER_TABLE  1024                    /* 4-byte entries in a directory or a table */
