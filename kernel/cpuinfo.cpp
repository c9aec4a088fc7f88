/*
 * /proc/cpuinfo as Linux's show_cpuinfo prints it on i386 with one CPU: what CPUID says
 * (vendor, family, model, name, flags by Linux's names), the clock measured against the
 * timer, bogomips as Linux derives them. A 486 without CPUID shows as Linux shows one.
 */
#include <arch/cpu.h>
#include <drivers/timer.h>
#include <fs/proc.h>
#include <kernel/format.h>
#include <kernel/proc_system.h>
#include <kernel/string.h>

namespace {

using Names = const char* const[32];

/* Linux's x86_cap_flags: CPUID 1 EDX (word 0), 0x80000001 EDX (1), 1 ECX (4), 0x80000001 ECX (6). */
Names edx1 = { "fpu", "vme", "de", "pse", "tsc", "msr", "pae", "mce", "cx8", "apic", nullptr,
               "sep", "mtrr", "pge", "mca", "cmov", "pat", "pse36", "pn", "clflush", nullptr,
               "dts", "acpi", "mmx", "fxsr", "sse", "sse2", "ss", "ht", "tm", "ia64", "pbe" };
Names edx_ext = { nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                  nullptr, nullptr, nullptr, "syscall", nullptr, nullptr, nullptr, nullptr,
                  nullptr, nullptr, nullptr, "mp", "nx", nullptr, "mmxext", nullptr, nullptr,
                  "fxsr_opt", "pdpe1gb", "rdtscp", nullptr, "lm", "3dnowext", "3dnow" };
Names ecx1 = { "pni", "pclmulqdq", "dtes64", "monitor", "ds_cpl", "vmx", "smx", "est", "tm2",
               "ssse3", "cid", "sdbg", "fma", "cx16", "xtpr", "pdcm", nullptr, "pcid", "dca",
               "sse4_1", "sse4_2", "x2apic", "movbe", "popcnt", "tsc_deadline_timer", "aes",
               "xsave", nullptr, "avx", "f16c", "rdrand", "hypervisor" };
Names ecx_ext = { "lahf_lm", "cmp_legacy", "svm", "extapic", "cr8_legacy", "abm", "sse4a",
                  "misalignsse", "3dnowprefetch", "osvw", "ibs", "xop", "skinit", "wdt", nullptr,
                  "lwp", "fma4", "tce", nullptr, "nodeid_msr", nullptr, "tbm", "topoext",
                  "perfctr_core", "perfctr_nb", nullptr, "bpext", "ptsc", "perfctr_llc",
                  "mwaitx", nullptr, nullptr };

/* Linux's names for Intel's 486s and Pentiums, which have no brand string. */
const char* intel_legacy_model(u32 family, u32 model)
{
    static const char* const family4[16] = { "486 DX-25/33", "486 DX-50", "486 SX", "486 DX/2",
        "486 SL", "486 SX/2", nullptr, "486 DX/2-WB", "486 DX/4", "486 DX/4-WB" };
    static const char* const family5[16] = { "Pentium 60/66 A-step", "Pentium 60/66",
        "Pentium 75 - 200", "OverDrive PODP5V83", "Pentium MMX", nullptr, nullptr,
        "Mobile Pentium 75 - 200", "Mobile Pentium MMX", "Quark SoC X1000" };
    if (family == 4)
        return family4[model & 15];
    if (family == 5)
        return family5[model & 15];
    return nullptr;
}

void print_flags(fs::TextBuffer& out, Names& names, u32 bits)
{
    for (int i = 0; i < 32; i++)
        if ((bits & (1u << i)) && names[i])
            out.printf(" %s", names[i]);
}

/* The TSC's rate in kHz, measured over 5 timer ticks the first time it is asked for. */
u32 tsc_khz()
{
    static u32 khz;
    constexpr u32 TICKS = 5;
    if (!khz) {
        u32 start = jiffies;
        while (jiffies == start)
            arch::barrier();
        u64 t0 = arch::rdtsc();
        start = jiffies;
        while (jiffies - start < TICKS)
            arch::barrier();
        khz = u32(arch::rdtsc() - t0) / (TICKS * 1000 / HZ);
    }
    return khz;
}

/* Without a TSC: Linux's calibrate_delay counts a delay loop over a tick instead. */
u32 loops_per_jiffy()
{
    static u32 lpj;
    if (!lpj) {
        u32 start = jiffies;
        while (jiffies == start)
            arch::barrier();
        start = jiffies;
        while (jiffies == start) {
            arch::barrier();
            lpj++;
        }
    }
    return lpj;
}

} // namespace

ErrorOr<void> generate_cpuinfo(int, fs::TextBuffer& out)
{
    char vendor[13] = "unknown", name[49] = { };
    u32 family = 4, model = 0, stepping = 0, edx = 0, ecx = 0, ext_edx = 0, ext_ecx = 0;
    u32 clflush = 32, phys_bits = 32, virt_bits = 32;
    int level = -1;
    if (arch::has_cpuid()) {
        arch::CpuidResult r = arch::cpuid(0);
        level = int(r.eax);
        memcpy(vendor, &r.ebx, 4);
        memcpy(vendor + 4, &r.edx, 4);
        memcpy(vendor + 8, &r.ecx, 4);
        vendor[12] = '\0';
        if (level >= 1) {
            r = arch::cpuid(1);
            family = (r.eax >> 8) & 0xF;
            model = (r.eax >> 4) & 0xF;
            stepping = r.eax & 0xF;
            if (family == 0xF)
                family += (r.eax >> 20) & 0xFF;
            if (family >= 6)
                model += ((r.eax >> 16) & 0xF) << 4;
            edx = r.edx;
            ecx = r.ecx;
            if (edx & (1u << 19))       /* CLFSH */
                clflush = ((r.ebx >> 8) & 0xFF) * 8;
        }
        if (edx & ((1u << 6) | (1u << 17)))     /* PAE or PSE36 */
            phys_bits = 36;
        u32 max_ext = arch::cpuid(0x80000000).eax;
        if (max_ext >= 0x80000001 && max_ext < 0x8000FFFF) {
            r = arch::cpuid(0x80000001);
            ext_edx = r.edx;
            ext_ecx = r.ecx;
        }
        if (max_ext >= 0x80000004 && max_ext < 0x8000FFFF) {
            for (u32 i = 0; i < 3; i++) {
                r = arch::cpuid(0x80000002 + i);
                memcpy(name + 16 * i, &r, 16);
            }
        }
        if (max_ext >= 0x80000008 && max_ext < 0x8000FFFF) {
            r = arch::cpuid(0x80000008);
            phys_bits = r.eax & 0xFF;
            virt_bits = (r.eax >> 8) & 0xFF;
        }
    }
    const char* model_name = name;
    while (*model_name == ' ')
        model_name++;
    char numbers[8];
    if (!*model_name) {
        const char* legacy = strcmp(vendor, "GenuineIntel") == 0 ? intel_legacy_model(family, model)
                                                                  : nullptr;
        kfmt::snprintf(numbers, sizeof numbers, "%02x/%02x", family, model);
        model_name = legacy ? legacy : numbers;
    }

    out.printf("processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n"
               "model name\t: %s\n", vendor, family, model, model_name);
    if (stepping || level >= 0)
        out.printf("stepping\t: %u\n", stepping);
    else
        out.printf("stepping\t: unknown\n");
    bool tsc = edx & (1u << 4);
    u32 khz = tsc ? tsc_khz() : 0;
    if (tsc)
        out.printf("cpu MHz\t\t: %u.%03u\n", khz / 1000, khz % 1000);
    /* The kernel runs only where an FPU is (a 486SX would need the emulator Linux has). */
    const char* fpu = level < 1 || (edx & 1) ? "yes" : "no";
    out.printf("fdiv_bug\t: no\nf00f_bug\t: no\ncoma_bug\t: no\nfpu\t\t: %s\n"
               "fpu_exception\t: %s\ncpuid level\t: %d\nwp\t\t: yes\nflags\t\t:",
               fpu, fpu, level);
    print_flags(out, edx1, edx);
    print_flags(out, edx_ext, ext_edx);
    if (level >= 0)
        out.printf(" cpuid");               /* Linux's own flag for a CPU that has it */
    print_flags(out, ecx1, ecx);
    print_flags(out, ecx_ext, ext_ecx);
    /* bogomips = loops_per_jiffy * HZ / 500000; with a TSC Linux's lpj is tsc_khz * 1000 / HZ. */
    u32 lpj = tsc ? khz * (1000 / HZ) : loops_per_jiffy();
    out.printf("\nbugs\t\t:\nbogomips\t: %u.%02u\n", lpj / (500000 / HZ), (lpj / (5000 / HZ)) % 100);
    out.printf("clflush size\t: %u\ncache_alignment\t: %u\n"
               "address sizes\t: %u bits physical, %u bits virtual\npower management:\n\n",
               clflush, clflush, phys_bits, virt_bits);
    return {};
}
