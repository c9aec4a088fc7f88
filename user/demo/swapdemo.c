/*
 * swapdemo [MB]: grows past the machine's memory and shows swap doing its work. Writes a
 * pattern into every page of MB megabytes (default: twice the RAM), printing free memory,
 * free swap and the major faults (pages read back from swap) as it goes, then reads every
 * page back and checks it. Exits 0 if every byte came back, 1 if not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

#include "../system/programs.h"

#define PAGE 4096u

static void show(const char* what, size_t done_kb)
{
    struct sysinfo si;
    struct rusage ru;
    sysinfo(&si);
    getrusage(RUSAGE_SELF, &ru);
    printf("swapdemo: %-8s %7zu kB done, MemFree %6lu kB, SwapFree %6lu kB, major faults %ld\n",
           what, done_kb, si.freeram * si.mem_unit / 1024, si.freeswap * si.mem_unit / 1024,
           ru.ru_majflt);
}

static uint32_t pattern(size_t page, size_t i) { return (uint32_t)(page * 2654435761u + i * 40503u); }

int swapdemo_main(int argc, char** argv)
{
    struct sysinfo si;
    sysinfo(&si);
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : (size_t)(2 * si.totalram * si.mem_unit >> 20);
    size_t pages = (mb << 20) / PAGE;
    uint32_t* p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("swapdemo: mmap");
        return 1;
    }
    printf("swapdemo: %zu MB in a machine of %lu kB RAM and %lu kB swap\n", mb,
           si.totalram * si.mem_unit / 1024, si.totalswap * si.mem_unit / 1024);
    show("start", 0);
    size_t step = pages / 4 ? pages / 4 : 1;
    for (size_t page = 0; page < pages; page++) {
        uint32_t* w = p + page * (PAGE / 4);
        for (size_t i = 0; i < PAGE / 4; i++)
            w[i] = pattern(page, i);
        if ((page + 1) % step == 0)
            show("written", (page + 1) * (PAGE / 1024));
    }
    size_t wrong = 0;
    for (size_t page = 0; page < pages; page++) {
        uint32_t* w = p + page * (PAGE / 4);
        for (size_t i = 0; i < PAGE / 4; i++)
            if (w[i] != pattern(page, i)) {
                wrong++;
                break;
            }
    }
    show("checked", pages * (PAGE / 1024));
    printf("swapdemo: %zu MB written and read back, %zu pages wrong\n", mb, wrong);
    return wrong != 0;
}
