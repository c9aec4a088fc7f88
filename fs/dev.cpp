/*
 * /dev: the console, null, zero and the IDE disks with their four primary partitions,
 * under Linux's names and numbers. The memory devices are driven here, the console in
 * kernel/tty.cpp; the disks' major numbers wait for their driver (fs/device.h).
 */
#include <fs/device.h>
#include <fs/mount.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <kernel/tty.h>
#include <kernel/uaccess.h>

#include <new>

namespace fs {

namespace {

/* /dev/null and /dev/zero; like Linux's null_lseek, seeking is a no-op that gives 0. */
class NullFile : public DeviceFile {
public:
    using DeviceFile::DeviceFile;
    ErrorOr<size_t> read(void*, size_t) override { return 0u; }
    ErrorOr<size_t> write(const void*, size_t n) override { return n; }
    ErrorOr<i64> lseek(i64, int) override
    {
        m_offset = 0;
        return i64(0);
    }
};

class ZeroFile final : public NullFile {
public:
    using NullFile::NullFile;
    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        memset(buf, 0, n);
        return n;
    }
    /* A private mapping of /dev/zero is zeroed memory. */
    ErrorOr<size_t> read_page(u64, void* page) override
    {
        memset(page, 0, 4096);
        return 4096u;
    }
};

template<typename T>
ErrorOr<File*> make_file(const Node& node)
{
    File* file = new (std::nothrow) T(node);
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

ErrorOr<File*> mem_open(const Node& node, u32 minor, u32)
{
    switch (minor) {
    case 3: return make_file<NullFile>(node);
    case 5: return make_file<ZeroFile>(node);
    default: return Error::from_errno(ENXIO);
    }
}

class DevDirectory final : public DirectoryNode {
public:
    DevDirectory() : DirectoryNode(0755, DEVFS_DEV, 1) { }

    void add(const char* name, u32 mode, u32 rdev, u32 gid)
    {
        Node* node = new DeviceNode(mode, DEVFS_DEV, u32(2 + m_count), rdev);
        node->set_owner(0, gid);
        attach(name, node);
    }

    /* A node of its own (a mount's root) under a name of up to 7 bytes. */
    void attach(const char* name, Node* node)
    {
        if (m_count == MAX_ENTRIES)
            panic("/dev: more than %zu entries", MAX_ENTRIES);
        Entry& e = m_entries[m_count];
        kfmt::snprintf(e.name, sizeof e.name, "%s", name);
        e.node = node;
        m_count++;
    }

    ErrorOr<Vnode> lookup(int, const char* name, size_t length) const override
    {
        for (size_t i = 0; i < m_count; i++)
            if (strlen(m_entries[i].name) == length && memcmp(m_entries[i].name, name, length) == 0)
                return Vnode { m_entries[i].node, -1 };
        return Error::from_errno(ENOENT);
    }

    Vnode parent(int) const override { return { root_node, -1 }; }

protected:
    bool read_child(int, u64 cursor, DirEntryInfo& out) const override
    {
        if (cursor - 2 >= m_count)
            return false;
        const Entry& e = m_entries[size_t(cursor - 2)];
        out.name = e.name;
        out.name_length = strlen(e.name);
        out.ino = e.node->ino(-1);
        out.type = dirent_type(e.node->mode());
        out.next = cursor + 1;
        return true;
    }

private:
    static constexpr size_t MAX_ENTRIES = 32;
    struct Entry {
        char name[8];
        Node* node;
    };
    Entry m_entries[MAX_ENTRIES];
    size_t m_count = 0;
};

constexpr u32 TTY_GID = 5, DISK_GID = 6;

DevDirectory* make_dev_directory()
{
    auto* dev = new DevDirectory;
    dev->add("console", S_IFCHR | 0600, makedev(TTY_MAJOR, 1), 0);
    dev->add("tty", S_IFCHR | 0666, makedev(TTY_MAJOR, 0), TTY_GID);
    dev->add("null", S_IFCHR | 0666, makedev(MEM_MAJOR, 3), 0);
    dev->add("zero", S_IFCHR | 0666, makedev(MEM_MAJOR, 5), 0);

    static constexpr struct { const char* name; u32 major, first_minor; } disks[] = {
        { "hda", IDE0_MAJOR, 0 }, { "hdb", IDE0_MAJOR, 64 },
        { "hdc", IDE1_MAJOR, 0 }, { "hdd", IDE1_MAJOR, 64 },
    };
    for (const auto& disk : disks) {
        dev->add(disk.name, S_IFBLK | 0660, makedev(disk.major, disk.first_minor), DISK_GID);
        for (u32 part = 1; part <= 4; part++) {
            char name[8];
            kfmt::snprintf(name, sizeof name, "%s%u", disk.name, part);
            dev->add(name, S_IFBLK | 0660, makedev(disk.major, disk.first_minor + part), DISK_GID);
        }
    }

    if (register_device(DeviceType::Char, TTY_MAJOR, ::tty_open).is_error() ||
        register_device(DeviceType::Char, MEM_MAJOR, mem_open).is_error())
        panic("/dev: the console's or memory's major number is taken");
    return dev;
}

} // namespace

namespace {

DevDirectory* dev_tree()
{
    static DevDirectory* dev;
    if (!dev)
        dev = make_dev_directory();
    return dev;
}

} // namespace

Node* dev_directory() { return dev_tree(); }

void dev_attach(const char* name, Node* node) { dev_tree()->attach(name, node); }

} // namespace fs
