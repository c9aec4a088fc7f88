/*
 * tmpfs's regular files: the data is an mm::ShmObject (made at the first write or
 * truncate), so that a MAP_SHARED mapping sees what write() wrote and its pages can go
 * to swap. The mount's size limit counts the pages the objects hold.
 */
#include <fs/tmpfs_internal.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/time.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/shmem.h>

#include <new>

namespace fs::tmpfs {

namespace {

constexpr u64 PAGE = 4096;

/* An open tmpfs file: the offset, and a reference that keeps the node alive. */
class OpenFile final : public File {
public:
    explicit OpenFile(const Regular& node) : m_node(node) { m_node.get(); }
    ~OpenFile() override { m_node.put(); }

    /* Kernel buffers (the kernel's own readers and writers): through the object's pages. */
    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        size_t done = TRY(m_node.read_kernel(u64(m_offset), static_cast<u8*>(buf), n));
        m_offset += i64(done);
        return done;
    }
    ErrorOr<size_t> write(const void* buf, size_t n) override
    {
        if (m_flags & O_APPEND)
            m_offset = i64(m_node.size());
        size_t done = TRY(m_node.write_kernel(u64(m_offset), static_cast<const u8*>(buf), n));
        m_offset += i64(done);
        return done;
    }

    bool user_io() const override { return true; }
    ErrorOr<size_t> read_user(Userspace<void*> buf, size_t n) override
    {
        size_t done = TRY(m_node.read(u64(m_offset), buf, n));
        m_offset += i64(done);
        return done;
    }
    ErrorOr<size_t> write_user(Userspace<const void*> buf, size_t n) override
    {
        if (m_flags & O_APPEND)
            m_offset = i64(m_node.size());
        size_t done = TRY(m_node.write(u64(m_offset), buf, n));
        m_offset += i64(done);
        return done;
    }
    ErrorOr<void> truncate(u64 size) override { return m_node.truncate(size); }
    ErrorOr<size_t> read_page(u64 offset, void* page) override
    {
        u8* out = static_cast<u8*>(page);
        size_t got = TRY(m_node.read_kernel(offset, out, size_t(PAGE)));
        memset(out + got, 0, size_t(PAGE) - got);
        return got;
    }
    ErrorOr<void> stat(FileStat& st) override
    {
        m_node.stat(-1, st);
        return {};
    }
    u64 size() const override { return m_node.size(); }
    const Node* node() const override { return &m_node; }
    mm::ShmObject* shm_object() override
    {
        ErrorOr<mm::ShmObject*> data = m_node.data_for_mapping();
        return data.is_error() ? nullptr : data.value();
    }

private:
    const Regular& m_node;
};

} // namespace

Timestamp current_time()
{
    Timespec now = clock_now(CLOCK_REALTIME);
    return { u32(now.sec), u32(now.nsec) };
}

Regular::Regular(Superblock& sb, u32 mode) : TmpNode(sb, S_IFREG | (mode & 07777))
{
    m_next = sb.files;
    if (m_next)
        m_next->m_prev = this;
    sb.files = this;
}

Regular::~Regular()
{
    if (m_data)
        mm::shm_put(m_data);
    if (m_prev)
        m_prev->m_next = m_next;
    else
        m_sb.files = m_next;
    if (m_next)
        m_next->m_prev = m_prev;
}

u64 Regular::size() const
{
    return m_data ? mm::shm_size(m_data) : 0;
}

u64 Regular::pages() const
{
    return m_data ? mm::shm_pages(m_data) : 0;
}

ErrorOr<mm::ShmObject*> Regular::object() const
{
    if (m_data)
        return m_data;
    Holder hold(this);
    mm::ShmObject* made = TRY(mm::shm_create(0));
    if (m_data)                         /* made by another caller while we slept */
        mm::shm_put(made);
    else
        m_data = made;
    return m_data;
}

ErrorOr<mm::ShmObject*> Regular::data_for_mapping() const
{
    return object();
}

ErrorOr<File*> Regular::open(int, u32) const
{
    Holder hold(this);
    File* file = new (std::nothrow) OpenFile(*this);
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

ErrorOr<void> Regular::truncate(u64 size) const
{
    Holder hold(this);
    if (size == this->size() && !m_data) {
        touch(Times::Modified);
        return {};
    }
    mm::ShmObject* data = TRY(object());
    TRY(mm::shm_truncate(data, size));
    touch(Times::Modified);
    return {};
}

ErrorOr<size_t> Regular::read(u64 offset, Userspace<void*> buf, size_t n) const
{
    if (!m_data || n == 0)
        return size_t(0);
    Holder hold(this);
    size_t done = TRY(mm::shm_read(m_data, offset, buf, n));
    touch_read();
    return done;
}

/* For the kernel's readers (exec and private mappings among them): holes read as zeros. */
ErrorOr<size_t> Regular::read_kernel(u64 offset, u8* out, size_t n) const
{
    u64 size = this->size();
    size_t wanted = offset < size ? size_t(size - offset < n ? size - offset : n) : 0;
    Holder hold(this);
    for (size_t done = 0; done < wanted;) {
        u64 at = offset + done;
        size_t in_page = size_t(at % PAGE);
        size_t chunk = size_t(PAGE) - in_page < wanted - done ? size_t(PAGE) - in_page : wanted - done;
        ErrorOr<PhysAddr> got = m_data->get_page(u32(at / PAGE), mm::ShmObject::Alloc::No);
        if (got.is_error())
            return bytes_or_error(done, got.error());
        if (got.value() == PhysAddr()) {
            memset(out + done, 0, chunk);       /* a hole */
        } else {
            memcpy(out + done, to_virt(got.value()).as_ptr<u8>() + in_page, chunk);
            free_page(to_virt(got.value()));
        }
        done += chunk;
    }
    return wanted;
}

/*
 * A page at a time: one past the end of the data needs a new page, which a full mount
 * refuses (ENOSPC, or the bytes written before). A page inside the size is written even
 * when the mount is full, as most are there already; a hole filled then takes the mount
 * one page over. `copy(data, at, done, chunk)` writes one chunk and says how much.
 */
template <typename Copy>
ErrorOr<size_t> Regular::write_pages(u64 offset, size_t n, Copy copy) const
{
    if (n == 0)
        return size_t(0);
    Holder hold(this);
    mm::ShmObject* data = TRY(object());
    size_t done = 0;
    while (done < n) {
        u64 at = offset + done;
        size_t chunk = size_t(PAGE - at % PAGE);
        if (chunk > n - done)
            chunk = n - done;
        u64 pages_in_size = (mm::shm_size(data) + PAGE - 1) / PAGE;
        if (at / PAGE >= pages_in_size && m_sb.used_pages() >= m_sb.max_pages) {
            if (!done)
                return Error::from_errno(ENOSPC);
            break;
        }
        ErrorOr<size_t> wrote = copy(data, at, done, chunk);
        if (wrote.is_error()) {
            if (!done)
                return wrote.error();
            break;
        }
        done += wrote.value();
        if (wrote.value() < chunk)
            break;
    }
    touch(Times::Modified);
    return done;
}

ErrorOr<size_t> Regular::write(u64 offset, Userspace<const void*> buf, size_t n) const
{
    return write_pages(offset, n, [&](mm::ShmObject* data, u64 at, size_t done, size_t chunk) {
        return mm::shm_write(data, at, buf.offset(u32(done)), chunk);
    });
}

/* The object's size grows first (what it covers reads as zeros), then the page is filled. */
ErrorOr<size_t> Regular::write_kernel(u64 offset, const u8* in, size_t n) const
{
    return write_pages(offset, n, [&](mm::ShmObject* data, u64 at, size_t done, size_t chunk)
                                      -> ErrorOr<size_t> {
        u64 old_size = mm::shm_size(data);
        if (at + chunk > old_size)
            TRY(mm::shm_truncate(data, at + chunk));
        ErrorOr<PhysAddr> got = data->get_page(u32(at / PAGE), mm::ShmObject::Alloc::Yes);
        if (got.is_error()) {
            if (at + chunk > old_size)
                (void)mm::shm_truncate(data, old_size);     /* a shrink: no page needed */
            return got.error();
        }
        memcpy(to_virt(got.value()).as_ptr<u8>() + at % PAGE, in + done, chunk);
        free_page(to_virt(got.value()));
        return chunk;
    });
}

} // namespace fs::tmpfs
