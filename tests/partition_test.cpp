#include <drivers/partition.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using block::MbrResult;
using block::PartitionKind;
using block::PartitionTable;

namespace {

/* Sector 0 of a disk, built by hand. */
struct Mbr {
    u8 bytes[block::SECTOR_SIZE] = { };

    Mbr() { bytes[510] = 0x55; bytes[511] = 0xAA; }
    Mbr& entry(int index, u8 type, u32 first, u32 count, bool bootable = false)
    {
        u8* e = bytes + block::MBR_ENTRIES_OFFSET + index * block::MBR_ENTRY_SIZE;
        e[0] = bootable ? 0x80 : 0;
        e[4] = type;
        std::memcpy(e + 8, &first, 4);
        std::memcpy(e + 12, &count, 4);
        return *this;
    }
};

/* A disk in memory, to check what partitions forward. */
class MemoryDisk final : public block::BlockDevice {
public:
    explicit MemoryDisk(u64 sectors)
        : BlockDevice("hdx", block::make_dev(3, 64), sectors), data(sectors * 512) { }
    std::vector<u8> data;
    u64 last_sector = 0;
    u32 last_count = 0;

protected:
    long transfer(block::Direction direction, u64 sector, u32 count, void* buf) override
    {
        last_sector = sector;
        last_count = count;
        u8* at = data.data() + sector * 512;
        if (direction == block::Direction::Read)
            std::memcpy(buf, at, count * 512);
        else
            std::memcpy(at, buf, count * 512);
        return 0;
    }
};

} // namespace

TEST(Mbr, FourPrimaryEntries)
{
    Mbr mbr;
    mbr.entry(0, 0x83, 2048, 4096, true).entry(1, 0x82, 6144, 8192).entry(3, 0x0C, 20000, 100);
    PartitionTable t;
    ASSERT_EQ(block::parse_mbr(mbr.bytes, 32768, t), MbrResult::Ok);
    EXPECT_EQ(t.entries[0].kind, PartitionKind::Primary);
    EXPECT_TRUE(t.entries[0].bootable);
    EXPECT_EQ(t.entries[0].type, 0x83);
    EXPECT_EQ(t.entries[0].first_sector, 2048u);
    EXPECT_EQ(t.entries[0].sectors, 4096u);
    EXPECT_EQ(t.entries[1].kind, PartitionKind::Primary);
    EXPECT_FALSE(t.entries[1].bootable);
    EXPECT_EQ(t.entries[1].first_sector, 6144u);
    EXPECT_EQ(t.entries[2].kind, PartitionKind::Empty);
    EXPECT_EQ(t.entries[3].kind, PartitionKind::Primary);
    EXPECT_EQ(t.entries[3].sectors, 100u);
}

TEST(Mbr, NoSignatureNoTable)
{
    Mbr mbr;
    mbr.entry(0, 0x83, 2048, 4096);
    mbr.bytes[511] = 0x55;
    PartitionTable t;
    EXPECT_EQ(block::parse_mbr(mbr.bytes, 32768, t), MbrResult::NoSignature);
    for (const auto& e : t.entries)
        EXPECT_EQ(e.kind, PartitionKind::Empty);
    /* A version 0 swap header: the bitmap's 0xFF bytes at 510 are no signature. */
    u8 swap[512];
    std::memset(swap, 0xFF, sizeof swap);
    EXPECT_EQ(block::parse_mbr(swap, 32768, t), MbrResult::NoSignature);
}

TEST(Mbr, EmptyEntries)
{
    Mbr mbr;
    mbr.entry(0, 0x00, 2048, 4096);     /* type 0 */
    mbr.entry(1, 0x83, 2048, 0);        /* no sectors */
    PartitionTable t;
    ASSERT_EQ(block::parse_mbr(mbr.bytes, 32768, t), MbrResult::Ok);
    for (const auto& e : t.entries)
        EXPECT_EQ(e.kind, PartitionKind::Empty);
}

TEST(Mbr, ExtendedListedNotDescended)
{
    for (u8 type : { 0x05, 0x0F, 0x85 }) {
        Mbr mbr;
        mbr.entry(2, type, 10000, 5000);
        PartitionTable t;
        ASSERT_EQ(block::parse_mbr(mbr.bytes, 32768, t), MbrResult::Ok);
        EXPECT_EQ(t.entries[2].kind, PartitionKind::Extended) << int(type);
        EXPECT_TRUE(block::is_extended_type(type));
    }
    EXPECT_FALSE(block::is_extended_type(0x83));
}

TEST(Mbr, EntriesOutsideTheDiskRefused)
{
    Mbr mbr;
    mbr.entry(0, 0x83, 2048, 30720);            /* ends exactly at the end: fine */
    mbr.entry(1, 0x83, 2048, 30721);            /* one sector too many */
    mbr.entry(2, 0x83, 40000, 10);              /* starts past the end */
    mbr.entry(3, 0x83, 0, 100);                 /* over the table itself */
    PartitionTable t;
    ASSERT_EQ(block::parse_mbr(mbr.bytes, 32768, t), MbrResult::Ok);
    EXPECT_EQ(t.entries[0].kind, PartitionKind::Primary);
    EXPECT_EQ(t.entries[1].kind, PartitionKind::BeyondDisk);
    EXPECT_EQ(t.entries[2].kind, PartitionKind::BeyondDisk);
    EXPECT_EQ(t.entries[3].kind, PartitionKind::BeyondDisk);
}

TEST(Mbr, HugeEntriesDoNotWrap)
{
    Mbr mbr;
    mbr.entry(0, 0x83, 0xFFFFFF00u, 0x200);     /* first + count overflows 32 bits */
    mbr.entry(1, 0x83, 1, 0xFFFFFFFFu);
    PartitionTable t;
    ASSERT_EQ(block::parse_mbr(mbr.bytes, u64(1) << 33, t), MbrResult::Ok);
    EXPECT_EQ(t.entries[0].kind, PartitionKind::Primary);      /* fits a 2^33-sector disk */
    EXPECT_EQ(t.entries[1].kind, PartitionKind::Primary);
    ASSERT_EQ(block::parse_mbr(mbr.bytes, 0xFFFFFFFFu, t), MbrResult::Ok);
    EXPECT_EQ(t.entries[0].kind, PartitionKind::BeyondDisk);
    EXPECT_EQ(t.entries[1].kind, PartitionKind::BeyondDisk);
}

TEST(PartitionDevice, ForwardsAtItsOffset)
{
    MemoryDisk disk(100);
    block::PartitionDevice part(disk, 3, 40, 50);
    EXPECT_STREQ(part.name(), "hdx3");
    EXPECT_EQ(part.rdev(), block::make_dev(3, 67));
    EXPECT_EQ(part.sectors(), 50u);
    EXPECT_EQ(part.pages(), 6u);
    EXPECT_EQ(&part.disk(), &disk);
    EXPECT_EQ(part.first_sector(), 40u);

    u8 page[4096];
    std::memset(page, 0x3C, sizeof page);
    EXPECT_EQ(part.write_page(2, page), 0);
    EXPECT_EQ(disk.last_sector, 56u);
    EXPECT_EQ(disk.last_count, 8u);
    EXPECT_EQ(disk.data[56 * 512], 0x3C);
    EXPECT_EQ(disk.data[64 * 512 - 1], 0x3C);
    EXPECT_EQ(disk.data[64 * 512], 0);

    disk.data[89 * 512] = 0x77;
    u8 sector[512];
    EXPECT_EQ(part.read_sectors(49, 1, sector), 0);
    EXPECT_EQ(sector[0], 0x77);
    EXPECT_EQ(part.read_sectors(50, 1, sector), -EINVAL);
    EXPECT_EQ(part.read_sectors(45, 6, sector), -EINVAL);
    EXPECT_EQ(part.read_page(6, page), -EINVAL);
}

TEST(BlockRegistry, FindByDeviceNumber)
{
    MemoryDisk disk(16);
    block::PartitionDevice part(disk, 1, 1, 8);
    ASSERT_EQ(block::add_device(disk), 0);
    ASSERT_EQ(block::add_device(part), 0);
    EXPECT_EQ(block::add_device(disk), -EBUSY);
    EXPECT_EQ(block::find_device(0x0340), &disk);
    EXPECT_EQ(block::find_device(0x0341), &part);
    EXPECT_EQ(block::find_device(0x0342), nullptr);
    EXPECT_EQ(block::device_at(0), &disk);
    EXPECT_EQ(block::device_at(1), &part);
    EXPECT_EQ(block::device_at(2), nullptr);
    block::remove_device(disk);
    block::remove_device(part);
    EXPECT_EQ(block::find_device(0x0340), nullptr);
    EXPECT_EQ(block::device_at(0), nullptr);
}
