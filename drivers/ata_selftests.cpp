/*
 * Self-tests of the ATA driver on the disks of the test stage ("disks" in
 * scripts/run-tests.py), which boots with `test_disks=1` and attaches:
 *
 *   hda   8 MiB raw, every sector holding its pattern (below), tag 0
 *   hdb  16 MiB raw, patterns with tag 1, an MBR made by sfdisk: hdb1 2048+4096,
 *        hdb2 6144+8192, hdb3 an empty extended partition at 14336+8192, hdb4 24576+8192
 *   hdc 130 GiB sparse raw (zeros): beyond 2^28 sectors, so LBA48
 *   hdd   1 MiB raw, patterns with tag 3, behind QEMU's blkdebug: reading sector 100
 *         fails with EIO (and so does any access to it afterwards)
 *
 * Sector n of a pattern disk is 128 little-endian u32 words: n, 0xD15C0000 | tag, then
 * word k = n ^ k. Without `test_disks=1` on the command line these cases skip; with it, a
 * missing or different disk fails them.
 *
 * The disk_clock suite runs under QEMU's -icount with sleep=off (the loaded-host stage),
 * with the disks of `test_disks=1`.
 *
 * The disk_timeout suite runs in a boot of its own, with `test_disks=slow`: hda is QEMU's
 * null-co driver answering after 3 s, six times the 0.5 s the cases set as the channel's
 * command timeout; hdb a 1 MiB pattern disk (tag 1) on the same channel.
 */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <drivers/ata.h>
#include <drivers/ata_channel.h>
#include <drivers/pci.h>
#include <drivers/timer.h>
#include <fs/file.h>
#include <fs/test_support.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <mm/memory.h>
#include <mm/page_holder.h>

namespace {

using block::BlockDevice;

constexpr u64 HDA_SECTORS = 16384, HDB_SECTORS = 32768, HDD_SECTORS = 2048;
constexpr u64 HDC_SECTORS = u64(130) << 21;     /* 130 GiB */
constexpr u64 BAD_SECTOR = 100;

/* Whether the command line says `test_disks=<which>`. */
bool fixture_expected(const char* which)
{
    for (size_t i = 0; i < command_line.init_envc; i++) {
        const char* word = command_line.init_envp[i];
        if (strncmp(word, "test_disks=", 11) == 0 && strcmp(word + 11, which) == 0)
            return true;
    }
    return false;
}

#define REQUIRE_TEST_DISKS(which)                                                       \
    do {                                                                                \
        if (!fixture_expected(which))                                                   \
            KTEST_SKIP("no test disks (test_disks=" which " not given)");                \
    } while (0)

/* The first mismatching word of sector n's pattern, or -1. */
int pattern_mismatch(const void* sector, u64 n, u32 tag)
{
    const u32* w = static_cast<const u32*>(sector);
    if (w[0] != u32(n))
        return 0;
    if (w[1] != (0xD15C0000u | tag))
        return 1;
    for (u32 k = 2; k < 128; k++)
        if (w[k] != (u32(n) ^ k))
            return int(k);
    return -1;
}

/* A page of kernel memory for the length of a case. */
/* A zeroed page for a test's data, freed with it. */
class Buffer {
public:
    Buffer() : m_page(get_free_page(Gfp::Kernel)) { }
    explicit operator bool() const { return bool(m_page); }
    u8* get() const { return m_page.as_ptr<u8>(); }
    u32* words() const { return m_page.as_ptr<u32>(); }
private:
    mm::PageHolder m_page;
};

const ata::ChannelStats& stats_of(u8 position) { return ata::channel(position >> 1).stats(); }

} // namespace

KTEST(disk, fixture_attached)
{
    REQUIRE_TEST_DISKS("1");
    static const u64 sizes[ata::NR_POSITIONS] = { HDA_SECTORS, HDB_SECTORS, HDC_SECTORS, HDD_SECTORS };
    for (u8 p = 0; p < ata::NR_POSITIONS; p++) {
        BlockDevice* disk = ata::disk(p);
        EXPECT_TRUE(disk);
        if (disk)
            EXPECT_EQ(disk->sectors(), sizes[p]);
    }
    const ata::DiskInfo* big = ata::disk_info(2);
    EXPECT_TRUE(big && big->lba48);
    EXPECT_TRUE(big && strcmp(big->model, "QEMU HARDDISK") == 0);
    /* QEMU's pc machine has a PIIX3: DMA unless the command line turned it off; its
       isapc has no PCI. The drives take blocks of 16 sectors. */
    for (u8 p = 0; p < ata::NR_POSITIONS; p++) {
        const ata::DiskInfo* info = ata::disk_info(p);
        EXPECT_TRUE(info && info->dma == (command_line.ide_dma && pci::present()));
        EXPECT_TRUE(info && info->multiple == 16);
    }
}

KTEST(disk, sectors_hold_their_numbers)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    Buffer buf;
    ASSERT_TRUE(buf);
    for (u64 n : { u64(0), u64(1), u64(255), u64(256), u64(4095), HDA_SECTORS - 1 }) {
        memset(buf.get(), 0, 512);
        EXPECT_EQ(hda->read_sectors(n, 1, buf.get()), 0);
        EXPECT_EQ(pattern_mismatch(buf.get(), n, 0), -1);
    }
    /* Eight at once, from an odd place, and a whole page. */
    EXPECT_EQ(hda->read_sectors(1001, 8, buf.get()), 0);
    for (u64 i = 0; i < 8; i++)
        EXPECT_EQ(pattern_mismatch(buf.get() + i * 512, 1001 + i, 0), -1);
    EXPECT_EQ(hda->read_page(100, buf.get()), 0);
    for (u64 i = 0; i < 8; i++)
        EXPECT_EQ(pattern_mismatch(buf.get() + i * 512, 800 + i, 0), -1);
    EXPECT_EQ(hda->read_sectors(HDA_SECTORS, 1, buf.get()), -EINVAL);
}

KTEST(disk, pages_written_at_the_end_read_back)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    Buffer buf;
    ASSERT_TRUE(buf);
    u64 last = hda->pages() - 1;
    for (u64 page = last - 1; page <= last; page++) {
        for (u32 i = 0; i < 1024; i++)
            buf.words()[i] = u32(page * 0x9E3779B1u) ^ i;
        EXPECT_EQ(hda->write_page(page, buf.get()), 0);
    }
    for (u64 page = last - 1; page <= last; page++) {
        memset(buf.get(), 0, 4096);
        EXPECT_EQ(hda->read_page(page, buf.get()), 0);
        bool same = true;
        for (u32 i = 0; i < 1024; i++)
            same &= buf.words()[i] == (u32(page * 0x9E3779B1u) ^ i);
        EXPECT_TRUE(same);
    }
    /* The page before them is untouched. */
    EXPECT_EQ(hda->read_page(last - 2, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get() + 7 * 512, (last - 2) * 8 + 7, 0), -1);
}

KTEST(disk, lba48_beyond_2_28_sectors)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hdc = ata::disk(2);
    ASSERT_TRUE(hdc);
    Buffer buf;
    ASSERT_TRUE(buf);
    const ata::ChannelStats& stats = stats_of(2);

    /* Below the limit, LBA28. */
    u32 before = stats.lba48_commands;
    EXPECT_EQ(hdc->read_sectors(ata::LBA28_LIMIT - 1, 1, buf.get()), 0);
    EXPECT_EQ(stats.lba48_commands, before);

    /* Across and above it, LBA48: a page straddling 2^28, one above, the last sector. */
    for (u32 i = 0; i < 1024; i++)
        buf.words()[i] = 0xB16D15C0u + i;
    EXPECT_EQ(hdc->write_sectors(ata::LBA28_LIMIT - 4, 8, buf.get()), 0);
    EXPECT_EQ(stats.lba48_commands, before + 1);
    u64 high_page = (ata::LBA28_LIMIT >> 3) + 12345;
    buf.words()[0] = u32(high_page);
    EXPECT_EQ(hdc->write_page(high_page, buf.get()), 0);
    EXPECT_EQ(stats.lba48_commands, before + 2);

    memset(buf.get(), 0, 4096);
    EXPECT_EQ(hdc->read_page(high_page, buf.get()), 0);
    EXPECT_EQ(buf.words()[0], u32(high_page));
    EXPECT_EQ(buf.words()[1023], 0xB16D15C0u + 1023);
    /* Sector 2^28 itself, the first beyond LBA28, holds the straddling write's 5th. */
    EXPECT_EQ(hdc->read_sectors(ata::LBA28_LIMIT, 1, buf.get()), 0);
    EXPECT_EQ(buf.words()[0], 0xB16D15C0u + 4 * 128);
    EXPECT_EQ(hdc->read_sectors(ata::LBA28_LIMIT - 1, 1, buf.get()), 0);
    EXPECT_EQ(buf.words()[0], 0xB16D15C0u + 3 * 128);
    EXPECT_EQ(hdc->read_sectors(HDC_SECTORS - 1, 1, buf.get()), 0);
    EXPECT_EQ(buf.words()[0], 0u);              /* never written: the sparse file's zeros */
    EXPECT_GE(stats.lba48_commands, before + 5);
}

KTEST(disk, mbr_partitions_at_their_offsets)
{
    REQUIRE_TEST_DISKS("1");
    static const struct { u32 rdev; u64 first, sectors; } parts[] = {
        { 0x0341, 2048, 4096 }, { 0x0342, 6144, 8192 }, { 0x0344, 24576, 8192 },
    };
    Buffer buf;
    ASSERT_TRUE(buf);
    for (const auto& p : parts) {
        BlockDevice* part = block::find_device(p.rdev);
        EXPECT_TRUE(part);
        if (!part)
            continue;
        EXPECT_EQ(part->sectors(), p.sectors);
        EXPECT_EQ(part->read_sectors(0, 1, buf.get()), 0);
        EXPECT_EQ(pattern_mismatch(buf.get(), p.first, 1), -1);
        EXPECT_EQ(part->read_sectors(p.sectors - 1, 1, buf.get()), 0);
        EXPECT_EQ(pattern_mismatch(buf.get(), p.first + p.sectors - 1, 1), -1);
        EXPECT_EQ(part->read_sectors(p.sectors, 1, buf.get()), -EINVAL);
    }
    EXPECT_STREQ(block::find_device(0x0342) ? block::find_device(0x0342)->name() : "", "hdb2");
    /* The extended partition is listed at boot, not a device; hda has no table. */
    EXPECT_EQ(block::find_device(0x0343), nullptr);
    EXPECT_EQ(block::find_device(0x0301), nullptr);
    fs::File* f = nullptr;
    EXPECT_EQ(to_syscall_result(open_into("/dev/hdb3", fs::O_RDONLY, f)), -ENXIO);
    ASSERT_EQ(to_syscall_result(open_into("/dev/hdb4", fs::O_RDONLY, f)), 0);
    u32 word = 0;
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, 512 * 10, fs::SEEK_SET, pos)), 0);
    EXPECT_EQ(to_syscall_result(f->read(&word, 4)), 4);
    EXPECT_EQ(word, 24576u + 10);
    f->put();
}

KTEST(disk, two_disks_at_once)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    BlockDevice* hdb = ata::disk(1);
    BlockDevice* hdd = ata::disk(3);
    ASSERT_TRUE(hda && hdb && hdd);
    Buffer buf;
    ASSERT_TRUE(buf);
    int bad = 0;
    for (u64 i = 0; i < 64; i++) {
        u64 n = 3000 + i * 37;
        bad += hda->read_sectors(n, 1, buf.get()) != 0 || pattern_mismatch(buf.get(), n, 0) != -1;
        bad += hdb->read_sectors(n, 1, buf.get()) != 0 || pattern_mismatch(buf.get(), n, 1) != -1;
        bad += hdd->read_sectors(i, 1, buf.get()) != 0 || pattern_mismatch(buf.get(), i, 3) != -1;
    }
    EXPECT_EQ(bad, 0);
}

KTEST(disk, injected_errors_are_eio_without_a_hang)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hdd = ata::disk(3);
    ASSERT_TRUE(hdd);
    Buffer buf;
    ASSERT_TRUE(buf);
    const ata::ChannelStats& stats = stats_of(3);
    u32 resets = stats.resets, start = jiffies;
    EXPECT_EQ(hdd->read_sectors(BAD_SECTOR - 1, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), BAD_SECTOR - 1, 3), -1);
    EXPECT_EQ(hdd->read_sectors(BAD_SECTOR, 1, buf.get()), -EIO);
    EXPECT_EQ(hdd->read_page(BAD_SECTOR / 8, buf.get()), -EIO);
    EXPECT_EQ(hdd->write_sectors(BAD_SECTOR, 1, buf.get()), -EIO);
    /* The drive ended each command itself: no timeout, no reset, and it goes on working. */
    EXPECT_EQ(hdd->read_sectors(BAD_SECTOR + 1, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), BAD_SECTOR + 1, 3), -1);
    EXPECT_EQ(stats.resets, resets);
    EXPECT_LT(jiffies - start, HZ);
    /* Through the file layer too. */
    fs::File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/dev/hdd", fs::O_RDONLY, f)), 0);
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, BAD_SECTOR * 512, fs::SEEK_SET, pos)), 0);
    EXPECT_EQ(to_syscall_result(f->read(buf.get(), 4096)), -EIO);
    f->put();
}

/*
 * The idle task waits with hlt for the drive's interrupt: the CPU is free while the
 * drive works (a process would sleep instead; the user-space test disk_io_sleeps shows
 * another process running then). With interrupts off, the driver polls.
 */
KTEST(disk, waits_for_the_interrupt_polls_without)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    ASSERT_TRUE(arch::interrupts_enabled());
    Buffer buf;
    ASSERT_TRUE(buf);
    const ata::ChannelStats& stats = stats_of(0);
    u32 interrupts = stats.interrupts, halts = stats.halts, polled = stats.polled;
    /* 32 reads at least; on a busy host the interrupt can beat the CPU to hlt several
       times in a row, so up to 512 until one hlt was needed. */
    u32 reads = 0;
    for (u64 n = 0; n < 512 && (n < 32 || stats.halts == halts); n++, reads++)
        EXPECT_EQ(hda->read_sectors(5000 + n, 1, buf.get()), 0);
    EXPECT_EQ(stats.interrupts - interrupts, reads);
    EXPECT_GT(stats.halts, halts);
    EXPECT_EQ(stats.polled, polled);

    interrupts = stats.interrupts;
    u32 dma = stats.dma_commands;
    {
        arch::InterruptDisabler off;
        EXPECT_EQ(hda->read_sectors(6000, 8, buf.get()), 0);
        EXPECT_EQ(hda->write_sectors(HDA_SECTORS - 100, 1, buf.get()), 0);
    }
    EXPECT_EQ(pattern_mismatch(buf.get() + 7 * 512, 6007, 0), -1);
    /* By PIO even on a DMA disk: a wait per block of the read, one for the write's end. */
    u32 multiple = ata::disk_info(0)->multiple;
    EXPECT_EQ(stats.polled - polled, (8 + multiple - 1) / multiple + 1);
    EXPECT_EQ(stats.dma_commands, dma);
    EXPECT_EQ(stats.interrupts, interrupts);
    /* And interrupts again afterwards. */
    EXPECT_EQ(hda->read_sectors(HDA_SECTORS - 100, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), 6000, 0), -1);
    EXPECT_EQ(stats.interrupts - interrupts, 1u);
}

namespace {

/* Commands a disk's requests went by: DMA, or PIO. */
u32 commands_of(u8 position, bool dma)
{
    const ata::ChannelStats& stats = stats_of(position);
    return dma ? stats.dma_commands : stats.pio_commands;
}

/* Three pages of the kernel's image: contiguous in physical memory too. */
alignas(4096) u8 contiguous[3 * 4096];

/* Pages from the free list, in whatever order and places it gives them. */
class Pages {
public:
    explicit Pages(u32 count) : m_count(count)
    {
        for (u32 i = 0; i < count; i++)
            m_pages[i] = get_free_page(Gfp::Kernel).as_ptr<void>();
    }
    ~Pages()
    {
        for (u32 i = 0; i < m_count; i++)
            if (m_pages[i])
                free_page(VirtAddr(u32(m_pages[i])));
    }
    Pages(const Pages&) = delete;
    Pages& operator=(const Pages&) = delete;
    explicit operator bool() const
    {
        for (u32 i = 0; i < m_count; i++)
            if (!m_pages[i])
                return false;
        return true;
    }
    void* const* get() const { return m_pages; }
    u8* page(u32 i) const { return static_cast<u8*>(m_pages[i]); }
private:
    u32 m_count;
    void* m_pages[block::MAX_REQUEST_PAGES] = { };
};

/* The sectors of pages first.. of a pattern disk, held in the pages; else a count of bad ones. */
int pattern_pages_mismatch(const Pages& pages, u64 first, u32 count, u32 tag)
{
    int bad = 0;
    for (u32 i = 0; i < count; i++)
        for (u32 k = 0; k < block::SECTORS_PER_PAGE; k++)
            bad += pattern_mismatch(pages.page(i) + k * 512, (first + i) * 8 + k, tag) != -1;
    return bad;
}

/* Pages first.. of a pattern disk's pattern, into the pages. */
void fill_pattern_pages(const Pages& pages, u64 first, u32 count, u32 tag)
{
    for (u32 i = 0; i < count; i++)
        for (u32 k = 0; k < block::SECTORS_PER_PAGE; k++) {
            u32* sector = reinterpret_cast<u32*>(pages.page(i) + k * 512);
            u32 n = u32((first + i) * 8 + k);
            sector[0] = n;
            sector[1] = 0xD15C0000u | tag;
            for (u32 w = 2; w < 128; w++)
                sector[w] = n ^ w;
        }
}

} // namespace

/*
 * Buffers that are no pages: one starting a few sectors before a page boundary, one
 * across two, both by DMA on a DMA disk; one at an odd address, which DMA cannot reach:
 * that goes by PIO. One command each. (Cutting at 64 KB windows: tests/ata_prd_test.cpp.)
 */
KTEST(disk, buffers_across_page_boundaries)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    bool dma = ata::disk_info(0)->dma;
    struct Case { u8* at; u64 sector; u32 count; bool by_dma; };
    const Case cases[] = {
        { contiguous + 4096 - 3 * 512, 777, 8, dma },
        { contiguous + 512, 3333, 22, dma },
        { contiguous + 1, 1234, 9, false },
    };
    for (const Case& c : cases) {
        memset(contiguous, 0, sizeof contiguous);
        u32 before = commands_of(0, c.by_dma);
        EXPECT_EQ(hda->read_sectors(c.sector, c.count, c.at), 0);
        EXPECT_EQ(commands_of(0, c.by_dma), before + 1);
        int bad = 0;
        for (u32 i = 0; i < c.count; i++) {
            u32 sector[128];
            memcpy(sector, c.at + i * 512, 512);
            bad += pattern_mismatch(sector, c.sector + i, 0) != -1;
        }
        EXPECT_EQ(bad, 0);
        /* Nothing written before or after the buffer. */
        EXPECT_EQ(c.at[-1], 0);
        EXPECT_EQ(c.at[c.count * 512], 0);
    }
}

/* 32 pages scattered in memory, one command and, with DMA, one interrupt. */
KTEST(disk, multi_page_requests_are_one_command)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    const ata::DiskInfo* info = ata::disk_info(0);
    const ata::ChannelStats& stats = stats_of(0);
    Pages pages(block::MAX_REQUEST_PAGES);
    ASSERT_TRUE(pages);
    /* The last pages of hda are the earlier cases' to write: not among these. */
    for (u64 first : { u64(0), u64(37), u64(1900) }) {
        u32 commands = commands_of(0, info->dma), interrupts = stats.interrupts;
        EXPECT_EQ(hda->read_pages(first, block::MAX_REQUEST_PAGES, pages.get()), 0);
        EXPECT_EQ(commands_of(0, info->dma), commands + 1);
        u32 blocks = info->dma ? 1 : 256 / info->multiple;
        EXPECT_EQ(stats.interrupts - interrupts, blocks);
        EXPECT_EQ(pattern_pages_mismatch(pages, first, block::MAX_REQUEST_PAGES, 0), 0);
    }
    /* Three pages, and one. */
    EXPECT_EQ(hda->read_pages(1000, 3, pages.get()), 0);
    EXPECT_EQ(pattern_pages_mismatch(pages, 1000, 3, 0), 0);
    EXPECT_EQ(hda->read_pages(1999, 1, pages.get()), 0);
    EXPECT_EQ(pattern_pages_mismatch(pages, 1999, 1, 0), 0);
    EXPECT_EQ(hda->read_pages(hda->pages() - 1, 2, pages.get()), -EINVAL);
}

/*
 * Written as pages of one request (DMA on a DMA disk), read back as one buffer at an odd
 * address (PIO, READ MULTIPLE) and as pages again; then the pattern put back.
 */
KTEST(disk, pages_written_in_one_request_read_back)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hdb = ata::disk(1);
    ASSERT_TRUE(hdb);
    const ata::DiskInfo* info = ata::disk_info(1);
    constexpr u32 N = block::MAX_REQUEST_PAGES;
    constexpr u64 FIRST = 3000;                 /* hdb pages 3000..3031: between hdb3 and hdb4 */
    Pages pages(N);
    ASSERT_TRUE(pages);
    for (u32 i = 0; i < N; i++)
        for (u32 w = 0; w < 1024; w++)
            reinterpret_cast<u32*>(pages.page(i))[w] = 0x5EED0000u + i * 1024 + w;
    u32 commands = commands_of(1, info->dma);
    EXPECT_EQ(hdb->write_pages(FIRST, N, pages.get()), 0);
    EXPECT_EQ(commands_of(1, info->dma), commands + 1);

    /* Sixteen sectors, pages 3003 and 3004, by PIO into an odd address. */
    u32 pio = stats_of(1).pio_commands;
    memset(contiguous, 0, sizeof contiguous);
    EXPECT_EQ(hdb->read_sectors((FIRST + 3) * 8, 16, contiguous + 1), 0);
    EXPECT_EQ(stats_of(1).pio_commands, pio + 1);
    bool same = true;
    for (u32 w = 0; w < 2048; w++) {
        u32 word;
        memcpy(&word, contiguous + 1 + w * 4, 4);
        same &= word == 0x5EED0000u + 3 * 1024 + w;
    }
    EXPECT_TRUE(same);

    for (u32 i = 0; i < N; i++)
        memset(pages.page(i), 0, 4096);
    EXPECT_EQ(hdb->read_pages(FIRST, N, pages.get()), 0);
    same = true;
    for (u32 i = 0; i < N; i++)
        for (u32 w = 0; w < 1024; w++)
            same &= reinterpret_cast<u32*>(pages.page(i))[w] == 0x5EED0000u + i * 1024 + w;
    EXPECT_TRUE(same);

    /* The pattern back, for the next boot of the same disk image. */
    fill_pattern_pages(pages, FIRST, N, 1);
    EXPECT_EQ(hdb->write_pages(FIRST, N, pages.get()), 0);
}

/*
 * hdd's sector 100 (page 12) fails: a request of pages around it fails as a whole with
 * -EIO, at once (the drive ends the command: no timeout, no reset); the pages beside it
 * read fine afterwards, in requests of their own.
 */
KTEST(disk, injected_error_in_a_multi_page_request)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hdd = ata::disk(3);
    ASSERT_TRUE(hdd);
    const ata::ChannelStats& stats = stats_of(3);
    Pages pages(8);
    ASSERT_TRUE(pages);
    u32 resets = stats.resets, timeouts = stats.timeouts, start = jiffies;
    EXPECT_EQ(hdd->read_pages(8, 8, pages.get()), -EIO);
    /* What the drive writes before it fails is the pattern already there. */
    fill_pattern_pages(pages, 10, 4, 3);
    EXPECT_EQ(hdd->write_pages(10, 4, pages.get()), -EIO);
    EXPECT_EQ(stats.resets, resets);
    EXPECT_EQ(stats.timeouts, timeouts);
    EXPECT_LT(jiffies - start, HZ);
    EXPECT_EQ(hdd->read_pages(4, 8, pages.get()), 0);
    EXPECT_EQ(pattern_pages_mismatch(pages, 4, 8, 3), 0);
    EXPECT_EQ(hdd->read_pages(13, 8, pages.get()), 0);
    EXPECT_EQ(pattern_pages_mismatch(pages, 13, 8, 3), 0);
}

/*
 * The command timeout shortened for a case: the slow drive answers after 3 s, well within
 * the driver's 30 s. Half a second keeps the boot short, and leaves room for a busy host:
 * then ticks come late and merge, and the guest's clock runs slower than the host's.
 */
class ShortTimeout {
public:
    explicit ShortTimeout(ata::Channel& channel, u32 ms = TIMEOUT_MS) : m_channel(channel)
    {
        m_channel.set_command_timeout_ms(ms);
    }
    ~ShortTimeout() { m_channel.set_command_timeout_ms(ata::COMMAND_TIMEOUT_MS); }
    ShortTimeout(const ShortTimeout&) = delete;
    ShortTimeout& operator=(const ShortTimeout&) = delete;
    static constexpr u32 TIMEOUT_MS = 500;
    static constexpr u32 DRIVE_LATENCY_MS = 3000;       /* the stage's null-co drive */
private:
    ata::Channel& m_channel;
};

constexpr u32 TRIES = 1 + ata::COMMAND_RETRIES;

KTEST(disk_timeout, slow_drive_gives_eio_after_retries)
{
    REQUIRE_TEST_DISKS("slow");
    BlockDevice* slow = ata::disk(0);
    BlockDevice* hdb = ata::disk(1);
    ASSERT_TRUE(slow && hdb);
    Buffer buf;
    ASSERT_TRUE(buf);
    ShortTimeout shorter(ata::channel(0));
    const ata::ChannelStats& stats = stats_of(0);
    u32 timeouts = stats.timeouts, resets = stats.resets, retries = stats.retries;
    /* Each try by DMA on a DMA disk: the wait for its one interrupt times out. */
    bool dma = ata::disk_info(0)->dma;
    u32 commands = commands_of(0, dma);
    u32 start = jiffies;
    EXPECT_EQ(slow->read_sectors(5, 1, buf.get()), -EIO);
    EXPECT_EQ(commands_of(0, dma), commands + TRIES);
    /* Each try waits out the timeout; a reset lasts until the drive's request ends. */
    u32 waited_ms = (jiffies - start) * (1000 / HZ);
    EXPECT_GE(waited_ms, TRIES * ShortTimeout::TIMEOUT_MS);
    EXPECT_LT(waited_ms, TRIES * (ShortTimeout::TIMEOUT_MS + ShortTimeout::DRIVE_LATENCY_MS) + 2000);
    EXPECT_EQ(stats.timeouts - timeouts, TRIES);
    EXPECT_EQ(stats.resets - resets, TRIES);
    EXPECT_EQ(stats.retries - retries, ata::COMMAND_RETRIES);
    /* After the resets, the other drive of the channel works. */
    EXPECT_EQ(hdb->read_sectors(7, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), 7, 1), -1);
}

/* TSC cycles, a 256th of them, in 500 ms of jiffies: a clock for when they stand still. */
u32 tsc_per_500ms()
{
    u32 start = jiffies;
    while (jiffies == start)
        ;
    start = jiffies;
    u64 t0 = arch::rdtsc();
    while (jiffies - start < HZ / 2)
        ;
    return u32((arch::rdtsc() - t0) >> 8);
}

/*
 * Polling with interrupts off (jiffies stand still) keeps the same deadline, by the PIT;
 * the case times it by the TSC, which QEMU's CPU has.
 */
KTEST(disk_timeout, slow_drive_polled_gives_eio_after_retries)
{
    REQUIRE_TEST_DISKS("slow");
    ASSERT_TRUE(cpu_hwcap() & (1u << 4));
    BlockDevice* slow = ata::disk(0);
    ASSERT_TRUE(slow);
    Buffer buf;
    ASSERT_TRUE(buf);
    ShortTimeout shorter(ata::channel(0));
    const ata::ChannelStats& stats = stats_of(0);
    u32 timeouts = stats.timeouts, retries = stats.retries;
    u32 per_ms = tsc_per_500ms() / 500;
    ASSERT_GE(per_ms, 1u);
    u64 start;
    u32 waited;
    {
        arch::InterruptDisabler off;
        start = arch::rdtsc();
        EXPECT_EQ(slow->read_sectors(9, 1, buf.get()), -EIO);
        waited = u32((arch::rdtsc() - start) >> 8);
    }
    /*
     * A quarter off: on a busy host ticks that come late make the calibration long (a
     * tenth was missed by 0.4 % with two other emulators running).
     */
    u32 waited_ms = waited / per_ms;
    EXPECT_GE(waited_ms, TRIES * ShortTimeout::TIMEOUT_MS * 3 / 4);
    EXPECT_LT(waited_ms, TRIES * (ShortTimeout::TIMEOUT_MS + ShortTimeout::DRIVE_LATENCY_MS) + 2000);
    EXPECT_EQ(stats.timeouts - timeouts, TRIES);
    EXPECT_EQ(stats.retries - retries, ata::COMMAND_RETRIES);
}

/* A lost interrupt: the command times out, the channel is reset, and the retry succeeds. */
KTEST(disk_timeout, lost_interrupt_retried_after_a_reset)
{
    REQUIRE_TEST_DISKS("slow");
    BlockDevice* hdb = ata::disk(1);
    ASSERT_TRUE(hdb);
    Buffer buf;
    ASSERT_TRUE(buf);
    ata::Channel& channel = ata::channel(0);
    ShortTimeout shorter(channel);
    const ata::ChannelStats& stats = stats_of(1);
    u32 timeouts = stats.timeouts, resets = stats.resets, retries = stats.retries;
    channel.lose_interrupts(1);
    EXPECT_EQ(hdb->read_sectors(11, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), 11, 1), -1);
    EXPECT_EQ(stats.timeouts - timeouts, 1u);
    EXPECT_EQ(stats.resets - resets, 1u);
    EXPECT_EQ(stats.retries - retries, 1u);
    /* Every try losing its interrupt: -EIO after the last retry. */
    channel.lose_interrupts(TRIES);
    EXPECT_EQ(hdb->read_sectors(12, 1, buf.get()), -EIO);
    EXPECT_EQ(stats.retries - retries, 1u + ata::COMMAND_RETRIES);
    channel.lose_interrupts(0);
    EXPECT_EQ(hdb->read_sectors(13, 1, buf.get()), 0);
    EXPECT_EQ(pattern_mismatch(buf.get(), 13, 1), -1);
}

/*
 * Under -icount with sleep=off jiffies race ahead while the CPU halts: a 3 s timeout
 * would pass in milliseconds of the host's time, before a busy host has served the
 * request. The timeout also waits for the CMOS clock, which follows the host: a lost
 * interrupt costs at least 2 s of it before the reset and the retry.
 */
KTEST(disk_clock, timeout_waits_for_the_wall_clock)
{
    REQUIRE_TEST_DISKS("1");
    BlockDevice* hda = ata::disk(0);
    ASSERT_TRUE(hda);
    Buffer buf;
    ASSERT_TRUE(buf);
    ata::Channel& channel = ata::channel(0);
    ShortTimeout shorter(channel, 3000);
    const ata::ChannelStats& stats = stats_of(0);
    u32 retries = stats.retries;
    channel.lose_interrupts(1);
    u32 start = read_rtc();
    EXPECT_EQ(hda->read_sectors(21, 1, buf.get()), 0);
    u32 waited = read_rtc() - start;
    EXPECT_EQ(pattern_mismatch(buf.get(), 21, 0), -1);
    EXPECT_EQ(stats.retries - retries, 1u);
    EXPECT_GE(waited, 2u);
}
