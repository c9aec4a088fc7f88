/*
 * One legacy IDE channel (the ATA driver's inside; drivers/ata.h is its face): the task
 * file registers, the interrupt, the waits, the lock that lets one request at a time
 * through, and PIO transfers of sectors.
 *
 * Every wait ends: at the drive's interrupt (the caller sleeps on a wait queue, or halts
 * when it is the idle task, which must not sleep), when the status shows the drive ready
 * (polling, with interrupts off), or at a deadline, after which the channel is reset and
 * the request fails with -EIO.
 */
#pragma once

#include <drivers/block.h>
#include <kernel/wait.h>

namespace ata {

/* Task file registers, at the channel's command block base. */
namespace reg {
constexpr u16 DATA = 0, ERROR = 1, FEATURES = 1, SECTOR_COUNT = 2, LBA_LOW = 3, LBA_MID = 4,
              LBA_HIGH = 5, DEVICE = 6, STATUS = 7, COMMAND = 7;
}

/* Status register bits. */
constexpr u8 ST_BSY = 0x80, ST_DRDY = 0x40, ST_DF = 0x20, ST_DRQ = 0x08, ST_ERR = 0x01;
/* Device control register bits (at the control block). */
constexpr u8 CTL_NIEN = 0x02, CTL_SRST = 0x04;
/* Device register: LBA addressing, and the bits that were always 1 on old drives. */
constexpr u8 DEV_LBA = 0x40, DEV_OBSOLETE = 0xA0, DEV_SLAVE = 0x10;

enum class Command : u8 {
    ReadSectors = 0x20, ReadSectorsExt = 0x24, WriteSectors = 0x30, WriteSectorsExt = 0x34,
    IdentifyDevice = 0xEC,
};

enum class Drive : u8 { Master, Slave };

/* How the current context waits for the drive. */
enum class WaitMode : u8 {
    Sleep,          /* a process: sleep on the channel's queue until the interrupt */
    Halt,           /* the idle task (and boot): hlt until the interrupt */
    Poll,           /* interrupts off: read the status until the drive is ready */
};
WaitMode wait_mode();

enum class Addressing : u8 { Lba28, Lba48 };

/* Wait budgets. */
constexpr u32 COMMAND_TIMEOUT_TICKS = 3 * 100;          /* 3 s at HZ 100 */
constexpr u32 POLL_BUDGET = 4'000'000;                  /* status reads without a clock */

/* How the channel's waits went, counted for the self-tests. */
struct ChannelStats {
    u32 interrupts = 0;         /* the drive's interrupts taken */
    u32 sleeps = 0;             /* times a process slept waiting for one */
    u32 halts = 0;              /* hlt instructions run waiting for one */
    u32 polled = 0;             /* waits done by polling */
    u32 timeouts = 0;
    u32 resets = 0;
    u32 lba48_commands = 0;
};

class Channel {
public:
    Channel(u16 base, u16 control, u8 irq, u8 index)
        : m_base(base), m_control(control), m_irq(irq), m_index(index) { }

    u16 base() const { return m_base; }
    u8 irq() const { return m_irq; }
    u8 index() const { return m_index; }
    const ChannelStats& stats() const { return m_stats; }

    u8 read(u16 r) const;
    void write(u16 r, u8 value) const;
    u8 alt_status() const;
    /* Selects a drive and waits the 400 ns the drive needs to show its status. */
    void select(Drive drive, u8 low_bits) const;
    /* Interrupts from the drive on or off (nIEN), kept across resets. */
    enum class DriveInterrupts : u8 { Off, On };
    void set_drive_interrupts(DriveInterrupts state);

    /* Called from the IRQ handler: reads the status, which acknowledges the interrupt. */
    void handle_interrupt();
    void install_irq();

    /*
     * Soft reset of both drives (SRST), then a wait for the master to leave BSY.
     * Leaves drive interrupts as they were.
     */
    void reset();

    /*
     * The channel's lock: one request at a time. acquire sleeps (or halts) while another
     * request runs; with interrupts off it cannot wait, and fails.
     */
    bool acquire();
    void release();

    /*
     * One PIO command of 1..256 sectors at lba, to or from buf (count * 256 words). The
     * caller holds the channel. 0, or -EIO after a printk naming disk_name, the LBA and
     * the error register (an error or device fault), or a timeout (and a reset).
     */
    long pio_locked(Drive drive, block::Direction direction, Addressing addressing, u64 lba,
                    u32 count, u16* buf, const char* disk_name);

    /*
     * Waits for BSY to clear by polling the alternate status; false at the deadline.
     * `ticks` applies with interrupts on; without them the poll budget does.
     */
    bool poll_not_busy(u32 ticks, u8& status) const;

private:
    /* Waits for the next interrupt, or polls; false on timeout. status: the drive's. */
    bool wait_for_drive(WaitMode mode, u32 deadline, u8& status);
    /* Writes the task file and the command; the drive is selected already. */
    void issue(Command command, Addressing addressing, u64 lba, u32 count);
    enum class Failure : u8 { DeviceError, Timeout, NoData };
    /* Reports, resets the channel unless the drive ended the command itself; -EIO. */
    long fail_locked(const char* disk_name, block::Direction direction, u64 lba, Failure failure,
                     u8 status);

    u16 m_base;
    u16 m_control;
    u8 m_irq;
    u8 m_index;
    u8 m_control_bits = 0;

    Mutex m_lock;                       /* one request at a time */

    volatile bool m_interrupted = false;
    volatile u8 m_irq_status = 0;
    WaitQueue m_irq_queue;

    ChannelStats m_stats;
};

Channel& channel(u8 index);
constexpr u8 NR_CHANNELS = 2;

} // namespace ata
