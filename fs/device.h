/*
 * Device drivers as the file layer sees them: a driver registers an open function for its
 * major number, and opening any special file with that number (in /dev or in the initrd)
 * calls it with the minor. An unregistered major gives ENXIO, as Linux does for a device
 * whose driver is absent: the disks in /dev exist before their driver does.
 */
#pragma once

#include <fs/file.h>

namespace fs {

enum class DeviceType : u8 { Char, Block };

constexpr u32 MAX_MAJOR = 256;

class Node;

/*
 * Opens minor `minor` through the special file `node` (for stat, DeviceFile); flags are
 * open()'s. A File with one reference, or an error.
 */
using DeviceOpen = ErrorOr<File*> (*)(const Node& node, u32 minor, u32 flags);

/* A driver's open file: fstat describes the special file it was opened through. */
class DeviceFile : public File {
public:
    explicit DeviceFile(const Node& node) : m_node(node) { }
    ErrorOr<void> stat(FileStat& st) override;
    const Node* node() const override { return &m_node; }

protected:
    const Node& m_node;         /* nodes live for ever */
};

/* EBUSY if the major is taken, EINVAL if it is out of range (as register_chrdev). */
ErrorOr<void> register_device(DeviceType type, u32 major, DeviceOpen open);
ErrorOr<File*> open_device(const Node& node, DeviceType type, u32 rdev, u32 flags);

/* Linux's numbers for the devices /dev always has. */
constexpr u32 MEM_MAJOR = 1;            /* 3 null, 5 zero */
constexpr u32 TTY_MAJOR = 5;            /* 0 tty, 1 console */
constexpr u32 IDE0_MAJOR = 3;           /* hda at minor 0, hdb at 64 */
constexpr u32 IDE1_MAJOR = 22;          /* hdc at minor 0, hdd at 64 */

} // namespace fs
