/* Probes that may fault; see kernel/uaccess.h. */

    .text
    .globl probe_read_u32
probe_read_u32:                 /* bool probe_read_u32(u32 address, u32& value) */
    movl 4(%esp), %edx
1:  movl (%edx), %eax
    movl 8(%esp), %ecx
    movl %eax, (%ecx)
    movl $1, %eax
    ret

    .globl probe_write_u32
probe_write_u32:                /* bool probe_write_u32(u32 address, u32 value) */
    movl 4(%esp), %edx
    movl 8(%esp), %eax
2:  movl %eax, (%edx)
    movl $1, %eax
    ret

probe_failed:
    xorl %eax, %eax
    ret

    .section __ex_table, "a"
    .align 4
    .long 1b, probe_failed
    .long 2b, probe_failed
