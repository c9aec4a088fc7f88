/*
 * execve: static ELF32 executables, mapped lazily. exec reads the first page of the file
 * (headers); every other page arrives through a page fault (docs/processes.md).
 */
#include <arch/cpu.h>
#include <arch/segments.h>
#include <fs/file.h>
#include <kernel/cmdline.h>
#include <kernel/elf.h>
#include <kernel/errno.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>
#include <mm/page_holder.h>
#include <mm/vm.h>

#include <utility>

namespace {

constexpr u32 MAX_ARG_PAGES = 32;               /* 128 KB of arguments and environment */
constexpr u32 INITIAL_STACK = 128 * 1024;       /* the [stack] region at start; it grows */

enum AuxType : u32 {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_EXECFN = 31,
};

/* argv and envp strings, gathered before the old address space goes away. */
class ArgStrings {
public:
    long add(const char* s, size_t len)
    {
        if (m_size + len + 1 > MAX_ARG_PAGES * PAGE_SIZE)
            return -E2BIG;
        for (size_t i = 0; i <= len; i++) {
            if (m_size % PAGE_SIZE == 0 && m_size / PAGE_SIZE == m_nr_pages) {
                mm::PageHolder page(__get_free_page(Gfp::Kernel));
                if (!page)
                    return -ENOMEM;
                m_pages[m_nr_pages++] = std::move(page);
            }
            m_pages[m_size / PAGE_SIZE].as_ptr<char>()[m_size % PAGE_SIZE] = i < len ? s[i] : '\0';
            m_size++;
        }
        m_count++;
        return 0;
    }

    /* A NULL-terminated array of user string pointers. */
    long add_user_vector(u32 vector)
    {
        if (!vector)
            return 0;
        if (!m_scratch && !(m_scratch = mm::PageHolder(__get_free_page(Gfp::Kernel))))
            return -ENOMEM;
        for (u32 i = 0;; i++) {
            u32 ptr;
            if (copy_from_user(&ptr, vector + 4 * i, 4))
                return -EFAULT;
            if (!ptr)
                return 0;
            long len = strncpy_from_user(m_scratch.as_ptr<char>(), ptr, PAGE_SIZE);
            if (len == -ENAMETOOLONG)
                return -E2BIG;
            if (len < 0)
                return len;
            if (long err = add(m_scratch.as_ptr<char>(), size_t(len)))
                return err;
        }
    }

    u32 count() const { return m_count; }
    u32 size() const { return m_size; }

    /* Copies the strings to user address `to` and the pointers to each to `pointers`. */
    long copy_out(u32 to, u32 pointers, u32 first, u32 n) const
    {
        u32 offset = 0, index = 0;
        for (u32 pos = 0; pos < m_size && index < first + n; pos++) {
            if (pos == offset) {
                if (index >= first) {
                    u32 p = to + pos;
                    if (copy_to_user(pointers + 4 * (index - first), &p, 4))
                        return -EFAULT;
                }
            }
            if (m_pages[pos / PAGE_SIZE].as_ptr<char>()[pos % PAGE_SIZE] == '\0') {
                index++;
                offset = pos + 1;
            }
        }
        return 0;
    }

    long copy_blob(u32 to) const
    {
        for (u32 i = 0; i < m_nr_pages; i++) {
            u32 n = m_size - i * PAGE_SIZE < PAGE_SIZE ? m_size - i * PAGE_SIZE : PAGE_SIZE;
            if (copy_to_user(to + i * PAGE_SIZE, m_pages[i].as_ptr(), n))
                return -EFAULT;
        }
        return 0;
    }

private:
    mm::PageHolder m_pages[MAX_ARG_PAGES];
    mm::PageHolder m_scratch;           /* one user string at a time, before add() copies it */
    u32 m_nr_pages = 0;
    u32 m_size = 0;
    u32 m_count = 0;
};

u32 random_state = 0x6d2b79f5;

u32 next_random()
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 17;
    random_state ^= random_state << 5;
    return random_state;
}

long push(u32& sp, const void* data, size_t n)
{
    sp -= u32(n);
    return copy_to_user(sp, data, n);
}

/* The initial stack of the i386 System V ABI: argc, argv, envp, auxv, then the strings. */
long build_stack(TrapFrame& frame, const ArgStrings& args, u32 argc, const ElfImage& image,
                 const char* execfn)
{
    u32 sp = mm::STACK_TOP;
    u32 strings = (sp - args.size()) & ~3u;
    if (args.copy_blob(strings))
        return -EFAULT;
    sp = strings;
    u32 random[4];
    for (u32& r : random)
        r = next_random();
    if (push(sp, random, sizeof random))
        return -EFAULT;
    u32 at_random = sp;
    const char* platform = cpu_platform();
    if (push(sp, platform, strlen(platform) + 1))
        return -EFAULT;
    u32 at_platform = sp;
    size_t fn_len = strlen(execfn) + 1;
    if (push(sp, execfn, fn_len))
        return -EFAULT;
    u32 at_execfn = sp;

    const u32 aux[][2] = {
        { AT_PHDR, image.phdr_addr }, { AT_PHENT, sizeof(Elf32ProgramHeader) },
        { AT_PHNUM, image.phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, 0 }, { AT_FLAGS, 0 },
        { AT_ENTRY, image.entry }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
        { AT_SECURE, 0 }, { AT_HWCAP, cpu_hwcap() }, { AT_CLKTCK, 100 },
        { AT_RANDOM, at_random }, { AT_PLATFORM, at_platform }, { AT_EXECFN, at_execfn },
        { AT_NULL, 0 },
    };
    u32 envc = args.count() - argc;
    u32 words = 1 + argc + 1 + envc + 1 + 2 * u32(array_size(aux));
    sp = (sp - words * 4) & ~15u;
    u32 argv = sp + 4, envp = argv + 4 * (argc + 1), auxv = envp + 4 * (envc + 1);
    u32 zero = 0;
    if (copy_to_user(sp, &argc, 4) || args.copy_out(strings, argv, 0, argc)
        || copy_to_user(argv + 4 * argc, &zero, 4) || args.copy_out(strings, envp, argc, envc)
        || copy_to_user(envp + 4 * envc, &zero, 4) || copy_to_user(auxv, aux, sizeof aux))
        return -EFAULT;

    memset(&frame, 0, sizeof frame);
    frame.eip = image.entry;
    frame.cs = USER_CS;
    frame.eflags = 0x202;
    frame.user_esp = sp;
    frame.user_ss = frame.ds = frame.es = USER_DS;
    return 0;
}

/* Maps the image's segments and the stack into the (empty) address space. */
long map_image(mm::AddressSpace& as, fs::File* file, const fs::FileStat& st, const ElfImage& image)
{
    u32 highest = 0;
    for (size_t i = 0; i < image.nr_segments; i++) {
        const ElfImage::Segment& s = image.segments[i];
        u32 prot = (s.flags & PF_R ? mm::PROT_READ : 0) | (s.flags & PF_W ? mm::PROT_WRITE : 0)
                 | (s.flags & PF_X ? mm::PROT_EXEC : 0);
        u32 start = page_align_down(s.vaddr);
        u32 file_end = s.vaddr + s.filesz;
        u32 file_pages_end = page_align_up(file_end);
        u32 end = page_align_up(s.vaddr + s.memsz);
        if (s.filesz) {
            mm::Region r { start, file_pages_end, prot, mm::RegionKind::File };
            r.file = file;
            r.offset = s.offset - (s.vaddr - start);
            r.file_end = file_end;
            r.dev = st.dev;
            r.ino = st.ino;
            if (long err = as.map(r))
                return err;
        }
        u32 anon_start = s.filesz ? file_pages_end : start;
        if (end > anon_start)
            if (long err = as.map({ anon_start, end, prot, mm::RegionKind::Anonymous }))
                return err;
        if (s.flags & PF_X) {
            as.start_code = start;
            as.end_code = s.vaddr + s.filesz;
        } else if (!as.start_data) {
            as.start_data = s.vaddr;
            as.end_data = s.vaddr + s.filesz;
        }
        if (end > highest)
            highest = end;
    }
    as.start_brk = as.brk = highest;
    as.start_stack = mm::STACK_TOP;
    return as.map({ mm::STACK_TOP - INITIAL_STACK, mm::STACK_TOP,
                    mm::PROT_READ | mm::PROT_WRITE, mm::RegionKind::Stack });
}

/* What every exec resets: close-on-exec files, handled signals, TLS, tid addresses. */
void flush_old_exec(Task* t, const char* path)
{
    for (int fd = 0; fd < NR_OPEN; fd++)
        if ((t->close_on_exec & (u64(1) << fd)) && t->files[fd]) {
            t->files[fd]->put();
            t->files[fd] = nullptr;
        }
    t->close_on_exec = 0;
    for (SigAction& a : t->actions)
        if (a.handler != SIG_IGN)
            a = SigAction();
    for (u64& d : t->tls)
        d = 0;
    t->clear_child_tid = t->set_child_tid = 0;
    const char* base = path;
    for (const char* p = path; *p; p++)
        if (*p == '/')
            base = p + 1;
    size_t n = 0;
    for (; base[n] && n < sizeof t->comm - 1; n++)
        t->comm[n] = base[n];
    t->comm[n] = '\0';
    arch::fpu_init_state(t->fpu);
    arch::fpu_restore(t->fpu);
}

long do_execve(const char* path, ArgStrings& args, u32 argc)
{
    fs::File* file;
    if (long err = fs::open(path, fs::O_RDONLY, file))
        return err;
    fs::FileStat st;
    long err = file->stat(st);
    if (!err && (st.mode & fs::S_IFMT) != fs::S_IFREG)
        err = -EACCES;
    if (!err && !(st.mode & 0111))
        err = -EACCES;
    mm::PageHolder head(err ? VirtAddr() : get_free_page(Gfp::Kernel));
    if (!err && !head)
        err = -ENOMEM;
    ElfImage image;
    if (!err) {
        long got = file->read_page(0, head.as_ptr());
        err = got < 0 ? got : elf_check(head.as_ptr(), size_t(got), TASK_SIZE, image);
    }
    head.reset();                       /* what the headers say is in `image` now */
    if (err) {
        file->put();
        return err;
    }

    /* The point of no return: the old program is gone from here on. */
    Task* t = current;
    flush_old_exec(t, path);
    t->mm->clear();
    size_t n = 0;
    for (; path[n] && n < sizeof t->mm->exe_path - 1; n++)
        t->mm->exe_path[n] = path[n];
    t->mm->exe_path[n] = '\0';
    err = map_image(*t->mm, file, st, image);
    file->put();                        /* the regions hold their own references */
    if (!err)
        err = build_stack(t->user_frame(), args, argc, image, path);
    if (err)
        do_exit(exit_status_signal(err == -ENOMEM ? SIGKILL : SIGSEGV));
    return 0;
}

} // namespace

/* What the CPU says, CMOV (bit 15) included: emulating it does not make it fast. */
u32 cpu_hwcap()
{
    return arch::has_cpuid() ? arch::cpuid(1).edx : 0;
}

const char* cpu_platform()
{
    if (!arch::has_cpuid())
        return "i486";
    u32 family = (arch::cpuid(1).eax >> 8) & 0xF;     /* the signature's family */
    return family <= 4 ? "i486" : family == 5 ? "i586" : "i686";
}

long kernel_execve(const char* path)
{
    ArgStrings args;
    size_t len = strlen(path);
    long err = args.add(path, len);
    for (size_t i = 0; !err && i < command_line.init_argc; i++)
        err = args.add(command_line.init_argv[i], strlen(command_line.init_argv[i]));
    u32 argc = args.count();
    static const char* const default_env[] = { "HOME=/", "TERM=linux", "PATH=/bin:/sbin:/tests" };
    for (const char* e : default_env)
        if (!err)
            err = args.add(e, strlen(e));
    for (size_t i = 0; !err && i < command_line.init_envc; i++)
        err = args.add(command_line.init_envp[i], strlen(command_line.init_envp[i]));
    if (err)
        return err;
    random_state ^= arch_entropy();
    return do_execve(path, args, argc);
}

long sys_execve(u32 path_addr, u32 argv, u32 envp)
{
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    ArgStrings args;
    if (long err = args.add_user_vector(argv))
        return err;
    u32 argc = args.count();
    if (long err = args.add_user_vector(envp))
        return err;
    return do_execve(path.get(), args, argc);
}
