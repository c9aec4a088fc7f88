/*
 * MBR partition tables: the four primary entries of sector 0, and a BlockDevice for each
 * primary partition that forwards to its disk at an offset. Extended partitions are
 * reported but not descended into: there are no logical partitions. Pure code (host tests
 * in tests/partition_test.cpp).
 */
#pragma once

#include <drivers/block.h>

namespace block {

constexpr size_t MBR_ENTRIES_OFFSET = 446;
constexpr size_t MBR_ENTRY_SIZE = 16;
constexpr size_t MBR_SIGNATURE_OFFSET = 510;   /* 0x55, 0xAA */

enum class PartitionKind : u8 {
    Empty,          /* type 0, or no sectors */
    Primary,
    Extended,       /* types 0x05, 0x0F, 0x85: listed, not read */
    BeyondDisk,     /* starts at sector 0 or does not fit on the disk: refused */
};

struct MbrEntry {
    PartitionKind kind = PartitionKind::Empty;
    u8 type = 0;
    bool bootable = false;
    u32 first_sector = 0;
    u32 sectors = 0;
};

struct PartitionTable {
    MbrEntry entries[MAX_PARTITIONS];           /* entry i is partition i + 1 */
};

enum class MbrResult : u8 { Ok, NoSignature };

/*
 * Reads the table from sector 0 of a disk of disk_sectors sectors. Without the 0x55AA
 * signature there is no table (NoSignature, every entry Empty).
 */
MbrResult parse_mbr(const u8 (&sector)[SECTOR_SIZE], u64 disk_sectors, PartitionTable& out);

bool is_extended_type(u8 type);

/* A primary partition: sectors [first, first + count) of its disk. */
class PartitionDevice final : public BlockDevice {
public:
    PartitionDevice(BlockDevice& disk, u32 number, u64 first, u64 count);

    BlockDevice& disk() const { return m_disk; }
    u64 first_sector() const { return m_first; }

protected:
    long transfer(Direction direction, u64 sector, u32 count, void* buf) override;
    long transfer_pages(Direction direction, u64 sector, u32 count, void* const pages[]) override;

private:
    BlockDevice& m_disk;
    u64 m_first;
};

} // namespace block
