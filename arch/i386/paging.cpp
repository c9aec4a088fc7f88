#include <arch/i386/paging.h>
#include <mm/layout.h>

namespace arch {

Pte walk(const Pde* directory, u32 va)
{
    Pde pde = directory[pgd_index(va)];
    if (!pde.present())
        return Pte();
    const auto* table = reinterpret_cast<const Pte*>(phys_to_virt(pde.frame().value()));
    return table[pte_index(va)];
}

} // namespace arch
