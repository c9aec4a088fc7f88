/* The ATA disks: probing the four positions, and reads and writes of sectors. */
#include <arch/io.h>
#include <drivers/ata.h>
#include <drivers/ata_channel.h>
#include <drivers/ata_dma.h>
#include <drivers/block_file.h>
#include <drivers/genhd.h>
#include <drivers/timer.h>
#include <kernel/cmdline.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <kernel/string.h>

#include <new>

namespace ata {

namespace {

constexpr u32 MAX_SECTORS_PER_COMMAND = 256;

/* IDENTIFY DEVICE words. */
constexpr u32 ID_CONFIG = 0, ID_MODEL = 27, ID_MODEL_WORDS = 20, ID_MAX_MULTIPLE = 47,
              ID_CAPABILITIES = 49, ID_FIELD_VALID = 53, ID_LBA28_SECTORS = 60, ID_MWDMA = 63,
              ID_COMMAND_SETS = 83, ID_UDMA = 88, ID_LBA48_SECTORS = 100;
constexpr u16 ID_CONFIG_NOT_ATA = 1u << 15, ID_CAP_DMA = 1u << 8, ID_CAP_LBA = 1u << 9,
              ID_CMD_LBA48 = 1u << 10, ID_WORD88_VALID = 1u << 2;
/* SET FEATURES: set transfer mode, its sector count a mode class and number. */
constexpr u8 SETFEATURES_XFER = 0x03, XFER_MWDMA = 0x20, XFER_UDMA = 0x40;
/* Linux's old IDE driver set at most 16 sectors a block (QEMU's limit too). */
constexpr u32 MAX_MULTIPLE = 16;

class Disk final : public block::BlockDevice {
public:
    Disk(const char* name, u32 rdev, u64 sectors, Channel& channel, Drive drive,
         const DiskInfo& info)
        : BlockDevice(name, rdev, sectors), m_channel(channel), m_drive(drive), m_info(info) { }

    const DiskInfo& info() const { return m_info; }

protected:
    long transfer(block::Direction direction, u64 sector, u32 count, void* buf) override;
    long transfer_pages(block::Direction direction, u64 sector, u32 count,
                        void* const pages[]) override;

private:
    long run(block::Direction direction, u64 sector, u32 count, SectorBuffers buffers);

    Channel& m_channel;
    Drive m_drive;
    DiskInfo m_info;
};

Disk* disks[NR_POSITIONS];
u32 probe_took;

long Disk::transfer(block::Direction direction, u64 sector, u32 count, void* buf)
{
    return run(direction, sector, count, SectorBuffers(buf));
}

/* At most MAX_REQUEST_PAGES pages, 256 sectors: one command. */
long Disk::transfer_pages(block::Direction direction, u64 sector, u32 count, void* const pages[])
{
    return run(direction, sector, count * block::SECTORS_PER_PAGE, SectorBuffers(pages));
}

/* One command at a time holds the channel; the lock is taken per command. */
long Disk::run(block::Direction direction, u64 sector, u32 count, SectorBuffers buffers)
{
    while (count) {
        u32 n = count < MAX_SECTORS_PER_COMMAND ? count : MAX_SECTORS_PER_COMMAND;
        Addressing addressing = sector + n > LBA28_LIMIT ? Addressing::Lba48 : Addressing::Lba28;
        if (addressing == Addressing::Lba48 && !m_info.lba48)
            return -EIO;        /* the size IDENTIFY gave keeps requests below this */
        Protocol protocol = m_info.dma && Channel::dma_reachable(buffers, n) ? Protocol::Dma
                                                                            : Protocol::Pio;
        Request request { m_drive, direction, addressing, protocol, m_info.multiple, sector, n,
                          buffers, name() };
        if (!m_channel.acquire()) {
            printk(KERN_ERR "%s: channel busy with interrupts off: request at LBA %llu refused\n",
                   name(), sector);
            return -EIO;
        }
        long err = m_channel.transfer_locked(request);
        m_channel.release();
        if (err)
            return err;
        sector += n;
        count -= n;
        buffers = buffers.from(n);
    }
    return 0;
}

enum class Probe : u8 { Absent, Disk, Atapi, NotUsable };

bool atapi_signature(u8 mid, u8 high)
{
    return (mid == 0x14 && high == 0xEB) || (mid == 0x69 && high == 0x96);
}

/*
 * Whether a drive answers at the position: its task file keeps what is written to it
 * (Linux's ata_devchk). An empty position on a live channel reads back 0 or the other
 * drive's status, never both patterns. Before the reset, so that the reset waits only
 * for drives that are there.
 */
bool answers(Channel& ch, Drive drive)
{
    ch.select(drive, 0);
    ch.write(reg::SECTOR_COUNT, 0x55);
    ch.write(reg::LBA_LOW, 0xAA);
    ch.write(reg::SECTOR_COUNT, 0xAA);
    ch.write(reg::LBA_LOW, 0x55);
    ch.write(reg::SECTOR_COUNT, 0x55);
    ch.write(reg::LBA_LOW, 0xAA);
    return ch.read(reg::SECTOR_COUNT) == 0x55 && ch.read(reg::LBA_LOW) == 0xAA;
}

/*
 * IDENTIFY DEVICE, polled, with the drive's interrupts off, after the reset and its wait
 * for BSY. An ATAPI device shows its signature after the reset, or aborts IDENTIFY and
 * shows it then.
 */
Probe identify(Channel& ch, Drive drive, u16 (&id)[256], const char* name)
{
    ch.select(drive, 0);
    /* A packet device may show status 0 after the reset: the signature first. */
    if (atapi_signature(ch.read(reg::LBA_MID), ch.read(reg::LBA_HIGH)))
        return Probe::Atapi;
    /* The reset waited RESET_TIMEOUT_MS for BSY to clear, and said so if it did not. */
    u8 status = ch.alt_status();
    if (status == 0xFF)
        return Probe::Absent;
    if (status & ST_BSY)
        return Probe::NotUsable;
    ch.write(reg::SECTOR_COUNT, 0);
    ch.write(reg::LBA_LOW, 0);
    ch.write(reg::LBA_MID, 0);
    ch.write(reg::LBA_HIGH, 0);
    ch.write(reg::COMMAND, u8(Command::IdentifyDevice));
    ch.select_delay();
    /* 400 ns after a command a drive shows BSY or its answer; all zeros: no drive took it. */
    if (ch.alt_status() == 0)
        return Probe::Absent;
    if (!ch.poll_not_busy(ch.command_timeout_ms(), status)) {
        printk(KERN_WARNING "%s: no answer to IDENTIFY (status %#x): skipped\n", name, status);
        ch.reset();
        return Probe::NotUsable;
    }
    /* Anything but zeros here is a packet device, SATA bridge or the like. */
    if (ch.read(reg::LBA_MID) || ch.read(reg::LBA_HIGH))
        return atapi_signature(ch.read(reg::LBA_MID), ch.read(reg::LBA_HIGH)) ? Probe::Atapi
                                                                             : Probe::NotUsable;
    /* The data request may follow BSY's end a little later. */
    ch.poll_not_busy(ch.command_timeout_ms(), status, ST_DRQ | ST_ERR);
    if (status & ST_ERR) {
        ch.read(reg::STATUS);
        return atapi_signature(ch.read(reg::LBA_MID), ch.read(reg::LBA_HIGH)) ? Probe::Atapi
                                                                             : Probe::NotUsable;
    }
    if (!(status & ST_DRQ))
        return Probe::NotUsable;
    for (u16& w : id)
        w = arch::inw(ch.base());
    ch.read(reg::STATUS);
    return Probe::Disk;
}

/* The model string: two characters a word, high byte first, padded with spaces. */
void copy_model(const u16 (&id)[256], char (&model)[41])
{
    for (u32 i = 0; i < ID_MODEL_WORDS; i++) {
        model[2 * i] = char(id[ID_MODEL + i] >> 8);
        model[2 * i + 1] = char(id[ID_MODEL + i]);
    }
    model[40] = '\0';
    for (int i = 39; i >= 0 && (model[i] == ' ' || model[i] == '\0'); i--)
        model[i] = '\0';
}

u8 highest_mode(u32 mask)
{
    u8 mode = 0;
    while (mask >>= 1)
        mode++;
    return mode;
}

/*
 * SET MULTIPLE MODE with the largest power of two up to word 47's maximum (and 16, as
 * Linux's old IDE driver): READ/WRITE MULTIPLE then move that many sectors per interrupt.
 * 1 when the drive has no multiple mode or refuses it.
 */
u32 set_multiple(Channel& ch, Drive drive, const u16 (&id)[256])
{
    u32 most = id[ID_MAX_MULTIPLE] & 0xFF;
    if (most > MAX_MULTIPLE)
        most = MAX_MULTIPLE;
    if (most < 2)
        return 1;
    u32 multiple = 1u << highest_mode(most);
    return ch.non_data_command(drive, Command::SetMultipleMode, 0, u8(multiple)) ? multiple : 1;
}

/*
 * Whether the disk does DMA, and in which mode: as Linux's ata_piix, the fastest mode the
 * drive (IDENTIFY words 49, 53, 63, 88) and the controller both have, UDMA before
 * multiword DMA, set with SET FEATURES (QEMU and Bochs do DMA without it; a drive need
 * not). On a controller this driver does not know it cannot time a mode: DMA only if the
 * BIOS did set it up, as Linux's ata_generic.
 */
bool set_dma_mode(Channel& ch, Drive drive, const u16 (&id)[256], const Controller& c,
                  DiskInfo& info)
{
    if (!ch.bus_master() || !(id[ID_CAPABILITIES] & ID_CAP_DMA))
        return false;
    if (!c.known) {
        u8 capable = drive == Drive::Slave ? bm::ST_DRIVE1_DMA : bm::ST_DRIVE0_DMA;
        kfmt::snprintf(info.mode, sizeof info.mode, "DMA");
        return ch.bm_read(bm::STATUS) & capable;
    }
    u32 udma = id[ID_FIELD_VALID] & ID_WORD88_VALID ? id[ID_UDMA] & 0x7F & c.udma_modes : 0;
    u32 mwdma = id[ID_MWDMA] & 0x07;
    if (!udma && !mwdma)
        return false;
    u8 mode = highest_mode(udma ? udma : mwdma);
    u8 xfer = u8((udma ? XFER_UDMA : XFER_MWDMA) | mode);
    if (!ch.non_data_command(drive, Command::SetFeatures, SETFEATURES_XFER, xfer))
        return false;
    if (udma)
        piix4_enable_udma(c, ch.index(), drive, mode);
    kfmt::snprintf(info.mode, sizeof info.mode, "DMA %s%u", udma ? "udma" : "mwdma", mode);
    return true;
}

void probe_position(u8 position, const Controller* controller)
{
    Channel& ch = channel(position >> 1);
    Drive drive = position & 1 ? Drive::Slave : Drive::Master;
    char name[4] = { 'h', 'd', char('a' + position), '\0' };
    static u16 id[256];

    switch (identify(ch, drive, id, name)) {
    case Probe::Absent:
    case Probe::NotUsable:
        return;
    case Probe::Atapi:
        printk(KERN_INFO "%s: ATAPI device (CD-ROM or the like): not a disk, skipped\n", name);
        return;
    case Probe::Disk:
        break;
    }
    DiskInfo info;
    copy_model(id, info.model);
    if ((id[ID_CONFIG] & ID_CONFIG_NOT_ATA) || !(id[ID_CAPABILITIES] & ID_CAP_LBA)) {
        printk(KERN_WARNING "%s: %s: no LBA addressing: not supported, skipped\n", name,
               info.model);
        return;
    }
    u64 sectors = u64(id[ID_LBA28_SECTORS]) | u64(id[ID_LBA28_SECTORS + 1]) << 16;
    /* Word 83 is valid when bit 14 is set and bit 15 clear. */
    info.lba48 = (id[ID_COMMAND_SETS] & 0xC000) == 0x4000 && (id[ID_COMMAND_SETS] & ID_CMD_LBA48);
    if (info.lba48) {
        u64 sectors48 = 0;
        for (int i = 3; i >= 0; i--)
            sectors48 = sectors48 << 16 | id[ID_LBA48_SECTORS + i];
        if (sectors48)
            sectors = sectors48;
    } else if (sectors > LBA28_LIMIT) {
        sectors = LBA28_LIMIT;
    }
    info.multiple = set_multiple(ch, drive, id);
    info.dma = controller && command_line.ide_dma &&
               set_dma_mode(ch, drive, id, *controller, info);
    if (!info.dma) {
        if (info.multiple > 1)
            kfmt::snprintf(info.mode, sizeof info.mode, "PIO multi %u", info.multiple);
        else
            kfmt::snprintf(info.mode, sizeof info.mode, "PIO");
    }
    u32 major = position < 2 ? block::IDE0_MAJOR : block::IDE1_MAJOR;
    u32 minor = (position & 1) * block::MINORS_PER_DISK;
    auto* disk = new (std::nothrow) Disk(name, block::make_dev(major, minor), sectors, ch, drive,
                                         info);
    if (!disk) {
        printk(KERN_ERR "%s: no memory for the disk\n", name);
        return;
    }
    printk(KERN_INFO "%s: %s, %llu MB (%llu sectors), %s, %s\n", name, info.model, sectors >> 11,
           sectors, info.lba48 ? "LBA48" : "LBA28", info.mode);
    disks[position] = disk;
}

void probe_channel(u8 index, const Controller* controller)
{
    Channel& ch = channel(index);
    /* No controller answers on a floating bus: every register reads 0xFF. Quickly. */
    if (ch.read(reg::STATUS) == 0xFF)
        return;
    ch.set_drive_interrupts(Channel::DriveInterrupts::Off);
    /* A drive still busy (with what the firmware asked of it) does not take writes. */
    u8 status;
    if (!ch.poll_not_busy(RESET_TIMEOUT_MS, status) && status == 0xFF)
        return;
    u8 attached = 0;
    for (u8 drive = 0; drive < 2; drive++)
        if (answers(ch, drive ? Drive::Slave : Drive::Master))
            attached |= u8(1u << drive);
    if (!attached)
        return;
    ch.set_attached(attached);
    ch.reset();
    for (u8 drive = 0; drive < 2; drive++)
        if (attached & (1u << drive))
            probe_position(u8(index * 2 + drive), controller);
    ch.install_irq();
    ch.set_drive_interrupts(Channel::DriveInterrupts::On);
}

} // namespace

void init()
{
    u32 start = jiffies;
    /* With ide=nodma the controller stays as the BIOS left it: every disk is PIO. */
    const Controller* controller = command_line.ide_dma ? find_controller() : nullptr;
    for (u8 i = 0; i < NR_CHANNELS; i++) {
        if (controller && controller->channels & (1u << i))
            channel(i).set_bus_master(u16(controller->bus_master + 8 * i));
        probe_channel(i, controller);
    }
    probe_took = jiffies - start;
    if (block::register_block_major(block::IDE0_MAJOR).is_error() ||
        block::register_block_major(block::IDE1_MAJOR).is_error())
        printk(KERN_ERR "ata: the IDE block majors are taken\n");
    /* The partition check reads each disk: after all are probed and the IRQs are in. */
    for (Disk* d : disks)
        if (d && block::add_disk(*d))
            printk(KERN_ERR "%s: cannot register the disk\n", d->name());
}

block::BlockDevice* disk(u8 position)
{
    return position < NR_POSITIONS ? disks[position] : nullptr;
}

u32 probe_ticks() { return probe_took; }

const DiskInfo* disk_info(u8 position)
{
    return position < NR_POSITIONS && disks[position] ? &disks[position]->info() : nullptr;
}

} // namespace ata
