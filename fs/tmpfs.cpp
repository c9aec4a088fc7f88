/*
 * tmpfs's nodes: directories, regular files and symlinks that are made and removed at run
 * time. Each node counts the names that lead to it (Node::m_links) and the holders that
 * took a reference (open Files, a subdirectory's link to its parent, a call that sleeps
 * while it uses the node); it frees itself when both are 0, so an unlinked file stays
 * readable and writable until its last File closes.
 *
 * The path layer (namei.cpp) has done Linux's checks before it calls in here. Only the
 * allocations below may sleep; around them the nodes involved are held, and what the
 * checks found is looked at again afterwards.
 */
#include <fs/tmpfs.h>
#include <fs/tmpfs_internal.h>
#include <kernel/printk.h>
#include <kernel/string.h>
#include <mm/memory.h>

#include <new>

namespace fs::tmpfs {

namespace {

/* Linux's BOGO_DIRENT_SIZE: what each name adds to a directory's st_size. */
constexpr u64 DIRENT_SIZE = 20;

u32 name_hash(const char* name, size_t length)
{
    u32 hash = 2166136261u;     /* FNV-1a */
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ u8(name[i])) * 16777619u;
    return hash;
}

} // namespace

void Superblock::statfs(FsStats& out) const
{
    u64 used = used_pages();
    out = FsStats {
        .type = TMPFS_MAGIC, .blocks = max_pages, .free_blocks = used < max_pages ? max_pages - used : 0,
        .files = max_inodes, .free_files = inodes < max_inodes ? max_inodes - inodes : 0,
    };
}

u64 Superblock::used_pages() const
{
    u64 pages = 0;
    for (const Regular* f = files; f; f = f->next_file())
        pages += f->pages();
    return pages;
}

/* Directories. */

Directory::Directory(Superblock& sb, u32 mode, Directory* parent, const Node* mount_parent)
    : Base(sb, S_IFDIR | mode), m_parent(parent), m_mount_parent(mount_parent)
{
    if (m_parent)
        m_parent->get();
}

Directory::~Directory()
{
    if (m_first)
        panic("tmpfs: directory %u freed with names in it", ino(-1));
    if (m_parent)
        m_parent->put();
}

Vnode Directory::parent(int) const
{
    if (m_parent)
        return { m_parent, -1 };
    return { m_mount_parent, -1 };
}

u32 Directory::nlink() const
{
    return linked() ? 2 + m_subdirectories : 0;
}

u64 Directory::size() const
{
    return (2 + m_count) * DIRENT_SIZE;
}

Directory::Entry* Directory::find(const char* name, size_t length) const
{
    u32 hash = name_hash(name, length);
    for (Entry* e = m_first; e; e = e->next)
        if (e->hash == hash && e->length == length && memcmp(e->name, name, length) == 0)
            return e;
    return nullptr;
}

ErrorOr<Vnode> Directory::lookup(int, const char* name, size_t length) const
{
    Entry* e = find(name, length);
    if (!e)
        return Error::from_errno(ENOENT);
    return Vnode { e->node, -1 };
}

/* Names are listed in the order they were added; each one's cursor is its cookie. */
bool Directory::read_child(int, u64 cursor, DirEntryInfo& out) const
{
    for (Entry* e = m_first; e; e = e->next) {
        if (e->cookie < cursor)
            continue;
        out.name = e->name;
        out.name_length = e->length;
        out.ino = e->node->ino(-1);
        out.type = dirent_type(e->node->mode());
        out.next = e->cookie + 1;
        return true;
    }
    return false;
}

Directory::Entry* Directory::make_entry(const char* name, size_t length)
{
    auto* e = static_cast<Entry*>(kmalloc(sizeof(Entry) + length, Gfp::Kernel));
    if (!e)
        return nullptr;
    e->next = nullptr;
    e->node = nullptr;
    e->cookie = 0;
    e->hash = name_hash(name, length);
    e->length = u32(length);
    memcpy(e->name, name, length);
    return e;
}

/* Puts an entry at the end of the list, with the next cookie: a reader never sees it twice. */
void Directory::insert(Entry* e, Node* node)
{
    e->node = node;
    e->cookie = m_next_cookie++;
    e->next = nullptr;
    *m_tail = e;
    m_tail = &e->next;
    m_count++;
    if (node->is_directory())
        m_subdirectories++;
    touch(Times::Modified);
}

/* Takes an entry off the list and frees it; the node's link stays for the caller. */
Node* Directory::take(Entry* e)
{
    for (Entry** p = &m_first; *p; p = &(*p)->next) {
        if (*p != e)
            continue;
        *p = e->next;
        if (m_tail == &e->next)
            m_tail = p;
        Node* node = e->node;
        kfree(e);
        m_count--;
        if (node->is_directory())
            m_subdirectories--;
        touch(Times::Modified);
        return node;
    }
    panic("tmpfs: entry %p is not in directory %u", e, ino(-1));
}

/* Drops a link of a node whose name went; the last link and reference frees it. */
void drop_link(Node* node)
{
    node->get();
    node->unlink();
    touch_node(node);
    node->put();
}

ErrorOr<Vnode> Directory::create(const char* name, size_t length, const NewNode& what) const
{
    Directory* dir = self();
    Superblock& sb = m_sb;
    if (sb.inodes >= sb.max_inodes)
        return Error::from_errno(ENOSPC);
    Holder hold_dir(dir);
    Node* node = nullptr;
    switch (what.mode & S_IFMT) {
    case S_IFDIR: node = new (std::nothrow) Directory(sb, what.mode & 07777, dir, nullptr); break;
    case S_IFREG: node = new (std::nothrow) Regular(sb, what.mode); break;
    case S_IFLNK: node = Symlink::make(sb, what.target, what.target_length); break;
    default: return Error::from_errno(EINVAL);
    }
    if (!node)
        return Error::from_errno(ENOMEM);
    node->set_owner(what.uid, what.gid);
    Entry* e = make_entry(name, length);
    /* The allocations may have slept: the directory may be gone, the name taken. */
    int error = !e ? ENOMEM : !dir->linked() ? ENOENT : find(name, length) ? EEXIST : 0;
    if (error) {
        kfree(e);
        delete node;
        return Error::from_errno(error);
    }
    node->link();
    dir->insert(e, node);
    return Vnode { node, -1 };
}

ErrorOr<void> Directory::add_link(const char* name, size_t length, const Node& target) const
{
    Directory* dir = self();
    Node* node = const_cast<Node*>(&target);
    Holder hold_dir(dir), hold_node(node);
    Entry* e = make_entry(name, length);
    int error = !e ? ENOMEM : !dir->linked() || !node->linked() ? ENOENT
                          : find(name, length) ? EEXIST : 0;
    if (error) {
        kfree(e);
        return Error::from_errno(error);
    }
    node->link();
    touch_node(node);
    dir->insert(e, node);
    return {};
}

ErrorOr<void> Directory::remove(const char* name, size_t length) const
{
    Entry* e = find(name, length);
    if (!e)
        return Error::from_errno(ENOENT);
    drop_link(self()->take(e));
    return {};
}

ErrorOr<void> Directory::rename(const char* name, size_t length, const Node& to_node,
                                const char* to_name, size_t to_length) const
{
    Directory* from = self();
    /* Same st_dev: the path layer gave EXDEV otherwise; so the same mount's directory. */
    auto* to = static_cast<Directory*>(const_cast<Node*>(&to_node));
    Holder hold_from(from), hold_to(to);
    Entry* fresh = make_entry(to_name, to_length);
    if (!fresh)
        return Error::from_errno(ENOMEM);
    Entry* e = find(name, length);
    if (!e || !from->linked() || !to->linked()) {
        kfree(fresh);
        return Error::from_errno(ENOENT);
    }
    Node* node = e->node;
    /* A directory moved meanwhile may have put `to` below the one moving: a loop. */
    for (Directory* up = to; node->is_directory() && up; up = up->m_parent) {
        if (up == node) {
            kfree(fresh);
            return Error::from_errno(EINVAL);
        }
    }
    if (Entry* over = to->find(to_name, to_length)) {
        if (over->node == node) {
            kfree(fresh);
            return {};
        }
        if (over->node->is_directory() && !directory_empty(Vnode { over->node, -1 })) {
            kfree(fresh);
            return Error::from_errno(ENOTEMPTY);
        }
        drop_link(to->take(over));
    }
    Holder hold_node(node);
    from->take(e);
    to->insert(fresh, node);
    if (node->is_directory())
        static_cast<Directory*>(node)->reparent(to);
    touch_node(node);
    return {};
}

void Directory::reparent(Directory* parent)
{
    parent->get();
    m_parent->put();
    m_parent = parent;
}

/* Symlinks: the target in a block of their own, after the node. */

Symlink* Symlink::make(Superblock& sb, const char* target, size_t length)
{
    char* copy = static_cast<char*>(kmalloc(length, Gfp::Kernel));
    if (!copy)
        return nullptr;
    memcpy(copy, target, length);
    auto* link = new (std::nothrow) Symlink(sb, copy, length);
    if (!link)
        kfree(copy);
    return link;
}

Symlink::~Symlink()
{
    kfree(m_target);
}

ErrorOr<void> Symlink::link_target(int, LinkScratch&, const char*& target, size_t& length) const
{
    target = m_target;
    length = m_length;
    return {};
}

/* A mount's root: held by the mount for ever. */

} // namespace fs::tmpfs

namespace fs {

Node* tmpfs_mount(u32 dev, const Node* parent)
{
    /* Linux's defaults: half of RAM, and half as many inodes as RAM has pages. */
    u64 half = mm::managed_pages / 2;
    auto* sb = new tmpfs::Superblock { .dev = dev, .max_pages = half, .max_inodes = half };
    auto* root = new tmpfs::Directory(*sb, 01777, nullptr, parent);
    root->link();
    return root;
}

} // namespace fs
