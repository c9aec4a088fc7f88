#include <fs/device.h>
#include <fs/node.h>

namespace fs {

namespace {

DeviceOpen char_devices[MAX_MAJOR];
DeviceOpen block_devices[MAX_MAJOR];

DeviceOpen* table(DeviceType type) { return type == DeviceType::Char ? char_devices : block_devices; }

} // namespace

long register_device(DeviceType type, u32 major, DeviceOpen open)
{
    if (major == 0 || major >= MAX_MAJOR || !open)
        return -EINVAL;
    DeviceOpen& slot = table(type)[major];
    if (slot)
        return -EBUSY;
    slot = open;
    return 0;
}

long DeviceFile::stat(FileStat& st)
{
    m_node.stat(-1, st);
    return 0;
}

long open_device(const Node& node, DeviceType type, u32 rdev, u32 flags, File*& out)
{
    u32 major = dev_major(rdev);
    DeviceOpen open = major < MAX_MAJOR ? table(type)[major] : nullptr;
    if (!open)
        return -ENXIO;
    return open(node, dev_minor(rdev), flags, out);
}

} // namespace fs
