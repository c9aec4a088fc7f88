#include <gtest/gtest.h>
#include <kernel/cmdline.h>

#include <memory>
#include <string>

namespace {

std::unique_ptr<CommandLine> parse(const char* text,
                                   CommandLine::ImageName image = CommandLine::ImageName::Absent)
{
    auto cmd = std::make_unique<CommandLine>();
    parse_command_line(text, *cmd, image);
    return cmd;
}

} // namespace

TEST(CommandLine, Defaults)
{
    auto cmd = parse("");
    EXPECT_STREQ(cmd->init, "/sbin/init");
    EXPECT_TRUE(cmd->console_vga);
    EXPECT_TRUE(cmd->console_serial);
    EXPECT_EQ(cmd->mem_limit, 0u);
    EXPECT_FALSE(cmd->selftest);
    EXPECT_EQ(cmd->loglevel, 7);
    EXPECT_EQ(cmd->init_argc, 0u);
}

TEST(CommandLine, ImageNameSkippedOnlyWhenPresent)
{
    auto cmd = parse("/boot/kernel.elf selftest", CommandLine::ImageName::Present);
    EXPECT_TRUE(cmd->selftest);
    EXPECT_EQ(cmd->init_argc, 0u);

    cmd = parse("build/kernel.elf", CommandLine::ImageName::Absent);
    ASSERT_EQ(cmd->init_argc, 1u);
    EXPECT_STREQ(cmd->init_argv[0], "build/kernel.elf");

    /* QEMU with -append "" and no image name in front: the first word is a parameter. */
    cmd = parse("mem=8M", CommandLine::ImageName::Present);
    EXPECT_EQ(cmd->mem_limit, 8u << 20);
}

TEST(CommandLine, InitAndRdinit)
{
    EXPECT_STREQ(parse("init=/bin/sh")->init, "/bin/sh");
    EXPECT_STREQ(parse("rdinit=/tests/run")->init, "/tests/run");
}

TEST(CommandLine, Consoles)
{
    auto cmd = parse("console=ttyS0");
    EXPECT_TRUE(cmd->console_serial);
    EXPECT_FALSE(cmd->console_vga);
    cmd = parse("console=ttyS0,115200n8");
    EXPECT_FALSE(cmd->console_vga);
    cmd = parse("console=tty0");
    EXPECT_TRUE(cmd->console_vga);
    EXPECT_FALSE(cmd->console_serial);
    cmd = parse("console=tty0 console=ttyS0");
    EXPECT_TRUE(cmd->console_vga && cmd->console_serial);
    cmd = parse("console=lp0");
    EXPECT_TRUE(cmd->console_vga && cmd->console_serial);
    EXPECT_EQ(cmd->nr_bad, 1u);
}

TEST(CommandLine, MemSizes)
{
    EXPECT_EQ(parse("mem=6M")->mem_limit, 6u << 20);
    EXPECT_EQ(parse("mem=6m")->mem_limit, 6u << 20);
    EXPECT_EQ(parse("mem=640K")->mem_limit, 640u << 10);
    EXPECT_EQ(parse("mem=1G")->mem_limit, 1u << 30);
    EXPECT_EQ(parse("mem=0x100000")->mem_limit, 0x100000u);
    EXPECT_EQ(parse("mem=4096")->mem_limit, 4096u);
    for (const char* bad : { "mem=", "mem=M", "mem=6X", "mem=0", "mem=6MB" }) {
        auto cmd = parse(bad);
        EXPECT_EQ(cmd->mem_limit, 0u) << bad;
        EXPECT_EQ(cmd->nr_bad, 1u) << bad;
    }
}

TEST(CommandLine, Selftest)
{
    auto cmd = parse("selftest");
    EXPECT_TRUE(cmd->selftest);
    EXPECT_STREQ(cmd->selftest_glob, "*");
    cmd = parse("selftest=paging.*");
    EXPECT_TRUE(cmd->selftest);
    EXPECT_STREQ(cmd->selftest_glob, "paging.*");
}

TEST(CommandLine, Loglevel)
{
    EXPECT_EQ(parse("quiet")->loglevel, 4);
    EXPECT_EQ(parse("quiet", CommandLine::ImageName::Present)->loglevel, 4);
    EXPECT_EQ(parse("loglevel=3")->loglevel, 3);
    EXPECT_EQ(parse("loglevel=0")->loglevel, 0);
    auto cmd = parse("loglevel=x");
    EXPECT_EQ(cmd->loglevel, 7);
    EXPECT_EQ(cmd->nr_bad, 1u);
}

TEST(CommandLine, DiskDmaSwitches)
{
    EXPECT_TRUE(parse("")->ide_dma);
    EXPECT_FALSE(parse("ide=nodma")->ide_dma);
    EXPECT_FALSE(parse("libata.dma=0")->ide_dma);
    EXPECT_FALSE(parse("libata.dma=6")->ide_dma);       /* ATAPI and CF only: not disks */
    EXPECT_TRUE(parse("libata.dma=1")->ide_dma);
    EXPECT_TRUE(parse("libata.dma=7")->ide_dma);
    for (const char* wrong : { "ide=dma", "ide=", "libata.dma=", "libata.dma=8", "libata.dma=x" }) {
        auto cmd = parse(wrong);
        EXPECT_TRUE(cmd->ide_dma) << wrong;
        ASSERT_EQ(cmd->nr_bad, 1u) << wrong;
        EXPECT_STREQ(cmd->bad[0], wrong);
        EXPECT_EQ(cmd->init_envc, 0u) << wrong;
    }
}

TEST(CommandLine, UnknownWordsGoToInit)
{
    auto cmd = parse("verbose TERM=linux init=/sbin/init single -- a=b --x selftest");
    ASSERT_EQ(cmd->init_envc, 1u);
    EXPECT_STREQ(cmd->init_envp[0], "TERM=linux");
    ASSERT_EQ(cmd->init_argc, 5u);
    EXPECT_STREQ(cmd->init_argv[0], "verbose");
    EXPECT_STREQ(cmd->init_argv[1], "single");
    EXPECT_STREQ(cmd->init_argv[2], "a=b");
    EXPECT_STREQ(cmd->init_argv[3], "--x");
    EXPECT_STREQ(cmd->init_argv[4], "selftest");
    EXPECT_FALSE(cmd->selftest);        /* after --, it belongs to init */
    EXPECT_EQ(cmd->init_argv[5], nullptr);
}

TEST(CommandLine, TooManyArgumentsAreDroppedNotOverflowed)
{
    std::string text;
    for (int i = 0; i < 100; i++)
        text += "w" + std::to_string(i) + " ";
    auto cmd = parse(text.c_str());
    EXPECT_EQ(cmd->init_argc, CommandLine::max_args - 1);
    EXPECT_EQ(cmd->init_argv[CommandLine::max_args - 1], nullptr);
    /* Counted for the warning: the first word left out and how many. */
    ASSERT_NE(cmd->dropped_arg, nullptr);
    EXPECT_STREQ(cmd->dropped_arg, ("w" + std::to_string(CommandLine::max_args - 1)).c_str());
    EXPECT_EQ(cmd->nr_dropped_args, 100 - (CommandLine::max_args - 1));
    EXPECT_EQ(cmd->nr_dropped_envs, 0u);
    EXPECT_FALSE(cmd->truncated());
}

TEST(CommandLine, TooManyEnvironmentWordsAreCounted)
{
    std::string text = "init=/bin/sh";
    for (int i = 0; i < 40; i++)
        text += " E" + std::to_string(i) + "=1";
    text += " -- a b";
    auto cmd = parse(text.c_str());
    EXPECT_EQ(cmd->init_envc, CommandLine::max_args - 1);
    EXPECT_EQ(cmd->init_envp[CommandLine::max_args - 1], nullptr);
    ASSERT_NE(cmd->dropped_env, nullptr);
    EXPECT_STREQ(cmd->dropped_env, ("E" + std::to_string(CommandLine::max_args - 1) + "=1").c_str());
    EXPECT_EQ(cmd->nr_dropped_envs, 40 - (CommandLine::max_args - 1));
    EXPECT_EQ(cmd->init_argc, 2u);
    EXPECT_EQ(cmd->nr_dropped_args, 0u);
    EXPECT_EQ(cmd->dropped_arg, nullptr);
}

TEST(CommandLine, JustEnoughIsNotDropped)
{
    std::string text = "--";
    for (size_t i = 0; i < CommandLine::max_args - 1; i++)
        text += " a" + std::to_string(i);
    auto cmd = parse(text.c_str());
    EXPECT_EQ(cmd->init_argc, CommandLine::max_args - 1);
    EXPECT_EQ(cmd->nr_dropped_args, 0u);
    EXPECT_EQ(cmd->dropped_arg, nullptr);
}

TEST(CommandLine, LongLineTruncatedSafely)
{
    std::string text(5000, 'x');
    auto cmd = parse(text.c_str());
    ASSERT_EQ(cmd->init_argc, 1u);
    EXPECT_EQ(std::string(cmd->init_argv[0]).size(), CommandLine::max_length - 1);
    EXPECT_TRUE(cmd->truncated());
    EXPECT_EQ(cmd->length, 5000u);
}

TEST(CommandLine, LongestLineThatFitsIsNotTruncated)
{
    std::string fits(CommandLine::max_length - 1, 'x');
    auto cmd = parse(fits.c_str());
    EXPECT_FALSE(cmd->truncated());
    EXPECT_EQ(cmd->length, CommandLine::max_length - 1);
    EXPECT_TRUE(parse((fits + "y").c_str())->truncated());
    EXPECT_FALSE(parse("quiet")->truncated());
}

TEST(Glob, Matches)
{
    EXPECT_TRUE(glob_match("*", ""));
    EXPECT_TRUE(glob_match("", ""));
    EXPECT_FALSE(glob_match("", "a"));
    EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
    EXPECT_FALSE(glob_match("a*b*c", "aXXbYY"));
    EXPECT_TRUE(glob_match("*.*", "mm.alloc"));
    EXPECT_TRUE(glob_match("mm.?lloc", "mm.alloc"));
    EXPECT_FALSE(glob_match("mm.?lloc", "mm.lloc"));
    EXPECT_TRUE(glob_match("**a", "ba"));
}
