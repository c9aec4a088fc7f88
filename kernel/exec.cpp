/*
 * execve: ELF32 executables, mapped lazily. exec reads the first page of the file
 * (headers); every other page arrives through a page fault (docs/processes.md). A program
 * with PT_INTERP starts in its interpreter (the dynamic linker), mapped beside it; a "#!"
 * script in the interpreter its first line names.
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
#include <mm/memory.h>
#include <mm/page_holder.h>
#include <mm/vm.h>

#include <utility>

namespace {

constexpr u32 MAX_ARG_PAGES = 32;               /* 128 KB of arguments and environment */
constexpr u32 INITIAL_STACK = 128 * 1024;       /* the [stack] region at start; it grows */
constexpr u32 ELF_ET_DYN_BASE = 0x00400000;     /* where a PIE program goes, as Linux on i386 */

enum AuxType : u32 {
    AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7,
    AT_FLAGS = 8, AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14,
    AT_PLATFORM = 15, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23, AT_RANDOM = 25,
    AT_EXECFN = 31,
};

/* argv and envp strings, gathered before the old address space goes away. */
class ArgStrings {
public:
    ErrorOr<void> add(const char* s, size_t len)
    {
        if (m_size + len + 1 > MAX_ARG_PAGES * PAGE_SIZE)
            return Error::from_errno(E2BIG);
        for (size_t i = 0; i <= len; i++)
            TRY(put(i < len ? s[i] : '\0'));
        m_count++;
        return {};
    }

    /* The strings of `other` from number `first` on, in order. */
    ErrorOr<void> add_from(const ArgStrings& other, u32 first)
    {
        u32 index = 0;
        for (u32 pos = 0; pos < other.m_size; pos++) {
            char c = other.m_pages[pos / PAGE_SIZE].as_ptr<char>()[pos % PAGE_SIZE];
            if (index >= first) {
                if (m_size + 1 > MAX_ARG_PAGES * PAGE_SIZE)
                    return Error::from_errno(E2BIG);
                TRY(put(c));
                m_count += c == '\0';
            }
            index += c == '\0';
        }
        return {};
    }

    /* A NULL-terminated array of user string pointers. */
    ErrorOr<void> add_user_vector(Userspace<const u32*> vector)
    {
        if (vector.is_null())
            return {};
        if (!m_scratch && !(m_scratch = mm::PageHolder(__get_free_page(Gfp::Kernel))))
            return Error::from_errno(ENOMEM);
        for (u32 i = 0;; i++) {
            u32 ptr;
            TRY(copy_from_user(ptr, vector.element(i)));
            if (!ptr)
                return {};
            /* The pointer is the user's, read from the user's array. */
            ErrorOr<size_t> len = strncpy_from_user(m_scratch.as_ptr<char>(),
                                                    Userspace<const char*>(ptr), PAGE_SIZE);
            if (len.is_error())
                return len.error().code() == ENAMETOOLONG ? Error::from_errno(E2BIG) : len.error();
            TRY(add(m_scratch.as_ptr<char>(), len.value()));
        }
    }

    u32 count() const { return m_count; }
    u32 size() const { return m_size; }
    /* Bytes of the first n strings, their NULs included. */
    u32 size_of_first(u32 n) const
    {
        u32 pos = 0;
        for (u32 seen = 0; pos < m_size && seen < n; pos++)
            seen += m_pages[pos / PAGE_SIZE].as_ptr<char>()[pos % PAGE_SIZE] == '\0';
        return pos;
    }

    /*
     * For strings n from `first` on, copied to user address `to` by copy_blob: their
     * addresses into the user array `pointers`.
     */
    ErrorOr<void> copy_out(u32 to, Userspace<u32*> pointers, u32 first, u32 n) const
    {
        u32 offset = 0, index = 0;
        for (u32 pos = 0; pos < m_size && index < first + n; pos++) {
            if (pos == offset && index >= first)
                TRY(copy_to_user(pointers.element(index - first), to + pos));
            if (m_pages[pos / PAGE_SIZE].as_ptr<char>()[pos % PAGE_SIZE] == '\0') {
                index++;
                offset = pos + 1;
            }
        }
        return {};
    }

    ErrorOr<void> copy_blob(Userspace<char*> to) const
    {
        for (u32 i = 0; i < m_nr_pages; i++) {
            u32 n = m_size - i * PAGE_SIZE < PAGE_SIZE ? m_size - i * PAGE_SIZE : PAGE_SIZE;
            TRY(copy_to_user(to.offset(i * PAGE_SIZE), m_pages[i].as_ptr(), n));
        }
        return {};
    }

private:
    ErrorOr<void> put(char c)
    {
        if (m_size % PAGE_SIZE == 0 && m_size / PAGE_SIZE == m_nr_pages) {
            mm::PageHolder page(__get_free_page(Gfp::Kernel));
            if (!page)
                return Error::from_errno(ENOMEM);
            m_pages[m_nr_pages++] = std::move(page);
        }
        m_pages[m_size / PAGE_SIZE].as_ptr<char>()[m_size % PAGE_SIZE] = c;
        m_size++;
        return {};
    }

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

/* The new program's stack is the kernel's to lay out: its addresses are made here. */
ErrorOr<void> push(u32& sp, const void* data, size_t n)
{
    sp -= u32(n);
    return copy_to_user(Userspace<void*>(sp), data, n);
}

/* An executable being loaded: its open file and headers, and where it goes (bias). */
struct Executable {
    fs::File* file = nullptr;
    fs::FileStat st { };
    ElfImage image;
    u32 bias = 0;                       /* added to every address of an ET_DYN file */

    Executable() = default;
    Executable(const Executable&) = delete;
    ~Executable() { close(); }
    void close()
    {
        if (file)
            file->put();                /* the regions hold their own references */
        file = nullptr;
    }
    u32 entry() const { return image.entry + bias; }
};

/* The initial stack of the i386 System V ABI: argc, argv, envp, auxv, then the strings. */
ErrorOr<void> build_stack(TrapFrame& frame, const ArgStrings& args, u32 argc,
                          const Executable& program, const Executable* interp, const char* execfn)
{
    const ElfImage& image = program.image;
    u32 sp = mm::STACK_TOP;
    u32 strings = (sp - args.size()) & ~3u;
    TRY(args.copy_blob(Userspace<char*>(strings)));
    current->mm->arg_start = strings;
    current->mm->arg_end = strings + args.size_of_first(argc);
    sp = strings;
    u32 random[4];
    for (u32& r : random)
        r = next_random();
    TRY(push(sp, random, sizeof random));
    u32 at_random = sp;
    const char* platform = cpu_platform();
    TRY(push(sp, platform, strlen(platform) + 1));
    u32 at_platform = sp;
    size_t fn_len = strlen(execfn) + 1;
    TRY(push(sp, execfn, fn_len));
    u32 at_execfn = sp;

    const u32 aux[][2] = {
        { AT_PHDR, image.phdr_addr + program.bias }, { AT_PHENT, sizeof(Elf32ProgramHeader) },
        { AT_PHNUM, image.phnum }, { AT_PAGESZ, PAGE_SIZE }, { AT_BASE, interp ? interp->bias : 0 },
        { AT_FLAGS, 0 }, { AT_ENTRY, program.entry() },
        { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 }, { AT_EGID, 0 },
        { AT_SECURE, 0 }, { AT_HWCAP, cpu_hwcap() }, { AT_CLKTCK, 100 },
        { AT_RANDOM, at_random }, { AT_PLATFORM, at_platform }, { AT_EXECFN, at_execfn },
        { AT_NULL, 0 },
    };
    u32 envc = args.count() - argc;
    u32 words = 1 + argc + 1 + envc + 1 + 2 * u32(array_size(aux));
    sp = (sp - words * 4) & ~15u;
    Userspace<u32*> argv(sp + 4);
    Userspace<u32*> envp = argv.element(argc + 1);
    Userspace<void*> auxv = envp.element(envc + 1);
    TRY(copy_to_user(Userspace<u32*>(sp), argc));
    TRY(args.copy_out(strings, argv, 0, argc));
    TRY(copy_to_user(argv.element(argc), 0u));
    TRY(args.copy_out(strings, envp, argc, envc));
    TRY(copy_to_user(envp.element(envc), 0u));
    TRY(copy_to_user(auxv, aux, sizeof aux));

    memset(&frame, 0, sizeof frame);
    frame.eip = interp ? interp->entry() : program.entry();
    frame.cs = USER_CS;
    frame.eflags = 0x202;
    frame.user_esp = sp;
    frame.user_ss = frame.ds = frame.es = USER_DS;
    return {};
}

/*
 * Maps an executable's segments at their addresses plus its bias: the file's part of each
 * segment as a private file mapping, the rest (bss) as anonymous memory. As Linux's
 * MAP_FIXED, a segment sharing a page with the one before replaces that page. Returns
 * the end of the highest segment.
 */
ErrorOr<u32> map_segments(mm::AddressSpace& as, const Executable& exe)
{
    const ElfImage& image = exe.image;
    if (exe.bias + image.first_page() + image.span() > mm::STACK_TOP - mm::STACK_LIMIT
        || exe.bias + image.first_page() < exe.bias)
        return Error::from_errno(ENOMEM);
    u32 highest = 0;
    for (size_t i = 0; i < image.nr_segments; i++) {
        const ElfImage::Segment& s = image.segments[i];
        u32 prot = (s.flags & PF_R ? mm::PROT_READ : 0) | (s.flags & PF_W ? mm::PROT_WRITE : 0)
                 | (s.flags & PF_X ? mm::PROT_EXEC : 0);
        u32 vaddr = s.vaddr + exe.bias;
        u32 start = page_align_down(vaddr);
        u32 file_end = vaddr + s.filesz;
        u32 file_pages_end = page_align_up(file_end);
        u32 end = page_align_up(vaddr + s.memsz);
        TRY(as.unmap(start, end));
        if (s.filesz) {
            mm::Region r { start, file_pages_end, prot, mm::RegionKind::File };
            r.file = exe.file;
            r.offset = s.offset - (vaddr - start);
            r.file_end = file_end;
            r.dev = exe.st.dev;
            r.ino = exe.st.ino;
            TRY(as.map(r));
        }
        u32 anon_start = s.filesz ? file_pages_end : start;
        if (end > anon_start)
            TRY(as.map({ anon_start, end, prot, mm::RegionKind::Anonymous }));
        if (end > highest)
            highest = end;
    }
    return highest;
}

/*
 * Maps the program, its stack and its interpreter into the (empty) address space. As
 * Linux's: a PIE program goes at ELF_ET_DYN_BASE; the interpreter, or an ET_DYN program
 * run without one (the dynamic linker run as a command), where mmap would put it.
 */
ErrorOr<void> map_image(mm::AddressSpace& as, Executable& program, Executable* interp)
{
    const ElfImage& image = program.image;
    if (image.dynamic) {
        u32 base = interp ? ELF_ET_DYN_BASE : as.find_free(image.span(), mm::MMAP_BASE);
        if (!base)
            return Error::from_errno(ENOMEM);
        program.bias = base - image.first_page();
    }
    u32 highest = TRY(map_segments(as, program));
    for (size_t i = 0; i < image.nr_segments; i++) {
        const ElfImage::Segment& s = image.segments[i];
        if (s.flags & PF_X) {
            as.start_code = page_align_down(s.vaddr + program.bias);
            as.end_code = s.vaddr + program.bias + s.filesz;
        } else if (!as.start_data) {
            as.start_data = s.vaddr + program.bias;
            as.end_data = s.vaddr + program.bias + s.filesz;
        }
    }
    as.start_brk = as.brk = highest;
    as.start_stack = mm::STACK_TOP;
    TRY(as.map({ mm::STACK_TOP - INITIAL_STACK, mm::STACK_TOP,
                 mm::PROT_READ | mm::PROT_WRITE, mm::RegionKind::Stack }));
    if (interp) {
        if (interp->image.dynamic) {
            u32 base = as.find_free(interp->image.span(), mm::MMAP_BASE);
            if (!base)
                return Error::from_errno(ENOMEM);
            interp->bias = base - interp->image.first_page();
        }
        TRY(map_segments(as, *interp));
    }
    return {};
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
    t->clear_child_tid = t->set_child_tid = Userspace<int*>();
    t->sas_ss_sp = t->sas_ss_size = 0;        /* no alternate stack in the new program */
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

/* The file opened and its headers checked and kept; it stays open for the mapping. */
ErrorOr<void> open_executable(const char* path, Executable& exe)
{
    exe.file = TRY(fs::open(path, fs::O_RDONLY));
    TRY(exe.file->stat(exe.st));
    if ((exe.st.mode & fs::S_IFMT) != fs::S_IFREG || !(exe.st.mode & 0111))
        return Error::from_errno(EACCES);
    mm::PageHolder head(get_free_page(Gfp::Kernel));
    if (!head)
        return Error::from_errno(ENOMEM);
    size_t got = TRY(exe.file->read_page(0, head.as_ptr()));
    return elf_check(head.as_ptr(), got, TASK_SIZE, exe.image);
}

/*
 * The program's interpreter, opened and checked, as Linux's load_elf_binary: a path that
 * does not end in its NUL is ENOEXEC, a missing file ENOENT, a file that is not an i386
 * ELF executable ELIBBAD.
 */
ErrorOr<void> open_interpreter(const Executable& program, Executable& interp)
{
    const ElfImage& image = program.image;
    mm::PageHolder name(get_free_page(Gfp::Kernel));
    if (!name)
        return Error::from_errno(ENOMEM);
    size_t got = TRY(program.file->read_page(image.interp_offset, name.as_ptr()));
    const char* path = name.as_ptr<char>();
    if (got < image.interp_size || path[image.interp_size - 1] != '\0')
        return Error::from_errno(ENOEXEC);
    ErrorOr<void> opened = open_executable(path, interp);
    if (opened.is_error() && opened.error().code() == ENOEXEC)
        return Error::from_errno(ELIBBAD);
    return opened;
}

/*
 * Scripts, as Linux's binfmt_script: a file whose first line (at most SCRIPT_LINE_MAX
 * bytes) is "#!interpreter [argument]" runs as the interpreter, given the rest of the line
 * (spaces trimmed at both ends) as one argument if there is any, then the script's path,
 * then the script's own arguments after its argv[0]. An interpreter may be a script itself,
 * MAX_SCRIPT_DEPTH deep; past that, ELOOP.
 */
constexpr size_t SCRIPT_LINE_MAX = 256;
constexpr int MAX_SCRIPT_DEPTH = 4;

struct ScriptLine {
    const char* interpreter = nullptr;
    const char* argument = nullptr;     /* null without one */
};

bool blank(char c) { return c == ' ' || c == '\t'; }

/*
 * Whether the executable file at `path` is a script; if it is, its line parsed into `page`
 * (which `line` then points into). ENOEXEC for a "#!" line without an interpreter, or one
 * whose interpreter's name does not end within the line's first SCRIPT_LINE_MAX bytes.
 */
ErrorOr<bool> read_script_line(const char* path, mm::PageHolder& page, ScriptLine& line)
{
    fs::File* file = TRY(fs::open(path, fs::O_RDONLY));
    struct Closer {
        fs::File* f;
        ~Closer() { f->put(); }
    } closer { file };
    fs::FileStat st;
    TRY(file->stat(st));
    if ((st.mode & fs::S_IFMT) != fs::S_IFREG || !(st.mode & 0111))
        return Error::from_errno(EACCES);
    if (!page && !(page = mm::PageHolder(get_free_page(Gfp::Kernel))))
        return Error::from_errno(ENOMEM);
    char* text = page.as_ptr<char>();
    size_t got = TRY(file->read_page(0, text));
    if (got < 2 || text[0] != '#' || text[1] != '!')
        return false;
    size_t end = 2;
    while (end < got && end < SCRIPT_LINE_MAX && text[end] != '\n')
        end++;
    text[end] = '\0';
    while (end > 2 && blank(text[end - 1]))
        text[--end] = '\0';
    char* p = text + 2;
    while (blank(*p))
        p++;
    if (!*p)
        return Error::from_errno(ENOEXEC);
    line.interpreter = p;
    while (*p && !blank(*p))
        p++;
    if (!*p && end >= SCRIPT_LINE_MAX)
        return Error::from_errno(ENOEXEC);       /* the name may go on past the line's end */
    if (*p) {
        *p++ = '\0';
        while (blank(*p))
            p++;
    }
    line.argument = *p ? p : nullptr;
    return true;
}

/* args for the interpreter of the script at `path`: [interpreter, argument,] path, argv[1..]. */
ErrorOr<void> script_args(const ScriptLine& line, const char* path, ArgStrings& args, u32& argc)
{
    ArgStrings next;
    TRY(next.add(line.interpreter, strlen(line.interpreter)));
    if (line.argument)
        TRY(next.add(line.argument, strlen(line.argument)));
    TRY(next.add(path, strlen(path)));
    u32 added = next.count();
    TRY(next.add_from(args, 1));
    argc = argc ? argc - 1 + added : added;
    args = std::move(next);
    return {};
}

ErrorOr<void> do_execve(const char* path, ArgStrings& args, u32 argc)
{
    /* One page for each script's line: each interpreter's name is the next path. */
    mm::PageHolder lines[MAX_SCRIPT_DEPTH];
    for (int depth = 0;; depth++) {
        ScriptLine line;
        mm::PageHolder page;
        if (!TRY(read_script_line(path, page, line)))
            break;
        if (depth == MAX_SCRIPT_DEPTH)
            return Error::from_errno(ELOOP);
        TRY(script_args(line, path, args, argc));
        lines[depth] = std::move(page);
        path = line.interpreter;
    }
    Executable program, interp;
    TRY(open_executable(path, program));
    bool dynamic = program.image.interp_size != 0;
    if (dynamic)
        TRY(open_interpreter(program, interp));
    Task* t = current;
    /* A vforked child's memory is its parent's: the new program gets a space of its own. */
    mm::AddressSpace* fresh = nullptr;
    if (t->mm->users > 1 && !(fresh = mm::AddressSpace::create()))
        return Error::from_errno(ENOMEM);

    /* The point of no return: the old program is gone from here on. */
    flush_old_exec(t, path);
    if (fresh) {
        mm::AddressSpace* borrowed = t->mm;
        t->mm = fresh;
        arch::write_cr3(fresh->directory_phys().value());
        mm::mmput(borrowed);
    } else {
        mm::clear_page_tables(*t->mm);
    }
    vfork_release(t);
    size_t n = 0;
    for (; path[n] && n < sizeof t->mm->exe_path - 1; n++)
        t->mm->exe_path[n] = path[n];
    t->mm->exe_path[n] = '\0';
    ErrorOr<void> result = map_image(*t->mm, program, dynamic ? &interp : nullptr);
    if (!result.is_error())
        result = build_stack(t->user_frame(), args, argc, program, dynamic ? &interp : nullptr, path);
    /*
     * Too late to return to the old program: the process dies, of SIGKILL without memory,
     * SIGSEGV otherwise. As Linux's force_fatal_sig, by a signal taken on the way back to
     * user mode, not do_exit here: every caller's frame unwinds first and frees what it
     * holds (the scripts' lines here, the path and argument pages of sys_execve).
     */
    if (result.is_error())
        force_fault_signal(*t, result.error().code() == ENOMEM ? SIGKILL : SIGSEGV,
                           FaultInfo { SI_KERNEL, 0 });
    return result;
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

ErrorOr<void> kernel_execve(const char* path)
{
    ArgStrings args;
    TRY(args.add(path, strlen(path)));
    for (size_t i = 0; i < command_line.init_argc; i++)
        TRY(args.add(command_line.init_argv[i], strlen(command_line.init_argv[i])));
    u32 argc = args.count();
    /* Linux's envp_init: no PATH, the shell has its own default. */
    static const char* const default_env[] = { "HOME=/", "TERM=linux" };
    for (const char* e : default_env)
        TRY(args.add(e, strlen(e)));
    for (size_t i = 0; i < command_line.init_envc; i++)
        TRY(args.add(command_line.init_envp[i], strlen(command_line.init_envp[i])));
    random_state ^= arch_entropy();
    return do_execve(path, args, argc);
}

ErrorOr<void> sys_execve(Userspace<const char*> path_addr, Userspace<const u32*> argv,
                         Userspace<const u32*> envp)
{
    PathBuffer path;
    TRY(path.from_user(path_addr));
    ArgStrings args;
    TRY(args.add_user_vector(argv));
    u32 argc = args.count();
    TRY(args.add_user_vector(envp));
    return do_execve(path.get(), args, argc);
}
