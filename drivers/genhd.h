/*
 * Disks join the block layer here: add_disk registers a whole disk and each primary
 * partition of its MBR (minor + 1..4), and prints what it found, as Linux's genhd did.
 */
#pragma once

#include <drivers/block.h>

namespace block {

/*
 * 0 or -errno (add_device's) for the disk itself; a partition table that cannot be read
 * or is invalid only costs the partitions, with a message. Partition devices live for
 * ever, as disks do.
 */
long add_disk(BlockDevice& disk);

} // namespace block
