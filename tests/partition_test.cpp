#include <drivers/partition.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
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
    u32 page_requests = 0;              /* transfer_pages calls */
    u64 last_pages_sector = 0;
    u32 last_pages_count = 0;

protected:
    long transfer_pages(block::Direction direction, u64 sector, u32 count,
                        void* const pages[]) override
    {
        page_requests++;
        last_pages_sector = sector;
        last_pages_count = count;
        return BlockDevice::transfer_pages(direction, sector, count, pages);
    }

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

    alignas(4096) u8 page[4096];
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

/* A few page-aligned pages of the host's memory, each filled with its own byte. */
struct Pages {
    static constexpr u32 N = block::MAX_REQUEST_PAGES + 1;
    alignas(4096) u8 bytes[N][4096];
    void* at[N];
    Pages()
    {
        for (u32 i = 0; i < N; i++) {
            std::memset(bytes[i], int(0xA0 + i), 4096);
            at[i] = bytes[i];
        }
    }
};

TEST(BlockDevice, PagesRequestRangeChecks)
{
    MemoryDisk disk(block::SECTORS_PER_PAGE * 40 + 4);      /* 40 pages and a half */
    auto pages = std::make_unique<Pages>();
    u32 before = disk.page_requests;
    EXPECT_EQ(disk.read_pages(0, 0, pages->at), -EINVAL);
    EXPECT_EQ(disk.read_pages(0, block::MAX_REQUEST_PAGES + 1, pages->at), -EINVAL);
    EXPECT_EQ(disk.read_pages(39, 2, pages->at), -EINVAL);  /* the half page is no page */
    EXPECT_EQ(disk.write_pages(40, 1, pages->at), -EINVAL);
    EXPECT_EQ(disk.read_pages(~u64(0), 2, pages->at), -EINVAL);     /* no wrap-around */
    void* unaligned[2] = { pages->at[0], pages->bytes[1] + 512 };
    EXPECT_EQ(disk.read_pages(0, 2, unaligned), -EINVAL);
    void* null_page[1] = { nullptr };
    EXPECT_EQ(disk.read_pages(0, 1, null_page), -EINVAL);
    EXPECT_EQ(disk.page_requests, before);
    EXPECT_EQ(disk.data[0], 0);                             /* nothing moved */

    /* The most a request may hold, up to the last whole page. */
    EXPECT_EQ(disk.write_pages(8, block::MAX_REQUEST_PAGES, pages->at), 0);
    EXPECT_EQ(disk.page_requests, before + 1);
    EXPECT_EQ(disk.last_pages_sector, 64u);
    EXPECT_EQ(disk.last_pages_count, block::MAX_REQUEST_PAGES);
    EXPECT_EQ(disk.data[64 * 512], 0xA0);
    EXPECT_EQ(disk.data[(8 + 31) * 4096 + 4095], 0xA0 + 31);
    EXPECT_EQ(disk.data[40 * 4096], 0);                     /* the half page untouched */
    void* back[2] = { pages->bytes[32], pages->bytes[0] };
    EXPECT_EQ(disk.read_pages(38, 2, back), 0);
    EXPECT_EQ(pages->bytes[32][0], 0xA0 + 30);
    EXPECT_EQ(pages->bytes[0][4095], 0xA0 + 31);
    /* A page is count 1 of it. */
    EXPECT_EQ(disk.read_page(10, pages->bytes[5]), 0);
    EXPECT_EQ(disk.last_pages_sector, 80u);
    EXPECT_EQ(disk.last_pages_count, 1u);
    EXPECT_EQ(pages->bytes[5][100], 0xA2);
}

TEST(PartitionDevice, PagesForwardAsOneRequestAtItsOffset)
{
    MemoryDisk disk(200);
    block::PartitionDevice part(disk, 1, 16, 100);          /* 12 pages and a half */
    auto pages = std::make_unique<Pages>();
    EXPECT_EQ(part.write_pages(10, 2, pages->at), 0);
    EXPECT_EQ(disk.page_requests, 1u);
    EXPECT_EQ(disk.last_pages_sector, 16u + 80);
    EXPECT_EQ(disk.last_pages_count, 2u);
    EXPECT_EQ(disk.data[(16 + 80) * 512], 0xA0);
    EXPECT_EQ(disk.data[(16 + 96) * 512 - 1], 0xA1);
    EXPECT_EQ(part.write_pages(11, 2, pages->at), -EINVAL);
    EXPECT_EQ(disk.page_requests, 1u);

    /* At an offset that is no whole number of pages, still right, page by page. */
    block::PartitionDevice odd(disk, 2, 3, 40);
    disk.data[(3 + 8) * 512] = 0x5A;
    EXPECT_EQ(odd.read_pages(1, 2, pages->at), 0);
    EXPECT_EQ(pages->bytes[0][0], 0x5A);
    EXPECT_EQ(disk.last_sector, 3u + 16);
    EXPECT_EQ(disk.last_count, 8u);
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
