/*
 * The files of /proc that describe the whole system, in Linux's formats (proc(5)): stat,
 * uptime, loadavg, cpuinfo, version, cmdline and partitions. busybox's top, uptime and ps
 * read them.
 */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <drivers/block.h>
#include <drivers/timer.h>
#include <fs/proc.h>
#include <kernel/cmdline.h>
#include <kernel/kstat.h>
#include <kernel/proc_system.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/time.h>
#include <kernel/version.h>

namespace {

char saved_command_line[CommandLine::max_length];

/* Ticks as Linux's seconds with two decimals ("12.34"). */
void print_ticks(fs::TextBuffer& out, u32 ticks)
{
    out.printf("%u.%02u", ticks / HZ, (ticks % HZ) * (100 / HZ));
}

ErrorOr<void> generate_stat(int, fs::TextBuffer& out)
{
    const KernelStat& k = kstat;
    /* One CPU: the total and cpu0 agree. irq, softirq, steal, guest, guest_nice are 0. */
    out.printf("cpu  %u %u %u %u %u 0 0 0 0 0\n", k.user, k.nice, k.system, k.idle, k.iowait);
    out.printf("cpu0 %u %u %u %u %u 0 0 0 0 0\n", k.user, k.nice, k.system, k.idle, k.iowait);
    u32 total = 0;
    for (unsigned irq = 0; irq < 16; irq++)
        total += irq_count(irq);
    out.printf("intr %u", total);
    for (unsigned irq = 0; irq < 16; irq++)
        out.printf(" %u", irq_count(irq));
    out.printf("\nctxt %u\nbtime %d\nprocesses %u\nprocs_running %u\nprocs_blocked %u\n",
               k.context_switches, boot_time(), k.forks, nr_running(), nr_uninterruptible());
    out.printf("softirq 0 0 0 0 0 0 0 0 0 0 0\n");
    return {};
}

ErrorOr<void> generate_uptime(int, fs::TextBuffer& out)
{
    print_ticks(out, jiffies);
    out.write(" ", 1);
    print_ticks(out, kstat.idle + kstat.iowait);
    out.write("\n", 1);
    return {};
}

/* Linux's LOAD_INT and LOAD_FRAC: two decimals, rounded. */
void print_load(fs::TextBuffer& out, u32 load, const char* after)
{
    load += FIXED_1 / 200;
    out.printf("%u.%02u%s", load >> FSHIFT, ((load & (FIXED_1 - 1)) * 100) >> FSHIFT, after);
}

ErrorOr<void> generate_loadavg(int, fs::TextBuffer& out)
{
    print_load(out, avenrun[0], " ");
    print_load(out, avenrun[1], " ");
    print_load(out, avenrun[2], " ");
    u32 tasks = 0;
    for (Task* t : task)
        tasks += t && t != task[0];
    out.printf("%u/%u %d\n", nr_running(), tasks, last_allocated_pid());
    return {};
}

ErrorOr<void> generate_version(int, fs::TextBuffer& out)
{
    out.printf("%s version %s (root@ferrite) (gcc version %s) #1\n", KERNEL_NAME, KERNEL_VERSION,
               __VERSION__);
    return {};
}

ErrorOr<void> generate_cmdline(int, fs::TextBuffer& out)
{
    out.printf("%s\n", saved_command_line);
    return {};
}

void partition_line(block::BlockDevice& d, void* arg)
{
    auto& out = *static_cast<fs::TextBuffer*>(arg);
    out.printf("%4u  %7u %10llu %s\n", d.rdev() >> 8, d.rdev() & 0xFF,
               (unsigned long long)(d.sectors() / 2), d.name());
}

ErrorOr<void> generate_partitions(int, fs::TextBuffer& out)
{
    out.printf("major minor  #blocks  name\n\n");
    block::for_each_device(partition_line, &out);
    return {};
}

} // namespace

void proc_save_command_line(const char* text)
{
    size_t n = strlen(text);
    if (n >= sizeof saved_command_line)
        n = sizeof saved_command_line - 1;
    memcpy(saved_command_line, text, n);
    saved_command_line[n] = '\0';
}

void proc_system_init()
{
    fs::proc_register({ "stat", generate_stat, nullptr });
    fs::proc_register({ "uptime", generate_uptime, nullptr });
    fs::proc_register({ "loadavg", generate_loadavg, nullptr });
    fs::proc_register({ "version", generate_version, nullptr });
    fs::proc_register({ "cmdline", generate_cmdline, nullptr });
    fs::proc_register({ "partitions", generate_partitions, nullptr });
    fs::proc_register({ "cpuinfo", generate_cpuinfo, nullptr });
}
