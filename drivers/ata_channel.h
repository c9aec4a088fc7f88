/*
 * One legacy IDE channel (the ATA driver's inside; drivers/ata.h is its face): the task
 * file registers, the interrupt, the waits, the lock that lets one request at a time
 * through, and transfers of sectors: PIO, a sector or a block of sectors (READ/WRITE
 * MULTIPLE) per interrupt, or bus-master DMA (drivers/ata_dma.cpp), one interrupt per
 * command.
 *
 * Every wait ends: at the drive's interrupt (the caller sleeps on a wait queue, or halts
 * when it is the idle task, which must not sleep), when the status shows the drive ready
 * (polling, timed by the PIT's counter, which runs with interrupts off too), or at a
 * deadline, after which the channel is reset and the command tried again; after the
 * last retry the request fails with -EIO.
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
    ReadMultiple = 0xC4, ReadMultipleExt = 0x29, WriteMultiple = 0xC5, WriteMultipleExt = 0x39,
    ReadDma = 0xC8, ReadDmaExt = 0x25, WriteDma = 0xCA, WriteDmaExt = 0x35,
    SetMultipleMode = 0xC6, SetFeatures = 0xEF, IdentifyDevice = 0xEC,
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

/*
 * Where a command's sectors lie in kernel memory: one buffer (any alignment), or whole
 * pages anywhere, sector i in page i / 8.
 */
class SectorBuffers {
public:
    explicit SectorBuffers(void* buf) : m_buf(static_cast<u8*>(buf)) { }
    explicit SectorBuffers(void* const pages[]) : m_pages(pages) { }

    u16* sector(u32 i) const
    {
        u8* at = m_pages ? static_cast<u8*>(m_pages[i / block::SECTORS_PER_PAGE]) +
                               (i % block::SECTORS_PER_PAGE) * block::SECTOR_SIZE
                         : m_buf + i * block::SECTOR_SIZE;
        return reinterpret_cast<u16*>(at);
    }
    /* The buffers from sector n on; with pages, n is a whole number of pages. */
    SectorBuffers from(u32 n) const
    {
        return m_pages ? SectorBuffers(m_pages + n / block::SECTORS_PER_PAGE)
                       : SectorBuffers(m_buf + n * block::SECTOR_SIZE);
    }
    bool is_pages() const { return m_pages; }

private:
    u8* m_buf = nullptr;
    void* const* m_pages = nullptr;
};

/* How a command moves its data. */
enum class Protocol : u8 {
    Pio,            /* READ/WRITE SECTORS or MULTIPLE: the CPU copies, block by block */
    Dma,            /* READ/WRITE DMA: the controller, one interrupt at the end */
};

/* One command of 1..256 sectors for the channel. */
struct Request {
    Drive drive;
    block::Direction direction;
    Addressing addressing;
    Protocol protocol;
    u32 multiple;                       /* PIO sectors per interrupt: 1, or SET MULTIPLE's */
    u64 lba;
    u32 count;
    SectorBuffers buffers;
    const char* disk_name;
};

/*
 * Wait budgets, the ATA specification's and Linux's: a drive may stay busy for 31 s after
 * a reset (Linux's ATA_TMOUT_BOOT), a command gets 30 s (the SCSI default). Generous on
 * purpose: a clock that jumps ahead while the CPU halts (QEMU's -icount with sleep=off)
 * turns a few milliseconds of a busy host into seconds; a short budget fails good disks.
 */
constexpr u32 RESET_TIMEOUT_MS = 31'000;
constexpr u32 COMMAND_TIMEOUT_MS = 30'000;
/* A command that timed out is tried again after the reset, this many times (as Linux's EH). */
constexpr u32 COMMAND_RETRIES = 2;

/* How the channel's waits went, counted for the self-tests. */
struct ChannelStats {
    u32 interrupts = 0;         /* the drive's interrupts taken */
    u32 sleeps = 0;             /* times a process slept waiting for one */
    u32 halts = 0;              /* hlt instructions run waiting for one */
    u32 polled = 0;             /* waits done by polling */
    u32 timeouts = 0;
    u32 resets = 0;
    u32 retries = 0;            /* commands issued again after a timeout and a reset */
    u32 lba48_commands = 0;
    u32 dma_commands = 0;
    u32 pio_commands = 0;
};

/* A bus-master IDE channel's registers (SFF-8038i), at its base in the controller's BAR4. */
namespace bm {
constexpr u16 COMMAND = 0, STATUS = 2, PRD_TABLE = 4;
constexpr u8 CMD_START = 0x01, CMD_TO_MEMORY = 0x08;
constexpr u8 ST_ACTIVE = 0x01, ST_ERROR = 0x02, ST_INTERRUPT = 0x04, ST_DRIVE0_DMA = 0x20,
             ST_DRIVE1_DMA = 0x40;
}

class Channel {
public:
    Channel(u16 base, u16 control, u8 irq, u8 index)
        : m_base(base), m_control(control), m_irq(irq), m_index(index) { }

    u16 base() const { return m_base; }
    u8 irq() const { return m_irq; }
    u8 index() const { return m_index; }
    const ChannelStats& stats() const { return m_stats; }

    /* The command timeout, COMMAND_TIMEOUT_MS unless set (as Linux's device/timeout). */
    u32 command_timeout_ms() const { return m_command_timeout_ms; }
    void set_command_timeout_ms(u32 ms) { m_command_timeout_ms = ms; }
    /*
     * Fault injection for the self-tests: each of the next `commands` commands loses its
     * first interrupt (acknowledged, then ignored), so that its wait times out.
     */
    void lose_interrupts(u32 commands) { m_commands_losing_interrupt = commands; }

    /* The drives that answered the probe (bit 0 master, bit 1 slave): reset waits for them. */
    void set_attached(u8 drives) { m_attached = drives; }

    /* The channel's bus-master registers, found on PCI; 0: none, no DMA. */
    void set_bus_master(u16 base) { m_bus_master = base; }
    u16 bus_master() const { return m_bus_master; }
    u8 bm_read(u16 r) const;
    void bm_write(u16 r, u8 value) const;
    /*
     * Whether the buffers can be the target of DMA: word-aligned addresses of the kernel's
     * linear map. A buffer elsewhere goes by PIO.
     */
    static bool dma_reachable(const SectorBuffers& buffers, u32 count);

    u8 read(u16 r) const;
    void write(u16 r, u8 value) const;
    u8 alt_status() const;
    /* Selects a drive and waits the 400 ns the drive needs to show its status. */
    void select(Drive drive, u8 low_bits) const;
    /* The 400 ns after a selection or a command, before the status is the drive's. */
    void select_delay() const;
    /* Interrupts from the drive on or off (nIEN), kept across resets. */
    enum class DriveInterrupts : u8 { Off, On };
    void set_drive_interrupts(DriveInterrupts state);

    /* Called from the IRQ handler: reads the status, which acknowledges the interrupt. */
    void handle_interrupt();
    void install_irq();

    /*
     * Soft reset of both drives (SRST), then a wait of up to RESET_TIMEOUT_MS for each
     * attached drive to leave BSY; false if one did not. Leaves drive interrupts as they were.
     */
    bool reset();

    /*
     * The channel's lock: one request at a time. acquire sleeps (or halts) while another
     * request runs; with interrupts off it cannot wait, and fails.
     */
    bool acquire();
    void release();

    /*
     * One command. The caller holds the channel. 0, or -EIO after a printk naming the
     * disk, the LBA and the error register (an error or device fault: not retried), or
     * after a timeout, a reset and COMMAND_RETRIES more tries that timed out too.
     */
    long transfer_locked(const Request& request);

    /*
     * A command without data (SET MULTIPLE MODE, SET FEATURES), polled with drive
     * interrupts off, at probe time: true if the drive took it, false if it aborted it.
     */
    bool non_data_command(Drive drive, Command command, u8 features, u8 count);

    /*
     * Polls the alternate status until BSY is clear and, if any_of is given, one of those
     * bits set; false after timeout_ms (by the PIT, with or without interrupts), or at
     * once on 0xFF, which no drive shows: nothing is there.
     */
    bool poll_not_busy(u32 timeout_ms, u8& status, u8 any_of = 0) const;

private:
    /* Waits for the next interrupt, or polls; false on timeout. status: the drive's. */
    bool wait_for_drive(WaitMode mode, u8& status);
    /*
     * Whether the CMOS clock, too, says the command has had its timeout (less a second,
     * the clock's resolution) since it began; if not, moves the deadline a second on.
     */
    bool wall_clock_agrees(u32& deadline) const;
    /* Writes the task file and the command; the drive is selected already. */
    void issue(Command command, Addressing addressing, u64 lba, u32 count);
    /* How one try of a command ended: done, failed for good, or timed out and reset. */
    enum class Outcome : u8 { Done, Failed, Reset };
    /* Before a command: the wait mode, the clock, interrupts, the drive selected and ready. */
    Outcome start_locked(const Request& r, WaitMode& mode);
    /* Issues the command, arming the fault injection; the drive is selected and ready. */
    void issue_locked(Command command, const Request& r);
    Outcome pio_once_locked(const Request& r);
    Outcome dma_once_locked(const Request& r);
    /* Builds the PRD table for the request's buffers; false if it does not fit. */
    bool build_prd_table(const Request& r);
    /* Stops the bus master and clears its interrupt and error bits. */
    void stop_bus_master();
    enum class Failure : u8 { DeviceError, Timeout, NoData, BusMasterError };
    /* Reports, resets the channel unless the drive ended the command itself. */
    Outcome fail_locked(const char* disk_name, block::Direction direction, u64 lba,
                        Failure failure, u8 status);

    u16 m_base;
    u16 m_control;
    u8 m_irq;
    u8 m_index;
    u8 m_control_bits = 0;
    u8 m_attached = 1;                  /* until the probe knows better: the master */
    u16 m_bus_master = 0;
    u32 m_command_timeout_ms = COMMAND_TIMEOUT_MS;
    u32 m_command_started = 0;          /* by the CMOS clock, when it is consulted */
    u32 m_commands_losing_interrupt = 0;
    volatile bool m_lose_interrupt = false;     /* the running command's next one */

    Mutex m_lock;                       /* one request at a time */

    volatile bool m_interrupted = false;
    volatile u8 m_irq_status = 0;
    WaitQueue m_irq_queue;

    ChannelStats m_stats;
};

Channel& channel(u8 index);
constexpr u8 NR_CHANNELS = 2;

} // namespace ata
