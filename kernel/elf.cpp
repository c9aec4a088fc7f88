#include <kernel/elf.h>
#include <kernel/errno.h>

ErrorOr<void> elf_check(const void* head, size_t size, u32 task_size, ElfImage& image)
{
    constexpr u32 page = 4096;
    if (size < sizeof(Elf32Header))
        return Error::from_errno(ENOEXEC);
    const auto& h = *static_cast<const Elf32Header*>(head);
    const u8* id = h.ident;
    if (id[0] != 0x7F || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
        return Error::from_errno(ENOEXEC);
    if (id[4] != 1 /* ELFCLASS32 */ || id[5] != 1 /* little endian */ || id[6] != 1)
        return Error::from_errno(ENOEXEC);
    if ((h.type != 2 /* ET_EXEC */ && h.type != 3 /* ET_DYN */) || h.machine != 3 /* EM_386 */)
        return Error::from_errno(ENOEXEC);
    if (h.phentsize != sizeof(Elf32ProgramHeader) || h.phnum == 0 || h.phnum > 64)
        return Error::from_errno(ENOEXEC);
    if (h.phoff > size || (size - h.phoff) / sizeof(Elf32ProgramHeader) < h.phnum)
        return Error::from_errno(ENOEXEC);
    if (h.entry >= task_size)
        return Error::from_errno(ENOEXEC);

    const auto* ph = reinterpret_cast<const Elf32ProgramHeader*>(static_cast<const u8*>(head) + h.phoff);
    image = ElfImage();
    image.entry = h.entry;
    image.phnum = h.phnum;
    image.dynamic = h.type == 3;
    u32 last_end = 0;
    for (u32 i = 0; i < h.phnum; i++) {
        const Elf32ProgramHeader& p = ph[i];
        if (p.type == PT_INTERP && !image.interp_size) {
            /* As Linux: a path of at least one character and its NUL, at most PATH_MAX. */
            if (p.filesz < 2 || p.filesz > ELF_INTERP_MAX || p.offset + p.filesz < p.offset)
                return Error::from_errno(ENOEXEC);
            image.interp_offset = p.offset;
            image.interp_size = p.filesz;
        }
        if (p.type == PT_PHDR)
            image.phdr_addr = p.vaddr;
        if (p.type != PT_LOAD || p.memsz == 0)
            continue;
        if (image.nr_segments == ElfImage::max_segments)
            return Error::from_errno(ENOEXEC);
        if (p.filesz > p.memsz || p.vaddr % page != p.offset % page)
            return Error::from_errno(ENOEXEC);
        if (p.vaddr >= task_size || p.memsz > task_size - p.vaddr || p.offset + p.filesz < p.offset)
            return Error::from_errno(ENOEXEC);
        if (p.vaddr < last_end)
            return Error::from_errno(ENOEXEC);            /* segments in order, not overlapping */
        last_end = p.vaddr + p.memsz;
        if (!image.phdr_addr && p.offset <= h.phoff && h.phoff - p.offset < p.filesz)
            image.phdr_addr = p.vaddr + (h.phoff - p.offset);
        image.segments[image.nr_segments++] = { p.vaddr, p.memsz, p.offset, p.filesz, p.flags };
    }
    if (!image.nr_segments)
        return Error::from_errno(ENOEXEC);
    return {};
}
