/* File system calls: descriptors over fs::File, paths joined to the working directory. */
#include <fs/node.h>
#include <kernel/error.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/page_holder.h>

namespace {

constexpr u32 PATH_MAX = 4096;
constexpr int AT_FDCWD = -100;
constexpr u32 AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;
constexpr u32 FD_CLOEXEC = 1;
constexpr int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
/* Transfers go through a kernel page: the file layer works on kernel buffers. */
constexpr size_t chunk = PAGE_SIZE;

fs::File* file_of(int fd)
{
    return fd >= 0 && fd < NR_OPEN ? current->files[fd] : nullptr;
}

/* The lowest free descriptor from `lowest` on, now holding f (whose reference it takes). */
ErrorOr<int> install_fd(fs::File* f, int lowest, bool cloexec)
{
    for (int fd = lowest; fd < NR_OPEN; fd++)
        if (!current->files[fd]) {
            current->files[fd] = f;
            if (cloexec)
                current->close_on_exec |= u64(1) << fd;
            else
                current->close_on_exec &= ~(u64(1) << fd);
            return fd;
        }
    return Error::from_errno(EMFILE);
}

/* Joins a path onto a directory (base) and removes ".", ".." and repeated slashes. */
ErrorOr<void> make_absolute(const char* path, const char* base, char* out)
{
    size_t path_len = strlen(path);
    bool trailing_slash = path_len > 1 && path[path_len - 1] == '/';
    size_t n = 0;
    auto append = [&](const char* part, size_t len) {
        for (size_t i = 0; i < len; i++) {
            if (n + 1 >= PATH_MAX)
                return false;
            out[n++] = part[i];
        }
        return true;
    };
    if (path[0] != '/' && !append(base, strlen(base)))
        return Error::from_errno(ENAMETOOLONG);
    if (!append("/", 1) || !append(path, path_len))
        return Error::from_errno(ENAMETOOLONG);
    out[n] = '\0';
    /* Collapse in place: w writes, r reads; ".." pops back to the previous slash. */
    size_t w = 0;
    for (size_t r = 0; r < n;) {
        while (r < n && out[r] == '/')
            r++;
        size_t start = r;
        while (r < n && out[r] != '/')
            r++;
        size_t len = r - start;
        if (len == 0 || (len == 1 && out[start] == '.'))
            continue;
        if (len == 2 && out[start] == '.' && out[start + 1] == '.') {
            while (w > 0 && out[w - 1] != '/')
                w--;
            if (w > 0)
                w--;
            continue;
        }
        out[w++] = '/';
        for (size_t i = 0; i < len; i++)
            out[w++] = out[start + i];
    }
    if (w == 0)
        out[w++] = '/';
    /* A trailing slash means "a directory": keep it for the file layer to check. */
    if (trailing_slash && w > 1)
        out[w++] = '/';
    out[w] = '\0';
    return {};
}

/* 1 if a path's last name is ".", 2 if "..", 0 otherwise; trailing slashes do not count. */
int last_dots_of(const char* path)
{
    size_t end = strlen(path);
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    size_t length = end - start;
    if (length == 0 || length > 2 || path[start] != '.' || (length == 2 && path[start + 1] != '.'))
        return 0;
    return int(length);
}

} // namespace

/* Linux i386's struct stat64. */
struct [[gnu::packed]] Stat64 {
    u64 st_dev;
    u8 pad0[4];
    u32 st_ino_short;
    u32 st_mode;
    u32 st_nlink;
    u32 st_uid, st_gid;
    u64 st_rdev;
    u8 pad3[4];
    i64 st_size;
    u32 st_blksize;
    u64 st_blocks;
    u32 st_atime, st_atime_nsec;
    u32 st_mtime, st_mtime_nsec;
    u32 st_ctime, st_ctime_nsec;
    u64 st_ino;
};
static_assert(sizeof(Stat64) == 96);

/* Linux's struct iovec. */
struct IoVec {
    u32 base;
    u32 length;
};

namespace {

ErrorOr<void> put_stat(Userspace<Stat64*> to, const fs::FileStat& st)
{
    Stat64 s;
    memset(&s, 0, sizeof s);
    s.st_dev = st.dev;
    s.st_ino_short = st.ino;
    s.st_ino = st.ino;
    s.st_mode = st.mode;
    s.st_nlink = st.nlink;
    s.st_uid = st.uid;
    s.st_gid = st.gid;
    s.st_rdev = st.rdev;
    s.st_size = i64(st.size);
    s.st_blksize = PAGE_SIZE;
    s.st_blocks = st.blocks >= 0 ? u64(st.blocks) : (st.size + 511) / 512;
    s.st_atime = s.st_mtime = s.st_ctime = st.mtime;
    if (st.has_times) {
        s.st_atime = st.atime.sec;
        s.st_atime_nsec = st.atime.nsec;
        s.st_mtime = st.mtime_full.sec;
        s.st_mtime_nsec = st.mtime_full.nsec;
        s.st_ctime = st.ctime.sec;
        s.st_ctime_nsec = st.ctime.nsec;
    }
    return copy_to_user(to, s);
}

/* A page to pass data through between a user buffer and a file, freed when the call ends. */
mm::PageHolder kernel_page()
{
    return mm::PageHolder(__get_free_page(Gfp::Kernel));
}

ErrorOr<int> do_open(int dirfd, Userspace<const char*> path_addr, u32 flags, u32 mode)
{
    PathBuffer path;
    TRY(path.from_user_at(dirfd, path_addr));
    fs::File* f = TRY(fs::open(path.get(), flags, mode & 07777 & ~current->umask));
    /* A directory's path is what fchdir and the *at calls go by: no memory for it, no file. */
    if (f->node() && f->node()->is_directory() && !*f->path()) {
        f->put();
        return Error::from_errno(ENOMEM);
    }
    ErrorOr<int> fd = install_fd(f, 0, flags & fs::O_CLOEXEC);
    if (fd.is_error())
        f->put();
    return fd;
}

ErrorOr<void> do_stat(int dirfd, Userspace<const char*> path_addr, Userspace<Stat64*> buf,
                      bool follow)
{
    PathBuffer path;
    TRY(path.from_user_at(dirfd, path_addr));
    fs::FileStat st;
    TRY(fs::stat(path.get(), st, follow));
    return put_stat(buf, st);
}


} // namespace

PathBuffer::~PathBuffer()
{
    kfree(m_path);
}

ErrorOr<void> PathBuffer::from_user(Userspace<const char*> path)
{
    return from_user_at(AT_FDCWD, path);
}

/* A directory descriptor's path is the one it was opened by (File::path). */
ErrorOr<void> PathBuffer::from_user_at(int dirfd, Userspace<const char*> path)
{
    const char* base = current->cwd;
    if (dirfd != AT_FDCWD) {
        char first;
        TRY(copy_from_user(first, path));
        if (first && first != '/') {           /* an empty path is ENOENT, below */
            fs::File* dir = file_of(dirfd);
            if (!dir)
                return Error::from_errno(EBADF);
            if (!dir->node() || !dir->node()->is_directory() || !*dir->path())
                return Error::from_errno(ENOTDIR);
            base = dir->path();
        }
    }
    char* raw = static_cast<char*>(kmalloc(PATH_MAX, Gfp::Kernel));
    m_path = static_cast<char*>(kmalloc(PATH_MAX, Gfp::Kernel));
    ErrorOr<void> result;
    if (!raw || !m_path) {
        result = Error::from_errno(ENOMEM);
    } else {
        ErrorOr<size_t> len = strncpy_from_user(raw, path, PATH_MAX);
        if (len.is_error())
            result = len.error();
        else if (len.value() == 0)
            result = Error::from_errno(ENOENT);
        else
            result = make_absolute(raw, base, m_path);
        if (!result.is_error())
            m_last_dots = last_dots_of(raw);
    }
    kfree(raw);
    return result;
}

void open_console_for_init()
{
    ErrorOr<fs::File*> opened = fs::open("/dev/console", fs::O_RDWR);
    if (opened.is_error())
        return;                         /* init runs without; its output goes nowhere */
    fs::File* console = opened.value();
    current->files[0] = console;
    for (int fd = 1; fd <= 2; fd++) {
        console->get();
        current->files[fd] = console;
    }
}

ErrorOr<size_t> sys_read(int fd, Userspace<void*> buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f || (f->flags() & fs::O_ACCMODE) == fs::O_WRONLY)
        return Error::from_errno(EBADF);
    if (!user_range_ok(buf, count))
        return Error::from_errno(EFAULT);
    if (f->user_io())
        return f->read_user(buf, count);
    mm::PageHolder page = kernel_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    size_t total = 0;
    while (total < count) {
        size_t want = count - total < chunk ? count - total : chunk;
        ErrorOr<size_t> got = f->read(page.as_ptr<char>(), want);
        if (got.is_error())
            return bytes_or_error(total, got.error());
        TRY(copy_to_user(buf.offset(u32(total)), page.as_ptr<char>(), got.value()));
        total += got.value();
        if (got.value() < want)
            break;                      /* a short read (terminal line, pipe, end of file) */
    }
    return total;
}

ErrorOr<size_t> sys_write(int fd, Userspace<const void*> buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f || (f->flags() & fs::O_ACCMODE) == fs::O_RDONLY)
        return Error::from_errno(EBADF);
    if (!user_range_ok(buf, count))
        return Error::from_errno(EFAULT);
    if (f->user_io())
        return f->write_user(buf, count);
    mm::PageHolder page = kernel_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    size_t total = 0;
    while (total < count) {
        size_t n = count - total < chunk ? count - total : chunk;
        if (ErrorOr<void> copied = copy_from_user(page.as_ptr<char>(), buf.offset(u32(total)), n);
            copied.is_error())
            return bytes_or_error(total, copied.error());
        ErrorOr<size_t> put = f->write(page.as_ptr<char>(), n);
        if (put.is_error())
            return bytes_or_error(total, put.error());
        total += put.value();
        if (put.value() < n)
            break;
    }
    return total;
}

/* readv/writev: one transfer per iovec, stopping at the first short one. */
template <typename Buffer>
ErrorOr<size_t> transfer_vector(ErrorOr<size_t> (*transfer)(int, Buffer, u32), int fd,
                                Userspace<const IoVec*> iov, int iovcnt)
{
    if (iovcnt < 0 || iovcnt > 1024)
        return Error::from_errno(EINVAL);
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        IoVec vec;
        TRY(copy_from_user(vec, iov.element(u32(i))));
        if (!vec.length)
            continue;
        /* The buffer's address is the user's, read from the user's array. */
        ErrorOr<size_t> n = transfer(fd, Buffer(vec.base), vec.length);
        if (n.is_error())
            return bytes_or_error(total, n.error());
        total += n.value();
        if (n.value() < vec.length)
            break;
    }
    return total;
}

ErrorOr<size_t> sys_writev(int fd, Userspace<const IoVec*> iov, int iovcnt)
{
    return transfer_vector(sys_write, fd, iov, iovcnt);
}

ErrorOr<size_t> sys_readv(int fd, Userspace<const IoVec*> iov, int iovcnt)
{
    return transfer_vector(sys_read, fd, iov, iovcnt);
}

ErrorOr<int> sys_open(Userspace<const char*> path, u32 flags, u32 mode)
{
    return do_open(AT_FDCWD, path, flags, mode);
}

ErrorOr<int> sys_openat(int dirfd, Userspace<const char*> path, u32 flags, u32 mode)
{
    return do_open(dirfd, path, flags, mode);
}

ErrorOr<void> sys_close(int fd)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    current->files[fd] = nullptr;
    current->close_on_exec &= ~(u64(1) << fd);
    f->put();
    return {};
}

ErrorOr<long> sys_lseek(int fd, i32 offset, int whence)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    i64 result = TRY(f->lseek(offset, whence));
    if (result > 0x7FFFFFFF)
        return Error::from_errno(EOVERFLOW);
    return long(result);
}

ErrorOr<void> sys_llseek(int fd, u32 high, u32 low, Userspace<i64*> result_addr, int whence)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    i64 result = TRY(f->lseek(i64((u64(high) << 32) | low), whence));
    return copy_to_user(result_addr, result);
}

ErrorOr<void> sys_ioctl(int fd, u32 cmd, Userspace<void*> arg)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    return f->ioctl(cmd, arg);
}

ErrorOr<void> sys_stat64(Userspace<const char*> path, Userspace<Stat64*> buf)
{
    return do_stat(AT_FDCWD, path, buf, true);
}

ErrorOr<void> sys_lstat64(Userspace<const char*> path, Userspace<Stat64*> buf)
{
    return do_stat(AT_FDCWD, path, buf, false);
}

ErrorOr<void> sys_fstat64(int fd, Userspace<Stat64*> buf)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    fs::FileStat st;
    TRY(f->stat(st));
    return put_stat(buf, st);
}

ErrorOr<void> sys_fstatat64(int dirfd, Userspace<const char*> path, Userspace<Stat64*> buf,
                            u32 flags)
{
    if (flags & AT_EMPTY_PATH) {
        char first;
        TRY(copy_from_user(first, path));
        if (!first)
            return sys_fstat64(dirfd, buf);
    }
    return do_stat(dirfd, path, buf, !(flags & AT_SYMLINK_NOFOLLOW));
}

ErrorOr<size_t> sys_getdents64(int fd, Userspace<void*> buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    if (!user_range_ok(buf, count))
        return Error::from_errno(EFAULT);
    mm::PageHolder page = kernel_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    size_t n = TRY(f->getdents64(page.as_ptr<char>(), count < chunk ? count : chunk));
    if (n > 0)
        TRY(copy_to_user(buf, page.as_ptr<char>(), n));
    return n;
}

ErrorOr<size_t> sys_readlink(Userspace<const char*> path_addr, Userspace<char*> buf, int size)
{
    if (size <= 0)
        return Error::from_errno(EINVAL);
    PathBuffer path;
    TRY(path.from_user(path_addr));
    mm::PageHolder page = kernel_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    size_t n = TRY(fs::readlink(path.get(), page.as_ptr<char>(), u32(size) < chunk ? u32(size) : chunk));
    if (n > 0)
        TRY(copy_to_user(buf, page.as_ptr<char>(), n));
    return n;
}

ErrorOr<size_t> sys_readlinkat(int dirfd, Userspace<const char*> path_addr, Userspace<char*> buf,
                               int size)
{
    if (size <= 0)
        return Error::from_errno(EINVAL);
    PathBuffer path;
    TRY(path.from_user_at(dirfd, path_addr));
    mm::PageHolder page = kernel_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    size_t n = TRY(fs::readlink(path.get(), page.as_ptr<char>(), u32(size) < chunk ? u32(size) : chunk));
    if (n > 0)
        TRY(copy_to_user(buf, page.as_ptr<char>(), n));
    return n;
}

/*
 * Every caller is root: writing is refused only where the file system cannot change
 * (Linux's EROFS for files, directories and symlinks; devices may be written), executing
 * where no execute bit is set (directories can always be searched).
 */
ErrorOr<void> sys_faccessat(int dirfd, Userspace<const char*> path_addr, int mode)
{
    if (mode & ~7)
        return Error::from_errno(EINVAL);
    PathBuffer path;
    TRY(path.from_user_at(dirfd, path_addr));
    fs::Vnode node = TRY(fs::resolve_path(path.get(), fs::Follow::Yes));
    u32 type = node.node->type();
    bool file_like = type == fs::S_IFREG || type == fs::S_IFDIR || type == fs::S_IFLNK;
    if ((mode & 2) && file_like && !node.node->writable())
        return Error::from_errno(EROFS);
    if ((mode & 1) && type != fs::S_IFDIR && !(node.node->mode() & 0111))
        return Error::from_errno(EACCES);
    return {};
}

ErrorOr<void> sys_access(Userspace<const char*> path, int mode)
{
    return sys_faccessat(AT_FDCWD, path, mode);
}

ErrorOr<void> sys_chdir(Userspace<const char*> path_addr)
{
    PathBuffer path;
    TRY(path.from_user(path_addr));
    TRY(fs::check_directory(path.get()));
    size_t len = strlen(path.get());
    while (len > 1 && path.get()[len - 1] == '/')
        len--;
    if (len >= CWD_MAX)
        return Error::from_errno(ENAMETOOLONG);
    memcpy(current->cwd, path.get(), len);
    current->cwd[len] = '\0';
    return {};
}

ErrorOr<size_t> sys_getcwd(Userspace<char*> buf, u32 size)
{
    size_t len = strlen(current->cwd) + 1;
    if (size < len)
        return Error::from_errno(ERANGE);
    TRY(copy_to_user(buf, current->cwd, len));
    return len;
}

ErrorOr<int> sys_dup(int fd)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    int n = TRY(install_fd(f, 0, false));
    f->get();
    return n;
}

ErrorOr<int> sys_dup3(int oldfd, int newfd, u32 flags)
{
    fs::File* f = file_of(oldfd);
    if (!f || newfd < 0 || newfd >= NR_OPEN)
        return Error::from_errno(EBADF);
    if (oldfd == newfd || (flags & ~fs::O_CLOEXEC))
        return Error::from_errno(EINVAL);
    f->get();
    if (current->files[newfd])
        current->files[newfd]->put();
    current->files[newfd] = f;
    if (flags & fs::O_CLOEXEC)
        current->close_on_exec |= u64(1) << newfd;
    else
        current->close_on_exec &= ~(u64(1) << newfd);
    return newfd;
}

ErrorOr<int> sys_dup2(int oldfd, int newfd)
{
    if (oldfd == newfd) {
        if (!file_of(oldfd))
            return Error::from_errno(EBADF);
        return newfd;
    }
    return sys_dup3(oldfd, newfd, 0);
}

ErrorOr<long> sys_fcntl64(int fd, int cmd, u32 arg)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (arg >= u32(NR_OPEN))
            return Error::from_errno(EINVAL);
        int n = TRY(install_fd(f, int(arg), cmd == F_DUPFD_CLOEXEC));
        f->get();
        return n;
    }
    case F_GETFD:
        return (current->close_on_exec >> fd) & 1 ? long(FD_CLOEXEC) : 0;
    case F_SETFD:
        if (arg & FD_CLOEXEC)
            current->close_on_exec |= u64(1) << fd;
        else
            current->close_on_exec &= ~(u64(1) << fd);
        return 0;
    case F_GETFL:
        return long(f->flags());
    case F_SETFL: {
        constexpr u32 settable = fs::O_APPEND | fs::O_NONBLOCK;
        f->set_flags((f->flags() & ~settable) | (arg & settable));
        return 0;
    }
    default:
        return Error::from_errno(EINVAL);
    }
}

ErrorOr<void> sys_pipe2(Userspace<int*> fds_addr, u32 flags)
{
    if (flags & ~(fs::O_CLOEXEC | fs::O_NONBLOCK))
        return Error::from_errno(EINVAL);
    if (!user_range_ok(fds_addr, 8))
        return Error::from_errno(EFAULT);
    fs::File* ends[2];
    TRY(make_pipe(ends));
    int fds[2] = { -1, -1 };
    Error error = Error::from_errno(EMFILE);
    bool installed = false;
    if (ErrorOr<int> reader = install_fd(ends[0], 0, flags & fs::O_CLOEXEC); !reader.is_error()) {
        fds[0] = reader.value();
        if (ErrorOr<int> writer = install_fd(ends[1], 0, flags & fs::O_CLOEXEC); !writer.is_error()) {
            fds[1] = writer.value();
            ErrorOr<void> copied = copy_to_user(fds_addr, fds, sizeof fds);
            installed = !copied.is_error();
            if (!installed)
                error = copied.error();
        }
    }
    if (!installed) {
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0)
                current->files[fds[i]] = nullptr;
            ends[i]->put();
        }
        return error;
    }
    if (flags & fs::O_NONBLOCK)
        for (fs::File* e : ends)
            e->set_flags(e->flags() | fs::O_NONBLOCK);
    return {};
}

ErrorOr<void> sys_pipe(Userspace<int*> fds_addr)
{
    return sys_pipe2(fds_addr, 0);
}

namespace {

/* pread64/pwrite64: at an offset, leaving the file's own offset where it was. */
template <typename Buffer>
ErrorOr<size_t> transfer_at(ErrorOr<size_t> (*transfer)(int, Buffer, u32), int fd, Buffer buf,
                            u32 count, u32 pos_low, u32 pos_high)
{
    fs::File* f = file_of(fd);
    if (!f)
        return Error::from_errno(EBADF);
    i64 pos = i64((u64(pos_high) << 32) | pos_low), saved = f->offset();
    if (pos < 0)
        return Error::from_errno(EINVAL);
    TRY(f->lseek(pos, fs::SEEK_SET));
    ErrorOr<size_t> n = transfer(fd, buf, count);
    (void)f->lseek(saved, fs::SEEK_SET);        /* where it was: a valid position */
    return n;
}

} // namespace

ErrorOr<size_t> sys_pread64(int fd, Userspace<void*> buf, u32 count, u32 pos_low, u32 pos_high)
{
    return transfer_at(sys_read, fd, buf, count, pos_low, pos_high);
}

ErrorOr<size_t> sys_pwrite64(int fd, Userspace<const void*> buf, u32 count, u32 pos_low,
                             u32 pos_high)
{
    return transfer_at(sys_write, fd, buf, count, pos_low, pos_high);
}

/* Nothing is cached on the way to a disk: writes are done when write() returns. */
ErrorOr<void> sys_fsync(int fd)
{
    if (!file_of(fd))
        return Error::from_errno(EBADF);
    return {};
}

/* For the calls in other files (poll, sendfile). */
fs::File* current_file(int fd) { return file_of(fd); }
mm::PageHolder transfer_page() { return kernel_page(); }
