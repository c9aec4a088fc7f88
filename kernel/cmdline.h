/*
 * The kernel command line (CONTRACT §3), parsed as Linux does: known parameters are taken,
 * unknown `name=value` words go to init's environment, other words and everything after a
 * lone `--` go to init's argv. Pure code: it also builds for the host tests.
 */
#pragma once

#include <kernel/types.h>

struct CommandLine {
    static constexpr size_t max_length = 1024;
    static constexpr size_t max_args = 32;

    enum class ImageName { Present, Absent };

    const char* init = "/sbin/init";
    bool console_vga = true;
    bool console_serial = true;
    u64 mem_limit = 0;                  /* bytes; 0 means no limit */
    bool selftest = false;
    const char* selftest_glob = "*";
    int loglevel = 7;                   /* console shows messages below this level */
    const char* fail_page_alloc = nullptr;  /* a valid INTERVAL,PROBABILITY,SPACE,TIMES */
    /* Bus-master DMA for disks; off with `ide=nodma` (Linux's old IDE driver) or a
       `libata.dma=N` whose bit 0 (libata's "disks") is clear. Then PIO. */
    bool ide_dma = true;
    const char* mmtrace = nullptr;      /* `mmtrace` ("all") or a valid mmtrace=LIST (mm/mmtrace.h) */
    const char* init_argv[max_args] = { };  /* argv[1..], NULL-terminated */
    size_t init_argc = 0;
    const char* init_envp[max_args] = { };
    size_t init_envc = 0;
    /* Words that looked like a known parameter but whose value was wrong, for a warning. */
    const char* bad[max_args] = { };
    size_t nr_bad = 0;
    /* What did not fit, for a warning: the first word and how many. */
    const char* dropped_arg = nullptr;
    size_t nr_dropped_args = 0;
    const char* dropped_env = nullptr;
    size_t nr_dropped_envs = 0;
    size_t length = 0;                  /* of the text given; from max_length on, cut */

    bool truncated() const { return length >= max_length; }

    char buffer[max_length] = { };
};

/*
 * Parses text into cmdline. Multiboot loaders (GRUB, QEMU) put the image's path first:
 * with ImageName::Present that first word is skipped when it is no parameter.
 */
void parse_command_line(const char* text, CommandLine& cmdline,
                        CommandLine::ImageName image = CommandLine::ImageName::Absent);

/* The kernel's own command line, parsed once by start_kernel (kernel/main.cpp). */
extern CommandLine command_line;

/* Linux's memparse: a number (0x for hex) with an optional K, M or G suffix. */
bool parse_size(const char* s, u64& out);

/* Shell-style match of * and ? (no character classes), used by selftest=GLOB. */
bool glob_match(const char* pattern, const char* s);
