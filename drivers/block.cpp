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

namespace {

volatile u32 in_flight;

/* Counts a request while its caller waits for it. */
class InFlight {
public:
    InFlight() { in_flight = in_flight + 1; }
    ~InFlight() { in_flight = in_flight - 1; }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
};

} // namespace

u32 requests_in_flight()
{
    return in_flight;
}

long BlockDevice::read_sectors(u64 sector, u32 count, void* buf)
{
    if (!within(sector, count, m_sectors))
        return -EINVAL;
    InFlight request;
    return transfer(Direction::Read, sector, count, buf);
}

long BlockDevice::write_sectors(u64 sector, u32 count, const void* buf)
{
    if (!within(sector, count, m_sectors))
        return -EINVAL;
    InFlight request;
    /* The one cast that drops const: a write only reads the buffer. */
    return transfer(Direction::Write, sector, count, const_cast<void*>(buf));
}

bool BlockDevice::pages_request_valid(u64 first_index, u32 count, const void* const pages[]) const
{
    if (count == 0 || count > MAX_REQUEST_PAGES || first_index >= this->pages() ||
        count > this->pages() - first_index)
        return false;
    for (u32 i = 0; i < count; i++)
        if (!pages[i] || (uintptr_t(pages[i]) & (PAGE_BYTES - 1)))
            return false;
    return true;
}

long BlockDevice::read_pages(u64 first_index, u32 count, void* const pages[])
{
    if (!pages_request_valid(first_index, count, pages))
        return -EINVAL;
    InFlight request;
    return transfer_pages(Direction::Read, first_index << PAGE_SECTOR_SHIFT, count, pages);
}

long BlockDevice::write_pages(u64 first_index, u32 count, const void* const pages[])
{
    if (!pages_request_valid(first_index, count, pages))
        return -EINVAL;
    InFlight request;
    /* As write_sectors: a write only reads the pages. */
    return transfer_pages(Direction::Write, first_index << PAGE_SECTOR_SHIFT, count,
                          const_cast<void* const*>(pages));
}

long BlockDevice::transfer_pages(Direction direction, u64 sector, u32 count, void* const pages[])
{
    for (u32 i = 0; i < count; i++)
        if (long err = transfer(direction, sector + u64(i) * SECTORS_PER_PAGE, SECTORS_PER_PAGE,
                                pages[i]))
            return err;
    return 0;
}

long BlockDevice::read_page(u64 index, void* page)
{
    void* const pages[1] = { page };
    return read_pages(index, 1, pages);
}

long BlockDevice::write_page(u64 index, const void* page)
{
    const void* const pages[1] = { page };
    return write_pages(index, 1, pages);
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

void for_each_device(void (*fn)(BlockDevice& device, void* arg), void* arg)
{
    for (BlockDevice* d : devices)
        if (d)
            fn(*d, arg);
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
