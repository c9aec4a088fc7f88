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

bool user_range_ok(Userspace<const void*> addr, size_t n)
{
    return addr.address() < TASK_SIZE && n <= TASK_SIZE - addr.address();
}

ErrorOr<void> copy_to_user(Userspace<void*> to, const void* from, size_t n)
{
    if (!user_range_ok(to, n))
        return Error::from_errno(EFAULT);
    if (__copy_user(reinterpret_cast<void*>(to.address()), from, n))
        return Error::from_errno(EFAULT);
    return {};
}

ErrorOr<void> copy_from_user(void* to, Userspace<const void*> from, size_t n)
{
    if (!user_range_ok(from, n))
        return Error::from_errno(EFAULT);
    if (__copy_user(to, reinterpret_cast<const void*>(from.address()), n))
        return Error::from_errno(EFAULT);
    return {};
}

ErrorOr<size_t> strncpy_from_user(char* to, Userspace<const char*> from, size_t n)
{
    u32 start = from.address();
    if (start >= TASK_SIZE)
        return Error::from_errno(EFAULT);
    /* Stop at TASK_SIZE: a string may not run on into kernel space. */
    size_t limit = n < TASK_SIZE - start ? n : TASK_SIZE - start;
    i32 len = __strncpy_user(to, reinterpret_cast<const char*>(start), u32(limit));
    if (len < 0)
        return Error::from_errno(EFAULT);
    if (u32(len) == limit)
        return Error::from_errno(limit < n ? EFAULT : ENAMETOOLONG);
    return size_t(len);
}
