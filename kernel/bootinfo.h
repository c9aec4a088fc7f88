/* What start_kernel keeps of the loader's information before low memory is reused. */
#pragma once

#include <kernel/types.h>

struct BootInfo {
    static constexpr size_t max_regions = 32;
    static constexpr size_t max_modules = 8;

    struct Region {
        u64 start, end;         /* [start, end) */
        bool usable;
    };
    struct Module {
        u32 start, end;         /* physical, [start, end) */
    };

    Region regions[max_regions];
    size_t nr_regions = 0;
    Module modules[max_modules];
    size_t nr_modules = 0;
    u64 mem_limit = 0;          /* mem=, 0 for none */
};

/* What start_kernel kept of the loader's information (kernel/main.cpp). */
extern BootInfo boot_information;
