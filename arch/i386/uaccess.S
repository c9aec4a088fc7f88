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

/*
 * u32 __copy_user(void* to, const void* from, u32 n): returns the bytes NOT copied.
 * Either side may be a user address; the caller checked that user ranges lie below
 * TASK_SIZE. A fault stops the copy where it happened.
 */
    .text
    .globl __copy_user
__copy_user:
    pushl %edi
    pushl %esi
    movl 12(%esp), %edi
    movl 16(%esp), %esi
    movl 20(%esp), %ecx
    movl %ecx, %edx
    shrl $2, %ecx
    andl $3, %edx
.Lcopy_words:
    rep movsl
    movl %edx, %ecx
.Lcopy_bytes:
    rep movsb
.Lcopy_done:
    movl %ecx, %eax                     /* bytes left: 0 unless a fault cut the copy short */
    popl %esi
    popl %edi
    ret
.Lcopy_words_fault:
    leal (%edx, %ecx, 4), %ecx          /* words left and the tail not yet started */
    jmp .Lcopy_done

/*
 * i32 __strncpy_user(char* to, const char* from, u32 n): copies up to and including the
 * NUL, at most n bytes; returns the length without the NUL, n if no NUL came, -1 on fault.
 */
    .globl __strncpy_user
__strncpy_user:
    pushl %edi
    pushl %esi
    movl 12(%esp), %edi
    movl 16(%esp), %esi
    movl 20(%esp), %ecx
    xorl %edx, %edx
.Lstr_next:
    cmpl %ecx, %edx
    je .Lstr_done
.Lstr_load:
    movb (%esi, %edx), %al
    movb %al, (%edi, %edx)
    testb %al, %al
    jz .Lstr_done
    incl %edx
    jmp .Lstr_next
.Lstr_done:
    movl %edx, %eax
    popl %esi
    popl %edi
    ret
.Lstr_fault:
    movl $-1, %eax
    popl %esi
    popl %edi
    ret

    .section __ex_table, "a"
    .long .Lcopy_words, .Lcopy_words_fault
    .long .Lcopy_bytes, .Lcopy_done
    .long .Lstr_load, .Lstr_fault
