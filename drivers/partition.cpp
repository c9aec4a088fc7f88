/* The MBR's four primary entries, and partitions as devices of their own. */
#include <drivers/partition.h>
#include <kernel/string.h>

namespace block {

namespace {

u32 get_le32(const u8* p)
{
    return u32(p[0]) | u32(p[1]) << 8 | u32(p[2]) << 16 | u32(p[3]) << 24;
}

/* "hda" and 1 make "hda1"; the disk's name is short (BlockDevice keeps 11 characters). */
struct PartitionName {
    char text[16];
    PartitionName(const char* disk, u32 number)
    {
        size_t n = strlen(disk);
        if (n > sizeof text - 3)
            n = sizeof text - 3;
        memcpy(text, disk, n);
        text[n] = char('0' + number % 10);
        text[n + 1] = '\0';
    }
};

} // namespace

bool is_extended_type(u8 type)
{
    return type == 0x05 || type == 0x0F || type == 0x85;
}

MbrResult parse_mbr(const u8 (&sector)[SECTOR_SIZE], u64 disk_sectors, PartitionTable& out)
{
    out = PartitionTable { };
    if (sector[MBR_SIGNATURE_OFFSET] != 0x55 || sector[MBR_SIGNATURE_OFFSET + 1] != 0xAA)
        return MbrResult::NoSignature;
    for (u32 i = 0; i < MAX_PARTITIONS; i++) {
        const u8* raw = sector + MBR_ENTRIES_OFFSET + i * MBR_ENTRY_SIZE;
        MbrEntry& e = out.entries[i];
        e.bootable = raw[0] == 0x80;
        e.type = raw[4];
        e.first_sector = get_le32(raw + 8);
        e.sectors = get_le32(raw + 12);
        /* Linux skips an entry without sectors whatever its type; so does this. */
        if (e.type == 0 || e.sectors == 0)
            e.kind = PartitionKind::Empty;
        else if (e.first_sector == 0 || u64(e.first_sector) + e.sectors > disk_sectors)
            e.kind = PartitionKind::BeyondDisk;         /* sector 0 holds the table itself */
        else if (is_extended_type(e.type))
            e.kind = PartitionKind::Extended;
        else
            e.kind = PartitionKind::Primary;
    }
    return MbrResult::Ok;
}

PartitionDevice::PartitionDevice(BlockDevice& disk, u32 number, u64 first, u64 count)
    : BlockDevice(PartitionName(disk.name(), number).text, disk.rdev() + number, count),
      m_disk(disk), m_first(first)
{
}

long PartitionDevice::transfer(Direction direction, u64 sector, u32 count, void* buf)
{
    return direction == Direction::Read ? m_disk.read_sectors(m_first + sector, count, buf)
                                        : m_disk.write_sectors(m_first + sector, count, buf);
}

/* Whole pages at a page-aligned offset stay one request; otherwise the disk's pages are
   not the partition's and the request goes sector-wise, page by page. */
long PartitionDevice::transfer_pages(Direction direction, u64 sector, u32 count,
                                     void* const pages[])
{
    if (m_first % SECTORS_PER_PAGE)
        return BlockDevice::transfer_pages(direction, sector, count, pages);
    u64 first_page = (m_first + sector) >> PAGE_SECTOR_SHIFT;
    return direction == Direction::Read
        ? m_disk.read_pages(first_page, count, pages)
        : m_disk.write_pages(first_page, count, const_cast<const void* const*>(pages));
}

} // namespace block
