/* fs::init: the initrd's tree as the root, with the kernel's /dev and /proc in it. */
#include <fs/mount.h>
#include <fs/tmpfs.h>
#include <kernel/printk.h>
#include <mm/layout.h>
#include <mm/memory.h>

namespace fs {

namespace {

MountInfo mounted;

constexpr size_t MAX_MOUNTS = 8;
Mount mounts[MAX_MOUNTS];
size_t nr_mounts;

void add_mount(const Mount& m)
{
    if (nr_mounts == MAX_MOUNTS)
        panic("fs: more than %zu mounts", MAX_MOUNTS);
    mounts[nr_mounts++] = m;
}

/* The linear map covers memory up to memory_end; a module beyond it cannot be read. */
bool initrd_mapped(const void* initrd, size_t size)
{
    u32 start = virt_to_phys(u32(reinterpret_cast<uintptr_t>(initrd)));
    return start < mm::memory_end && size <= mm::memory_end - start;
}

} // namespace

const MountInfo& mount_info() { return mounted; }

const Mount* mount_at(size_t index)
{
    return index < nr_mounts ? &mounts[index] : nullptr;
}

void init(const void* initrd, size_t size)
{
    if (initrd && !initrd_mapped(initrd, size)) {
        printk(KERN_ERR "initrd: %zu bytes at physical %#x lie beyond the mapped memory; "
               "not using it\n", size, virt_to_phys(u32(reinterpret_cast<uintptr_t>(initrd))));
        initrd = nullptr;
    }
    if (!initrd)
        size = 0;
    mounted.initrd = initrd;
    mounted.size = size;

    InitrdStats& stats = mounted.stats;
    RamDirectory* root = build_initrd_tree(initrd, size, stats);
    if (!root || stats.out_of_memory)
        panic("initrd: out of memory building the root file system");
    if (stats.error != cpio::Error::None)
        printk(KERN_ERR "initrd: %s at byte %zu; keeping what came before\n",
               cpio::error_string(stats.error), stats.error_offset);
    if (stats.skipped)
        printk(KERN_WARNING "initrd: skipped %u entries (bad names, types or places)\n",
               stats.skipped);
    if (initrd)
        printk(KERN_INFO "initrd: %u files, %u directories, %u symlinks, %u special files\n",
               stats.files, stats.directories, stats.symlinks, stats.specials);
    else
        printk(KERN_WARNING "No initrd: the root is an empty directory\n");

    /* /tmp and /dev/shm, like /dev and /proc, are there whatever the archive holds. */
    Node* tmp = tmpfs_mount(TMP_DEV, root);
    Node* shm = tmpfs_mount(SHM_DEV, dev_directory());
    if (!root->attach("dev", dev_directory()) || !root->attach("proc", proc_directory()) ||
        !root->attach("tmp", tmp))
        panic("fs: no memory to put /dev, /proc and /tmp in the root");
    dev_attach("shm", shm);
    set_root(root);
    /* What Linux shows for an initramfs root, devtmpfs, proc and systemd's tmpfs mounts. */
    add_mount({ "rootfs", "/", "rootfs", "ro", root });
    add_mount({ "devtmpfs", "/dev", "devtmpfs", "ro,nosuid,relatime,mode=755", dev_directory() });
    add_mount({ "proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime", proc_directory() });
    add_mount({ "tmpfs", "/tmp", "tmpfs", "rw,nosuid,nodev", tmp });
    add_mount({ "tmpfs", "/dev/shm", "tmpfs", "rw,nosuid,nodev", shm });
}

} // namespace fs
