/*
 * The system calls that change the file tree (tmpfs is where it can change) and the ones
 * about the tree itself: mkdir, unlink, rename, link, symlink, chmod and chown, utimensat,
 * truncate, statfs, umask, fchdir and chroot. Linux's checks and their order are in
 * fs/namei.cpp; here paths and arguments come from user space.
 */
#include <fs/node.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <mm/memory.h>

/* Linux i386's struct statfs64 (packed to 4 bytes, 84 bytes). */
struct [[gnu::packed]] Statfs64 {
    u32 f_type;
    u32 f_bsize;
    u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    i32 f_fsid[2];
    u32 f_namelen;
    u32 f_frsize;
    u32 f_flags;
    u32 f_spare[4];
};
static_assert(sizeof(Statfs64) == 84);

namespace {

constexpr int AT_FDCWD = -100;
constexpr u32 AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
              AT_EMPTY_PATH = 0x1000;
constexpr u32 RENAME_NOREPLACE = 1;
constexpr u32 UTIME_NOW = (1u << 30) - 1, UTIME_OMIT = (1u << 30) - 2;
constexpr u32 ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_VALID = 0x20,
              ST_RELATIME = 0x1000;

fs::File* open_file(int fd)
{
    return fd >= 0 && fd < NR_OPEN ? current->files[fd] : nullptr;
}

/* fchmod, fchown, futimens: the node behind a descriptor (a pipe has none to change). */
ErrorOr<void> change_fd(int fd, const fs::Attributes& what)
{
    fs::File* f = open_file(fd);
    if (!f)
        return Error::from_errno(EBADF);
    const fs::Node* node = f->node();
    if (!node || !node->writable())
        return Error::from_errno(EROFS);
    return node->change(what);
}

ErrorOr<void> path_at(PathBuffer& path, int dirfd, Userspace<const char*> user_path)
{
    return path.from_user_at(dirfd, user_path);
}

ErrorOr<void> do_mkdir(int dirfd, Userspace<const char*> user_path, u32 mode)
{
    PathBuffer path;
    TRY(path_at(path, dirfd, user_path));
    if (path.last_dots())
        return Error::from_errno(EEXIST);
    return fs::make_directory(path.get(), mode & 01777 & ~current->umask);
}

ErrorOr<void> do_unlink(int dirfd, Userspace<const char*> user_path, bool directory)
{
    PathBuffer path;
    TRY(path_at(path, dirfd, user_path));
    /* Linux's answers for a last name of "." or "..". */
    if (path.last_dots())
        return Error::from_errno(!directory ? EISDIR : path.last_dots() == 1 ? EINVAL : ENOTEMPTY);
    return directory ? fs::remove_directory(path.get()) : fs::unlink(path.get());
}

ErrorOr<void> do_rename(int olddirfd, Userspace<const char*> oldpath, int newdirfd,
                        Userspace<const char*> newpath, u32 flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return Error::from_errno(EINVAL);
    PathBuffer from, to;
    TRY(path_at(from, olddirfd, oldpath));
    TRY(path_at(to, newdirfd, newpath));
    if (from.last_dots() || to.last_dots())
        return Error::from_errno(EBUSY);
    if (flags & RENAME_NOREPLACE) {
        fs::FileStat st;
        if (!fs::stat(to.get(), st, false).is_error())
            return Error::from_errno(EEXIST);
    }
    return fs::rename(from.get(), to.get());
}

ErrorOr<void> do_link(int olddirfd, Userspace<const char*> oldpath, int newdirfd,
                      Userspace<const char*> newpath, bool follow)
{
    PathBuffer from, to;
    TRY(path_at(from, olddirfd, oldpath));
    TRY(path_at(to, newdirfd, newpath));
    if (to.last_dots())
        return Error::from_errno(EEXIST);
    return fs::make_link(from.get(), to.get(), follow);
}

ErrorOr<void> do_symlink(Userspace<const char*> user_target, int dirfd, Userspace<const char*> user_path)
{
    /* The target is kept as written: not joined to any directory. */
    PathBuffer path;
    char* target = static_cast<char*>(kmalloc(fs::PATH_MAX, Gfp::Kernel));
    if (!target)
        return Error::from_errno(ENOMEM);
    ErrorOr<size_t> length = strncpy_from_user(target, user_target, fs::PATH_MAX);
    ErrorOr<void> result;
    if (length.is_error())
        result = length.error();
    else if (length.value() >= fs::PATH_MAX)
        result = Error::from_errno(ENAMETOOLONG);
    else if (length.value() == 0)
        result = Error::from_errno(ENOENT);
    else if (ErrorOr<void> got = path_at(path, dirfd, user_path); got.is_error())
        result = got.error();
    else if (path.last_dots())
        result = Error::from_errno(EEXIST);
    else
        result = fs::make_symlink(target, length.value(), path.get());
    kfree(target);
    return result;
}

/* Changes a node's attributes, by path (or by dirfd itself with AT_EMPTY_PATH). */
ErrorOr<void> change_at(int dirfd, Userspace<const char*> user_path, u32 flags,
                        const fs::Attributes& what)
{
    if (flags & AT_EMPTY_PATH) {
        char first;
        TRY(copy_from_user(first, user_path));
        if (!first)
            return change_fd(dirfd, what);
    }
    PathBuffer path;
    TRY(path_at(path, dirfd, user_path));
    return fs::change(path.get(), what, flags & AT_SYMLINK_NOFOLLOW ? fs::Follow::No : fs::Follow::Yes);
}

fs::Attributes mode_change(u32 mode)
{
    fs::Attributes what;
    what.set_mode = true;
    what.mode = mode & 07777;
    return what;
}

/* chown: -1 leaves an id as it is. */
fs::Attributes owner_change(const fs::FileStat& st, u32 uid, u32 gid)
{
    fs::Attributes what;
    what.set_owner = true;
    what.uid = uid == u32(-1) ? st.uid : uid;
    what.gid = gid == u32(-1) ? st.gid : gid;
    /* Linux clears set-user-ID (and set-group-ID with group execute) of a chowned file. */
    if ((st.mode & fs::S_IFMT) == fs::S_IFREG && (st.mode & 06000)) {
        what.set_mode = true;
        what.mode = st.mode & 07777 & ~04000u;
        if (st.mode & 010)
            what.mode &= ~02000u;
    }
    return what;
}


ErrorOr<void> put_statfs(const fs::Node* node, u32 size, Userspace<Statfs64*> buf)
{
    if (size != sizeof(Statfs64))
        return Error::from_errno(EINVAL);
    fs::FsStats st;
    Statfs64 out;
    memset(&out, 0, sizeof out);
    if (node) {
        node->statfs(st);
    } else {
        st = fs::FsStats { };
        st.type = 0x50495045;           /* PIPEFS_MAGIC: a pipe has no node */
    }
    out.f_type = st.type;
    out.f_bsize = out.f_frsize = PAGE_SIZE;
    out.f_blocks = st.blocks;
    out.f_bfree = out.f_bavail = st.free_blocks;
    out.f_files = st.files;
    out.f_ffree = st.free_files;
    out.f_namelen = fs::NAME_MAX;
    out.f_flags = ST_VALID;
    if (node && !node->writable() && st.type != fs::PROC_SUPER_MAGIC)
        out.f_flags |= ST_RDONLY;
    if (node && node->writable())
        out.f_flags |= ST_NOSUID | ST_NODEV | ST_RELATIME;
    if (st.type == fs::PROC_SUPER_MAGIC)
        out.f_flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
    return copy_to_user(buf, out);
}

} // namespace

ErrorOr<void> sys_mkdir(Userspace<const char*> path, u32 mode)
{
    return do_mkdir(AT_FDCWD, path, mode);
}

ErrorOr<void> sys_mkdirat(int dirfd, Userspace<const char*> path, u32 mode)
{
    return do_mkdir(dirfd, path, mode);
}

ErrorOr<void> sys_rmdir(Userspace<const char*> path)
{
    return do_unlink(AT_FDCWD, path, true);
}

ErrorOr<void> sys_unlink(Userspace<const char*> path)
{
    return do_unlink(AT_FDCWD, path, false);
}

ErrorOr<void> sys_unlinkat(int dirfd, Userspace<const char*> path, u32 flags)
{
    if (flags & ~AT_REMOVEDIR)
        return Error::from_errno(EINVAL);
    return do_unlink(dirfd, path, flags & AT_REMOVEDIR);
}

ErrorOr<void> sys_rename(Userspace<const char*> from, Userspace<const char*> to)
{
    return do_rename(AT_FDCWD, from, AT_FDCWD, to, 0);
}

ErrorOr<void> sys_renameat(int olddirfd, Userspace<const char*> from, int newdirfd,
                           Userspace<const char*> to)
{
    return do_rename(olddirfd, from, newdirfd, to, 0);
}

ErrorOr<void> sys_renameat2(int olddirfd, Userspace<const char*> from, int newdirfd,
                            Userspace<const char*> to, u32 flags)
{
    return do_rename(olddirfd, from, newdirfd, to, flags);
}

/* link(2) does not follow a symlink at the end of the old path; linkat does when asked. */
ErrorOr<void> sys_link(Userspace<const char*> from, Userspace<const char*> to)
{
    return do_link(AT_FDCWD, from, AT_FDCWD, to, false);
}

ErrorOr<void> sys_linkat(int olddirfd, Userspace<const char*> from, int newdirfd,
                         Userspace<const char*> to, u32 flags)
{
    if (flags & ~AT_SYMLINK_FOLLOW)
        return Error::from_errno(EINVAL);
    return do_link(olddirfd, from, newdirfd, to, flags & AT_SYMLINK_FOLLOW);
}

ErrorOr<void> sys_symlink(Userspace<const char*> target, Userspace<const char*> path)
{
    return do_symlink(target, AT_FDCWD, path);
}

ErrorOr<void> sys_symlinkat(Userspace<const char*> target, int dirfd, Userspace<const char*> path)
{
    return do_symlink(target, dirfd, path);
}

ErrorOr<void> sys_chmod(Userspace<const char*> path, u32 mode)
{
    return change_at(AT_FDCWD, path, 0, mode_change(mode));
}

ErrorOr<void> sys_fchmod(int fd, u32 mode)
{
    return change_fd(fd, mode_change(mode));
}

ErrorOr<void> sys_fchmodat(int dirfd, Userspace<const char*> path, u32 mode)
{
    return change_at(dirfd, path, 0, mode_change(mode));
}

/* Every caller is root (uid 0), who may give a file to anyone, as on Linux. */
ErrorOr<void> sys_fchownat(int dirfd, Userspace<const char*> user_path, u32 uid, u32 gid, u32 flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return Error::from_errno(EINVAL);
    fs::FileStat st;
    if (flags & AT_EMPTY_PATH) {
        char first;
        TRY(copy_from_user(first, user_path));
        if (!first) {
            fs::File* f = open_file(dirfd);
            if (!f)
                return Error::from_errno(EBADF);
            TRY(f->stat(st));
            return change_fd(dirfd, owner_change(st, uid, gid));
        }
    }
    PathBuffer path;
    TRY(path_at(path, dirfd, user_path));
    TRY(fs::stat(path.get(), st, !(flags & AT_SYMLINK_NOFOLLOW)));
    return fs::change(path.get(), owner_change(st, uid, gid),
                      flags & AT_SYMLINK_NOFOLLOW ? fs::Follow::No : fs::Follow::Yes);
}

ErrorOr<void> sys_chown32(Userspace<const char*> path, u32 uid, u32 gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, 0);
}

ErrorOr<void> sys_lchown32(Userspace<const char*> path, u32 uid, u32 gid)
{
    return sys_fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

ErrorOr<void> sys_fchown32(int fd, u32 uid, u32 gid)
{
    fs::File* f = open_file(fd);
    if (!f)
        return Error::from_errno(EBADF);
    fs::FileStat st;
    TRY(f->stat(st));
    return change_fd(fd, owner_change(st, uid, gid));
}

/* Linux's struct timespec (32-bit) as utimensat takes it. */
struct UserTimespec {
    i32 sec, nsec;
};

ErrorOr<void> sys_utimensat(int dirfd, Userspace<const char*> user_path,
                            Userspace<const UserTimespec*> user_times, u32 flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return Error::from_errno(EINVAL);
    fs::Attributes what;
    UserTimespec times[2];
    if (user_times.is_null()) {
        times[0] = times[1] = { 0, i32(UTIME_NOW) };
    } else {
        TRY(copy_from_user(times, user_times, sizeof times));
    }
    Timespec now = clock_now(CLOCK_REALTIME);
    const i32 sec = now.sec, nsec = now.nsec;
    for (int i = 0; i < 2; i++) {
        u32 n = u32(times[i].nsec);
        if (n == UTIME_OMIT)
            continue;
        if (n != UTIME_NOW && n >= 1000000000u)
            return Error::from_errno(EINVAL);
        fs::Timestamp t = n == UTIME_NOW ? fs::Timestamp { u32(sec), u32(nsec) }
                                         : fs::Timestamp { u32(times[i].sec), n };
        (i == 0 ? what.atime : what.mtime) = t;
        (i == 0 ? what.set_atime : what.set_mtime) = true;
    }
    if (!what.set_atime && !what.set_mtime)
        return {};                      /* both UTIME_OMIT: nothing at all changes */
    /* A null path (Linux's extension, futimens) means dirfd itself; AT_FDCWD has no file. */
    if (user_path.is_null())
        return dirfd == AT_FDCWD ? Error::from_errno(EFAULT) : change_fd(dirfd, what);
    return change_at(dirfd, user_path, flags, what);
}

ErrorOr<void> sys_truncate64(Userspace<const char*> user_path, u32 low, u32 high)
{
    i64 size = i64((u64(high) << 32) | low);
    if (size < 0)
        return Error::from_errno(EINVAL);
    PathBuffer path;
    TRY(path.from_user(user_path));
    return fs::truncate(path.get(), u64(size));
}

ErrorOr<void> sys_ftruncate64(int fd, u32 low, u32 high)
{
    i64 size = i64((u64(high) << 32) | low);
    fs::File* f = open_file(fd);
    if (!f)
        return Error::from_errno(EBADF);
    if (size < 0 || (f->flags() & fs::O_ACCMODE) == fs::O_RDONLY)
        return Error::from_errno(EINVAL);
    const fs::Node* node = f->node();
    if (node && node->is_directory())
        return Error::from_errno(EISDIR);
    return f->truncate(u64(size));
}

ErrorOr<void> sys_truncate(Userspace<const char*> path, i32 size)
{
    return sys_truncate64(path, u32(size), size < 0 ? ~0u : 0);
}

ErrorOr<void> sys_ftruncate(int fd, i32 size)
{
    return sys_ftruncate64(fd, u32(size), size < 0 ? ~0u : 0);
}

ErrorOr<void> sys_statfs64(Userspace<const char*> user_path, u32 size, Userspace<Statfs64*> buf)
{
    PathBuffer path;
    TRY(path.from_user(user_path));
    fs::Vnode node = TRY(fs::resolve_path(path.get(), fs::Follow::Yes));
    return put_statfs(node.node, size, buf);
}

ErrorOr<void> sys_fstatfs64(int fd, u32 size, Userspace<Statfs64*> buf)
{
    fs::File* f = open_file(fd);
    if (!f)
        return Error::from_errno(EBADF);
    return put_statfs(f->node(), size, buf);
}

long sys_umask(u32 mask)
{
    u32 old = current->umask;
    current->umask = mask & 0777;
    return long(old);
}

ErrorOr<void> sys_fchdir(int fd)
{
    fs::File* f = open_file(fd);
    if (!f)
        return Error::from_errno(EBADF);
    if (!f->node() || !f->node()->is_directory() || !*f->path())
        return Error::from_errno(ENOTDIR);
    size_t len = strlen(f->path());
    while (len > 1 && f->path()[len - 1] == '/')
        len--;
    if (len >= CWD_MAX)
        return Error::from_errno(ENAMETOOLONG);
    memcpy(current->cwd, f->path(), len);
    current->cwd[len] = '\0';
    return {};
}

/*
 * The caller's paths start at the directory from now on (its children's too); the
 * working directory is left as it is, as Linux does, and is seen from the new root.
 */
ErrorOr<void> sys_chroot(Userspace<const char*> user_path)
{
    PathBuffer path;
    TRY(path.from_user(user_path));
    fs::Vnode dir = TRY(fs::resolve_path(path.get(), fs::Follow::Yes));
    if (!dir.node->is_directory())
        return Error::from_errno(ENOTDIR);
    dir.node->get();
    if (current->root)
        current->root->put();
    current->root = dir.node == fs::root_node ? nullptr : dir.node;
    if (!current->root)
        dir.node->put();
    return {};
}

namespace {

const fs::Node* task_root()
{
    return current ? current->root : nullptr;
}

/* Before the first path walk of any process: paths start at the caller's root. */
[[gnu::constructor]] void install_root_source()
{
    fs::set_root_source(task_root);
}

} // namespace
