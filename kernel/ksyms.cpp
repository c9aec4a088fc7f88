#include <kernel/console.h>
#include <kernel/ksyms.h>
#include <kernel/string.h>
#include <mm/layout.h>

/* Emitted by scripts/ksyms.py: addresses sorted ascending, names as offsets into one blob. */
extern "C" const u32 ksyms_count;
extern "C" const u32 ksyms_addresses[];
extern "C" const u32 ksyms_name_offsets[];
extern "C" const char ksyms_names[];

SymbolLookup lookup_symbol(u32 address)
{
    if (address < u32(_text) || address >= u32(_etext) || ksyms_count == 0)
        return { nullptr, 0 };
    /* Last symbol whose address is <= address. */
    u32 lo = 0, hi = ksyms_count;
    while (hi - lo > 1) {
        u32 mid = lo + (hi - lo) / 2;
        if (ksyms_addresses[mid] <= address)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_addresses[lo] > address)
        return { nullptr, 0 };
    return { ksyms_names + ksyms_name_offsets[lo], address - ksyms_addresses[lo] };
}

u32 symbol_address(const char* name)
{
    for (u32 i = 0; i < ksyms_count; i++)
        if (strcmp(ksyms_names + ksyms_name_offsets[i], name) == 0)
            return ksyms_addresses[i];
    return 0;
}

void print_symbol(const char* prefix, u32 address)
{
    SymbolLookup sym = lookup_symbol(address);
    if (sym.name)
        console_print("%s[<%08x>] %s+0x%x\n", prefix, address, sym.name, sym.offset);
    else
        console_print("%s[<%08x>] ?\n", prefix, address);
}
