/*
 * The checks exec makes on an ELF32 i386 executable (ET_EXEC, or ET_DYN: a PIE program or
 * the dynamic linker), and what it keeps of it. Pure code: it also builds for the host tests.
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
    bool dynamic = false;               /* ET_DYN: the addresses are relative to a load bias */
    /* PT_INTERP: where the interpreter's path (NUL included) is in the file; size 0 if none. */
    u32 interp_offset = 0, interp_size = 0;

    /* The page-aligned addresses the segments span, before any load bias. */
    u32 first_page() const { return segments[0].vaddr & ~0xFFFu; }
    u32 span() const
    {
        const Segment& last = segments[nr_segments - 1];
        return ((last.vaddr + last.memsz + 0xFFFu) & ~0xFFFu) - first_page();
    }
};

/* Linux's limit on the interpreter's path (PATH_MAX). */
constexpr u32 ELF_INTERP_MAX = 4096;

/*
 * Checks the first `size` bytes of a file (at least its first page) as an executable
 * for this kernel: `image` filled, or ENOEXEC.
 */
ErrorOr<void> elf_check(const void* head, size_t size, u32 task_size, ElfImage& image);
