#include <fs/device.h>
#include <fs/node.h>

namespace fs {

namespace {

DeviceOpen char_devices[MAX_MAJOR];
DeviceOpen block_devices[MAX_MAJOR];

DeviceOpen* table(DeviceType type) { return type == DeviceType::Char ? char_devices : block_devices; }

} // namespace

ErrorOr<void> register_device(DeviceType type, u32 major, DeviceOpen open)
{
    if (major == 0 || major >= MAX_MAJOR || !open)
        return Error::from_errno(EINVAL);
    DeviceOpen& slot = table(type)[major];
    if (slot)
        return Error::from_errno(EBUSY);
    slot = open;
    return {};
}

ErrorOr<void> DeviceFile::stat(FileStat& st)
{
    m_node.stat(-1, st);
    return {};
}

ErrorOr<File*> open_device(const Node& node, DeviceType type, u32 rdev, u32 flags)
{
    u32 major = dev_major(rdev);
    DeviceOpen open = major < MAX_MAJOR ? table(type)[major] : nullptr;
    if (!open)
        return Error::from_errno(ENXIO);
    return open(node, dev_minor(rdev), flags);
}

} // namespace fs
