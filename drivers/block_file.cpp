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

    long read(void* buf, size_t n) override { return transfer(Direction::Read, static_cast<u8*>(buf), n); }
    long write(const void* buf, size_t n) override
    {
        return transfer(Direction::Write, const_cast<u8*>(static_cast<const u8*>(buf)), n);
    }

    /* Linux's blkdev_llseek: anywhere from 0 to the end of the device, no further. */
    long lseek(i64 offset, int whence, i64& result) override
    {
        i64 saved = m_offset;
        if (long err = File::lseek(offset, whence, result))
            return err;
        if (u64(result) > m_device.bytes()) {
            m_offset = saved;
            return -EINVAL;
        }
        return 0;
    }

    u64 size() const override { return m_device.bytes(); }

    long ioctl(u32 cmd, u32 arg) override
    {
        switch (cmd) {
        case BLKGETSIZE64: {
            u64 bytes = m_device.bytes();
            return copy_to_user(arg, &bytes, sizeof bytes);
        }
        case BLKGETSIZE: {
            /* An unsigned long on i386: Linux refuses sizes it cannot hold. */
            if (m_device.sectors() > 0xFFFFFFFFu)
                return -EFBIG;
            u32 sectors = u32(m_device.sectors());
            return copy_to_user(arg, &sectors, sizeof sectors);
        }
        case BLKSSZGET: {
            int size = SECTOR_SIZE;
            return copy_to_user(arg, &size, sizeof size);
        }
        case BLKFLSBUF:
            return 0;
        default:
            return -ENOTTY;
        }
    }

private:
    long transfer(Direction direction, u8* buf, size_t n);

    BlockDevice& m_device;
};

/*
 * n bytes at the offset, clipped at the end of the device: 0 there for a read, -ENOSPC
 * for a write (as Linux). An error after some bytes moved gives the count so far.
 */
long BlockFile::transfer(Direction direction, u8* buf, size_t n)
{
    u64 end = m_device.bytes();
    u64 offset = u64(m_offset);
    if (offset >= end || n == 0)
        return offset >= end && n && direction == Direction::Write ? -ENOSPC : 0;
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
    return done ? long(done) : err;
}

long block_open(const fs::Node& node, u32 minor, u32, fs::File*& out)
{
    BlockDevice* device = find_device(make_dev(fs::dev_major(node.rdev()), minor));
    if (!device)
        return -ENXIO;
    out = new (std::nothrow) BlockFile(node, *device);
    return out ? 0 : -ENOMEM;
}

} // namespace

long register_block_major(u32 major)
{
    return fs::register_device(fs::DeviceType::Block, major, block_open);
}

} // namespace block
