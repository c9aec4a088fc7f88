/*
 * The system-call boundary: the dispatcher makes the Userspace arguments from the
 * registers and puts a value, or an Error as -errno, in eax.
 */
#include <arch/interrupts.h>
#include <kernel/errno.h>
#include <kernel/ktest.h>
#include <kernel/task.h>
#include <mm/layout.h>

long syscall_dispatch(TrapFrame& frame);

namespace {

long call(u32 nr, u32 ebx = 0, u32 ecx = 0, u32 edx = 0)
{
    TrapFrame frame = { };
    frame.eax = nr;
    frame.ebx = ebx;
    frame.ecx = ecx;
    frame.edx = edx;
    return syscall_dispatch(frame);
}

constexpr u32 NR_CLOSE = 6, NR_GETPID = 20, NR_GETCWD = 183, NR_UNAME = 122;

} // namespace

KTEST(syscall, values_and_errors_in_eax)
{
    EXPECT_EQ(call(NR_GETPID), long(current->pid));
    EXPECT_EQ(call(NR_CLOSE, 1000), -EBADF);
    EXPECT_EQ(call(NR_GETCWD, 0, 0), -ERANGE);
    EXPECT_EQ(call(449), -ENOSYS);
    EXPECT_EQ(call(1000), -ENOSYS);
}

/* A kernel address in a pointer register is refused before anything is copied. */
KTEST(syscall, kernel_addresses_are_efault)
{
    EXPECT_EQ(call(NR_GETCWD, PAGE_OFFSET, 4096), -EFAULT);
    EXPECT_EQ(call(NR_UNAME, PAGE_OFFSET), -EFAULT);
    EXPECT_EQ(call(NR_UNAME, TASK_SIZE - 100), -EFAULT);    /* runs into kernel space */
}
