/* File system calls: descriptors over fs::File, paths joined to the working directory. */
#include <fs/file.h>
#include <kernel/errno.h>
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

int install_fd(fs::File* f, int lowest, bool cloexec)
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
    return -EMFILE;
}

/* Joins a path onto the working directory and removes ".", ".." and repeated slashes. */
long make_absolute(const char* path, char* out)
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
    if (path[0] != '/' && !append(current->cwd, strlen(current->cwd)))
        return -ENAMETOOLONG;
    if (!append("/", 1) || !append(path, path_len))
        return -ENAMETOOLONG;
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
    return 0;
}

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

long put_stat(u32 addr, const fs::FileStat& st)
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
    s.st_blocks = (st.size + 511) / 512;
    s.st_atime = s.st_mtime = s.st_ctime = st.mtime;
    return copy_to_user(addr, &s, sizeof s);
}

/* A page to pass data through between a user buffer and a file, freed when the call ends. */
mm::PageHolder kernel_page()
{
    return mm::PageHolder(__get_free_page(Gfp::Kernel));
}

long do_open(u32 path_addr, u32 flags)
{
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    fs::File* f;
    if (long err = fs::open(path.get(), flags, f))
        return err;
    int fd = install_fd(f, 0, flags & fs::O_CLOEXEC);
    if (fd < 0)
        f->put();
    return fd;
}

long do_stat(u32 path_addr, u32 buf, bool follow)
{
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    fs::FileStat st;
    if (long err = fs::stat(path.get(), st, follow))
        return err;
    return put_stat(buf, st) ? -EFAULT : 0;
}

} // namespace

PathBuffer::~PathBuffer()
{
    kfree(m_path);
}

long PathBuffer::from_user(u32 addr)
{
    char* raw = static_cast<char*>(kmalloc(PATH_MAX, Gfp::Kernel));
    m_path = static_cast<char*>(kmalloc(PATH_MAX, Gfp::Kernel));
    long err = raw && m_path ? 0 : -ENOMEM;
    if (!err) {
        long len = strncpy_from_user(raw, addr, PATH_MAX);
        err = len < 0 ? len : len == 0 ? -ENOENT : make_absolute(raw, m_path);
    }
    kfree(raw);
    return err;
}

void open_console_for_init()
{
    fs::File* console;
    if (fs::open("/dev/console", fs::O_RDWR, console))
        return;                         /* init runs without; its output goes nowhere */
    current->files[0] = console;
    for (int fd = 1; fd <= 2; fd++) {
        console->get();
        current->files[fd] = console;
    }
}

long sys_read(int fd, u32 buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f || (f->flags() & fs::O_ACCMODE) == fs::O_WRONLY)
        return -EBADF;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    mm::PageHolder page = kernel_page();
    if (!page)
        return -ENOMEM;
    size_t total = 0;
    while (total < count) {
        size_t want = count - total < chunk ? count - total : chunk;
        long got = f->read(page.as_ptr<char>(), want);
        if (got < 0)
            return total ? long(total) : got;
        if (copy_to_user(buf + total, page.as_ptr<char>(), size_t(got)))
            return -EFAULT;
        total += size_t(got);
        if (size_t(got) < want)
            break;                      /* a short read (terminal line, pipe, end of file) */
    }
    return long(total);
}

long sys_write(int fd, u32 buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f || (f->flags() & fs::O_ACCMODE) == fs::O_RDONLY)
        return -EBADF;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    mm::PageHolder page = kernel_page();
    if (!page)
        return -ENOMEM;
    size_t total = 0;
    while (total < count) {
        size_t n = count - total < chunk ? count - total : chunk;
        if (copy_from_user(page.as_ptr<char>(), buf + total, n))
            return total ? long(total) : -EFAULT;
        long put = f->write(page.as_ptr<char>(), n);
        if (put < 0)
            return total ? long(total) : put;
        total += size_t(put);
        if (size_t(put) < n)
            break;
    }
    return long(total);
}

/* readv/writev: one transfer per iovec, stopping at the first short one. */
long transfer_vector(long (*transfer)(int, u32, u32), int fd, u32 iov, int iovcnt)
{
    if (iovcnt < 0 || iovcnt > 1024)
        return -EINVAL;
    long total = 0;
    for (int i = 0; i < iovcnt; i++) {
        u32 vec[2];
        if (copy_from_user(vec, iov + 8 * u32(i), sizeof vec))
            return -EFAULT;
        if (!vec[1])
            continue;
        long n = transfer(fd, vec[0], vec[1]);
        if (n < 0)
            return total ? total : n;
        total += n;
        if (u32(n) < vec[1])
            break;
    }
    return total;
}

long sys_writev(int fd, u32 iov, int iovcnt)
{
    return transfer_vector(sys_write, fd, iov, iovcnt);
}

long sys_readv(int fd, u32 iov, int iovcnt)
{
    return transfer_vector(sys_read, fd, iov, iovcnt);
}

long sys_open(u32 path, u32 flags, u32)
{
    return do_open(path, flags);
}

long sys_openat(int dirfd, u32 path, u32 flags, u32 mode)
{
    (void)mode;
    char first;
    if (copy_from_user(&first, path, 1))
        return -EFAULT;
    if (first != '/' && dirfd != AT_FDCWD)
        return file_of(dirfd) ? -ENOTDIR : -EBADF;  /* directory descriptors: not kept */
    return do_open(path, flags);
}

long sys_close(int fd)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    current->files[fd] = nullptr;
    current->close_on_exec &= ~(u64(1) << fd);
    f->put();
    return 0;
}

long sys_lseek(int fd, i32 offset, int whence)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    i64 result;
    if (long err = f->lseek(offset, whence, result))
        return err;
    if (result > 0x7FFFFFFF)
        return -EOVERFLOW;
    return long(result);
}

long sys_llseek(int fd, u32 high, u32 low, u32 result_addr, int whence)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    i64 result;
    if (long err = f->lseek(i64((u64(high) << 32) | low), whence, result))
        return err;
    return copy_to_user(result_addr, &result, sizeof result) ? -EFAULT : 0;
}

long sys_ioctl(int fd, u32 cmd, u32 arg)
{
    fs::File* f = file_of(fd);
    return f ? f->ioctl(cmd, arg) : -EBADF;
}

long sys_stat64(u32 path, u32 buf) { return do_stat(path, buf, true); }
long sys_lstat64(u32 path, u32 buf) { return do_stat(path, buf, false); }

long sys_fstat64(int fd, u32 buf)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    fs::FileStat st;
    if (long err = f->stat(st))
        return err;
    return put_stat(buf, st) ? -EFAULT : 0;
}

long sys_fstatat64(int dirfd, u32 path, u32 buf, u32 flags)
{
    if (flags & AT_EMPTY_PATH) {
        char first;
        if (copy_from_user(&first, path, 1))
            return -EFAULT;
        if (!first)
            return sys_fstat64(dirfd, buf);
    }
    char first;
    if (copy_from_user(&first, path, 1))
        return -EFAULT;
    if (first != '/' && dirfd != AT_FDCWD)
        return file_of(dirfd) ? -ENOTDIR : -EBADF;
    return do_stat(path, buf, !(flags & AT_SYMLINK_NOFOLLOW));
}

long sys_getdents64(int fd, u32 buf, u32 count)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    mm::PageHolder page = kernel_page();
    if (!page)
        return -ENOMEM;
    long n = f->getdents64(page.as_ptr<char>(), count < chunk ? count : chunk);
    if (n > 0 && copy_to_user(buf, page.as_ptr<char>(), size_t(n)))
        return -EFAULT;
    return n;
}

long sys_readlink(u32 path_addr, u32 buf, int size)
{
    if (size <= 0)
        return -EINVAL;
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    mm::PageHolder page = kernel_page();
    if (!page)
        return -ENOMEM;
    long n = fs::readlink(path.get(), page.as_ptr<char>(), u32(size) < chunk ? u32(size) : chunk);
    if (n > 0 && copy_to_user(buf, page.as_ptr<char>(), size_t(n)))
        return -EFAULT;
    return n;
}

long sys_readlinkat(int dirfd, u32 path, u32 buf, int size)
{
    (void)dirfd;
    return sys_readlink(path, buf, size);
}

long sys_access(u32 path_addr, int mode)
{
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    fs::FileStat st;
    if (long err = fs::stat(path.get(), st, true))
        return err;
    if ((mode & 2) && (st.mode & fs::S_IFMT) != fs::S_IFCHR)
        return -EROFS;
    if ((mode & 1) && !(st.mode & 0111))
        return -EACCES;
    return 0;
}

long sys_faccessat(int dirfd, u32 path, int mode)
{
    (void)dirfd;
    return sys_access(path, mode);
}

long sys_chdir(u32 path_addr)
{
    PathBuffer path;
    if (long err = path.from_user(path_addr))
        return err;
    if (long err = fs::check_directory(path.get()))
        return err;
    size_t len = strlen(path.get());
    while (len > 1 && path.get()[len - 1] == '/')
        len--;
    if (len >= CWD_MAX)
        return -ENAMETOOLONG;
    memcpy(current->cwd, path.get(), len);
    current->cwd[len] = '\0';
    return 0;
}

long sys_getcwd(u32 buf, u32 size)
{
    size_t len = strlen(current->cwd) + 1;
    if (size < len)
        return -ERANGE;
    return copy_to_user(buf, current->cwd, len) ? -EFAULT : long(len);
}

long sys_dup(int fd)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    int n = install_fd(f, 0, false);
    if (n >= 0)
        f->get();
    return n;
}

long sys_dup3(int oldfd, int newfd, u32 flags)
{
    fs::File* f = file_of(oldfd);
    if (!f || newfd < 0 || newfd >= NR_OPEN)
        return -EBADF;
    if (oldfd == newfd || (flags & ~fs::O_CLOEXEC))
        return -EINVAL;
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

long sys_dup2(int oldfd, int newfd)
{
    if (oldfd == newfd)
        return file_of(oldfd) ? newfd : -EBADF;
    return sys_dup3(oldfd, newfd, 0);
}

long sys_fcntl64(int fd, int cmd, u32 arg)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if (arg >= u32(NR_OPEN))
            return -EINVAL;
        int n = install_fd(f, int(arg), cmd == F_DUPFD_CLOEXEC);
        if (n >= 0)
            f->get();
        return n;
    }
    case F_GETFD:
        return (current->close_on_exec >> fd) & 1 ? FD_CLOEXEC : 0;
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
        return -EINVAL;
    }
}

long sys_pipe2(u32 fds_addr, u32 flags)
{
    if (flags & ~(fs::O_CLOEXEC | fs::O_NONBLOCK))
        return -EINVAL;
    if (!user_range_ok(fds_addr, 8))
        return -EFAULT;
    fs::File* ends[2];
    if (long err = make_pipe(ends))
        return err;
    int fds[2];
    fds[0] = install_fd(ends[0], 0, flags & fs::O_CLOEXEC);
    fds[1] = fds[0] < 0 ? -EMFILE : install_fd(ends[1], 0, flags & fs::O_CLOEXEC);
    if (fds[1] < 0 || copy_to_user(fds_addr, fds, sizeof fds)) {
        long err = fds[1] < 0 ? -EMFILE : -EFAULT;
        for (int i = 0; i < 2; i++) {
            if (fds[i] >= 0)
                current->files[fds[i]] = nullptr;
            ends[i]->put();
        }
        return err;
    }
    if (flags & fs::O_NONBLOCK)
        for (fs::File* e : ends)
            e->set_flags(e->flags() | fs::O_NONBLOCK);
    return 0;
}

long sys_pipe(u32 fds_addr)
{
    return sys_pipe2(fds_addr, 0);
}

/* pread64/pwrite64: at an offset, leaving the file's own offset where it was. */
long sys_pread64(int fd, u32 buf, u32 count, u32 pos_low, u32 pos_high)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    i64 pos = i64((u64(pos_high) << 32) | pos_low), saved = f->offset(), ignored;
    if (pos < 0)
        return -EINVAL;
    if (long err = f->lseek(pos, fs::SEEK_SET, ignored))
        return err;
    long n = sys_read(fd, buf, count);
    f->lseek(saved, fs::SEEK_SET, ignored);
    return n;
}

long sys_pwrite64(int fd, u32 buf, u32 count, u32 pos_low, u32 pos_high)
{
    fs::File* f = file_of(fd);
    if (!f)
        return -EBADF;
    i64 pos = i64((u64(pos_high) << 32) | pos_low), saved = f->offset(), ignored;
    if (pos < 0)
        return -EINVAL;
    if (long err = f->lseek(pos, fs::SEEK_SET, ignored))
        return err;
    long n = sys_write(fd, buf, count);
    f->lseek(saved, fs::SEEK_SET, ignored);
    return n;
}

/* Nothing is cached on the way to a disk: writes are done when write() returns. */
long sys_fsync(int fd)
{
    return file_of(fd) ? 0 : -EBADF;
}
