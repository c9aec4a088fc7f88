/*
 * Self-tests of the block layer on a disk in memory, and of the ATA probe as found: they
 * need no disk, so they run in every self-test boot (the disks themselves are tested in
 * ata_selftests.cpp).
 */
#include <drivers/ata.h>
#include <drivers/timer.h>
#include <drivers/block.h>
#include <drivers/partition.h>
#include <fs/node.h>
#include <fs/test_support.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <mm/memory.h>

namespace {

using block::BlockDevice;
using block::Direction;

/* A disk in pages of kernel memory: sector s holds bytes s * 512 ... of the pages. */
class RamDisk final : public BlockDevice {
public:
    static constexpr u32 PAGES = 4;

    RamDisk(const char* name, u32 rdev, u64 sectors) : BlockDevice(name, rdev, sectors)
    {
        for (VirtAddr& p : m_pages)
            p = get_free_page(Gfp::Kernel);
    }
    ~RamDisk() override
    {
        for (VirtAddr p : m_pages)
            if (p)
                free_page(p);
    }
    bool ok() const
    {
        for (VirtAddr p : m_pages)
            if (!p)
                return false;
        return sectors() <= PAGES * block::SECTORS_PER_PAGE;
    }
    u8* at(u64 sector) const
    {
        return m_pages[sector >> 3].as_ptr<u8>() + (u32(sector & 7) << block::SECTOR_SHIFT);
    }
    u32 transfers = 0;

protected:
    long transfer(Direction direction, u64 sector, u32 count, void* buf) override
    {
        transfers++;
        u8* b = static_cast<u8*>(buf);
        for (u32 i = 0; i < count; i++, b += block::SECTOR_SIZE) {
            if (direction == Direction::Read)
                memcpy(b, at(sector + i), block::SECTOR_SIZE);
            else
                memcpy(at(sector + i), b, block::SECTOR_SIZE);
        }
        return 0;
    }

private:
    VirtAddr m_pages[PAGES];
};

/* A /dev disk node whose number no device has: a RamDisk can stand in for it. */
const char* free_disk_node(u32& rdev)
{
    static const char* const candidates[] = { "/dev/hdd4", "/dev/hdc4", "/dev/hdb4", "/dev/hda4" };
    for (const char* path : candidates) {
        fs::FileStat st;
        if (to_syscall_result(fs::stat(path, st, true)) == 0 && !block::find_device(st.rdev)) {
            rdev = st.rdev;
            return path;
        }
    }
    return nullptr;
}

} // namespace

KTEST(block, registry_by_device_number)
{
    RamDisk a("rama", block::make_dev(250, 0), 16), b("ramb", block::make_dev(250, 64), 16);
    ASSERT_EQ(block::add_device(a), 0);
    EXPECT_EQ(block::add_device(b), 0);
    RamDisk same("ramc", block::make_dev(250, 0), 16);
    EXPECT_EQ(block::add_device(same), -EBUSY);
    EXPECT_EQ(block::find_device(0xFA00), &a);
    EXPECT_EQ(block::find_device(0xFA40), &b);
    EXPECT_EQ(block::find_device(0xFA01), nullptr);
    bool listed = false;
    for (size_t i = 0; BlockDevice* d = block::device_at(i); i++)
        listed |= d == &b;
    EXPECT_TRUE(listed);
    block::remove_device(a);
    block::remove_device(b);
    EXPECT_EQ(block::find_device(0xFA00), nullptr);
    EXPECT_EQ(block::find_device(0xFA40), nullptr);
}

KTEST(block, pages_and_range_checks)
{
    RamDisk disk("ram", 0, 20);         /* two whole pages and half of a third */
    ASSERT_TRUE(disk.ok());
    EXPECT_EQ(disk.pages(), 2u);
    EXPECT_EQ(disk.bytes(), 20u * 512);
    u8* page = get_free_page(Gfp::Kernel).as_ptr<u8>();
    ASSERT_TRUE(page);
    for (u32 i = 0; i < 4096; i++)
        page[i] = u8(i * 7);
    EXPECT_EQ(disk.write_page(1, page), 0);
    EXPECT_EQ(memcmp(disk.at(8), page, 4096), 0);
    memset(page, 0, 4096);
    EXPECT_EQ(disk.read_page(1, page), 0);
    EXPECT_EQ(page[4095], u8(4095 * 7));
    u32 before = disk.transfers;
    EXPECT_EQ(disk.read_page(2, page), -EINVAL);               /* the half page is no page */
    EXPECT_EQ(disk.read_sectors(19, 2, page), -EINVAL);
    EXPECT_EQ(disk.write_sectors(20, 1, page), -EINVAL);
    EXPECT_EQ(disk.read_sectors(0, 0, page), -EINVAL);
    EXPECT_EQ(disk.read_sectors(~u64(0), 2, page), -EINVAL);  /* no wrap-around */
    EXPECT_EQ(disk.transfers, before);
    EXPECT_EQ(disk.read_sectors(16, 4, page), 0);
    free_page(VirtAddr(u32(page)));
}

KTEST(block, partition_forwards_at_its_offset)
{
    RamDisk disk("ram", block::make_dev(250, 0), 32);
    ASSERT_TRUE(disk.ok());
    block::PartitionDevice part(disk, 2, 5, 20);
    EXPECT_STREQ(part.name(), "ram2");
    EXPECT_EQ(part.rdev(), block::make_dev(250, 2));
    EXPECT_EQ(part.sectors(), 20u);
    u8 sector[512];
    memset(sector, 0xA5, sizeof sector);
    EXPECT_EQ(part.write_sectors(3, 1, sector), 0);
    EXPECT_EQ(disk.at(8)[0], 0xA5);
    EXPECT_EQ(disk.at(8)[511], 0xA5);
    EXPECT_EQ(part.write_sectors(20, 1, sector), -EINVAL);     /* past the partition */
    EXPECT_EQ(disk.at(25)[0], 0);
}

/* The file layer's view, through a /dev node that has no disk behind it. */
KTEST(block, dev_file_is_byte_granular)
{
    u32 rdev = 0;
    const char* path = free_disk_node(rdev);
    ASSERT_TRUE(path);
    char name[8] = "ramf";
    RamDisk disk(name, rdev, 24);               /* 12 KB: 3 pages */
    ASSERT_TRUE(disk.ok());
    for (u64 s = 0; s < 24; s++)
        memset(disk.at(s), int(s), 512);
    ASSERT_EQ(block::add_device(disk), 0);

    fs::File* f = nullptr;
    long err = to_syscall_result(open_into(path, fs::O_RDWR, f));
    EXPECT_EQ(err, 0);
    if (!err) {
        fs::FileStat st;
        EXPECT_EQ(to_syscall_result(f->stat(st)), 0);
        EXPECT_EQ(st.mode & fs::S_IFMT, fs::S_IFBLK);
        EXPECT_EQ(st.rdev, rdev);
        EXPECT_EQ(st.size, 0u);                 /* as Linux says for a block device */

        i64 pos = -1;
        EXPECT_EQ(to_syscall_result(seek_into(*f, 0, fs::SEEK_END, pos)), 0);
        EXPECT_EQ(pos, 24 * 512);
        EXPECT_EQ(to_syscall_result(seek_into(*f, 1, fs::SEEK_END, pos)), -EINVAL);
        EXPECT_EQ(to_syscall_result(seek_into(*f, 1000, fs::SEEK_SET, pos)), 0);

        static u8 buf[1500];
        EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 1500);     /* sectors 1..4, not aligned */
        EXPECT_EQ(buf[0], 1);
        EXPECT_EQ(buf[23], 1);
        EXPECT_EQ(buf[24], 2);
        EXPECT_EQ(buf[1499], 4);
        EXPECT_EQ(f->offset(), 2500);

        /* A write across a sector boundary changes those bytes and nothing else. */
        memset(buf, 0xEE, 100);
        EXPECT_EQ(to_syscall_result(seek_into(*f, 1000, fs::SEEK_SET, pos)), 0);
        EXPECT_EQ(to_syscall_result(f->write(buf, 100)), 100);
        EXPECT_EQ(disk.at(1)[487], 1);
        EXPECT_EQ(disk.at(1)[488], 0xEE);
        EXPECT_EQ(disk.at(2)[75], 0xEE);
        EXPECT_EQ(disk.at(2)[76], 2);

        /* Whole pages; then the end of the device. */
        EXPECT_EQ(to_syscall_result(seek_into(*f, 4096, fs::SEEK_SET, pos)), 0);
        memset(buf, 0x5A, sizeof buf);
        EXPECT_EQ(to_syscall_result(f->write(buf, 1024)), 1024);
        EXPECT_EQ(disk.at(9)[511], 0x5A);
        EXPECT_EQ(to_syscall_result(seek_into(*f, -10, fs::SEEK_END, pos)), 0);
        EXPECT_EQ(to_syscall_result(f->read(buf, 100)), 10);
        EXPECT_EQ(to_syscall_result(f->read(buf, 100)), 0);
        EXPECT_EQ(to_syscall_result(f->write(buf, 1)), -ENOSPC);
        EXPECT_EQ(to_syscall_result(seek_into(*f, -4, fs::SEEK_END, pos)), 0);
        EXPECT_EQ(to_syscall_result(f->write(buf, 10)), 4);
        f->put();
    }
    block::remove_device(disk);
    EXPECT_EQ(to_syscall_result(open_into(path, fs::O_RDONLY, f)), -ENXIO);
}

/* Whatever was found: each disk is registered under its name and Linux's number. */
/*
 * Only drives that answered get the reset's 31 s to leave BSY: a floating bus or an empty
 * position is known at once, so a machine without disks boots without waiting.
 */
KTEST(ata, probe_is_quick)
{
    EXPECT_LT(ata::probe_ticks(), HZ);
}

KTEST(ata, probed_disks_are_registered)
{
    static const struct { const char* name; const char* path; u32 rdev; } positions[] = {
        { "hda", "/dev/hda", 0x0300 }, { "hdb", "/dev/hdb", 0x0340 },
        { "hdc", "/dev/hdc", 0x1600 }, { "hdd", "/dev/hdd", 0x1640 },
    };
    for (u8 p = 0; p < ata::NR_POSITIONS; p++) {
        BlockDevice* disk = ata::disk(p);
        EXPECT_EQ(block::find_device(positions[p].rdev), disk);
        fs::File* f = nullptr;
        long err = to_syscall_result(open_into(positions[p].path, fs::O_RDONLY, f));
        if (!disk) {
            EXPECT_EQ(err, -ENXIO);
            continue;
        }
        EXPECT_STREQ(disk->name(), positions[p].name);
        EXPECT_GT(disk->sectors(), 0u);
        EXPECT_EQ(err, 0);
        if (!err)
            f->put();
    }
}
