/*
 * Bus-master DMA on an IDE channel (SFF-8038i, as the PIIX family does it): the physical
 * region descriptor table, READ/WRITE DMA, one interrupt per command; and finding the PCI
 * IDE controller whose bus masters serve the two legacy channels.
 */
#include <arch/cpu.h>
#include <arch/io.h>
#include <drivers/ata_channel.h>
#include <drivers/ata_dma.h>
#include <drivers/ata_prd.h>
#include <drivers/pci.h>
#include <kernel/printk.h>
#include <mm/layout.h>

namespace ata {

namespace {

/*
 * A request moves at most 256 sectors: 32 pages, or a buffer of 128 KB that 64 KB
 * windows cut into at most three pieces. Each table is 512 bytes, aligned to 512: dword
 * aligned and within one 64 KB window, as the controller needs.
 */
constexpr u32 MAX_PRDS = 64;
alignas(512) Prd prd_tables[NR_CHANNELS][MAX_PRDS];

/* Keeps the compiler's stores to memory the controller reads before the port write, and
   its loads of what the controller wrote after the wait. */
inline void dma_barrier() { arch::barrier(); }

Command dma_command(const Request& r)
{
    bool ext = r.addressing == Addressing::Lba48;
    if (r.direction == block::Direction::Read)
        return ext ? Command::ReadDmaExt : Command::ReadDma;
    return ext ? Command::WriteDmaExt : Command::WriteDma;
}

} // namespace

u8 Channel::bm_read(u16 r) const { return arch::inb(u16(m_bus_master + r)); }
void Channel::bm_write(u16 r, u8 value) const { arch::outb(u16(m_bus_master + r), value); }

bool Channel::dma_reachable(const SectorBuffers& buffers, u32 count)
{
    for (u32 i = 0; i < count; i++) {
        uintptr_t at = uintptr_t(buffers.sector(i));
        /* The controller takes word-aligned addresses (bit 0 of a PRD's is 0). */
        if (at & 1 || at < PAGE_OFFSET ||
            u64(at) + block::SECTOR_SIZE > u64(PAGE_OFFSET) + MAX_MAPPED_MEMORY)
            return false;
    }
    return true;
}

bool Channel::build_prd_table(const Request& r)
{
    PrdBuilder builder(prd_tables[m_index], MAX_PRDS);
    for (u32 i = 0; i < r.count; i++)
        if (!builder.add(virt_to_phys(u32(uintptr_t(r.buffers.sector(i)))), block::SECTOR_SIZE))
            return false;
    return builder.finish() != 0;
}

void Channel::stop_bus_master()
{
    if (!m_bus_master)
        return;
    bm_write(bm::COMMAND, 0);
    /* Interrupt and error are cleared by writing 1; the drives' DMA-capable bits stay. */
    bm_write(bm::STATUS, u8(bm_read(bm::STATUS) | bm::ST_ERROR | bm::ST_INTERRUPT));
}

/*
 * SFF-8038i's order: the table, the direction, the status cleared, the drive's command,
 * then the start bit. The drive interrupts once, at the end; the bus master's status
 * then says whether its part went well, and the start bit is cleared again.
 */
Channel::Outcome Channel::dma_once_locked(const Request& r)
{
    WaitMode mode;
    if (Outcome o = start_locked(r, mode); o != Outcome::Done)
        return o;
    if (!build_prd_table(r)) {
        printk(KERN_ERR "%s: %u sectors at LBA %llu do not fit the DMA table\n", r.disk_name,
               r.count, r.lba);
        return Outcome::Failed;
    }
    u8 direction = r.direction == block::Direction::Read ? bm::CMD_TO_MEMORY : 0;
    stop_bus_master();
    arch::outl(u16(m_bus_master + bm::PRD_TABLE), virt_to_phys(u32(uintptr_t(prd_tables[m_index]))));
    bm_write(bm::COMMAND, direction);
    dma_barrier();
    m_stats.dma_commands++;
    issue_locked(dma_command(r), r);
    bm_write(bm::COMMAND, u8(direction | bm::CMD_START));
    u8 status;
    bool ended = wait_for_drive(mode, status);
    u8 bm_status = bm_read(bm::STATUS);
    stop_bus_master();
    dma_barrier();
    if (!ended)
        return fail_locked(r.disk_name, r.direction, r.lba, Failure::Timeout, status);
    if (status & (ST_ERR | ST_DF))
        return fail_locked(r.disk_name, r.direction, r.lba, Failure::DeviceError, status);
    if (bm_status & bm::ST_ERROR)
        return fail_locked(r.disk_name, r.direction, r.lba, Failure::BusMasterError, bm_status);
    return Outcome::Done;
}

/*
 * The PIIX family, which QEMU's pc machine (PIIX3) and Bochs's i440FX (PIIX3) emulate: the
 * controller Linux's ata_piix knows. PIIX4 does UDMA 0-2 with its UDMA registers set; the
 * older ones multiword DMA only.
 */
namespace {

struct KnownController {
    u16 device;
    const char* name;
    u8 udma_modes;                      /* the modes the controller can time, as a mask */
};
constexpr KnownController PIIX[] = {
    { 0x1230, "PIIX", 0x00 },
    { 0x7010, "PIIX3", 0x00 },
    { 0x7111, "PIIX4", 0x07 },
};
constexpr u16 INTEL = 0x8086;
constexpr u8 CLASS_STORAGE = 0x01, SUBCLASS_IDE = 0x01;
/* Programming interface: a channel in native mode (bits 0, 2), bus master (bit 7). */
constexpr u8 PI_PRIMARY_NATIVE = 0x01, PI_SECONDARY_NATIVE = 0x04, PI_BUS_MASTER = 0x80;
/* PIIX4's UDMA control (a bit per drive) and timing (a nibble per drive). */
constexpr u8 PIIX4_UDMACTL = 0x48, PIIX4_UDMATIM = 0x4A;

Controller controller;

} // namespace

const Controller* find_controller()
{
    pci::Function found;
    bool any = pci::for_each_function([&](const pci::Function& f) {
        if (f.class_code != CLASS_STORAGE || f.subclass != SUBCLASS_IDE ||
            !(f.prog_if & PI_BUS_MASTER))
            return false;
        found = f;
        return true;
    });
    if (!any)
        return nullptr;
    controller = Controller { };
    controller.address = found.address;
    controller.name = "IDE controller";
    controller.known = false;
    for (const KnownController& k : PIIX)
        if (found.vendor == INTEL && found.device == k.device) {
            controller.name = k.name;
            controller.udma_modes = k.udma_modes;
            controller.known = true;
        }
    u32 bar4 = pci::read32(found.address, pci::cfg::BAR4);
    /* An I/O BAR (bit 0) the BIOS has placed: without one there is nothing to program. */
    if (!(bar4 & 1) || !(bar4 & 0xFFFC)) {
        printk(KERN_INFO "ide: %s at 00:%02x.%u: no bus-master registers assigned, no DMA\n",
               controller.name, found.address.device, found.address.function);
        return nullptr;
    }
    controller.bus_master = u16(bar4 & 0xFFFC);
    u16 command = pci::read16(found.address, pci::cfg::COMMAND);
    pci::write16(found.address, pci::cfg::COMMAND, u16(command | pci::CMD_IO | pci::CMD_BUS_MASTER));
    /* A channel in native mode is not at the legacy ports this driver knows. */
    controller.channels = u8((found.prog_if & PI_PRIMARY_NATIVE ? 0 : 1) |
                             (found.prog_if & PI_SECONDARY_NATIVE ? 0 : 2));
    printk(KERN_INFO "ide: %s at 00:%02x.%u (%04x:%04x), bus master at %#x\n", controller.name,
           found.address.device, found.address.function, found.vendor, found.device,
           controller.bus_master);
    return &controller;
}

void piix4_enable_udma(const Controller& c, u8 channel_index, Drive drive, u8 mode)
{
    u32 devid = channel_index * 2u + (drive == Drive::Slave ? 1 : 0);
    u16 control = pci::read16(c.address, PIIX4_UDMACTL);
    pci::write16(c.address, PIIX4_UDMACTL, u16(control | 1u << devid));
    u16 timing = pci::read16(c.address, PIIX4_UDMATIM);
    timing = u16((timing & ~(3u << (4 * devid))) | u32(mode) << (4 * devid));
    pci::write16(c.address, PIIX4_UDMATIM, timing);
}

} // namespace ata
