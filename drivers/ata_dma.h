/*
 * The PCI IDE controller behind the legacy channels, for bus-master DMA
 * (drivers/ata_dma.cpp; docs/disks.md).
 */
#pragma once

#include <drivers/ata_channel.h>
#include <drivers/pci.h>

namespace ata {

struct Controller {
    pci::Address address;
    const char* name;
    bool known;                         /* one of the PIIX family: modes can be set */
    u8 udma_modes;                      /* what it can time, as IDENTIFY word 88's mask */
    u16 bus_master;                     /* BAR4: channel 0's registers, channel 1's at + 8 */
    u8 channels;                        /* bit i: channel i at the legacy ports */
};

/*
 * The first IDE controller on PCI bus 0 that can be bus master, its bus mastering turned
 * on, or null (no PCI, no such controller, its registers not assigned). Once, at boot.
 */
const Controller* find_controller();

/* PIIX4: UDMA on for one drive, at `mode` (0..2), as Linux's ata_piix does. */
void piix4_enable_udma(const Controller& c, u8 channel_index, Drive drive, u8 mode);

} // namespace ata
