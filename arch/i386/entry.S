/*
 * Interrupt and exception entry. Each vector has a stub that makes the stack look the same
 * (an error code, real or zero, and the vector number), then common_trap saves the rest of
 * a TrapFrame and calls trap_dispatch(TrapFrame&).
 */
#include <arch/i386/segments.h>

    .macro trap_noerr vector
    .align 8
    pushl $0
    pushl $\vector
    jmp common_trap
    .endm

    .macro trap_err vector
    .align 8
    pushl $\vector
    jmp common_trap
    .endm

    .text
    .align 8
    .globl trap_stubs
trap_stubs:                             /* 16 bytes per vector, 48 vectors */
    .irp v, 0, 1, 2, 3, 4, 5, 6, 7
    .align 16
    trap_noerr \v
    .endr
    .align 16
    trap_err 8
    .align 16
    trap_noerr 9
    .irp v, 10, 11, 12, 13, 14
    .align 16
    trap_err \v
    .endr
    .irp v, 15, 16
    .align 16
    trap_noerr \v
    .endr
    .align 16
    trap_err 17
    .irp v, 18, 19, 20
    .align 16
    trap_noerr \v
    .endr
    .align 16
    trap_err 21
    .irp v, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    .align 16
    trap_noerr \v
    .endr
    .irp v, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
    .align 16
    trap_noerr \v
    .endr

    .globl system_call_stub
    .align 16
system_call_stub:                       /* int $0x80 */
    trap_noerr 0x80

common_trap:
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    pushal
    movl $KERNEL_DS, %eax
    movl %eax, %ds
    movl %eax, %es
    /*
     * The kernel uses neither FS nor GS; zero them so that nothing in the kernel holds a
     * user TLS selector whose descriptor a task switch may change under it.
     */
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    cld
    pushl %esp
    call trap_dispatch
    addl $4, %esp
    .globl ret_from_trap
ret_from_trap:
    popal
.Lpop_gs:
    popl %gs
.Lpop_fs:
    popl %fs
.Lpop_es:
    popl %es
.Lpop_ds:
    popl %ds
    addl $8, %esp                       /* vector and error code */
.Liret:
    iret

/*
 * Returning to user mode loads state user code chose: selectors whose descriptors it may
 * have changed since (set_thread_area), and, after sigreturn, a frame it wrote. A load
 * that faults must not be a kernel oops. A segment register that cannot be loaded gets
 * the null selector instead, as in Linux (the process faults when it next uses it); an
 * iret that faults (an EIP beyond the code segment's limit, say) becomes a general
 * protection fault of the process itself: the frame it tried to return to is still on
 * the stack, so the stub below completes it as a user trap and the process gets SIGSEGV.
 */
    .section .text.fixup, "ax"
.Lbad_gs:
    movl $0, (%esp)
    jmp .Lpop_gs
.Lbad_fs:
    movl $0, (%esp)
    jmp .Lpop_fs
.Lbad_es:
    movl $0, (%esp)
    jmp .Lpop_es
.Lbad_ds:
    movl $0, (%esp)
    jmp .Lpop_ds
.Lbad_iret:
    pushl $0                            /* error code */
    pushl $13                           /* #GP */
    jmp common_trap

    .section __ex_table, "a"
    .align 4
    .long .Lpop_gs, .Lbad_gs
    .long .Lpop_fs, .Lbad_fs
    .long .Lpop_es, .Lbad_es
    .long .Lpop_ds, .Lbad_ds
    .long .Liret, .Lbad_iret
