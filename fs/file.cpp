/* What all files and nodes share: seeking, stat, directories and getdents64. */
#include <fs/device.h>
#include <fs/node.h>
#include <kernel/string.h>
#include <mm/memory.h>

#include <new>

namespace fs {

File::~File()
{
    kfree(m_path);
}

/* Without memory the name is left out: it only labels the file in /proc. */
void File::set_path(const char* path)
{
    size_t n = strlen(path) + 1;
    kfree(m_path);
    if ((m_path = static_cast<char*>(kmalloc(n, Gfp::Kernel))))
        memcpy(m_path, path, n);
}

ErrorOr<i64> File::lseek(i64 offset, int whence)
{
    i64 base;
    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = m_offset; break;
    case SEEK_END: base = i64(size()); break;
    default: return Error::from_errno(EINVAL);
    }
    i64 position;
    if (__builtin_add_overflow(base, offset, &position) || position < 0)
        return Error::from_errno(EINVAL);
    m_offset = position;
    return position;
}

void Node::stat(int pid, FileStat& st) const
{
    st = FileStat { };
    st.dev = m_dev;
    st.ino = ino(pid);
    st.mode = m_mode;
    st.nlink = nlink();
    st.uid = m_uid;
    st.gid = m_gid;
    st.rdev = m_rdev;
    st.size = size();
    st.mtime = m_mtime;
}

ErrorOr<Vnode> Node::lookup(int, const char*, size_t) const { return Error::from_errno(ENOTDIR); }
bool Node::read_dir(int, u64, DirEntryInfo&) const { return false; }
ErrorOr<void> Node::link_target(int, LinkScratch&, const char*&, size_t&) const
{
    return Error::from_errno(EINVAL);
}
ErrorOr<File*> Node::open(int, u32) const { return Error::from_errno(ENXIO); }

ErrorOr<Vnode> Node::create(const char*, size_t, const NewNode&) const
{
    return Error::from_errno(EROFS);
}
ErrorOr<void> Node::add_link(const char*, size_t, const Node&) const { return Error::from_errno(EROFS); }
ErrorOr<void> Node::remove(const char*, size_t) const { return Error::from_errno(EROFS); }
ErrorOr<void> Node::rename(const char*, size_t, const Node&, const char*, size_t) const
{
    return Error::from_errno(EROFS);
}
ErrorOr<void> Node::change(const Attributes&) const { return Error::from_errno(EROFS); }
ErrorOr<void> Node::truncate(u64) const { return Error::from_errno(EROFS); }

/* The read-only trees, as Linux's statfs names them: the initrd is ramfs, /dev tmpfs. */
void Node::statfs(FsStats& out) const
{
    out = FsStats { };
    switch (m_dev) {
    case PROC_DEV: out.type = PROC_SUPER_MAGIC; break;
    case DEVFS_DEV: out.type = TMPFS_MAGIC; break;
    default: out.type = RAMFS_MAGIC; break;
    }
}

bool DirectoryNode::read_dir(int pid, u64 cursor, DirEntryInfo& out) const
{
    if (cursor == 0) {
        out.name = ".";
        out.name_length = 1;
        out.ino = ino(pid);
        out.type = dirent_type(S_IFDIR);
        out.next = 1;
        return true;
    }
    if (cursor == 1) {
        Vnode up = parent(pid);
        out.name = "..";
        out.name_length = 2;
        out.ino = up.node->ino(up.pid);
        out.type = dirent_type(S_IFDIR);
        out.next = 2;
        return true;
    }
    return read_child(pid, cursor, out);
}

ErrorOr<File*> DirectoryNode::open(int pid, u32) const
{
    File* file = new (std::nothrow) DirectoryFile(Vnode { this, pid });
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

ErrorOr<File*> DeviceNode::open(int, u32 flags) const
{
    switch (type()) {
    case S_IFCHR: return open_device(*this, DeviceType::Char, m_rdev, flags);
    case S_IFBLK: return open_device(*this, DeviceType::Block, m_rdev, flags);
    default: return Error::from_errno(ENXIO);   /* FIFOs and sockets: nothing behind them yet */
    }
}

ErrorOr<size_t> DirectoryFile::getdents64(void* buf, size_t n)
{
    /* A removed directory cannot be listed (Linux's IS_DEADDIR). */
    if (m_dir.node->writable() && !m_dir.node->linked())
        return Error::from_errno(ENOENT);
    u8* out = static_cast<u8*>(buf);
    size_t used = 0;
    u64 cursor = u64(m_offset);
    DirEntryInfo entry;
    while (m_dir.node->read_dir(m_dir.pid, cursor, entry)) {
        size_t reclen = dirent64_reclen(entry.name_length);
        if (reclen > n - used) {
            if (used == 0)
                return Error::from_errno(EINVAL);   /* not even one record fits: Linux's answer */
            break;
        }
        LinuxDirent64 header = {
            .d_ino = entry.ino, .d_off = i64(entry.next), .d_reclen = u16(reclen),
            .d_type = entry.type,
        };
        memcpy(out + used, &header, sizeof header);
        memcpy(out + used + DIRENT64_NAME_OFFSET, entry.name, entry.name_length);
        size_t name_end = DIRENT64_NAME_OFFSET + entry.name_length;
        memset(out + used + name_end, 0, reclen - name_end);
        used += reclen;
        cursor = entry.next;
    }
    m_offset = i64(cursor);
    return used;
}

/* Like Linux's dcache_dir_lseek: a cursor can be set or moved, but there is no end. */
ErrorOr<i64> DirectoryFile::lseek(i64 offset, int whence)
{
    i64 position;
    if (whence == SEEK_SET)
        position = offset;
    else if (whence != SEEK_CUR || __builtin_add_overflow(m_offset, offset, &position))
        return Error::from_errno(EINVAL);
    if (position < 0)
        return Error::from_errno(EINVAL);
    m_offset = position;
    return position;
}

DirectoryFile::~DirectoryFile()
{
    m_dir.node->put();
}

ErrorOr<void> DirectoryFile::stat(FileStat& st)
{
    m_dir.node->stat(m_dir.pid, st);
    return {};
}

} // namespace fs
