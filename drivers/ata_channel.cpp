/* An IDE channel: registers, interrupt, waits with deadlines, the lock, PIO commands. */
#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/ata_channel.h>
#include <drivers/timer.h>
#include <kernel/printk.h>
#include <kernel/syscall.h>
#include <kernel/task.h>

namespace ata {

namespace {

/* The two legacy channels: command block, control block, IRQ. */
Channel channels[NR_CHANNELS] = {
    Channel(0x1F0, 0x3F6, 14, 0),
    Channel(0x170, 0x376, 15, 1),
};

void primary_interrupt(TrapFrame&) { channels[0].handle_interrupt(); }
void secondary_interrupt(TrapFrame&) { channels[1].handle_interrupt(); }

constexpr u32 WORDS_PER_SECTOR = block::SECTOR_SIZE / 2;

bool passed(u32 deadline) { return i32(jiffies - deadline) >= 0; }

/* Whole ticks, rounded up: a wait is never shorter than asked. */
u32 ms_to_jiffies(u32 ms) { return (ms * HZ + 999) / 1000; }

constexpr u32 SRST_SETTLE_MS = 2;       /* after SRST, before the status means anything */

/*
 * Interrupt waits count jiffies, and a timeout also needs this many seconds on the CMOS
 * clock (one less than asked: it ticks in whole seconds). On hardware the two agree.
 * Under QEMU's -icount with sleep=off they do not: the guest's clock jumps to the next
 * tick whenever the CPU halts, so jiffies race through a 30 s timeout in a fraction of a
 * second of the host's while the drive's request waits for a busy host; the CMOS clock
 * follows the host. Below 2 s the floor is 0 and the clock is not read.
 */
u32 wall_clock_floor(u32 timeout_ms) { return timeout_ms >= 2000 ? timeout_ms / 1000 - 1 : 0; }

const char* operation(block::Direction direction)
{
    return direction == block::Direction::Read ? "read" : "write";
}

} // namespace

Channel& channel(u8 index) { return channels[index]; }

WaitMode wait_mode()
{
    if (!arch::interrupts_enabled())
        return WaitMode::Poll;
    if (!current || current == task[0])
        return WaitMode::Halt;
    return WaitMode::Sleep;
}

u8 Channel::read(u16 r) const { return arch::inb(u16(m_base + r)); }
void Channel::write(u16 r, u8 value) const { arch::outb(u16(m_base + r), value); }
u8 Channel::alt_status() const { return arch::inb(m_control); }

void Channel::select(Drive drive, u8 low_bits) const
{
    write(reg::DEVICE, u8(DEV_OBSOLETE | DEV_LBA | (drive == Drive::Slave ? DEV_SLAVE : 0) |
                          (low_bits & 0x0F)));
    select_delay();
}

void Channel::select_delay() const
{
    /* Reading the alternate status takes ~100 ns on ISA timing: four make the 400 ns. */
    for (int i = 0; i < 4; i++)
        alt_status();
}

void Channel::set_drive_interrupts(DriveInterrupts state)
{
    m_control_bits = state == DriveInterrupts::On ? 0 : CTL_NIEN;
    arch::outb(m_control, m_control_bits);
}

void Channel::handle_interrupt()
{
    u8 status = read(reg::STATUS);
    if (m_lose_interrupt) {
        m_lose_interrupt = false;
        return;
    }
    m_irq_status = status;
    m_interrupted = true;
    m_stats.interrupts++;
    if (m_irq_queue.head) {
        wake_up(m_irq_queue);
        /*
         * The waiter runs at the next return to user mode rather than when the running
         * process's slice ends: a disk request costs a slice otherwise (Linux 1.x's
         * wake_up preempts for a waiter with more of its slice left, which a task that
         * slept has).
         */
        need_resched = true;
    }
}

void Channel::install_irq()
{
    request_irq(m_irq, m_index == 0 ? primary_interrupt : secondary_interrupt);
}

bool Channel::poll_not_busy(u32 timeout_ms, u8& status, u8 any_of) const
{
    timer::Stopwatch watch;
    for (;;) {
        status = alt_status();
        if (status == 0xFF)
            return false;
        if (!(status & ST_BSY) && (!any_of || (status & any_of)))
            return true;
        if (watch.elapsed_ms() >= timeout_ms)
            return false;
    }
}

bool Channel::reset()
{
    m_stats.resets++;
    /* A transfer the reset ends must not go on into memory afterwards. */
    stop_bus_master();
    arch::outb(m_control, u8(m_control_bits | CTL_SRST));
    for (int i = 0; i < 10; i++)        /* SRST must stay set for 5 us */
        arch::io_delay();
    arch::outb(m_control, m_control_bits);
    timer::Stopwatch settle;
    while (settle.elapsed_ms() < SRST_SETTLE_MS)
        ;
    /*
     * The drives may take their time (QEMU finishes a reset in its main loop, later when
     * the host is busy): each attached one gets the full budget to leave BSY.
     */
    bool ready = true;
    for (u8 d = 0; d < 2; d++) {
        if (!(m_attached & (1u << d)))
            continue;
        select(d ? Drive::Slave : Drive::Master, 0);
        u8 status;
        if (!poll_not_busy(RESET_TIMEOUT_MS, status)) {
            printk(KERN_ERR "ide%u: %s still busy after a reset (status %#x)\n", m_index,
                   d ? "slave" : "master", status);
            ready = false;
        }
    }
    m_interrupted = false;
    m_lose_interrupt = false;           /* meant for the command the reset ended */
    return ready;
}

bool Channel::acquire()
{
    switch (wait_mode()) {
    case WaitMode::Poll:
        return m_lock.try_lock();
    case WaitMode::Sleep:
        m_lock.lock();
        return true;
    case WaitMode::Halt:
        break;
    }
    /* The idle task cannot sleep: the holder is a process waiting for its interrupt; let it run. */
    arch::InterruptDisabler guard;
    while (!m_lock.try_lock()) {
        if (need_resched)
            schedule();
        else {
            arch::safe_halt();
            arch::cli();
        }
    }
    return true;
}

void Channel::release()
{
    m_lock.unlock();
}

bool Channel::wall_clock_agrees(u32& deadline) const
{
    u32 floor = wall_clock_floor(m_command_timeout_ms);
    i32 elapsed = floor ? i32(read_rtc() - m_command_started) : 0;
    /* A clock set back says nothing: the jiffies decide then. */
    if (elapsed < 0 || u32(elapsed) >= floor)
        return true;
    deadline = jiffies + HZ;
    if (deadline == 0)
        deadline = 1;
    return false;
}

bool Channel::wait_for_drive(WaitMode mode, u8& status)
{
    u32 deadline = jiffies + ms_to_jiffies(m_command_timeout_ms);
    if (deadline == 0)
        deadline = 1;                   /* 0 means "no deadline" to wait_event */
    switch (mode) {
    case WaitMode::Poll:
        m_stats.polled++;
        if (!poll_not_busy(m_command_timeout_ms, status))
            return false;
        status = read(reg::STATUS);
        return true;
    case WaitMode::Halt:
        for (;;) {
            arch::cli();
            if (m_interrupted)
                break;
            if (passed(deadline) && wall_clock_agrees(deadline)) {
                arch::sti();
                status = alt_status();
                return false;
            }
            m_stats.halts++;
            /* sti's shadow covers hlt: an interrupt after the check still wakes it. */
            arch::safe_halt();
        }
        m_interrupted = false;
        status = m_irq_status;
        arch::sti();
        return true;
    case WaitMode::Sleep: {
        /* Uninterruptible: a transfer in flight cannot be abandoned for a signal. */
        u32 tests = 0;
        WaitResult r;
        do {
            r = wait_event(m_irq_queue, Interruptible::No, [this, &tests] {
                tests++;
                return m_interrupted;
            }, deadline);
        } while (r == WaitResult::TimedOut && !wall_clock_agrees(deadline));
        m_stats.sleeps += tests - 1;
        arch::InterruptDisabler guard;
        if (r != WaitResult::Done) {
            status = alt_status();
            return false;
        }
        m_interrupted = false;
        status = m_irq_status;
        return true;
    }
    }
    return false;
}

void Channel::issue(Command command, Addressing addressing, u64 lba, u32 count)
{
    if (addressing == Addressing::Lba48) {
        m_stats.lba48_commands++;
        /* The high-order bytes first: each register is a two-deep FIFO. */
        write(reg::SECTOR_COUNT, u8(count >> 8));
        write(reg::LBA_LOW, u8(lba >> 24));
        write(reg::LBA_MID, u8(lba >> 32));
        write(reg::LBA_HIGH, u8(lba >> 40));
    }
    write(reg::SECTOR_COUNT, u8(count));        /* 256 is 0 in LBA28 */
    write(reg::LBA_LOW, u8(lba));
    write(reg::LBA_MID, u8(lba >> 8));
    write(reg::LBA_HIGH, u8(lba >> 16));
    write(reg::COMMAND, u8(command));
}

Channel::Outcome Channel::fail_locked(const char* disk_name, block::Direction direction,
                                      u64 lba, Failure failure, u8 status)
{
    const char* op = operation(direction);
    if (failure == Failure::DeviceError) {
        /* The drive aborted the command and is ready for the next one: trying again
           would only fail again. */
        printk(KERN_ERR "%s: %s error at LBA %llu: status %#x, error %#x\n", disk_name, op, lba,
               status, read(reg::ERROR));
        return Outcome::Failed;
    }
    if (failure == Failure::Timeout)
        m_stats.timeouts++;
    const char* what = failure == Failure::Timeout ? "timeout"
                     : failure == Failure::NoData  ? "no data request"
                                                   : "bus master error";
    printk(KERN_ERR "%s: %s at LBA %llu: %s (status %#x), resetting ide%u\n", disk_name, op, lba,
           what, status, m_index);
    reset();
    return Outcome::Reset;
}

long Channel::transfer_locked(const Request& request)
{
    Request r = request;
    /*
     * With interrupts off the drive's interrupt cannot end a DMA command's wait, and the
     * status shows no end of it (the bus master's interrupt bit follows the drive's line,
     * which nIEN holds low): such a command goes by PIO, as libata's polled ones.
     */
    if (r.protocol == Protocol::Dma && (!m_bus_master || wait_mode() == WaitMode::Poll))
        r.protocol = Protocol::Pio;
    for (u32 retry = 1;; retry++) {
        Outcome outcome = r.protocol == Protocol::Dma ? dma_once_locked(r) : pio_once_locked(r);
        switch (outcome) {
        case Outcome::Done:
            return 0;
        case Outcome::Failed:
            return -EIO;
        case Outcome::Reset:
            break;
        }
        if (retry > COMMAND_RETRIES) {
            printk(KERN_ERR "%s: %s of %u sectors at LBA %llu failed after %u retries\n",
                   r.disk_name, operation(r.direction), r.count, r.lba, COMMAND_RETRIES);
            return -EIO;
        }
        m_stats.retries++;
        printk(KERN_WARNING "%s: retrying the %s at LBA %llu (retry %u of %u)\n", r.disk_name,
               operation(r.direction), r.lba, retry, COMMAND_RETRIES);
    }
}

Channel::Outcome Channel::start_locked(const Request& r, WaitMode& mode)
{
    mode = wait_mode();
    if (mode != WaitMode::Poll && wall_clock_floor(m_command_timeout_ms))
        m_command_started = read_rtc();
    set_drive_interrupts(mode == WaitMode::Poll ? DriveInterrupts::Off : DriveInterrupts::On);
    select(r.drive, r.addressing == Addressing::Lba28 ? u8(r.lba >> 24) : 0);
    u8 status;
    if (!poll_not_busy(m_command_timeout_ms, status))
        return fail_locked(r.disk_name, r.direction, r.lba, Failure::Timeout, status);
    return Outcome::Done;
}

void Channel::issue_locked(Command command, const Request& r)
{
    arch::InterruptDisabler guard;
    m_interrupted = false;
    if (m_commands_losing_interrupt) {
        m_commands_losing_interrupt--;
        m_lose_interrupt = true;
    }
    issue(command, r.addressing, r.lba, r.count);
}

namespace {

Command pio_command(const Request& r)
{
    bool ext = r.addressing == Addressing::Lba48;
    if (r.direction == block::Direction::Read) {
        if (r.multiple > 1)
            return ext ? Command::ReadMultipleExt : Command::ReadMultiple;
        return ext ? Command::ReadSectorsExt : Command::ReadSectors;
    }
    if (r.multiple > 1)
        return ext ? Command::WriteMultipleExt : Command::WriteMultiple;
    return ext ? Command::WriteSectorsExt : Command::WriteSectors;
}

} // namespace

/*
 * The PIO protocol, a block at a time: a block is one sector, or `multiple` sectors after
 * SET MULTIPLE MODE (the last block may be shorter). Each block of a read comes with an
 * interrupt; a write's first block is asked for without one, each later block and the
 * command's end with one.
 */
Channel::Outcome Channel::pio_once_locked(const Request& r)
{
    using block::Direction;
    WaitMode mode;
    if (Outcome o = start_locked(r, mode); o != Outcome::Done)
        return o;
    m_stats.pio_commands++;
    issue_locked(pio_command(r), r);
    u8 status;
    u32 block = r.multiple ? r.multiple : 1;
    for (u32 i = 0; i < r.count; i += block) {
        bool ready;
        if (r.direction == Direction::Write && i == 0)
            ready = poll_not_busy(m_command_timeout_ms, status);
        else
            ready = wait_for_drive(mode, status);
        if (!ready)
            return fail_locked(r.disk_name, r.direction, r.lba + i, Failure::Timeout, status);
        if (status & (ST_ERR | ST_DF))
            return fail_locked(r.disk_name, r.direction, r.lba + i, Failure::DeviceError, status);
        if (!(status & ST_DRQ))
            return fail_locked(r.disk_name, r.direction, r.lba + i, Failure::NoData, status);
        u32 n = r.count - i < block ? r.count - i : block;
        if (r.direction == Direction::Write)
            m_interrupted = false;
        for (u32 k = 0; k < n; k++) {
            u16* words = r.buffers.sector(i + k);
            if (r.direction == Direction::Read) {
                for (u32 w = 0; w < WORDS_PER_SECTOR; w++)
                    words[w] = arch::inw(m_base);
            } else {
                for (u32 w = 0; w < WORDS_PER_SECTOR; w++)
                    arch::outw(m_base, words[w]);
            }
        }
    }
    if (r.direction == Direction::Write) {
        /* The interrupt after the last block: written, or not. */
        u64 last = r.lba + r.count - 1;
        if (!wait_for_drive(mode, status))
            return fail_locked(r.disk_name, r.direction, last, Failure::Timeout, status);
        if (status & (ST_ERR | ST_DF))
            return fail_locked(r.disk_name, r.direction, last, Failure::DeviceError, status);
    }
    return Outcome::Done;
}

bool Channel::non_data_command(Drive drive, Command command, u8 features, u8 count)
{
    select(drive, 0);
    u8 status;
    if (!poll_not_busy(m_command_timeout_ms, status))
        return false;
    write(reg::FEATURES, features);
    write(reg::SECTOR_COUNT, count);
    write(reg::COMMAND, u8(command));
    select_delay();
    if (!poll_not_busy(m_command_timeout_ms, status))
        return false;
    read(reg::STATUS);                  /* acknowledges a pending interrupt */
    return !(status & (ST_ERR | ST_DF));
}

} // namespace ata
