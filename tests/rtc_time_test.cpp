#include <drivers/rtc.h>
#include <gtest/gtest.h>

using rtc::Registers;

namespace {

constexpr u8 BCD = 0, BINARY = rtc::RTC_DM_BINARY, H24 = rtc::RTC_24H;

/* 2026-11-30 06:17:22 UTC */
constexpr u32 SAMPLE = 1796019442;

TEST(RtcTime, BcdTwentyFourHours)
{
    Registers r = { 0x22, 0x17, 0x06, 0x30, 0x11, 0x26, 0x20, BCD | H24 };
    EXPECT_EQ(rtc::seconds_since_epoch(r), SAMPLE);
}

TEST(RtcTime, BinaryTwentyFourHours)
{
    Registers r = { 22, 17, 6, 30, 11, 26, 20, BINARY | H24 };
    EXPECT_EQ(rtc::seconds_since_epoch(r), SAMPLE);
}

TEST(RtcTime, TwelveHourMode)
{
    /* 6 AM, 6 PM, 12 AM (midnight), 12 PM (noon), in BCD and binary. */
    Registers am = { 0x22, 0x17, 0x06, 0x30, 0x11, 0x26, 0x20, BCD };
    EXPECT_EQ(rtc::seconds_since_epoch(am), SAMPLE);
    Registers pm = { 22, 17, 0x80 | 6, 30, 11, 26, 20, BINARY };
    EXPECT_EQ(rtc::seconds_since_epoch(pm), SAMPLE + 12 * 3600);
    Registers midnight = { 0x22, 0x17, 0x12, 0x30, 0x11, 0x26, 0x20, BCD };
    EXPECT_EQ(rtc::seconds_since_epoch(midnight), SAMPLE - 6 * 3600);
    Registers noon = { 0x22, 0x17, 0x92, 0x30, 0x11, 0x26, 0x20, BCD };
    EXPECT_EQ(rtc::seconds_since_epoch(noon), SAMPLE + 6 * 3600);
}

TEST(RtcTime, CenturyRegister)
{
    Registers r = { 0, 0, 0, 0x01, 0x01, 0x99, 0x19, BCD | H24 };
    EXPECT_EQ(rtc::seconds_since_epoch(r), 915148800u);          /* 1999-01-01 */
    r.century = 0x20;
    EXPECT_EQ(rtc::seconds_since_epoch(r), 4070908800u);         /* 2099-01-01 */
}

TEST(RtcTime, WithoutCenturyYearsFrom1970To2069)
{
    Registers r = { 0, 0, 0, 0x01, 0x01, 0x70, 0, BCD | H24 };
    EXPECT_EQ(rtc::seconds_since_epoch(r), 0u);
    r.year = 0x69;
    r.century = 0xFF;                   /* nothing usable there */
    EXPECT_EQ(rtc::seconds_since_epoch(r), 3124224000u);         /* 2069-01-01 */
}

TEST(RtcTime, LeapDay)
{
    Registers r = { 0, 0, 0, 0x29, 0x02, 0x24, 0x20, BCD | H24 };
    EXPECT_EQ(rtc::seconds_since_epoch(r), 1709164800u);         /* 2024-02-29 */
}

} // namespace
