/*
 * tmpfs: a file system in memory that can change, mounted by the kernel at /tmp and
 * /dev/shm. Regular files keep their data in an mm::ShmObject, so that their pages can be
 * mapped shared and go to swap; directories, symlinks and hard links are its own.
 * docs/files.md has the design.
 */
#pragma once

#include <fs/node.h>

namespace fs {

/*
 * A new tmpfs with st_dev `dev`: its root directory (mode 1777, inode 1), whose ".." is
 * `parent`. The limits are Linux's defaults: half of RAM in pages and as many inodes.
 * The mount holds the root for ever. Panics without memory for it (at boot only).
 */
Node* tmpfs_mount(u32 dev, const Node* parent);

} // namespace fs
