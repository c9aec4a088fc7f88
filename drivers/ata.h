/*
 * The ATA disk driver: the four IDE positions of the two legacy channels (0x1F0, IRQ 14;
 * 0x170, IRQ 15), master and slave. ata::init probes them at boot, skips what is not an
 * ATA disk (ATAPI CD-ROMs, empty positions, a floating bus), prints one line per disk and
 * adds each to the block layer as hda..hdd with its MBR partitions. Transfers are
 * bus-master DMA where a PCI IDE controller serves the channel (unless ide=nodma), PIO a
 * block of sectors per interrupt otherwise; LBA28 or LBA48, interrupt-driven; a timed-out
 * command is retried after a reset;
 * errors, and timeouts after the retries, end in -EIO, never a hang.
 * docs/disks.md describes the design.
 */
#pragma once

#include <drivers/block.h>

namespace ata {

constexpr u8 NR_POSITIONS = 4;          /* hda, hdb, hdc, hdd */
constexpr u64 LBA28_LIMIT = u64(1) << 28;       /* sectors LBA28 can address */

/* Probes the channels and registers the disks and the IDE block majors. Once, at boot. */
void init();

/* The disk at position 0 (hda) .. 3 (hdd), or null. */
block::BlockDevice* disk(u8 position);

/* What IDENTIFY said about a disk. */
struct DiskInfo {
    char model[41];
    bool lba48;
    bool dma;                           /* bus-master DMA (else PIO) */
    u32 multiple;                       /* PIO sectors per interrupt: 1, or SET MULTIPLE's */
    char mode[16];                      /* for the boot line: "DMA mwdma2", "PIO multi 16" */
};
const DiskInfo* disk_info(u8 position);

/* Jiffies the probe of the channels took: an empty position must cost no reset timeout. */
u32 probe_ticks();

} // namespace ata
