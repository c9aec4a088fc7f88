/* Self-tests of the command line, formatting and printk levels. */
#include <kernel/cmdline.h>
#include <kernel/format.h>
#include <kernel/ktest.h>
#include <kernel/printk.h>
#include <kernel/string.h>

namespace {
CommandLine scratch;    /* too big for a kernel stack frame */
char buf[128];
}

KTEST(cmdline, booted_with_selftest)
{
    /* This very run was asked for on the command line. */
    EXPECT_TRUE(command_line.selftest);
    EXPECT_TRUE(command_line.console_serial);
}

KTEST(cmdline, parses_linux_parameters)
{
    scratch = CommandLine();
    parse_command_line("/boot/kernel.elf init=/bin/sh mem=6M console=ttyS0,115200 loglevel=3 "
                       "selftest=mm.* TERM=vt100 single -- -v x=y",
                       scratch, CommandLine::ImageName::Present);
    EXPECT_STREQ(scratch.init, "/bin/sh");
    EXPECT_EQ(scratch.mem_limit, 6ull << 20);
    EXPECT_TRUE(scratch.console_serial);
    EXPECT_FALSE(scratch.console_vga);
    EXPECT_EQ(scratch.loglevel, 3);
    EXPECT_TRUE(scratch.selftest);
    EXPECT_STREQ(scratch.selftest_glob, "mm.*");
    ASSERT_EQ(scratch.init_envc, 1u);
    EXPECT_STREQ(scratch.init_envp[0], "TERM=vt100");
    ASSERT_EQ(scratch.init_argc, 3u);
    EXPECT_STREQ(scratch.init_argv[0], "single");
    EXPECT_STREQ(scratch.init_argv[1], "-v");
    EXPECT_STREQ(scratch.init_argv[2], "x=y");
    EXPECT_EQ(scratch.nr_bad, 0u);
}

KTEST(cmdline, bad_values_reported)
{
    scratch = CommandLine();
    parse_command_line("mem=lots loglevel=99 console=ttyS7", scratch);
    EXPECT_EQ(scratch.nr_bad, 3u);
    EXPECT_EQ(scratch.mem_limit, 0ull);
    EXPECT_EQ(scratch.loglevel, 7);
    EXPECT_TRUE(scratch.console_vga && scratch.console_serial);    /* never no console */
}

KTEST(cmdline, glob)
{
    EXPECT_TRUE(glob_match("*", "paging.page_zero"));
    EXPECT_TRUE(glob_match("paging.*", "paging.page_zero"));
    EXPECT_TRUE(glob_match("*.page_?ero", "paging.page_zero"));
    EXPECT_FALSE(glob_match("paging", "paging.page_zero"));
    EXPECT_FALSE(glob_match("*.x*", "paging.page_zero"));
}

KTEST(format, integers_and_padding)
{
    kfmt::snprintf(buf, sizeof buf, "%d|%5d|%-5d|%05d|%u|%x|%X|%#x|%o", -42, 42, 42, -42,
                   4000000000u, 0xbeef, 0xbeef, 255, 8);
    EXPECT_STREQ(buf, "-42|   42|42   |-0042|4000000000|beef|BEEF|0xff|10");
    kfmt::snprintf(buf, sizeof buf, "%lld|%llx|%llu|%.3d|%+d|% d", -1234567890123ll,
                   0x123456789abcdefull, ~0ull, 7, 5, 5);
    EXPECT_STREQ(buf, "-1234567890123|123456789abcdef|18446744073709551615|007|+5| 5");
}

KTEST(format, strings_chars_pointers)
{
    kfmt::snprintf(buf, sizeof buf, "[%s][%6s][%-6s][%.2s][%c][%p][%s][%%]", "abc", "abc",
                   "abc", "abc", 'z', (void*)0xc0100000, (const char*)nullptr);
    EXPECT_STREQ(buf, "[abc][   abc][abc   ][ab][z][0xc0100000][(null)][%]");
}

KTEST(format, truncates_and_counts)
{
    char small[8];
    size_t n = kfmt::snprintf(small, sizeof small, "%s", "0123456789");
    EXPECT_EQ(n, 10u);
    EXPECT_STREQ(small, "0123456");
}

KTEST(printk, level_prefixes)
{
    const char* msg = KERN_ERR "disk on fire";
    EXPECT_EQ(printk_level(msg), 3);
    EXPECT_STREQ(msg, "disk on fire");
    msg = "no level";
    EXPECT_EQ(printk_level(msg), 4);
    EXPECT_STREQ(msg, "no level");
}
