/* The partition check: a disk's MBR read once, when the disk is added. */
#include <drivers/genhd.h>
#include <drivers/partition.h>
#include <kernel/format.h>
#include <kernel/printk.h>
#include <mm/memory.h>

#include <new>

namespace block {

namespace {

/* The partitions found, on one line: "hdb: hdb1 hdb2 <hdb3: extended, not read>". */
class PartitionLine {
public:
    explicit PartitionLine(const char* disk) { append("%s:", disk); }
    void append(const char* fmt, const char* name)
    {
        m_used += kfmt::snprintf(m_text + m_used, sizeof m_text - m_used, fmt, name);
        if (m_used >= sizeof m_text)
            m_used = sizeof m_text - 1;
    }
    const char* text() const { return m_text; }

private:
    char m_text[128] = { };
    size_t m_used = 0;
};

void add_partitions(BlockDevice& disk)
{
    u8* sector0 = static_cast<u8*>(kmalloc(SECTOR_SIZE, Gfp::Kernel));
    if (!sector0) {
        printk(KERN_ERR "%s: no memory to read the partition table\n", disk.name());
        return;
    }
    PartitionTable table;
    long err = disk.read_sectors(0, 1, sector0);
    MbrResult result = err ? MbrResult::NoSignature
                           : parse_mbr(*reinterpret_cast<u8(*)[SECTOR_SIZE]>(sector0),
                                       disk.sectors(), table);
    kfree(sector0);
    if (err) {
        printk(KERN_ERR "%s: cannot read the partition table: error %ld\n", disk.name(), err);
        return;
    }
    if (result == MbrResult::NoSignature)
        return;                 /* a disk without a table: a swap area, a file system */

    PartitionLine line(disk.name());
    for (u32 i = 0; i < MAX_PARTITIONS; i++) {
        const MbrEntry& e = table.entries[i];
        if (e.kind == PartitionKind::Empty)
            continue;
        char name[16];
        kfmt::snprintf(name, sizeof name, "%s%u", disk.name(), i + 1);
        if (e.kind == PartitionKind::Extended) {
            line.append(" <%s: extended, not read>", name);
            continue;
        }
        if (e.kind == PartitionKind::BeyondDisk) {
            printk(KERN_WARNING "%s: partition %u (sectors %u..%llu) lies outside the disk "
                   "(%llu sectors): ignored\n", disk.name(), i + 1, e.first_sector,
                   u64(e.first_sector) + e.sectors - 1, disk.sectors());
            continue;
        }
        auto* part = new (std::nothrow) PartitionDevice(disk, i + 1, e.first_sector, e.sectors);
        if (!part || add_device(*part)) {
            printk(KERN_ERR "%s: cannot register partition %u\n", disk.name(), i + 1);
            delete part;
            continue;
        }
        line.append(" %s", name);
    }
    printk(KERN_INFO "%s\n", line.text());
}

} // namespace

long add_disk(BlockDevice& disk)
{
    if (long err = add_device(disk))
        return err;
    add_partitions(disk);
    return 0;
}

} // namespace block
