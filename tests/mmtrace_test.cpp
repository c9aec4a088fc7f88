#include <gtest/gtest.h>
#include <kernel/cmdline.h>
#include <mm/mmtrace.h>

#include <memory>

using mm::MmEvent;
using mm::parse_mmtrace_list;

namespace {

constexpr u32 bit(MmEvent e) { return 1u << u32(e); }

std::unique_ptr<CommandLine> parse(const char* text)
{
    auto cmd = std::make_unique<CommandLine>();
    parse_command_line(text, *cmd);
    return cmd;
}

} // namespace

TEST(MmtraceList, NamesAllAndNone)
{
    u32 mask = 123;
    EXPECT_TRUE(parse_mmtrace_list("cow,swapin", mask));
    EXPECT_EQ(mask, bit(MmEvent::CowCopy) | bit(MmEvent::SwapIn));
    EXPECT_TRUE(parse_mmtrace_list("all", mask));
    EXPECT_EQ(mask, mm::MMTRACE_ALL);
    EXPECT_TRUE(parse_mmtrace_list("1\n", mask));
    EXPECT_EQ(mask, mm::MMTRACE_ALL);
    EXPECT_TRUE(parse_mmtrace_list("0\n", mask));
    EXPECT_EQ(mask, 0u);
    EXPECT_TRUE(parse_mmtrace_list("zero,file,share,swapout,oom", mask));
    EXPECT_EQ(mask, mm::MMTRACE_ALL & ~bit(MmEvent::CowCopy) & ~bit(MmEvent::SwapIn));
}

TEST(MmtraceList, UnknownNamesRefused)
{
    u32 mask;
    EXPECT_FALSE(parse_mmtrace_list("cow,bogus", mask));
    EXPECT_FALSE(parse_mmtrace_list("co", mask));
    EXPECT_FALSE(parse_mmtrace_list("cowx", mask));
    EXPECT_FALSE(parse_mmtrace_list("2", mask));
}

TEST(MmtraceList, CommandLine)
{
    EXPECT_EQ(parse("")->mmtrace, nullptr);
    EXPECT_STREQ(parse("mmtrace")->mmtrace, "all");
    EXPECT_STREQ(parse("mmtrace=cow,oom")->mmtrace, "cow,oom");
    auto bad = parse("mmtrace=nonsense");
    EXPECT_EQ(bad->mmtrace, nullptr);
    ASSERT_EQ(bad->nr_bad, 1u);
    EXPECT_STREQ(bad->bad[0], "mmtrace=nonsense");
    EXPECT_EQ(bad->init_envc, 0u);
}
