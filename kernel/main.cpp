/* start_kernel: from the boot stub to a running system. */
#include <arch/interrupts.h>
#include <arch/segments.h>
#include <drivers/ata.h>
#include <drivers/debugcon.h>
#include <drivers/keyboard.h>
#include <drivers/power.h>
#include <drivers/serial.h>
#include <drivers/timer.h>
#include <drivers/vga.h>
#include <fs/file.h>
#include <kernel/bootinfo.h>
#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/ktest.h>
#include <kernel/multiboot.h>
#include <kernel/printk.h>
#include <kernel/proc_system.h>
#include <kernel/task.h>
#include <kernel/version.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/mmtrace.h>
#include <mm/swap.h>
#include <mm/vmalloc.h>

extern "C" void run_global_constructors();
void time_init();
void proc_pid_init();
void ipc_shm_init();

CommandLine command_line;
BootInfo boot_information;

namespace {

/* The loader's structures live in low memory, which pg0 maps at PAGE_OFFSET (one table's worth). */
template<typename T>
const T* boot_pointer(u32 phys)
{
    return phys && phys < PGDIR_SIZE ? reinterpret_cast<const T*>(phys_to_virt(phys)) : nullptr;
}

const MultibootInfo* multiboot_info()
{
    return boot_magic == MULTIBOOT_BOOTLOADER_MAGIC ? boot_pointer<MultibootInfo>(boot_info)
                                                    : nullptr;
}

void parse_boot_command_line(const MultibootInfo* mbi)
{
    const char* text = "";
    if (mbi && (mbi->flags & MultibootInfo::HAS_CMDLINE))
        if (const char* s = boot_pointer<char>(mbi->cmdline))
            text = s;
    parse_command_line(text, command_line, CommandLine::ImageName::Present);
    proc_save_command_line(text);
    console_loglevel = command_line.loglevel;
}

void console_init()
{
    if (command_line.console_serial)
        serial::init();
    if (command_line.console_vga)
        vga::init();
    debugcon::init();
}

/* Says what of the command line was left out, where Linux would stop or cut silently. */
void report_command_line(const CommandLine& cmd)
{
    for (size_t i = 0; i < cmd.nr_bad; i++)
        printk(KERN_WARNING "Ignoring bad parameter '%s'\n", cmd.bad[i]);
    if (cmd.truncated())
        printk(KERN_WARNING "Kernel command line too long (%zu bytes): truncated to %zu\n",
               cmd.length, CommandLine::max_length - 1);
    if (cmd.nr_dropped_args)
        printk(KERN_WARNING "Too many boot init vars at `%s': %zu left out\n", cmd.dropped_arg,
               cmd.nr_dropped_args);
    if (cmd.nr_dropped_envs)
        printk(KERN_WARNING "Too many boot env vars at `%s': %zu left out\n", cmd.dropped_env,
               cmd.nr_dropped_envs);
}

/*
 * Prints what the loader told us and keeps the memory map and module ranges in
 * boot_information: once mm::init reuses low memory, the loader's structures are gone.
 */
void take_boot_information(const MultibootInfo* mbi, BootInfo& boot)
{
    boot.mem_limit = command_line.mem_limit;
    if (!mbi) {
        printk(KERN_ERR "Not booted by a Multiboot loader (magic %#x)\n", boot_magic);
        return;
    }
    if (mbi->flags & MultibootInfo::HAS_LOADER_NAME)
        if (const char* name = boot_pointer<char>(mbi->boot_loader_name))
            printk(KERN_INFO "Loaded by %s\n", name);
    report_command_line(command_line);

    if (mbi->flags & MultibootInfo::HAS_MMAP) {
        printk(KERN_INFO "BIOS-provided physical RAM map:\n");
        u32 p = mbi->mmap_addr, end = mbi->mmap_addr + mbi->mmap_length;
        while (p < end) {
            const auto* e = boot_pointer<MultibootMmapEntry>(p);
            if (!e)
                break;
            printk(KERN_INFO "  [mem 0x%08llx-0x%08llx] %s\n", e->addr, e->addr + e->len - 1,
                   e->type == 1 ? "usable" : "reserved");
            if (e->len && boot.nr_regions < BootInfo::max_regions)
                boot.regions[boot.nr_regions++] = { e->addr, e->addr + e->len, e->type == 1 };
            p += e->size + sizeof e->size;
        }
    } else if (mbi->flags & MultibootInfo::HAS_MEMORY) {
        printk(KERN_INFO "Memory: %u KB low, %u KB high\n", mbi->mem_lower, mbi->mem_upper);
        boot.regions[boot.nr_regions++] = { 0, u64(mbi->mem_lower) << 10, true };
        boot.regions[boot.nr_regions++] = { 1u << 20, (1u << 20) + (u64(mbi->mem_upper) << 10), true };
    }
    if (mbi->flags & MultibootInfo::HAS_MODULES) {
        const auto* mods = boot_pointer<MultibootModule>(mbi->mods_addr);
        for (u32 i = 0; mods && i < mbi->mods_count && i < BootInfo::max_modules; i++) {
            printk(KERN_INFO "initrd: %u bytes at physical %#x\n", mods[i].end - mods[i].start,
                   mods[i].start);
            boot.modules[boot.nr_modules++] = { mods[i].start, mods[i].end };
        }
    }
}

void trap_init()
{
    tss_init();
    idt_init();
    pic_init();
    timer::init();
    keyboard::init();
    if (command_line.console_serial)
        serial::enable_input_interrupts();
    arch::sti();
}

} // namespace

extern "C" [[noreturn]] void start_kernel()
{
    run_global_constructors();
    const MultibootInfo* mbi = multiboot_info();
    parse_boot_command_line(mbi);
    console_init();
    console_print(KERNEL_BANNER "\n");    /* whatever the log level: the first line */
    take_boot_information(mbi, boot_information);
    sched_init();
    trap_init();
    time_init();
    mm::init(boot_information);
    const BootInfo::Module* initrd = boot_information.nr_modules ? &boot_information.modules[0] : nullptr;
    fs::init(initrd ? reinterpret_cast<const void*>(phys_to_virt(initrd->start)) : nullptr,
             initrd ? initrd->end - initrd->start : 0);
    ata::init();
    proc_pid_init();
    proc_system_init();
    ipc_shm_init();
    mm::vmalloc_init();
    mm::swap_proc_init();
    mm::mmtrace_init();
    printk(KERN_INFO "Timer at %u Hz, interrupts on\n", HZ);

    if (command_line.selftest) {
        power_off_on_panic = true;
        mm::start_kswapd();
        unsigned failed = ktest::run(command_line.selftest_glob);
        machine_power_off(failed ? 1 : 0);
    }
    start_init(command_line.init);
    mm::start_kswapd();                 /* pid 2: after init, which is pid 1 */
    cpu_idle();
}
