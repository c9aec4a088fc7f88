/*
 * tmpfs's node classes, shared by fs/tmpfs.cpp (directories, symlinks, the mount) and
 * fs/tmpfs_file.cpp (regular files and their open Files). Nothing outside tmpfs uses them.
 */
#pragma once

#include <fs/node.h>

namespace mm { class ShmObject; }

namespace fs::tmpfs {

class Regular;

/* One mount: its limits and what it holds. */
struct Superblock {
    u32 dev;
    u64 max_pages;              /* for the data of its files */
    u64 max_inodes;
    u64 inodes = 0;             /* nodes alive, the root included */
    u32 next_ino = 1;           /* the root is 1 */
    Regular* files = nullptr;   /* every regular file, for the pages they hold */

    u64 used_pages() const;
    void statfs(FsStats& out) const;
};

/* Realtime now (CLOCK_REALTIME), for the nodes' times. */
Timestamp current_time();

enum class Times : u8 { Accessed, Modified, Changed };

/* What every tmpfs node is, over the Node kind it is (a directory or not). */
template <typename Base>
class TmpNode : public Base {
public:
    TmpNode(Superblock& sb, u32 mode) : Base(mode, sb.dev, sb.next_ino++), m_sb(sb)
    {
        sb.inodes++;
        m_accessed = m_modified = m_changed = current_time();
        this->set_mtime(m_modified.sec);
    }
    ~TmpNode() override { m_sb.inodes--; }

    bool writable() const override { return true; }
    void get() const override { m_refs++; }
    void put() const override
    {
        if (--m_refs == 0 && !this->linked())
            delete this;
    }
    u32 nlink() const override { return this->m_links; }

    void stat(int pid, FileStat& st) const override
    {
        Base::stat(pid, st);
        st.has_times = true;
        st.atime = m_accessed;
        st.mtime_full = m_modified;
        st.ctime = m_changed;
        st.blocks = blocks();
    }

    /* Linux's setattr: what is asked, and the change time always. */
    ErrorOr<void> change(const Attributes& what) const override
    {
        auto* me = const_cast<TmpNode*>(this);
        if (what.set_mode)
            me->set_mode(this->type() | (what.mode & 07777));
        if (what.set_owner)
            me->set_owner(what.uid, what.gid);
        if (what.set_atime)
            m_accessed = what.atime;
        if (what.set_mtime) {
            m_modified = what.mtime;
            me->set_mtime(m_modified.sec);
        }
        m_changed = current_time();
        return {};
    }

    void statfs(FsStats& out) const override { m_sb.statfs(out); }

protected:
    void touch(Times which) const
    {
        Timestamp now = current_time();
        if (which == Times::Accessed) {
            m_accessed = now;
            return;
        }
        if (which == Times::Modified) {
            m_modified = now;
            const_cast<TmpNode*>(this)->set_mtime(now.sec);
        }
        m_changed = now;
    }
    /* Linux's relatime: reading sets atime only if it is older than the last change. */
    void touch_read() const
    {
        auto older = [](Timestamp a, Timestamp b) {
            return a.sec < b.sec || (a.sec == b.sec && a.nsec <= b.nsec);
        };
        if (older(m_accessed, m_modified) || older(m_accessed, m_changed))
            touch(Times::Accessed);
    }
    virtual i64 blocks() const { return 0; }

    Superblock& m_sb;
    mutable u32 m_refs = 0;
    mutable Timestamp m_accessed, m_modified, m_changed;
};

/* Holds a node across a call that may sleep (get now, put at the end of the scope). */
class Holder {
public:
    explicit Holder(const Node* node) : m_node(node) { m_node->get(); }
    ~Holder() { m_node->put(); }
    Holder(const Holder&) = delete;
private:
    const Node* m_node;
};

/* A change to a node that is not the caller's: its ctime (setattr with nothing to set). */
inline void touch_node(const Node* node)
{
    (void)node->change(Attributes { });
}

class Directory final : public TmpNode<DirectoryNode> {
    using Base = TmpNode<DirectoryNode>;
public:
    /* Below `parent` (held while this lives), or a mount's root below `mount_parent`. */
    Directory(Superblock& sb, u32 mode, Directory* parent, const Node* mount_parent);
    ~Directory() override;

    ErrorOr<Vnode> lookup(int pid, const char* name, size_t length) const override;
    Vnode parent(int pid) const override;
    u32 nlink() const override;
    u64 size() const override;

    ErrorOr<Vnode> create(const char* name, size_t length, const NewNode& what) const override;
    ErrorOr<void> add_link(const char* name, size_t length, const Node& target) const override;
    ErrorOr<void> remove(const char* name, size_t length) const override;
    ErrorOr<void> rename(const char* name, size_t length, const Node& to_dir,
                         const char* to_name, size_t to_length) const override;

protected:
    bool read_child(int pid, u64 cursor, DirEntryInfo& out) const override;

private:
    struct Entry {
        Entry* next;
        Node* node;
        u64 cookie;             /* its getdents64 cursor; grows with every name added */
        u32 hash;
        u32 length;
        char name[];            /* not NUL-terminated */
    };

    Directory* self() const { return const_cast<Directory*>(this); }
    Entry* find(const char* name, size_t length) const;
    static Entry* make_entry(const char* name, size_t length);
    void insert(Entry* e, Node* node);
    Node* take(Entry* e);
    void reparent(Directory* parent);

    Entry* m_first = nullptr;
    Entry** m_tail = &m_first;  /* where the next name goes: the last entry's next */
    u32 m_count = 0;
    u32 m_subdirectories = 0;
    u64 m_next_cookie = 2;      /* 0 and 1 are "." and ".." */
    Directory* m_parent;        /* null for the root */
    const Node* m_mount_parent; /* the root's ".." */
};

class Symlink final : public TmpNode<Node> {
public:
    /* Null without memory. */
    static Symlink* make(Superblock& sb, const char* target, size_t length);
    ~Symlink() override;
    u64 size() const override { return m_length; }
    ErrorOr<void> link_target(int pid, LinkScratch& scratch, const char*& target,
                              size_t& length) const override;

private:
    Symlink(Superblock& sb, char* target, size_t length)
        : TmpNode(sb, S_IFLNK | 0777), m_target(target), m_length(length) { }
    char* m_target;
    size_t m_length;
};

class Regular final : public TmpNode<Node> {
public:
    Regular(Superblock& sb, u32 mode);
    ~Regular() override;

    u64 size() const override;
    ErrorOr<File*> open(int pid, u32 flags) const override;
    ErrorOr<void> truncate(u64 size) const override;

    /* At `offset`, to and from user memory; both touch the times as Linux does. */
    ErrorOr<size_t> read(u64 offset, Userspace<void*> buf, size_t n) const;
    ErrorOr<size_t> write(u64 offset, Userspace<const void*> buf, size_t n) const;
    /* The same for kernel buffers (reading leaves atime alone). */
    ErrorOr<size_t> read_kernel(u64 offset, u8* out, size_t n) const;
    ErrorOr<size_t> write_kernel(u64 offset, const u8* in, size_t n) const;

    u64 pages() const;
    /* The data's object, made now if there is none yet (for MAP_SHARED). */
    ErrorOr<mm::ShmObject*> data_for_mapping() const;
    const Regular* next_file() const { return m_next; }

protected:
    i64 blocks() const override { return i64(pages() * 8); }

private:
    /* The data's object, made at the first write or truncate. */
    ErrorOr<mm::ShmObject*> object() const;
    template <typename Copy>
    ErrorOr<size_t> write_pages(u64 offset, size_t n, Copy copy) const;

    mutable mm::ShmObject* m_data = nullptr;
    Regular* m_next = nullptr;
    Regular* m_prev = nullptr;
};

} // namespace fs::tmpfs
