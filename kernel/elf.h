/*
 * The checks exec makes on a static ELF32 i386 executable, and what it keeps of it.
 * Pure code: it also builds for the host tests.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>

struct Elf32Header {
    u8 ident[16];
    u16 type, machine;
    u32 version, entry, phoff, shoff, flags;
    u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct Elf32ProgramHeader {
    u32 type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

constexpr u32 PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6;
constexpr u32 PF_X = 1, PF_W = 2, PF_R = 4;

struct ElfImage {
    static constexpr size_t max_segments = 8;
    struct Segment {
        u32 vaddr, memsz, offset, filesz, flags;
    };
    Segment segments[max_segments];
    size_t nr_segments = 0;
    u32 entry = 0;
    u32 phdr_addr = 0;                  /* where the program headers are in memory (AT_PHDR) */
    u32 phnum = 0;
};

/*
 * Checks the first `size` bytes of a file (at least its first page) as a static
 * executable for this kernel: `image` filled, or ENOEXEC.
 */
ErrorOr<void> elf_check(const void* head, size_t size, u32 task_size, ElfImage& image);
