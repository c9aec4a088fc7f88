/*
 * switch_to(Task* prev, Task* next): saves the callee-saved registers and EFLAGS on
 * prev's kernel stack, stores its stack pointer in prev->kernel_esp (offset 0), and
 * resumes next where it last switched away, or, for a new task, at the address that
 * copy_thread left on its stack (ret_from_fork, init_trampoline).
 */
    .text
    .globl switch_to
switch_to:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    pushfl
    movl 24(%esp), %eax                 /* prev */
    movl %esp, (%eax)
    movl 28(%esp), %eax                 /* next */
    movl (%eax), %esp
    popfl
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* A forked child's first code: finish in C++, then leave through the copied TrapFrame. */
    .globl ret_from_fork
ret_from_fork:
    pushl %esp
    call fork_return
    addl $4, %esp
    jmp ret_from_trap

/* jump_to_ret_from_trap(frame): the frame becomes the stack, and ret_from_trap leaves through it. */
    .globl jump_to_ret_from_trap
jump_to_ret_from_trap:
    movl 4(%esp), %esp
    jmp ret_from_trap

/* pid 1's first code: exec init, then leave through the TrapFrame exec built. */
    .globl init_trampoline
init_trampoline:
    call init_task_main                 /* does not return */
    ud2                                 /* keeps the return address in this function */

/* A kernel thread's first code: run its function in C++, which exits the task. */
    .globl kernel_thread_trampoline
kernel_thread_trampoline:
    call kernel_thread_main             /* does not return */
    ud2
