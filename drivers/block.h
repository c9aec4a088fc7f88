/*
 * The block layer: whole disks and their partitions as BlockDevices, each known by its
 * device number (Linux's: major << 8 | minor; hda is 3:0, hdb 3:64, hdc 22:0, hdd 22:64,
 * partitions at minor + 1..4). The swap code finds a device from the rdev of the special
 * file it was given (fs::stat) with block::find_device, and moves whole pages.
 *
 * Pure code: it builds for the host tests too. The file layer's side (open, read, write,
 * ioctl of /dev/hdX) is in block_file.cpp; the partition scan at registration in genhd.cpp.
 * docs/disks.md describes the design.
 */
#pragma once

#include <kernel/errno.h>
#include <kernel/types.h>

namespace block {

constexpr u32 SECTOR_SIZE = 512;
constexpr u32 SECTOR_SHIFT = 9;
constexpr u32 PAGE_BYTES = 4096;
constexpr u32 PAGE_SECTOR_SHIFT = 3;            /* 8 sectors to a page */
constexpr u32 SECTORS_PER_PAGE = 1u << PAGE_SECTOR_SHIFT;
/* Pages one read_pages/write_pages request may move: 128 KB, 256 sectors, one ATA command. */
constexpr u32 MAX_REQUEST_PAGES = 32;

constexpr u32 IDE0_MAJOR = 3;                   /* hda at minor 0, hdb at 64 */
constexpr u32 IDE1_MAJOR = 22;                  /* hdc at minor 0, hdd at 64 */
constexpr u32 MINORS_PER_DISK = 64;
constexpr u32 MAX_PARTITIONS = 4;               /* primary partitions only */

constexpr u32 make_dev(u32 major, u32 minor) { return (major << 8) | minor; }
constexpr u32 dev_major(u32 dev) { return dev >> 8; }
constexpr u32 dev_minor(u32 dev) { return dev & 0xFF; }

enum class Direction : u8 { Read, Write };

class BlockDevice {
public:
    BlockDevice(const char* name, u32 rdev, u64 sectors);
    virtual ~BlockDevice() = default;
    BlockDevice(const BlockDevice&) = delete;
    BlockDevice& operator=(const BlockDevice&) = delete;

    const char* name() const { return m_name; }
    u32 rdev() const { return m_rdev; }
    u64 sectors() const { return m_sectors; }
    u64 bytes() const { return m_sectors << SECTOR_SHIFT; }
    /* Whole pages only: a last partial page is not part of any page index. */
    u64 pages() const { return m_sectors >> PAGE_SECTOR_SHIFT; }

    /*
     * `count` sectors from `sector` on, into or out of buf (kernel memory, count * 512
     * bytes). 0, -EINVAL for a range that does not lie within the device, or -EIO.
     * They may sleep (the disk driver waits for its interrupt), except with interrupts
     * off, where the driver polls.
     */
    long read_sectors(u64 sector, u32 count, void* buf);
    long write_sectors(u64 sector, u32 count, const void* buf);

    /*
     * `count` (1..MAX_REQUEST_PAGES) consecutive 4 KB pages of the device, page indexes
     * first_index on (bytes first_index * 4096 on), in one request: pages[i] is page
     * first_index + i, a page-aligned page of the kernel's linear map, anywhere in memory.
     * 0; -EINVAL for a count out of bounds, a page not aligned or a range not within the
     * device (nothing moves then); -EIO when any part failed (which part is not said: the
     * caller tries page by page to find it).
     */
    long read_pages(u64 first_index, u32 count, void* const pages[]);
    long write_pages(u64 first_index, u32 count, const void* const pages[]);

    /* One page: read_pages/write_pages of count 1. */
    long read_page(u64 index, void* page);
    long write_page(u64 index, const void* page);

protected:
    /* The range is checked; count >= 1. */
    virtual long transfer(Direction direction, u64 sector, u32 count, void* buf) = 0;
    /*
     * The pages' sectors, count * SECTORS_PER_PAGE from `sector` on; the range and the
     * pages are checked. By default one transfer per page; a driver that can scatter and
     * gather does better.
     */
    virtual long transfer_pages(Direction direction, u64 sector, u32 count, void* const pages[]);

private:
    bool pages_request_valid(u64 first_index, u32 count, const void* const pages[]) const;

    char m_name[12];
    u32 m_rdev;
    u64 m_sectors;
};

/*
 * Requests being transferred now (their callers wait for them). The idle loop polls
 * rather than halts while there are some.
 */
u32 requests_in_flight();

/*
 * The registry. add_device: 0, -EBUSY if the number is taken, -ENOSPC if the table is
 * full. The registry does not own the device; it must stay alive until removed.
 */
long add_device(BlockDevice& device);
void remove_device(BlockDevice& device);
/* The device with that number, or null. */
BlockDevice* find_device(u32 rdev);
/* Calls fn for every registered device, in the registry's order (/proc/partitions). */
void for_each_device(void (*fn)(BlockDevice& device, void* arg), void* arg);
/* The registered devices in no particular order: index 0, 1, ... until null. */
BlockDevice* device_at(size_t index);

} // namespace block
