#include <kernel/errno.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>

extern "C" u32 __copy_user(void* to, const void* from, u32 n);
extern "C" i32 __strncpy_user(char* to, const char* from, u32 n);

extern "C" const ExceptionTableEntry __start_ex_table[], __stop_ex_table[];

RecoveredFault last_recovered_fault;

u32 search_exception_table(u32 eip)
{
    for (const ExceptionTableEntry* e = __start_ex_table; e < __stop_ex_table; e++)
        if (e->insn == eip)
            return e->fixup;
    return 0;
}

bool user_range_ok(u32 addr, size_t n)
{
    return addr < TASK_SIZE && n <= TASK_SIZE - addr;
}

long copy_to_user(u32 to, const void* from, size_t n)
{
    if (!user_range_ok(to, n))
        return -EFAULT;
    return __copy_user(reinterpret_cast<void*>(to), from, n) ? -EFAULT : 0;
}

long copy_from_user(void* to, u32 from, size_t n)
{
    if (!user_range_ok(from, n))
        return -EFAULT;
    return __copy_user(to, reinterpret_cast<const void*>(from), n) ? -EFAULT : 0;
}

long strncpy_from_user(char* to, u32 from, size_t n)
{
    if (from >= TASK_SIZE)
        return -EFAULT;
    /* Stop at TASK_SIZE: a string may not run on into kernel space. */
    size_t limit = n < TASK_SIZE - from ? n : TASK_SIZE - from;
    i32 len = __strncpy_user(to, reinterpret_cast<const char*>(from), u32(limit));
    if (len < 0)
        return -EFAULT;
    if (u32(len) == limit)
        return limit < n ? -EFAULT : -ENAMETOOLONG;
    return len;
}
