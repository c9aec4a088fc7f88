/*
 * sendfile [187] and sendfile64 [239]: bytes from a file to any descriptor without passing
 * through user space. With an offset pointer the input is read from *offset, which is
 * advanced, and the file's own offset is left alone; without one, the file's offset moves.
 */
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/page_holder.h>


namespace {

/* Linux's MAX_RW_COUNT: one call moves at most this. */
constexpr u32 max_count = 0x7FFFF000;

/* Copies up to count bytes from in (at its offset) to out; the number moved. */
ErrorOr<size_t> move(fs::File& in, fs::File& out, u32 count)
{
    mm::PageHolder page = transfer_page();
    if (!page)
        return Error::from_errno(ENOMEM);
    char* buf = page.as_ptr<char>();
    size_t total = 0;
    while (total < count) {
        size_t want = count - total < PAGE_SIZE ? count - total : PAGE_SIZE;
        ErrorOr<size_t> got = in.read(buf, want);
        if (got.is_error())
            return bytes_or_error(total, got.error());
        if (!got.value())
            break;
        size_t put = 0;
        while (put < got.value()) {
            ErrorOr<size_t> n = out.write(buf + put, got.value() - put);
            if (n.is_error() || !n.value()) {
                /* What was read but not written goes back, for the next call to find. */
                (void)in.lseek(-i64(got.value() - put), fs::SEEK_CUR);
                total += put;
                return n.is_error() ? bytes_or_error(total, n.error()) : ErrorOr<size_t>(total);
            }
            put += n.value();
        }
        total += put;
        if (got.value() < want)
            break;
    }
    return total;
}

template <typename Offset>
ErrorOr<size_t> do_sendfile(int out_fd, int in_fd, Userspace<Offset*> offset, u32 count)
{
    fs::File* in = current_file(in_fd);
    fs::File* out = current_file(out_fd);
    if (!in || (in->flags() & fs::O_ACCMODE) == fs::O_WRONLY)
        return Error::from_errno(EBADF);
    if (!out || (out->flags() & fs::O_ACCMODE) == fs::O_RDONLY)
        return Error::from_errno(EBADF);
    if (out->flags() & fs::O_APPEND)
        return Error::from_errno(EINVAL);
    if (count > max_count)
        count = max_count;
    if (offset.is_null())
        return move(*in, *out, count);
    Offset pos;
    TRY(copy_from_user(pos, Userspace<const Offset*>(offset)));
    if (pos < 0)
        return Error::from_errno(EINVAL);
    i64 saved = in->offset();
    TRY(in->lseek(i64(pos), fs::SEEK_SET));
    ErrorOr<size_t> moved = move(*in, *out, count);
    Offset now = Offset(in->offset());
    (void)in->lseek(saved, fs::SEEK_SET);
    TRY(copy_to_user(offset, now));
    return moved;
}

} // namespace

ErrorOr<size_t> sys_sendfile(int out_fd, int in_fd, Userspace<i32*> offset, u32 count)
{
    return do_sendfile(out_fd, in_fd, offset, count);
}

ErrorOr<size_t> sys_sendfile64(int out_fd, int in_fd, Userspace<i64*> offset, u32 count)
{
    return do_sendfile(out_fd, in_fd, offset, count);
}
