/* BlockDevice's range checks and the registry of devices by number. */
#include <drivers/block.h>
#include <kernel/string.h>

namespace block {

namespace {

constexpr size_t MAX_DEVICES = 40;      /* four disks with four partitions, and room to spare */
BlockDevice* devices[MAX_DEVICES];

bool within(u64 sector, u32 count, u64 total)
{
    return count > 0 && sector < total && count <= total - sector;
}

} // namespace

BlockDevice::BlockDevice(const char* name, u32 rdev, u64 sectors)
    : m_rdev(rdev), m_sectors(sectors)
{
    size_t n = strlen(name);
    if (n >= sizeof m_name)
        n = sizeof m_name - 1;
    memcpy(m_name, name, n);
    m_name[n] = '\0';
}

long BlockDevice::read_sectors(u64 sector, u32 count, void* buf)
{
    if (!within(sector, count, m_sectors))
        return -EINVAL;
    return transfer(Direction::Read, sector, count, buf);
}

long BlockDevice::write_sectors(u64 sector, u32 count, const void* buf)
{
    if (!within(sector, count, m_sectors))
        return -EINVAL;
    /* The one cast that drops const: a write only reads the buffer. */
    return transfer(Direction::Write, sector, count, const_cast<void*>(buf));
}

long BlockDevice::read_page(u64 index, void* page)
{
    if (index >= pages())
        return -EINVAL;
    return read_sectors(index << PAGE_SECTOR_SHIFT, SECTORS_PER_PAGE, page);
}

long BlockDevice::write_page(u64 index, const void* page)
{
    if (index >= pages())
        return -EINVAL;
    return write_sectors(index << PAGE_SECTOR_SHIFT, SECTORS_PER_PAGE, page);
}

long add_device(BlockDevice& device)
{
    if (find_device(device.rdev()))
        return -EBUSY;
    for (BlockDevice*& slot : devices)
        if (!slot) {
            slot = &device;
            return 0;
        }
    return -ENOSPC;
}

void remove_device(BlockDevice& device)
{
    for (BlockDevice*& slot : devices)
        if (slot == &device)
            slot = nullptr;
}

BlockDevice* find_device(u32 rdev)
{
    for (BlockDevice* d : devices)
        if (d && d->rdev() == rdev)
            return d;
    return nullptr;
}

BlockDevice* device_at(size_t index)
{
    for (BlockDevice* d : devices)
        if (d && index-- == 0)
            return d;
    return nullptr;
}

} // namespace block
