/*
 * The file layer's inside: every name resolves to a Node (the initrd's files and
 * directories, /dev's devices, /proc's entries). Nodes are never freed while the system
 * runs: the tree is built once at boot and the kernel's own nodes are made once, so a File
 * or a path walk can hold a Node pointer without counting references.
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

/* st_dev of the three file systems. */
constexpr u32 ROOT_DEV = makedev(0, 1);
constexpr u32 DEVFS_DEV = makedev(0, 5);
constexpr u32 PROC_DEV = makedev(0, 4);

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

    void set_owner(u32 uid, u32 gid) { m_uid = uid; m_gid = gid; }
    void set_mtime(u32 mtime) { m_mtime = mtime; }
    void set_mode(u32 mode) { m_mode = mode; }
    void set_rdev(u32 rdev) { m_rdev = rdev; }
    u32 rdev() const { return m_rdev; }

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
    explicit DirectoryFile(Vnode dir) : m_dir(dir) { }
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

enum class Follow : u8 { No, Yes };
/* The node a path names; relative paths start at the root too. */
ErrorOr<Vnode> resolve_path(const char* path, Follow follow);

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
