/*
 * The file layer's inside: every name resolves to a Node (the initrd's files and
 * directories, /dev's devices, /proc's entries, tmpfs's files). The read-only trees'
 * nodes are never freed while the system runs: the initrd's tree is built once at boot and
 * the kernel's own nodes are made once. tmpfs's nodes come and go: each counts the names
 * that lead to it and the holders (open Files, a subdirectory's parent pointer) that
 * took a reference with get(), and frees itself when both reach 0. A path walk holds
 * pointers without references: nothing it does can sleep or free a node (one CPU, no
 * preemption in the kernel).
 *
 * /proc/PID/... exists once per process but is one Node for all of them: a Vnode pairs
 * the Node with the pid it is looked at for, and every operation takes that pid.
 */
#pragma once

#include <fs/file.h>

namespace fs {

constexpr size_t PATH_MAX = 4096;       /* with its NUL */
constexpr size_t NAME_MAX = 255;
constexpr int MAX_SYMLINK_HOPS = 8;     /* symlinks followed in one path walk */

/* Device numbers as Linux encodes them for stat (new_encode_dev). */
constexpr u32 makedev(u32 major, u32 minor)
{
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}
constexpr u32 dev_major(u32 dev) { return (dev >> 8) & 0xfff; }
constexpr u32 dev_minor(u32 dev) { return (dev & 0xff) | ((dev >> 12) & 0xfff00); }

/* st_dev of the file systems. */
constexpr u32 ROOT_DEV = makedev(0, 1);
constexpr u32 DEVFS_DEV = makedev(0, 5);
constexpr u32 PROC_DEV = makedev(0, 4);
constexpr u32 TMP_DEV = makedev(0, 22);         /* tmpfs at /tmp */
constexpr u32 SHM_DEV = makedev(0, 23);         /* tmpfs at /dev/shm */

/* f_type of statfs, Linux's magic numbers. */
constexpr u32 RAMFS_MAGIC = 0x858458f6, TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0;

/* What statfs tells of a file system; counts in 4096-byte blocks. */
struct FsStats {
    u32 type;
    u64 blocks, free_blocks;
    u64 files, free_files;
};

/* What a new node in a changeable directory is. */
struct NewNode {
    u32 mode;                   /* type and permission bits, umask applied */
    u32 uid, gid;
    const char* target;         /* symlinks: the target, not NUL-terminated */
    size_t target_length;
};

/* chmod, chown and utimensat: the attributes to change, each with its flag. */
struct Attributes {
    bool set_mode = false, set_owner = false, set_atime = false, set_mtime = false;
    u32 mode = 0;               /* permission bits only */
    u32 uid = 0, gid = 0;
    Timestamp atime, mtime;
};

/* d_type of linux_dirent64: the file type bits of the mode, shifted down. */
constexpr u8 dirent_type(u32 mode) { return u8((mode & S_IFMT) >> 12); }

class Node;

struct Vnode {
    const Node* node = nullptr;
    int pid = -1;               /* for /proc/PID nodes; -1 elsewhere */
};

/* One directory entry, as read_dir hands it out. */
struct DirEntryInfo {
    const char* name;
    size_t name_length;
    u64 ino;
    u8 type;
    u64 next;                   /* the cursor of the entry after this one */
    char scratch[16];           /* for names made up on the spot (pids) */
};

/* Room for a symlink target that has to be generated (/proc/self). */
struct LinkScratch {
    char text[16];
};

class Node {
public:
    Node(u32 mode, u32 dev, u32 ino) : m_mode(mode), m_dev(dev), m_ino(ino) { }
    virtual ~Node() = default;

    u32 mode() const { return m_mode; }
    u32 type() const { return m_mode & S_IFMT; }
    bool is_directory() const { return type() == S_IFDIR; }
    bool is_symlink() const { return type() == S_IFLNK; }
    bool is_regular() const { return type() == S_IFREG; }

    virtual u32 ino(int pid) const { (void)pid; return m_ino; }
    virtual u64 size() const { return 0; }
    virtual u32 nlink() const { return m_links ? m_links : 1; }
    virtual void stat(int pid, FileStat& st) const;

    /* Directories. `name` is not NUL-terminated; it is never "." or "..". */
    virtual ErrorOr<Vnode> lookup(int pid, const char* name, size_t length) const;
    virtual Vnode parent(int pid) const { return { this, pid }; }
    /* The entry at `cursor`, or the first after it; false at the end. */
    virtual bool read_dir(int pid, u64 cursor, DirEntryInfo& out) const;

    /* Symlinks: the target (not NUL-terminated), perhaps written into scratch. */
    virtual ErrorOr<void> link_target(int pid, LinkScratch& scratch, const char*& target,
                                      size_t& length) const;

    /*
     * A File for this node. The caller has checked what is common to all (O_DIRECTORY,
     * symlinks, directories opened for writing); the node checks the rest.
     */
    virtual ErrorOr<File*> open(int pid, u32 flags) const;

    /*
     * Changing the tree. Read-only trees (initrd, /dev, /proc) are not writable and keep
     * the defaults, which refuse with EROFS; the path layer (namei.cpp) has done Linux's
     * checks before it calls these (existence, types, emptiness, EXDEV), in Linux's order.
     * Names are not NUL-terminated and never "." or "..".
     */
    virtual bool writable() const { return false; }
    virtual void get() const { }
    virtual void put() const { }
    /* In a directory: a new node at a name that is free. */
    virtual ErrorOr<Vnode> create(const char* name, size_t length, const NewNode& what) const;
    /* In a directory: another name for `target`, a non-directory of the same file system. */
    virtual ErrorOr<void> add_link(const char* name, size_t length, const Node& target) const;
    /* In a directory: drops the name (a directory there is empty). */
    virtual ErrorOr<void> remove(const char* name, size_t length) const;
    /* In a directory: moves the name to `to_dir` (same file system), over what is there. */
    virtual ErrorOr<void> rename(const char* name, size_t length, const Node& to_dir,
                                 const char* to_name, size_t to_length) const;
    virtual ErrorOr<void> change(const Attributes& what) const;
    /* Regular files. */
    virtual ErrorOr<void> truncate(u64 size) const;
    /* The numbers of the file system the node is in. */
    virtual void statfs(FsStats& out) const;

    void set_owner(u32 uid, u32 gid) { m_uid = uid; m_gid = gid; }
    void set_mtime(u32 mtime) { m_mtime = mtime; }
    void set_mode(u32 mode) { m_mode = mode; }
    void set_rdev(u32 rdev) { m_rdev = rdev; }
    u32 rdev() const { return m_rdev; }
    u32 dev() const { return m_dev; }

    /* Names in the initrd tree that lead here (hard links); the tree frees at 0. */
    void link() { m_links++; }
    bool unlink() { return --m_links == 0; }
    bool linked() const { return m_links != 0; }

protected:
    u32 m_mode;
    u32 m_dev;
    u32 m_ino;
    u32 m_uid = 0, m_gid = 0;
    u32 m_mtime = 0;
    u32 m_rdev = 0;
    u32 m_links = 0;
};

/*
 * A directory: "." and ".." come first (cursors 0 and 1); read_child lists the rest from
 * cursor 2 on, with cursors of its own choosing.
 */
class DirectoryNode : public Node {
public:
    DirectoryNode(u32 permissions, u32 dev, u32 ino) : Node(S_IFDIR | permissions, dev, ino) { }

    u32 nlink() const override { return 2; }       /* its name and its "." */
    bool read_dir(int pid, u64 cursor, DirEntryInfo& out) const final;
    ErrorOr<File*> open(int pid, u32 flags) const override;

protected:
    virtual bool read_child(int pid, u64 cursor, DirEntryInfo& out) const = 0;
};

/* A device special file: opening it opens the driver registered for its number. */
class DeviceNode : public Node {
public:
    DeviceNode(u32 mode, u32 dev, u32 ino, u32 rdev) : Node(mode, dev, ino) { m_rdev = rdev; }
    ErrorOr<File*> open(int pid, u32 flags) const override;
};

/* An open directory: getdents64 walks read_dir; the offset is the cursor. */
class DirectoryFile final : public File {
public:
    explicit DirectoryFile(Vnode dir) : m_dir(dir) { m_dir.node->get(); }
    ~DirectoryFile() override;
    const Node* node() const override { return m_dir.node; }
    ErrorOr<size_t> read(void*, size_t) override { return Error::from_errno(EISDIR); }
    ErrorOr<size_t> getdents64(void* buf, size_t n) override;
    ErrorOr<i64> lseek(i64 offset, int whence) override;
    ErrorOr<void> stat(FileStat& st) override;

private:
    Vnode m_dir;
};

/* The root directory, once mounted. */
extern const Node* root_node;
void set_root(const Node* root);
/* Where the caller's paths start (its chroot directory), or null for root_node. */
void set_root_source(const Node* (*source)());

enum class Follow : u8 { No, Yes };
/* The node a path names; relative paths start at the root too. */
ErrorOr<Vnode> resolve_path(const char* path, Follow follow);

/* Whether a directory holds nothing but "." and "..". */
bool directory_empty(Vnode dir);

/* chmod, chown, utimensat and statfs by path. */
ErrorOr<void> change(const char* path, const Attributes& what, Follow follow);
ErrorOr<void> statfs(const char* path, FsStats& out);

/* Linux's struct linux_dirent64, without its name (which follows at byte 19). */
struct LinuxDirent64 {
    u64 d_ino;
    i64 d_off;
    u16 d_reclen;
    u8 d_type;
} __packed;
constexpr size_t DIRENT64_NAME_OFFSET = sizeof(LinuxDirent64);
static_assert(DIRENT64_NAME_OFFSET == 19);

/* Bytes a record for a name of `length` takes: header, name, NUL, aligned to 8. */
constexpr size_t dirent64_reclen(size_t length)
{
    return (DIRENT64_NAME_OFFSET + length + 1 + 7) & ~size_t(7);
}

} // namespace fs
