/*
 * /proc/sys/vm: settings read and written as text, as Linux's sysctl files. A read shows
 * the setting as its entry writes it; a write hands the text to the entry, which takes it
 * whole or refuses it (EINVAL), as `echo 1 > /proc/sys/vm/NAME` expects.
 */
#include <fs/mount.h>
#include <fs/proc.h>
#include <kernel/errno.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#include <new>

namespace fs {

namespace {

constexpr size_t MAX_SYS_ENTRIES = 8;
constexpr size_t TEXT_MAX = 256;
constexpr u32 SYS_INO = 3, VM_INO = 4, FIRST_ENTRY_INO = 0x80;

/* The text at open, for reads; a write replaces the setting, not this snapshot. */
class SysFile final : public File {
public:
    SysFile(const Node& node, const ProcSysEntry& entry) : m_node(node), m_entry(entry) { }

    ErrorOr<void> generate()
    {
        TextBuffer out(m_text, sizeof m_text);
        TRY(m_entry.generate(-1, out));
        m_length = out.length();
        return {};
    }
    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        size_t at = size_t(m_offset), k = at < m_length ? m_length - at : 0;
        if (k > n)
            k = n;
        memcpy(buf, m_text + at, k);
        m_offset += k;
        return k;
    }
    ErrorOr<size_t> write(const void* buf, size_t n) override
    {
        char text[TEXT_MAX];
        if (n >= sizeof text)
            return Error::from_errno(EINVAL);
        memcpy(text, buf, n);
        text[n] = '\0';
        TRY(m_entry.write(text));
        return n;
    }
    ErrorOr<void> stat(FileStat& st) override
    {
        m_node.stat(-1, st);
        return {};
    }
    u64 size() const override { return m_length; }

private:
    const Node& m_node;
    const ProcSysEntry& m_entry;
    char m_text[TEXT_MAX];
    size_t m_length = 0;
};

class SysFileNode final : public Node {
public:
    SysFileNode() : Node(S_IFREG | 0644, PROC_DEV, 0) { }
    void bind(const ProcSysEntry* entry, u32 ino)
    {
        m_entry = entry;
        m_ino = ino;
    }
    ErrorOr<File*> open(int, u32) const override
    {
        auto* file = new (std::nothrow) SysFile(*this, *m_entry);
        if (!file)
            return Error::from_errno(ENOMEM);
        if (ErrorOr<void> made = file->generate(); made.is_error()) {
            delete file;
            return made.error();
        }
        return static_cast<File*>(file);
    }

private:
    const ProcSysEntry* m_entry = nullptr;
};

ProcSysEntry entries[MAX_SYS_ENTRIES];
SysFileNode nodes[MAX_SYS_ENTRIES];
size_t count;

bool same(const char* a, const char* b, size_t length)
{
    return strlen(a) == length && memcmp(a, b, length) == 0;
}

class VmDirectory final : public DirectoryNode {
public:
    VmDirectory() : DirectoryNode(0555, PROC_DEV, VM_INO) { }
    Vnode parent(int) const override;
    ErrorOr<Vnode> lookup(int, const char* name, size_t length) const override
    {
        for (size_t i = 0; i < count; i++)
            if (same(entries[i].name, name, length))
                return Vnode { &nodes[i], -1 };
        return Error::from_errno(ENOENT);
    }

protected:
    bool read_child(int, u64 cursor, DirEntryInfo& out) const override
    {
        if (cursor - 2 >= count)
            return false;
        out.name = entries[cursor - 2].name;
        out.name_length = strlen(out.name);
        out.ino = nodes[cursor - 2].ino(-1);
        out.type = dirent_type(S_IFREG);
        out.next = cursor + 1;
        return true;
    }
};

class SysDirectory final : public DirectoryNode {
public:
    SysDirectory() : DirectoryNode(0555, PROC_DEV, SYS_INO) { }
    Vnode parent(int) const override { return { proc_directory(), -1 }; }
    ErrorOr<Vnode> lookup(int, const char* name, size_t length) const override;

protected:
    bool read_child(int, u64 cursor, DirEntryInfo& out) const override
    {
        if (cursor != 2)
            return false;
        out.name = "vm";
        out.name_length = 2;
        out.ino = VM_INO;
        out.type = dirent_type(S_IFDIR);
        out.next = 3;
        return true;
    }
};

SysDirectory sys_directory;
VmDirectory vm_directory;

Vnode VmDirectory::parent(int) const { return { &sys_directory, -1 }; }

ErrorOr<Vnode> SysDirectory::lookup(int, const char* name, size_t length) const
{
    if (same("vm", name, length))
        return Vnode { &vm_directory, -1 };
    return Error::from_errno(ENOENT);
}

} // namespace

void proc_register_sys_vm(const ProcSysEntry& entry)
{
    bool slash = false;
    for (const char* p = entry.name; p && *p; p++)
        slash = slash || *p == '/';
    if (!entry.name || !*entry.name || !entry.generate || !entry.write ||
        strlen(entry.name) > NAME_MAX || slash)
        panic("proc_register_sys_vm: bad entry \"%s\"", entry.name ? entry.name : "(null)");
    if (count == MAX_SYS_ENTRIES)
        panic("proc_register_sys_vm: no room for \"%s\" (%zu entries)", entry.name, MAX_SYS_ENTRIES);
    entries[count] = entry;
    nodes[count].bind(&entries[count], FIRST_ENTRY_INO + u32(count));
    count++;
}

const Node* proc_sys_directory()
{
    return &sys_directory;
}

} // namespace fs
