/* Boot-time memory setup (paging_init, mem_init), the boot map, and the kernel's allocators. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <kernel/irq.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/task.h>
#include <mm/bootmem.h>
#include <mm/fault_inject.h>
#include <mm/layout.h>
#include <mm/memory.h>

namespace mm {

PageAllocator page_allocator;
SlabAllocator slab_allocator;
Page* mem_map;
u32 low_memory_start;
u32 memory_start;
u32 memory_end;
u32 managed_pages;

namespace {

constexpr u32 MB = 1u << 20;
constexpr u32 BIOS_HOLE_START = 0xA0000;
constexpr u32 BIOS_HOLE_END = 0x100000;

BootMemory boot_memory;

/* The boot map: what boot code placed where, merged where adjacent. */
constexpr size_t max_items = 48;
MapItem items[max_items];
size_t nr_items;

void record(const char* name, u32 start, u32 end)
{
    for (size_t i = 0; i < nr_items; i++) {
        if (items[i].name == name && items[i].end == start) {
            items[i].end = end;
            return;
        }
    }
    if (nr_items < max_items)
        items[nr_items++] = { name, start, end };
}

PhysAddr boot_allocate(const char* name, u32 pages, u32 below)
{
    PhysAddr p = boot_memory.allocate(pages, below, MB);
    if (p.value() == 0)
        panic("%s: no room for %u pages below %#x", name, pages, below);
    record(name, p.value(), p.value() + pages * PAGE_SIZE);
    if (p.value() >= MB && p.value() + pages * PAGE_SIZE > memory_start)
        memory_start = p.value() + pages * PAGE_SIZE;
    return p;
}

void find_memory(const BootInfo& boot)
{
    for (size_t i = 0; i < boot.nr_regions; i++)
        if (boot.regions[i].usable)
            boot_memory.add_usable(boot.regions[i].start, boot.regions[i].end);
    /* Whatever the map says, these are never RAM we may hand out. */
    for (size_t i = 0; i < boot.nr_regions; i++)
        if (!boot.regions[i].usable)
            boot_memory.reserve(boot.regions[i].start, boot.regions[i].end);

    u32 image_start = virt_to_phys(u32(_text)), image_end = virt_to_phys(u32(_end));
    u64 must_keep = image_end;
    for (size_t i = 0; i < boot.nr_modules; i++)
        if (boot.modules[i].end > must_keep)
            must_keep = boot.modules[i].end;
    must_keep = page_align_up(u32(must_keep));

    u64 limit = MAX_MAPPED_MEMORY;
    if (boot.mem_limit && boot.mem_limit < limit)
        limit = boot.mem_limit;
    if (limit < must_keep) {
        printk(KERN_WARNING "mem=%lluK is below the kernel and initrd; using %lluK\n",
               limit >> 10, must_keep >> 10);
        limit = must_keep;
    }
    u64 above = boot_memory.end() > limit ? boot_memory.end() - limit : 0;
    if (above && (!boot.mem_limit || boot.mem_limit > MAX_MAPPED_MEMORY))
        printk(KERN_WARNING "Memory: %lluMB above %uMB not mapped, not used\n", above >> 20,
               MAX_MAPPED_MEMORY >> 20);
    boot_memory.clip(limit);
    memory_end = u32(boot_memory.end());

    boot_memory.reserve(0, PAGE_SIZE);
    record("null page", 0, PAGE_SIZE);
    boot_memory.reserve(BIOS_HOLE_START, BIOS_HOLE_END);
    record("BIOS hole", BIOS_HOLE_START, BIOS_HOLE_END);
    boot_memory.reserve(image_start, image_end);
    record("kernel code", image_start, virt_to_phys(u32(_erodata)));
    record("kernel data", virt_to_phys(u32(_erodata)), virt_to_phys(u32(swapper_pg_dir)));
    record("swapper_pg_dir", virt_to_phys(u32(swapper_pg_dir)), virt_to_phys(u32(swapper_pg_dir)) + PAGE_SIZE);
    record("pg0", virt_to_phys(u32(pg0)), virt_to_phys(u32(pg0)) + PAGE_SIZE);
    record("kernel bss", virt_to_phys(u32(pg0)) + PAGE_SIZE, image_end);
    for (size_t i = 0; i < boot.nr_modules; i++) {
        boot_memory.reserve(boot.modules[i].start, boot.modules[i].end);
        record("initrd", page_align_down(boot.modules[i].start), page_align_up(boot.modules[i].end));
    }
    low_memory_start = image_end;
    memory_start = image_end;
    if (boot_memory.dropped())
        printk(KERN_WARNING "Memory: %zu ranges of the map did not fit, not used\n",
               boot_memory.dropped());
}

/* Maps [0, memory_end) at PAGE_OFFSET; pg0 already does the first 4 MB. */
[[gnu::noinline]] void paging_init()
{
    for (u32 i = 0; i < PTRS_PER_TABLE; i++)
        if (i * PAGE_SIZE >= memory_end)
            pg0[i] = arch::Pte();           /* no memory there: let it fault */

    u32 mapped = PGDIR_SIZE;
    for (u32 base = PGDIR_SIZE; base < memory_end; base += PGDIR_SIZE) {
        PhysAddr table_phys = boot_allocate("kernel page tables", 1, mapped);
        auto* table = reinterpret_cast<arch::Pte*>(phys_to_virt(table_phys.value()));
        for (u32 i = 0; i < PTRS_PER_TABLE; i++) {
            u32 phys = base + i * PAGE_SIZE;
            table[i] = phys < memory_end
                     ? arch::Pte::kernel_page(PhysAddr(phys))
                     : arch::Pte();
        }
        swapper_pg_dir[arch::pgd_index(phys_to_virt(base))] = arch::Pde::kernel_table(table_phys);
        mapped = base + PGDIR_SIZE < memory_end ? base + PGDIR_SIZE : memory_end;
    }
    arch::flush_tlb();
}

[[gnu::noinline]] void mem_init()
{
    u32 nr_pages = memory_end >> PAGE_SHIFT;
    u32 map_pages = page_align_up(nr_pages * sizeof(Page)) >> PAGE_SHIFT;
    PhysAddr map_phys = boot_allocate("mem_map", map_pages, memory_end);
    mem_map = reinterpret_cast<Page*>(phys_to_virt(map_phys.value()));
    page_allocator.init(mem_map, nr_pages, PAGE_OFFSET);

    /* Released from the top down, so that the lowest pages are handed out first. */
    for (size_t r = boot_memory.count(); r-- > 0;) {
        const PhysRange& range = boot_memory.range(r);
        record("free", u32(range.start), u32(range.end));
        for (u64 pfn = range.end >> PAGE_SHIFT; pfn-- > (range.start >> PAGE_SHIFT);)
            page_allocator.release_boot_page(Pfn(u32(pfn)));
    }
    slab_allocator.init(page_allocator);
    managed_pages = page_allocator.nr_free_pages() + page_allocator.nr_reserve_pages();
}

void print_boot_map()
{
    /* Ascending by address; few rows, so a simple insertion sort. */
    for (size_t i = 1; i < nr_items; i++)
        for (size_t j = i; j > 0 && items[j].start < items[j - 1].start; j--) {
            MapItem t = items[j];
            items[j] = items[j - 1];
            items[j - 1] = t;
        }
    printk(KERN_INFO "Physical memory map:\n");
    for (size_t i = 0; i < nr_items; i++) {
        if (items[i].start == items[i].end)
            continue;
        printk(KERN_INFO "  0x%08x-0x%08x %8uK  %s\n", items[i].start, items[i].end - 1,
               (items[i].end - items[i].start) >> 10, items[i].name);
    }
    u32 total = page_allocator.nr_free_pages() + page_allocator.nr_reserve_pages();
    printk(KERN_INFO "Memory: %u free pages (%uK, %u of them in reserve), memory_end %#x, "
           "mem_map %u bytes per page (%uK)\n", total, total * 4, page_allocator.nr_reserve_pages(),
           memory_end, u32(sizeof(Page)), (page_allocator.nr_pages() * u32(sizeof(Page))) >> 10);
}

} // namespace

void init(const BootInfo& boot)
{
    find_memory(boot);
    paging_init();
    mem_init();
    print_boot_map();
}

namespace {

FaultAttr fail_page_alloc_attr;

/*
 * Init (and the idle task, and interrupts that find no process) are spared, as Linux's
 * task-filter spares the tasks not chosen: init is the test runner or the fuzzer, which
 * must live to count free pages at the end.
 */
bool fail_page_alloc_hook()
{
    if (!current || current->pid <= 1)
        return false;
    IrqGuard guard;
    return fail_page_alloc_attr.should_fail(PAGE_SIZE);
}

} // namespace

void start_fail_page_alloc(const char* setting)
{
    if (!FaultAttr::parse(setting, fail_page_alloc_attr))
        return;
    printk(KERN_NOTICE "fail_page_alloc: interval %u, probability %u%%, space %u, times %d: "
           "page allocations for processes other than init may fail\n",
           fail_page_alloc_attr.interval, fail_page_alloc_attr.probability,
           fail_page_alloc_attr.space, fail_page_alloc_attr.times);
    page_allocator.set_fail_hook(fail_page_alloc_hook);
}

size_t boot_map(const MapItem*& out)
{
    out = items;
    return nr_items;
}

void bad_page(const char* what, u32 pfn, const void* caller)
{
    SymbolLookup sym = lookup_symbol(u32(caller));
    if (pfn == NO_PAGE)
        panic("%s (address outside mem_map), called from %s+%#x", what,
              sym.name ? sym.name : "?", sym.offset);
    panic("%s: page %#x (pfn %#x), called from %s+%#x", what, pfn << PAGE_SHIFT, pfn,
          sym.name ? sym.name : "?", sym.offset);
}

} // namespace mm

VirtAddr get_free_page(Gfp priority)
{
    return mm::page_allocator.allocate(priority, mm::Zero::Yes);
}

VirtAddr __get_free_page(Gfp priority)
{
    return mm::page_allocator.allocate(priority, mm::Zero::No);
}

void free_page(VirtAddr page)
{
    mm::page_allocator.free(page, __builtin_return_address(0));
}

u32 nr_free_pages()
{
    return mm::page_allocator.nr_free_pages() + mm::page_allocator.nr_reserve_pages();
}

void* kmalloc(size_t size, Gfp priority)
{
    return mm::slab_allocator.allocate(size, priority);
}

void kfree(void* object)
{
    mm::slab_allocator.free(object, __builtin_return_address(0));
}
