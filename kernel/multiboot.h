/* The Multiboot (version 1) information the loader leaves for us. */
#pragma once

#include <kernel/types.h>

constexpr u32 MULTIBOOT_BOOTLOADER_MAGIC = 0x2BADB002;

struct MultibootInfo {
    u32 flags;
    u32 mem_lower, mem_upper;           /* flags bit 0, in KB */
    u32 boot_device;
    u32 cmdline;                        /* flags bit 2, physical address */
    u32 mods_count, mods_addr;          /* flags bit 3 */
    u32 syms[4];
    u32 mmap_length, mmap_addr;         /* flags bit 6 */
    u32 drives_length, drives_addr;
    u32 config_table;
    u32 boot_loader_name;               /* flags bit 9 */

    static constexpr u32 HAS_MEMORY = 1 << 0;
    static constexpr u32 HAS_CMDLINE = 1 << 2;
    static constexpr u32 HAS_MODULES = 1 << 3;
    static constexpr u32 HAS_MMAP = 1 << 6;
    static constexpr u32 HAS_LOADER_NAME = 1 << 9;
};

struct MultibootModule {
    u32 start, end;                     /* physical, end exclusive */
    u32 string;
    u32 reserved;
};

struct [[gnu::packed]] MultibootMmapEntry {
    u32 size;                           /* of the rest of the entry */
    u64 addr, len;
    u32 type;                           /* 1 = available RAM */
};

/* Set by the boot stub. */
extern "C" u32 boot_magic, boot_info;
