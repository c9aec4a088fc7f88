#include <gtest/gtest.h>
#include <kernel/cmdline.h>
#include <mm/fault_inject.h>

#include <memory>

using mm::FaultAttr;

TEST(FaultInject, ParsesLinuxFormat)
{
    FaultAttr a;
    ASSERT_TRUE(FaultAttr::parse("10,25,8192,-1", a));
    EXPECT_EQ(a.interval, 10u);
    EXPECT_EQ(a.probability, 25u);
    EXPECT_EQ(a.space, 8192u);
    EXPECT_EQ(a.times, -1);
    ASSERT_TRUE(FaultAttr::parse("1,100,0,3", a));
    EXPECT_EQ(a.times, 3);
}

TEST(FaultInject, RejectsMalformed)
{
    FaultAttr a;
    for (const char* bad : { "", "5", "1,5,0", "1,5,0,-1,", "0,5,0,-1", "1,101,0,-1",
                             "1,5,0,-2", "1,-5,0,-1", "1,5,x,-1", "1,5,0,-1 ", "1, 5,0,-1",
                             "1,5,0,99999999999" })
        EXPECT_FALSE(FaultAttr::parse(bad, a)) << bad;
}

TEST(FaultInject, EveryIntervalWithCertainty)
{
    FaultAttr a;
    ASSERT_TRUE(FaultAttr::parse("4,100,0,-1", a));
    for (int round = 0; round < 3; round++) {
        EXPECT_FALSE(a.should_fail(4096));
        EXPECT_FALSE(a.should_fail(4096));
        EXPECT_FALSE(a.should_fail(4096));
        EXPECT_TRUE(a.should_fail(4096));
    }
}

TEST(FaultInject, SpaceLetsTheFirstBytesThrough)
{
    FaultAttr a;
    ASSERT_TRUE(FaultAttr::parse("1,100,12289,-1", a));
    EXPECT_FALSE(a.should_fail(4096));
    EXPECT_FALSE(a.should_fail(4096));
    EXPECT_FALSE(a.should_fail(4096));
    EXPECT_TRUE(a.should_fail(4096));       /* 1 byte of space left: not enough */
}

TEST(FaultInject, TimesLimitsTheFailures)
{
    FaultAttr a;
    ASSERT_TRUE(FaultAttr::parse("1,100,0,2", a));
    EXPECT_TRUE(a.should_fail(4096));
    EXPECT_TRUE(a.should_fail(4096));
    for (int i = 0; i < 10; i++)
        EXPECT_FALSE(a.should_fail(4096));
}

TEST(FaultInject, ProbabilityIsRoughlyKeptAndRepeatable)
{
    FaultAttr a, b;
    ASSERT_TRUE(FaultAttr::parse("1,10,0,-1", a));
    ASSERT_TRUE(FaultAttr::parse("1,10,0,-1", b));
    int failed = 0;
    for (int i = 0; i < 10000; i++) {
        bool f = a.should_fail(4096);
        EXPECT_EQ(f, b.should_fail(4096));
        failed += f;
    }
    EXPECT_GT(failed, 800);
    EXPECT_LT(failed, 1200);
    ASSERT_TRUE(FaultAttr::parse("1,0,0,-1", a));
    for (int i = 0; i < 1000; i++)
        EXPECT_FALSE(a.should_fail(4096));
}

TEST(FaultInject, CommandLineKeepsAValidSettingOnly)
{
    auto cmd = std::make_unique<CommandLine>();
    parse_command_line("fail_page_alloc=1,5,0,-1 init=/x", *cmd);
    ASSERT_NE(cmd->fail_page_alloc, nullptr);
    EXPECT_STREQ(cmd->fail_page_alloc, "1,5,0,-1");
    EXPECT_EQ(cmd->init_envc, 0u);
    cmd = std::make_unique<CommandLine>();
    parse_command_line("fail_page_alloc=every", *cmd);
    EXPECT_EQ(cmd->fail_page_alloc, nullptr);
    ASSERT_EQ(cmd->nr_bad, 1u);
    EXPECT_STREQ(cmd->bad[0], "fail_page_alloc=every");
}
