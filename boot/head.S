/*
 * Multiboot header and the 32-bit entry point.
 *
 * The loader enters startup_32 (linked, like this whole section, at its physical address)
 * with paging off, EAX holding the
 * Multiboot magic and EBX the physical address of the Multiboot information. We load our
 * own GDT, map the first 4 MB both at 0 (so the instruction after the switch still runs)
 * and at PAGE_OFFSET through one page table, pg0, turn paging on with CR0.WP, jump to the
 * higher half, drop the identity mapping and call start_kernel.
 */
#include <arch/i386/paging_geometry.h>
#include <arch/i386/segments.h>

#define PAGE_OFFSET     0xC0000000
#define phys(sym)       ((sym) - PAGE_OFFSET)

#define MB_MAGIC        0x1BADB002
#define MB_FLAGS        ((1 << 0) | (1 << 1))     /* page-aligned modules, memory map */

#define PTE_PRESENT     0x001
#define PTE_WRITABLE    0x002

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .boot.text, "ax"
    .globl startup_32
startup_32:
    cli
    cld
    movl %eax, phys(boot_magic)
    movl %ebx, phys(boot_info)

    lgdt phys(gdt_descr_phys)
    ljmp $KERNEL_CS, $1f                /* this section is linked at its physical address */
1:  movl $KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %fs
    movl %eax, %gs
    movl %eax, %ss

    /* swapper_pg_dir starts empty; the loader zeroes the bss but we do not rely on it. */
    movl $phys(swapper_pg_dir), %edi
    xorl %eax, %eax
    movl $PTRS_PER_TABLE, %ecx
    rep stosl

    /*
     * pg0 maps physical 0..4 MB. Page 0 stays absent so that a null pointer traps even
     * through PAGE_OFFSET; the kernel's text and read-only data are mapped read-only,
     * which CR0.WP enforces in ring 0 too.
     */
    movl $phys(pg0), %edi
    xorl %esi, %esi                     /* physical address of the page being mapped */
2:  movl %esi, %eax
    testl %esi, %esi
    jz 4f                               /* page 0: leave the entry zero */
    orl $PTE_PRESENT, %eax
    cmpl $phys(_text), %esi
    jb 3f
    cmpl $phys(_erodata), %esi
    jb 4f
3:  orl $PTE_WRITABLE, %eax
4:  movl %eax, (%edi)
    addl $4, %edi
    addl $4096, %esi
    cmpl $PGDIR_SIZE, %esi              /* pg0 maps what one directory entry covers */
    jb 2b

    movl $(phys(pg0) + PTE_PRESENT + PTE_WRITABLE), %eax
    movl %eax, phys(swapper_pg_dir)                     /* identity, for the switch */
    movl %eax, phys(swapper_pg_dir) + (PAGE_OFFSET >> PGDIR_SHIFT) * 4

    movl $phys(swapper_pg_dir), %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80010000, %eax               /* PG | WP */
    movl %eax, %cr0
    movl $higher_half, %eax
    jmp *%eax

    .text
higher_half:
    movl $boot_stack_top, %esp
    xorl %ebp, %ebp
    lgdt gdt_descr                      /* the GDT base as a kernel virtual address */

    movl $0, swapper_pg_dir             /* drop the identity mapping */
    movl %cr3, %eax
    movl %eax, %cr3

    pushl $0                            /* clear EFLAGS, NT and IF included */
    popfl
    call start_kernel
5:  cli
    hlt
    jmp 5b

    .data
    .align 4
    .globl boot_magic, boot_info
boot_magic:     .long 0
boot_info:      .long 0

/*
 * The GDT. Entries and selectors are in segments.h; the TSS and the three TLS slots are
 * filled in at run time. User segments end at 3 GB (limit 0xBFFFF pages).
 */
    .align 8
    .globl gdt
gdt:
    .quad 0x0000000000000000            /* null */
    .quad 0x00CF9A000000FFFF            /* kernel code: base 0, 4 GB, DPL 0 */
    .quad 0x00CF92000000FFFF            /* kernel data: base 0, 4 GB, DPL 0 */
    .quad 0x00CBFA000000FFFF            /* user code: base 0, 3 GB, DPL 3 */
    .quad 0x00CBF2000000FFFF            /* user data: base 0, 3 GB, DPL 3 */
    .quad 0                             /* TSS */
    .quad 0, 0, 0                       /* TLS slots for set_thread_area */
gdt_end:

    .align 4
    .word 0
gdt_descr_phys:
    .word gdt_end - gdt - 1
    .long phys(gdt)
    .word 0
    .globl gdt_descr
gdt_descr:
    .word gdt_end - gdt - 1
    .long gdt

    .section .bss.page_aligned, "aw", @nobits
    .align 4096
    .globl swapper_pg_dir, pg0
swapper_pg_dir: .skip 4096
pg0:            .skip 4096
boot_stack:     .skip 8192
    .globl boot_stack_top
boot_stack_top:
