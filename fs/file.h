/*
 * Open files. A File is an open file description (what open() creates and fork/dup
 * share): its operations, its offset and its flags. Results are byte counts, or an Error
 * (kernel/error.h).
 *
 * Buffers passed to File operations are kernel memory; the system-call layer copies to
 * and from user space.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/poll_events.h>
#include <kernel/types.h>
#include <kernel/userspace.h>

namespace mm { class ShmObject; }

namespace fs {

/* Linux's mode bits. */
constexpr u32 S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
              S_IFBLK = 0060000, S_IFDIR = 0040000, S_IFCHR = 0020000, S_IFIFO = 0010000;

/* Open flags (Linux i386). */
constexpr u32 O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100,
              O_EXCL = 0200, O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000,
              O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000,
              O_CLOEXEC = 02000000;

constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

struct Timestamp {
    u32 sec = 0;
    u32 nsec = 0;
};

struct FileStat {
    u32 dev;            /* major << 8 | minor */
    u32 ino;
    u32 mode;           /* type and permission bits */
    u32 nlink;
    u32 uid, gid;
    u32 rdev;
    u64 size;
    u32 mtime;
    /* Nodes that keep all three times (tmpfs) set them; the others give mtime for all. */
    bool has_times = false;
    Timestamp atime, mtime_full, ctime;
    i64 blocks = -1;    /* 512-byte blocks held; -1: as many as the size needs */
};

class File {
public:
    virtual ~File();

    /* At the current offset, which they advance. */
    virtual ErrorOr<size_t> read(void*, size_t) { return Error::from_errno(EINVAL); }
    virtual ErrorOr<size_t> write(const void*, size_t) { return Error::from_errno(EBADF); }
    /* Linux dirent64 records into buf; 0 at the end of the directory. */
    virtual ErrorOr<size_t> getdents64(void*, size_t) { return Error::from_errno(ENOTDIR); }

    /* The new offset. */
    virtual ErrorOr<i64> lseek(i64 offset, int whence);
    virtual ErrorOr<void> stat(FileStat& st) = 0;
    virtual ErrorOr<void> ioctl(u32, Userspace<void*>) { return Error::from_errno(ENOTTY); }

    /*
     * For demand paging and exec: fills one 4 KB page from byte `offset` of the file,
     * zero past its end. Returns the bytes that came from the file, or an error (EACCES
     * for files that cannot be mapped, such as devices).
     */
    virtual ErrorOr<size_t> read_page(u64, void*) { return Error::from_errno(EACCES); }

    /*
     * The poll events ready now (kernel/poll.h); with a table, also registers it on the
     * wait queues whose wake_up may change the answer. Files that never wait (regular
     * files, /dev/null) are always ready, as Linux's.
     */
    virtual u32 poll(PollTable*) { return DEFAULT_POLLMASK; }

    /*
     * A file whose data lives in a shared memory object (tmpfs's regular files) returns
     * it: MAP_SHARED of the file maps that object. No reference is given.
     */
    virtual mm::ShmObject* shm_object() { return nullptr; }

    /* Size for SEEK_END; 0 for files without one. */
    virtual u64 size() const { return 0; }

    /*
     * Files whose data is not reached through kernel buffers (tmpfs keeps it in a
     * ShmObject, which copies to and from user memory itself) say so and take the user's
     * buffer directly; the others are read and written through a kernel page.
     */
    virtual bool user_io() const { return false; }
    virtual ErrorOr<size_t> read_user(Userspace<void*>, size_t) { return Error::from_errno(EINVAL); }
    virtual ErrorOr<size_t> write_user(Userspace<const void*>, size_t)
    {
        return Error::from_errno(EBADF);
    }
    /* ftruncate: EINVAL for files that have no size to set. */
    virtual ErrorOr<void> truncate(u64) { return Error::from_errno(EINVAL); }
    /* The node behind the file, for the calls that change it (fchmod, fstatfs, fchdir). */
    virtual const class Node* node() const { return nullptr; }
    /*
     * The path it was opened by (fs::open), "" for others: /proc/PID/maps names mappings
     * by it, and fchdir and the *at calls join paths to a directory's.
     */
    const char* path() const { return m_path ? m_path : ""; }
    void set_path(const char* path);

    u32 flags() const { return m_flags; }
    void set_flags(u32 flags) { m_flags = flags; }
    i64 offset() const { return m_offset; }

    /* Shared by descriptors (dup, fork); freed when the last one closes. */
    void get() { m_refs++; }
    void put() { if (--m_refs == 0) delete this; }

protected:
    i64 m_offset = 0;
    u32 m_flags = 0;
    u32 m_refs = 1;
    char* m_path = nullptr;             /* kmalloc'ed */
};

/*
 * Opens an absolute, already joined path (the system-call layer prefixes the working
 * directory). Write access to the read-only root gives EROFS; O_CREAT of a missing file
 * too, where a writable directory (tmpfs) makes it with `create_mode` (umask applied).
 * On success a File with one reference.
 */
ErrorOr<File*> open(const char* path, u32 flags, u32 create_mode = 0644);
ErrorOr<void> stat(const char* path, FileStat& st, bool follow_symlinks);
/* The bytes of the link's target put in buf (at most n). */
ErrorOr<size_t> readlink(const char* path, char* buf, size_t n);
/* Whether path names a directory (for chdir): ENOENT, ENOTDIR. */
ErrorOr<void> check_directory(const char* path);

/*
 * The calls that change the tree, on absolute paths, with Linux's errors in Linux's order
 * (fs/namei.cpp). Modes have the umask applied already.
 */
ErrorOr<void> make_directory(const char* path, u32 mode);
ErrorOr<void> make_symlink(const char* target, size_t target_length, const char* path);
ErrorOr<void> make_link(const char* from, const char* to, bool follow);
ErrorOr<void> unlink(const char* path);
ErrorOr<void> remove_directory(const char* path);
ErrorOr<void> rename(const char* from, const char* to);
ErrorOr<void> truncate(const char* path, u64 size);

/* Mounts the cpio newc archive at [data, data + size) as the root (kernel addresses). */
void init(const void* initrd, size_t size);

} // namespace fs
