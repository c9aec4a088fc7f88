#include <kernel/uaccess.h>

extern "C" const ExceptionTableEntry __start_ex_table[], __stop_ex_table[];

RecoveredFault last_recovered_fault;

u32 search_exception_table(u32 eip)
{
    for (const ExceptionTableEntry* e = __start_ex_table; e < __stop_ex_table; e++)
        if (e->insn == eip)
            return e->fixup;
    return 0;
}
