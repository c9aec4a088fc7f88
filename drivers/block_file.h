/*
 * Block devices as files: /dev/hda and friends opened through the file layer. Reads and
 * writes are byte granular at the file offset (whole pages go straight to the device,
 * anything else through a bounce page, read-modify-write for a partial page); stat is the
 * special file's (st_size 0, as Linux gives for block devices); ioctl answers BLKGETSIZE,
 * BLKGETSIZE64 and BLKSSZGET.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>

namespace block {

/* Linux's ioctl numbers (i386). */
constexpr u32 BLKGETSIZE = 0x1260;      /* unsigned long: the size in 512-byte sectors */
constexpr u32 BLKFLSBUF = 0x1261;       /* flush buffers: nothing is buffered here */
constexpr u32 BLKSSZGET = 0x1268;       /* int: the logical sector size */
constexpr u32 BLKGETSIZE64 = 0x80041272;        /* u64: the size in bytes */

/*
 * Makes every block special file of this major open the registered BlockDevice of its
 * number (ENXIO when there is none). fs::register_device's error if it fails.
 */
ErrorOr<void> register_block_major(u32 major);

} // namespace block
