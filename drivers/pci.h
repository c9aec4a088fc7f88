/*
 * PCI configuration space through mechanism 1 (ports 0xCF8/0xCFC), bus 0 only: enough to
 * find the IDE controller of an i440FX/PIIX machine (QEMU's pc, Bochs) and turn on its bus
 * mastering. No bridges are followed and no resources assigned: the BIOS has placed the
 * BARs. docs/disks.md describes its use.
 */
#pragma once

#include <kernel/types.h>

namespace pci {

/* A function on bus 0. */
struct Address {
    u8 device;                          /* 0..31 */
    u8 function;                        /* 0..7 */
};

/* Configuration header offsets (type 0). */
namespace cfg {
constexpr u8 VENDOR = 0x00, DEVICE = 0x02, COMMAND = 0x04, PROG_IF = 0x09, SUBCLASS = 0x0A,
             CLASS = 0x0B, HEADER_TYPE = 0x0E, BAR0 = 0x10, BAR4 = 0x20;
}
constexpr u16 CMD_IO = 1u << 0, CMD_BUS_MASTER = 1u << 2;
constexpr u8 HEADER_MULTIFUNCTION = 0x80;

/* Whether mechanism 1 answers: an ISA-only machine (QEMU's isapc, a 486) has no PCI. */
bool present();

u32 read32(Address a, u8 offset);
u16 read16(Address a, u8 offset);
u8 read8(Address a, u8 offset);
void write32(Address a, u8 offset, u32 value);
void write16(Address a, u8 offset, u16 value);

struct Function {
    Address address;
    u16 vendor, device;
    u8 class_code, subclass, prog_if;
};

/*
 * Calls visit for each function present on bus 0, in order, until it returns true; true
 * if one did. Without PCI, visits nothing.
 */
template<typename Visit>
bool for_each_function(Visit visit);

/* The function visitor's plumbing, outside the template: reads one function's header. */
bool probe_function(Address a, Function& out);

template<typename Visit>
bool for_each_function(Visit visit)
{
    if (!present())
        return false;
    for (u8 dev = 0; dev < 32; dev++) {
        for (u8 fn = 0; fn < 8; fn++) {
            Function f;
            if (!probe_function({ dev, fn }, f)) {
                if (fn == 0)
                    break;                  /* no device: no functions */
                continue;
            }
            if (visit(f))
                return true;
            /* Functions 1..7 exist only on a multi-function device. */
            if (fn == 0 && !(read8(f.address, cfg::HEADER_TYPE) & HEADER_MULTIFUNCTION))
                break;
        }
    }
    return false;
}

} // namespace pci
