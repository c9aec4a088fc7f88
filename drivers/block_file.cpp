/* The file side of block devices: open, read, write, lseek, ioctl. */
#include <drivers/block.h>
#include <drivers/block_file.h>
#include <fs/device.h>
#include <fs/node.h>
#include <kernel/string.h>
#include <kernel/uaccess.h>
#include <mm/page_holder.h>

#include <new>

namespace block {

namespace {

class BlockFile final : public fs::DeviceFile {
public:
    BlockFile(const fs::Node& node, BlockDevice& device) : DeviceFile(node), m_device(device) { }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        return transfer(Direction::Read, static_cast<u8*>(buf), n);
    }
    ErrorOr<size_t> write(const void* buf, size_t n) override
    {
        return transfer(Direction::Write, const_cast<u8*>(static_cast<const u8*>(buf)), n);
    }

    /* Linux's blkdev_llseek: anywhere from 0 to the end of the device, no further. */
    ErrorOr<i64> lseek(i64 offset, int whence) override
    {
        i64 saved = m_offset;
        i64 result = TRY(File::lseek(offset, whence));
        if (u64(result) > m_device.bytes()) {
            m_offset = saved;
            return Error::from_errno(EINVAL);
        }
        return result;
    }

    u64 size() const override { return m_device.bytes(); }

    ErrorOr<void> ioctl(u32 cmd, Userspace<void*> arg) override
    {
        switch (cmd) {
        case BLKGETSIZE64:
            return copy_to_user(arg.as<u64>(), m_device.bytes());
        case BLKGETSIZE:
            /* An unsigned long on i386: Linux refuses sizes it cannot hold. */
            if (m_device.sectors() > 0xFFFFFFFFu)
                return Error::from_errno(EFBIG);
            return copy_to_user(arg.as<u32>(), u32(m_device.sectors()));
        case BLKSSZGET:
            return copy_to_user(arg.as<int>(), int(SECTOR_SIZE));
        case BLKFLSBUF:
            return {};
        default:
            return Error::from_errno(ENOTTY);
        }
    }

private:
    ErrorOr<size_t> transfer(Direction direction, u8* buf, size_t n);

    BlockDevice& m_device;
};

/*
 * n bytes at the offset, clipped at the end of the device: 0 there for a read, ENOSPC
 * for a write (as Linux). An error after some bytes moved gives the count so far.
 */
ErrorOr<size_t> BlockFile::transfer(Direction direction, u8* buf, size_t n)
{
    u64 end = m_device.bytes();
    u64 offset = u64(m_offset);
    if (offset >= end || n == 0) {
        if (offset >= end && n && direction == Direction::Write)
            return Error::from_errno(ENOSPC);
        return 0u;
    }
    if (n > end - offset)
        n = size_t(end - offset);

    mm::PageHolder bounce;              /* for partial sectors: taken when first needed */
    size_t done = 0;
    long err = 0;
    while (done < n) {
        u64 at = offset + done;
        u64 sector = at >> SECTOR_SHIFT;
        u32 in_sector = u32(at & (SECTOR_SIZE - 1));
        size_t left = n - done;
        if (in_sector == 0 && left >= SECTOR_SIZE) {
            /* Whole sectors, up to a page at a time, straight between buf and the disk. */
            u32 count = u32(left > PAGE_BYTES ? PAGE_BYTES : left) >> SECTOR_SHIFT;
            err = direction == Direction::Read ? m_device.read_sectors(sector, count, buf + done)
                                               : m_device.write_sectors(sector, count, buf + done);
            if (err)
                break;
            done += size_t(count) << SECTOR_SHIFT;
            continue;
        }
        /* Part of one sector: read it, change it, write it back. */
        if (!bounce)
            bounce = mm::PageHolder(__get_free_page(Gfp::Kernel));
        u8* page = bounce.as_ptr<u8>();
        if (!page) {
            err = -ENOMEM;
            break;
        }
        size_t part = SECTOR_SIZE - in_sector;
        if (part > left)
            part = left;
        if ((err = m_device.read_sectors(sector, 1, page)))
            break;
        if (direction == Direction::Read) {
            memcpy(buf + done, page + in_sector, part);
        } else {
            memcpy(page + in_sector, buf + done, part);
            if ((err = m_device.write_sectors(sector, 1, page)))
                break;
        }
        done += part;
    }
    m_offset += i64(done);
    if (err)
        return bytes_or_error(done, Error::from_errno(int(-err)));
    return done;
}

ErrorOr<fs::File*> block_open(const fs::Node& node, u32 minor, u32)
{
    BlockDevice* device = find_device(make_dev(fs::dev_major(node.rdev()), minor));
    if (!device)
        return Error::from_errno(ENXIO);
    fs::File* file = new (std::nothrow) BlockFile(node, *device);
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

} // namespace

ErrorOr<void> register_block_major(u32 major)
{
    return fs::register_device(fs::DeviceType::Block, major, block_open);
}

} // namespace block
