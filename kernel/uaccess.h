/*
 * Accesses that may fault. Each faulting instruction has an entry in the exception table
 * (__ex_table: faulting address, address to resume at); the page fault and general
 * protection handlers resume there instead of oopsing. copy_from_user and friends are
 * built that way, and take user addresses only as Userspace<T*> (kernel/userspace.h).
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>
#include <kernel/userspace.h>

struct ExceptionTableEntry {
    u32 insn;
    u32 fixup;
};

/* The fixup for a faulting kernel instruction, or 0. */
u32 search_exception_table(u32 eip);

namespace mm { enum class PageFaultResponse : u8; }

/*
 * The last fault that a fixup recovered: its vector, CR2 and the memory manager's
 * decision (for page faults), so that a copy on behalf of a user instruction can end in
 * the signal the instruction itself would have raised.
 */
struct RecoveredFault {
    u32 vector;
    u32 address;
    mm::PageFaultResponse response;
};
extern RecoveredFault last_recovered_fault;

/*
 * Copies between kernel memory and user space (addresses below TASK_SIZE). A range that
 * reaches TASK_SIZE or beyond, or memory the process may not access, gives EFAULT;
 * faults are recovered through the exception table, so nothing is checked twice.
 * strncpy_from_user gives the string's length (without the NUL), ENAMETOOLONG if no NUL
 * came within n bytes, or EFAULT.
 */
ErrorOr<void> copy_to_user(Userspace<void*> to, const void* from, size_t n);
ErrorOr<void> copy_from_user(void* to, Userspace<const void*> from, size_t n);
ErrorOr<size_t> strncpy_from_user(char* to, Userspace<const char*> from, size_t n);
/* True if [addr, addr + n) lies wholly below TASK_SIZE. */
bool user_range_ok(Userspace<const void*> addr, size_t n);

/* One object of the type the user pointer names. */
template <typename T>
ErrorOr<void> copy_to_user(Userspace<T*> to, const T& from)
{
    return copy_to_user(Userspace<void*>(to), &from, sizeof(T));
}
template <typename T>
ErrorOr<void> copy_from_user(T& to, Userspace<const T*> from)
{
    return copy_from_user(&to, Userspace<const void*>(from), sizeof(T));
}

/* Read or write 32 bits; false if the access faulted. */
extern "C" bool probe_read_u32(u32 address, u32& value);
extern "C" bool probe_write_u32(u32 address, u32 value);
