/*
 * /proc: the registered files, "self", and one directory per process. Registered entries
 * live in fixed tables (registration can happen before fs::init); each table slot has its
 * Node, so a node is never made or freed while files are open.
 */
#include <fs/mount.h>
#include <fs/proc.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <mm/memory.h>
#include <mm/page_holder.h>
#include <mm/shmem.h>
#include <mm/vm.h>

#include <new>

namespace fs {

namespace {

constexpr size_t MAX_ENTRIES = 32;
constexpr size_t TEXT_PAGES = 16;               /* text files up to 64 KB */
constexpr u32 PROC_ROOT_INO = 1;
constexpr u32 SELF_INO = 2;
constexpr u32 GLOBAL_INO_BASE = 0x100;
/* /proc/PID is PID_INO_BASE + pid * PID_INO_STRIDE, its files the numbers after it. */
constexpr u32 PID_INO_BASE = 0x10000;
constexpr u32 PID_INO_STRIDE = MAX_ENTRIES + 1;

/* Cursors in /proc: entries, then "sysvipc", "self", "sys", then the pids. */
constexpr u64 SYSVIPC_CURSOR = 2 + MAX_ENTRIES;
constexpr u64 SELF_CURSOR = SYSVIPC_CURSOR + 1;
constexpr u64 SYS_CURSOR = SELF_CURSOR + 1;
constexpr u32 SYSVIPC_INO = 3;
constexpr u32 SYSVIPC_INO_BASE = 0x180;
constexpr u64 PID_CURSOR_BASE = SYS_CURSOR + 1;

ProcessDirectory processes;
bool have_processes;
SwapTotals (*swap_source)();

bool names_equal(const char* name, const char* other, size_t length)
{
    return strlen(name) == length && memcmp(name, other, length) == 0;
}

/* The pid a /proc name spells, as Linux reads it: decimal, no sign, no leading zero. */
int parse_pid(const char* name, size_t length)
{
    if (length == 0 || length > 9 || (name[0] == '0' && length > 1))
        return -1;
    int pid = 0;
    for (size_t i = 0; i < length; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        pid = pid * 10 + (name[i] - '0');
    }
    return pid;
}

int current_pid()
{
    return have_processes ? processes.self() : -1;
}

char* allocate_text_page()
{
    return __get_free_page(Gfp::Kernel).as_ptr<char>();
}

/* Text generated whole at open; reads and seeks then work on the snapshot. */
class ProcTextFile final : public File {
public:
    ProcTextFile(const Node& node, int pid) : m_node(node), m_pid(pid) { }
    const Node* node() const override { return &m_node; }

    ErrorOr<void> generate(const ProcEntry& entry)
    {
        char* pages[TEXT_PAGES] = { };
        TextBuffer out(pages, TEXT_PAGES, allocate_text_page);
        ErrorOr<void> result = entry.generate(m_pid, out);
        for (size_t i = 0; i < TEXT_PAGES; i++)
            m_pages[i] = mm::PageHolder(VirtAddr(pages[i]));      /* freed with the file */
        if (out.out_of_memory())
            return Error::from_errno(ENOMEM);
        m_length = out.length();
        return result;
    }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        u8* to = static_cast<u8*>(buf);
        size_t done = 0;
        while (done < n && u64(m_offset) < m_length) {
            size_t at = size_t(m_offset);
            size_t offset = at % TextBuffer::PAGE;
            size_t k = TextBuffer::PAGE - offset;
            if (k > m_length - at)
                k = m_length - at;
            if (k > n - done)
                k = n - done;
            memcpy(to + done, m_pages[at / TextBuffer::PAGE].as_ptr<char>() + offset, k);
            done += k;
            m_offset += k;
        }
        return done;
    }

    ErrorOr<void> stat(FileStat& st) override
    {
        m_node.stat(m_pid, st);
        return {};
    }
    u64 size() const override { return m_length; }

private:
    const Node& m_node;
    int m_pid;
    mm::PageHolder m_pages[TEXT_PAGES];
    size_t m_length = 0;
};

/* Binary files: every read asks the entry for bytes at the offset. */
class ProcBinaryFile final : public File {
public:
    ProcBinaryFile(const Node& node, const ProcEntry& entry, int pid)
        : m_node(node), m_entry(entry), m_pid(pid) { }
    const Node* node() const override { return &m_node; }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        size_t done = TRY(m_entry.read_at(m_pid, u64(m_offset), buf, n));
        m_offset += done;
        return done;
    }
    /* As Linux's mem_lseek: any position, but no end to seek from. */
    ErrorOr<i64> lseek(i64 offset, int whence) override
    {
        if (whence == SEEK_END)
            return Error::from_errno(EINVAL);
        return File::lseek(offset, whence);
    }
    ErrorOr<void> stat(FileStat& st) override
    {
        m_node.stat(m_pid, st);
        return {};
    }

private:
    const Node& m_node;
    const ProcEntry& m_entry;
    int m_pid;
};

/* The node of one table slot: /proc/NAME, or NAME in every /proc/PID. */
class ProcFileNode final : public Node {
public:
    ProcFileNode() : Node(S_IFREG | 0444, PROC_DEV, 0) { }
    void bind(const ProcEntry* entry, bool per_process, u32 ino)
    {
        m_entry = entry;
        m_per_process = per_process;
        m_ino = ino;
    }
    u32 ino(int pid) const override
    {
        return m_per_process ? PID_INO_BASE + u32(pid) * PID_INO_STRIDE + m_ino : m_ino;
    }

    ErrorOr<File*> open(int pid, u32 flags) const override
    {
        if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
            return Error::from_errno(EACCES);
        if (m_per_process && !(have_processes && processes.exists(pid)))
            return Error::from_errno(ENOENT);
        if (m_entry->read_at) {
            File* file = new (std::nothrow) ProcBinaryFile(*this, *m_entry, pid);
            if (!file)
                return Error::from_errno(ENOMEM);
            return file;
        }
        auto* file = new (std::nothrow) ProcTextFile(*this, pid);
        if (!file)
            return Error::from_errno(ENOMEM);
        if (ErrorOr<void> result = file->generate(*m_entry); result.is_error()) {
            delete file;
            return result.error();
        }
        return static_cast<File*>(file);
    }

private:
    const ProcEntry* m_entry = nullptr;
    bool m_per_process = false;
};

struct Table {
    ProcEntry entries[MAX_ENTRIES];
    ProcFileNode nodes[MAX_ENTRIES];
    size_t count = 0;

    long find(const char* name, size_t length) const
    {
        for (size_t i = 0; i < count; i++)
            if (names_equal(entries[i].name, name, length))
                return long(i);
        return -1;
    }
    void add(const ProcEntry& entry, bool per_process, const char* what, u32 ino_base = GLOBAL_INO_BASE)
    {
        const char* name = entry.name;
        if (!name || !*name || strlen(name) > NAME_MAX || parse_pid(name, strlen(name)) >= 0 ||
            strcmp(name, "self") == 0 || (!entry.generate == !entry.read_at))
            panic("%s: bad entry \"%s\"", what, name ? name : "(null)");
        for (const char* p = name; *p; p++)
            if (*p == '/')
                panic("%s: bad entry \"%s\"", what, name);
        if (find(name, strlen(name)) >= 0)
            panic("%s: \"%s\" registered twice", what, name);
        if (count == MAX_ENTRIES)
            panic("%s: no room for \"%s\" (%zu entries)", what, name, MAX_ENTRIES);
        entries[count] = entry;
        nodes[count].bind(&entries[count], per_process,
                          per_process ? u32(count + 1) : ino_base + u32(count));
        count++;
    }
    bool read_entry(u64 index, DirEntryInfo& out) const
    {
        if (index >= count)
            return false;
        out.name = entries[index].name;
        out.name_length = strlen(out.name);
        out.type = dirent_type(S_IFREG);
        return true;
    }
};

Table global_table;
Table process_table;
Table sysvipc_table;                    /* /proc/sysvipc: msg, sem, shm as registered */

/* /proc/self: a link to the caller's /proc/PID. */
class ProcSelf final : public Node {
public:
    ProcSelf() : Node(S_IFLNK | 0777, PROC_DEV, SELF_INO) { }
    ErrorOr<void> link_target(int, LinkScratch& scratch, const char*& target,
                              size_t& length) const override
    {
        int pid = current_pid();
        if (pid <= 0)
            return Error::from_errno(ENOENT);
        length = kfmt::snprintf(scratch.text, sizeof scratch.text, "%d", pid);
        target = scratch.text;
        return {};
    }
};

class ProcPidDirectory final : public DirectoryNode {
public:
    ProcPidDirectory() : DirectoryNode(0555, PROC_DEV, 0) { }
    u32 ino(int pid) const override { return PID_INO_BASE + u32(pid) * PID_INO_STRIDE; }
    Vnode parent(int) const override;

    ErrorOr<Vnode> lookup(int pid, const char* name, size_t length) const override
    {
        long i = process_table.find(name, length);
        if (i < 0)
            return Error::from_errno(ENOENT);
        return Vnode { &process_table.nodes[i], pid };
    }

protected:
    bool read_child(int pid, u64 cursor, DirEntryInfo& out) const override
    {
        if (!process_table.read_entry(cursor - 2, out))
            return false;
        out.ino = process_table.nodes[cursor - 2].ino(pid);
        out.next = cursor + 1;
        return true;
    }
};

class ProcRoot final : public DirectoryNode {
public:
    ProcRoot() : DirectoryNode(0555, PROC_DEV, PROC_ROOT_INO) { }
    Vnode parent(int) const override { return { root_node, -1 }; }
    ErrorOr<Vnode> lookup(int pid, const char* name, size_t length) const override;

protected:
    bool read_child(int pid, u64 cursor, DirEntryInfo& out) const override;
};

/* /proc/sysvipc: the System V IPC tables. */
class ProcSysvipc final : public DirectoryNode {
public:
    ProcSysvipc() : DirectoryNode(0555, PROC_DEV, SYSVIPC_INO) { }
    Vnode parent(int) const override;
    ErrorOr<Vnode> lookup(int, const char* name, size_t length) const override
    {
        long i = sysvipc_table.find(name, length);
        if (i < 0)
            return Error::from_errno(ENOENT);
        return Vnode { &sysvipc_table.nodes[i], -1 };
    }

protected:
    bool read_child(int, u64 cursor, DirEntryInfo& out) const override
    {
        if (!sysvipc_table.read_entry(cursor - 2, out))
            return false;
        out.ino = sysvipc_table.nodes[cursor - 2].ino(-1);
        out.next = cursor + 1;
        return true;
    }
};

ProcSelf proc_self;
ProcPidDirectory proc_pid_directory;
ProcRoot proc_root;
ProcSysvipc proc_sysvipc;

Vnode ProcSysvipc::parent(int) const { return { &proc_root, -1 }; }

Vnode ProcPidDirectory::parent(int) const { return { &proc_root, -1 }; }

ErrorOr<Vnode> ProcRoot::lookup(int, const char* name, size_t length) const
{
    long i = global_table.find(name, length);
    if (i >= 0)
        return Vnode { &global_table.nodes[i], -1 };
    if (names_equal("self", name, length) && current_pid() > 0)
        return Vnode { &proc_self, -1 };
    if (names_equal("sysvipc", name, length))
        return Vnode { &proc_sysvipc, -1 };
    if (names_equal("sys", name, length))
        return Vnode { proc_sys_directory(), -1 };
    int pid = parse_pid(name, length);
    if (pid > 0 && have_processes && processes.exists(pid))
        return Vnode { &proc_pid_directory, pid };
    return Error::from_errno(ENOENT);
}

bool ProcRoot::read_child(int, u64 cursor, DirEntryInfo& out) const
{
    if (cursor < SELF_CURSOR && global_table.read_entry(cursor - 2, out)) {
        out.ino = global_table.nodes[cursor - 2].ino(-1);
        out.next = cursor + 1;
        return true;
    }
    if (cursor <= SYSVIPC_CURSOR) {
        out.name = "sysvipc";
        out.name_length = 7;
        out.ino = SYSVIPC_INO;
        out.type = dirent_type(S_IFDIR);
        out.next = SYSVIPC_CURSOR + 1;
        return true;
    }
    if (cursor <= SELF_CURSOR && current_pid() > 0) {
        out.name = "self";
        out.name_length = 4;
        out.ino = SELF_INO;
        out.type = dirent_type(S_IFLNK);
        out.next = SELF_CURSOR + 1;
        return true;
    }
    if (cursor <= SYS_CURSOR) {
        const Node* sys = proc_sys_directory();
        out.name = "sys";
        out.name_length = 3;
        out.ino = sys->ino(-1);
        out.type = dirent_type(S_IFDIR);
        out.next = SYS_CURSOR + 1;
        return true;
    }
    if (!have_processes)
        return false;
    u64 from = cursor < PID_CURSOR_BASE ? 0 : cursor - PID_CURSOR_BASE;
    if (from > 0x7fffffff)
        return false;
    /* From pid 1: the idle task (pid 0) has no directory, as lookup says. */
    int pid = processes.next(from > 0 ? int(from) - 1 : 0);
    if (pid < 0)
        return false;
    out.name_length = kfmt::snprintf(out.scratch, sizeof out.scratch, "%d", pid);
    out.name = out.scratch;
    out.ino = proc_pid_directory.ino(pid);
    out.type = dirent_type(S_IFDIR);
    out.next = PID_CURSOR_BASE + u64(pid) + 1;
    return true;
}

void meminfo_line(TextBuffer& out, const char* label, u32 pages)
{
    out.printf("%-15s %8lu kB\n", label, (unsigned long)pages * (PAGE_SIZE / 1024));
}

ErrorOr<void> meminfo(int, TextBuffer& out)
{
    u32 total = mm::managed_pages, free = nr_free_pages();
    SwapTotals swap = swap_source ? swap_source() : SwapTotals { 0, 0, 0 };
    meminfo_line(out, "MemTotal:", total);
    meminfo_line(out, "MemFree:", free);
    meminfo_line(out, "MemAvailable:", free);
    meminfo_line(out, "Buffers:", 0);
    meminfo_line(out, "Cached:", 0);
    meminfo_line(out, "SwapCached:", swap.cached_pages);
    u32 locked = mm::mlocked_pages();   /* mlocked pages are the only unevictable ones */
    meminfo_line(out, "Unevictable:", locked);
    meminfo_line(out, "Mlocked:", locked);
    meminfo_line(out, "SwapTotal:", swap.total_pages);
    meminfo_line(out, "SwapFree:", swap.free_pages);
    meminfo_line(out, "Shmem:", mm::shmem_pages);
    /* No slab cache gives memory back; busybox's free wants the line, as every Linux has it. */
    meminfo_line(out, "SReclaimable:", 0);
    return {};
}

/* Linux's /proc/mounts: source, path, type, options, and two zeros (dump, pass). */
ErrorOr<void> mounts(int, TextBuffer& out)
{
    for (size_t i = 0; const Mount* m = mount_at(i); i++) {
        out.printf("%s %s %s %s", m->source, m->path, m->type, m->options);
        if (strcmp(m->type, "tmpfs") == 0) {
            FsStats st;
            m->root->statfs(st);
            out.printf(",size=%lluk", (unsigned long long)st.blocks * (PAGE_SIZE / 1024));
        }
        out.printf(" 0 0\n");
    }
    return {};
}

ErrorOr<void> filesystems(int, TextBuffer& out)
{
    static const char* const types[] = { "rootfs", "ramfs", "tmpfs", "devtmpfs", "proc" };
    for (const char* type : types)
        out.printf("nodev\t%s\n", type);
    return {};
}

} // namespace

void proc_register(const ProcEntry& entry)
{
    global_table.add(entry, false, "proc_register");
}

void proc_register_sysvipc(const ProcEntry& entry)
{
    sysvipc_table.add(entry, false, "proc_register_sysvipc", SYSVIPC_INO_BASE);
}

void proc_register_per_process(const ProcEntry& entry)
{
    process_table.add(entry, true, "proc_register_per_process");
}

void proc_set_process_directory(const ProcessDirectory& directory)
{
    if (!directory.exists || !directory.next || !directory.self)
        panic("proc_set_process_directory: every callback is needed");
    processes = directory;
    have_processes = true;
}

bool proc_process_directory(ProcessDirectory& out)
{
    if (have_processes)
        out = processes;
    return have_processes;
}

void proc_restore_process_directory(const ProcessDirectory* directory)
{
    if (directory)
        proc_set_process_directory(*directory);
    else
        have_processes = false;
}

void meminfo_set_swap_source(SwapTotals (*source)())
{
    swap_source = source;
}

Node* proc_directory()
{
    static bool registered;
    if (!registered) {
        proc_register({ .name = "meminfo", .generate = meminfo });
        proc_register({ .name = "mounts", .generate = mounts });
        proc_register({ .name = "filesystems", .generate = filesystems });
        proc_register_per_process({ .name = "mounts", .generate = mounts });
        registered = true;
    }
    return &proc_root;
}

} // namespace fs
