/* GDT layout, shared by the boot stub (assembly) and the kernel. */
#pragma once

#define GDT_ENTRY_KERNEL_CS     1
#define GDT_ENTRY_KERNEL_DS     2
#define GDT_ENTRY_USER_CS       3
#define GDT_ENTRY_USER_DS       4
#define GDT_ENTRY_TSS           5
#define GDT_ENTRY_TLS_MIN       6
#define GDT_ENTRY_TLS_ENTRIES   3
#define GDT_ENTRIES             9

#define KERNEL_CS       (GDT_ENTRY_KERNEL_CS * 8)
#define KERNEL_DS       (GDT_ENTRY_KERNEL_DS * 8)
#define USER_CS         (GDT_ENTRY_USER_CS * 8 + 3)
#define USER_DS         (GDT_ENTRY_USER_DS * 8 + 3)
#define TSS_SELECTOR    (GDT_ENTRY_TSS * 8)
