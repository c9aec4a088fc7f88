#include <fs/initrd.h>
#include <kernel/string.h>

#include <new>

namespace fs {

namespace {

/* A regular file: its bytes are the archive's. */
class RamFile final : public Node {
public:
    RamFile(u32 mode, u32 ino) : Node(mode, ROOT_DEV, ino) { }
    u64 size() const override { return m_size; }
    ErrorOr<File*> open(int pid, u32 flags) const override;
    void set_data(const u8* data, u32 size) { m_data = data; m_size = size; }

private:
    const u8* m_data = nullptr;
    u32 m_size = 0;
};

class RamSymlink final : public Node {
public:
    RamSymlink(u32 mode, u32 ino, const u8* target, u32 length)
        : Node(mode, ROOT_DEV, ino), m_target(reinterpret_cast<const char*>(target)),
          m_length(length) { }
    u64 size() const override { return m_length; }
    ErrorOr<void> link_target(int, LinkScratch&, const char*& target,
                              size_t& length) const override
    {
        target = m_target;
        length = m_length;
        return {};
    }

private:
    const char* m_target;
    u32 m_length;
};

class InitrdFile final : public File {
public:
    InitrdFile(const RamFile& node, const u8* data, u32 size)
        : m_node(node), m_data(data), m_size(size) { }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        if (u64(m_offset) >= m_size)
            return 0u;
        size_t left = m_size - size_t(m_offset);
        size_t k = n < left ? n : left;
        memcpy(buf, m_data + m_offset, k);
        m_offset += k;
        return k;
    }

    ErrorOr<size_t> read_page(u64 offset, void* page) override
    {
        constexpr size_t page_size = 4096;
        size_t k = 0;
        if (offset < m_size) {
            size_t left = m_size - size_t(offset);
            k = left < page_size ? left : page_size;
            memcpy(page, m_data + size_t(offset), k);
        }
        memset(static_cast<u8*>(page) + k, 0, page_size - k);
        return k;
    }

    ErrorOr<void> stat(FileStat& st) override
    {
        m_node.stat(-1, st);
        return {};
    }
    u64 size() const override { return m_size; }
    const Node* node() const override { return &m_node; }

private:
    const RamFile& m_node;
    const u8* m_data;
    u32 m_size;
};

ErrorOr<File*> RamFile::open(int, u32 flags) const
{
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
        return Error::from_errno(EROFS);
    File* file = new (std::nothrow) InitrdFile(*this, m_data, m_size);
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

bool names_equal(const char* a, size_t a_length, const char* b, size_t b_length)
{
    return a_length == b_length && memcmp(a, b, a_length) == 0;
}

/* FNV-1a */
u32 name_hash(const char* name, size_t length)
{
    u32 hash = 2166136261u;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ u8(name[i])) * 16777619u;
    return hash;
}

/* Regular and special files named more than once: the same node under every name. */
struct HardLink {
    u32 ino, dev_major, dev_minor;
    Node* node;
    HardLink* next;
};

class TreeBuilder {
public:
    TreeBuilder(RamDirectory* root, InitrdStats& stats) : m_root(root), m_stats(stats) { }
    ~TreeBuilder();
    void add(const cpio::Entry& entry);

private:
    struct Component {
        const char* name;
        size_t length;
    };
    bool next_component(const char*& p, const char* end, Component& out);
    RamDirectory* directory_for(RamDirectory* dir, Component name);
    Node* make_node(const cpio::Entry& entry);
    void place(RamDirectory* dir, Component name, Node* node);
    void add_hard_link(RamDirectory* dir, Component name, const cpio::Entry& entry);
    void skip() { m_stats.skipped++; }

    RamDirectory* m_root;
    InitrdStats& m_stats;
    HardLink* m_links = nullptr;
    u32 m_next_ino = 2;         /* the root is 1 */
};

TreeBuilder::~TreeBuilder()
{
    while (HardLink* link = m_links) {
        m_links = link->next;
        release_node(link->node);
        delete link;
    }
}

/* The next component of a name, skipping empty ones and "."; false at the end. */
bool TreeBuilder::next_component(const char*& p, const char* end, Component& out)
{
    for (;;) {
        while (p < end && *p == '/')
            p++;
        if (p == end)
            return false;
        const char* start = p;
        while (p < end && *p != '/')
            p++;
        out = { start, size_t(p - start) };
        if (!names_equal(out.name, out.length, ".", 1))
            return true;
    }
}

/* A directory on the way to a name: what the archive made, or one it implies. */
RamDirectory* TreeBuilder::directory_for(RamDirectory* dir, Component name)
{
    if (RamDirectory::Entry* entry = dir->find(name.name, name.length))
        return entry->node->is_directory() ? static_cast<RamDirectory*>(entry->node) : nullptr;
    auto* implied = new (std::nothrow) RamDirectory(0755, m_next_ino++);
    if (!implied || !dir->add(name.name, name.length, implied)) {
        delete implied;
        m_stats.out_of_memory = true;
        return nullptr;
    }
    implied->set_parent(dir);
    m_stats.directories++;
    return implied;
}

Node* TreeBuilder::make_node(const cpio::Entry& entry)
{
    u32 mode = entry.mode;
    Node* node = nullptr;
    switch (mode & S_IFMT) {
    case S_IFREG:
        if (auto* file = new (std::nothrow) RamFile(mode, m_next_ino)) {
            file->set_data(entry.data, entry.size);
            node = file;
        }
        m_stats.files++;
        break;
    case S_IFLNK:
        /* Linux refuses empty targets, and longer ones than a path can be. */
        if (entry.size == 0 || entry.size >= PATH_MAX) {
            skip();
            return nullptr;
        }
        node = new (std::nothrow) RamSymlink(mode, m_next_ino, entry.data, entry.size);
        m_stats.symlinks++;
        break;
    case S_IFCHR:
    case S_IFBLK:
    case S_IFIFO:
    case S_IFSOCK:
        node = new (std::nothrow) DeviceNode(mode, ROOT_DEV, m_next_ino,
                                             makedev(entry.rdev_major, entry.rdev_minor));
        m_stats.specials++;
        break;
    default:
        skip();
        return nullptr;
    }
    if (!node) {
        m_stats.out_of_memory = true;
        return nullptr;
    }
    m_next_ino++;
    node->set_owner(entry.uid, entry.gid);
    node->set_mtime(entry.mtime);
    return node;
}

/* A later entry of the same name takes its place, as when Linux unpacks over a file. */
void TreeBuilder::place(RamDirectory* dir, Component name, Node* node)
{
    if (RamDirectory::Entry* existing = dir->find(name.name, name.length)) {
        release_node(dir->replace(*existing, node));
    } else if (!dir->add(name.name, name.length, node)) {
        m_stats.out_of_memory = true;
        if (!node->linked())
            delete node;
        return;
    }
    if (node->is_directory())
        static_cast<RamDirectory*>(node)->set_parent(dir);
}

void TreeBuilder::add_hard_link(RamDirectory* dir, Component name, const cpio::Entry& entry)
{
    HardLink* link = m_links;
    while (link && !(link->ino == entry.ino && link->dev_major == entry.dev_major &&
                     link->dev_minor == entry.dev_minor))
        link = link->next;
    if (!link) {
        Node* node = make_node(entry);
        if (!node)
            return;
        link = new (std::nothrow) HardLink { entry.ino, entry.dev_major, entry.dev_minor, node, m_links };
        if (!link) {
            m_stats.out_of_memory = true;
            delete node;
            return;
        }
        /* The table holds a link too, so a name replaced later cannot free the node. */
        node->link();
        m_links = link;
        place(dir, name, node);
        return;
    }
    /* cpio writes the data with the last name only; the others have size 0. */
    if (link->node->is_regular() && entry.size)
        static_cast<RamFile*>(link->node)->set_data(entry.data, entry.size);
    RamDirectory::Entry* existing = dir->find(name.name, name.length);
    if (!existing || existing->node != link->node)
        place(dir, name, link->node);
}

void TreeBuilder::add(const cpio::Entry& entry)
{
    const char* p = entry.name;
    const char* end = entry.name + entry.name_length;
    Component name;
    RamDirectory* dir = m_root;
    bool have_name = next_component(p, end, name);
    for (Component further; have_name && next_component(p, end, further); name = further) {
        if (name.length > NAME_MAX || names_equal(name.name, name.length, "..", 2) ||
            !(dir = directory_for(dir, name))) {
            skip();
            return;
        }
    }
    if (have_name && (name.length > NAME_MAX || names_equal(name.name, name.length, "..", 2))) {
        skip();
        return;
    }

    if ((entry.mode & S_IFMT) == S_IFDIR) {
        RamDirectory::Entry* existing = have_name ? dir->find(name.name, name.length) : nullptr;
        RamDirectory* target = have_name ? nullptr : m_root;       /* "." is the root */
        if (existing && existing->node->is_directory())
            target = static_cast<RamDirectory*>(existing->node);
        if (!target) {
            target = new (std::nothrow) RamDirectory(0, m_next_ino++);
            if (!target) {
                m_stats.out_of_memory = true;
                return;
            }
            m_stats.directories++;
            place(dir, name, target);
        }
        target->set_mode(entry.mode);
        target->set_owner(entry.uid, entry.gid);
        target->set_mtime(entry.mtime);
        return;
    }
    if (!have_name) {
        skip();         /* the root can only be a directory */
        return;
    }
    if ((entry.mode & S_IFMT) != S_IFLNK && entry.nlink >= 2) {
        add_hard_link(dir, name, entry);
        return;
    }
    if (Node* node = make_node(entry))
        place(dir, name, node);
}

} // namespace

ErrorOr<Vnode> RamDirectory::lookup(int, const char* name, size_t length) const
{
    Entry* entry = find(name, length);
    if (!entry)
        return Error::from_errno(ENOENT);
    return Vnode { entry->node, -1 };
}

RamDirectory::Entry* RamDirectory::find(const char* name, size_t length) const
{
    u32 hash = name_hash(name, length);
    for (Entry* e = m_first; e; e = e->next)
        if (e->hash == hash && names_equal(e->name, e->length, name, length))
            return e;
    return nullptr;
}

bool RamDirectory::add(const char* name, size_t length, Node* node)
{
    auto* entry = new (std::nothrow) Entry { name, u32(length), name_hash(name, length), node, nullptr };
    if (!entry)
        return false;
    if (m_last)
        m_last->next = entry;
    else
        m_first = entry;
    m_last = entry;
    node->link();
    if (node->is_directory())
        m_subdirectories++;
    return true;
}

Node* RamDirectory::replace(Entry& entry, Node* node)
{
    Node* old = entry.node;
    m_subdirectories += node->is_directory();
    m_subdirectories -= old->is_directory();
    node->link();
    entry.node = node;
    return old;
}

bool RamDirectory::attach(const char* name, Node* node)
{
    /* The link of the node's owner: releasing the tree never frees it. */
    node->link();
    size_t length = strlen(name);
    if (Entry* entry = find(name, length)) {
        release_node(replace(*entry, node));
        return true;
    }
    return add(name, length, node);
}

void RamDirectory::clear()
{
    while (Entry* e = m_first) {
        m_first = e->next;
        release_node(e->node);
        delete e;
    }
    m_last = nullptr;
    m_subdirectories = 0;
}

bool RamDirectory::read_child(int, u64 cursor, DirEntryInfo& out) const
{
    u64 index = 2;
    for (Entry* e = m_first; e; e = e->next, index++) {
        if (index < cursor)
            continue;
        out.name = e->name;
        out.name_length = e->length;
        out.ino = e->node->ino(-1);
        out.type = dirent_type(e->node->mode());
        out.next = index + 1;
        return true;
    }
    return false;
}

void release_node(Node* node)
{
    if (!node->unlink())
        return;
    if (node->is_directory())
        static_cast<RamDirectory*>(node)->clear();
    delete node;
}

RamDirectory* build_initrd_tree(const void* data, size_t size, InitrdStats& stats)
{
    stats = InitrdStats();
    auto* root = new (std::nothrow) RamDirectory(0755, 1);
    if (!root) {
        stats.out_of_memory = true;
        return nullptr;
    }
    root->link();       /* the mount's */
    TreeBuilder builder(root, stats);
    cpio::Reader reader(data, size);
    cpio::Entry entry;
    cpio::Reader::Status status;
    while (!stats.out_of_memory && (status = reader.next(entry)) == cpio::Reader::Status::Entry)
        builder.add(entry);
    stats.error = reader.error();
    stats.error_offset = reader.error_offset();
    return root;
}

} // namespace fs
