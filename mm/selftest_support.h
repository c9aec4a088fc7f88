/*
 * For self-tests of the memory manager: the idle task borrows an address space, so
 * that plain kernel reads and writes of its user addresses take real page faults.
 */
#pragma once

#include <arch/cpu.h>
#include <kernel/task.h>
#include <mm/layout.h>
#include <mm/vm.h>

class BorrowedAddressSpace {
public:
    explicit BorrowedAddressSpace(mm::AddressSpace* as) : m_saved(current->mm) { use(as); }
    void use(mm::AddressSpace* as)
    {
        current->mm = as;
        arch::write_cr3(as->directory_phys().value());
    }
    ~BorrowedAddressSpace()
    {
        current->mm = m_saved;
        arch::write_cr3(virt_to_phys(u32(swapper_pg_dir)));
    }
    BorrowedAddressSpace(const BorrowedAddressSpace&) = delete;

private:
    mm::AddressSpace* m_saved;
};
