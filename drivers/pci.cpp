/* PCI configuration mechanism 1: an address written to 0xCF8, the dword at 0xCFC. */
#include <arch/interrupts.h>
#include <arch/io.h>
#include <drivers/pci.h>

namespace pci {

namespace {

constexpr u16 CONFIG_ADDRESS = 0xCF8, CONFIG_DATA = 0xCFC;
constexpr u32 ENABLE = 0x80000000u;

u32 address_of(Address a, u8 offset)
{
    return ENABLE | u32(a.device & 31) << 11 | u32(a.function & 7) << 8 | (offset & 0xFC);
}

} // namespace

bool present()
{
    /* Linux's pci_check_type1: the address register keeps the enable bit written to it. */
    arch::InterruptDisabler guard;
    u32 saved = arch::inl(CONFIG_ADDRESS);
    arch::outl(CONFIG_ADDRESS, ENABLE);
    bool answers = arch::inl(CONFIG_ADDRESS) == ENABLE;
    arch::outl(CONFIG_ADDRESS, saved);
    return answers;
}

u32 read32(Address a, u8 offset)
{
    /* Address and data are two accesses: nothing may come between them. */
    arch::InterruptDisabler guard;
    arch::outl(CONFIG_ADDRESS, address_of(a, offset));
    return arch::inl(CONFIG_DATA);
}

u16 read16(Address a, u8 offset) { return u16(read32(a, offset) >> ((offset & 2) * 8)); }
u8 read8(Address a, u8 offset) { return u8(read32(a, offset) >> ((offset & 3) * 8)); }

void write32(Address a, u8 offset, u32 value)
{
    arch::InterruptDisabler guard;
    arch::outl(CONFIG_ADDRESS, address_of(a, offset));
    arch::outl(CONFIG_DATA, value);
}

void write16(Address a, u8 offset, u16 value)
{
    arch::InterruptDisabler guard;
    arch::outl(CONFIG_ADDRESS, address_of(a, offset));
    arch::outw(u16(CONFIG_DATA + (offset & 2)), value);
}

bool probe_function(Address a, Function& out)
{
    u32 id = read32(a, cfg::VENDOR);
    if ((id & 0xFFFF) == 0xFFFF)
        return false;
    u32 class_reg = read32(a, 0x08);
    out = Function { a, u16(id), u16(id >> 16), u8(class_reg >> 24), u8(class_reg >> 16),
                     u8(class_reg >> 8) };
    return true;
}

} // namespace pci
