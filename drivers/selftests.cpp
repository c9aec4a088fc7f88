/* Self-tests of the timer, the serial port, the VGA console and the keyboard map. */
#include <arch/interrupts.h>
#include <drivers/keyboard.h>
#include <drivers/serial.h>
#include <drivers/timer.h>
#include <drivers/vga.h>
#include <kernel/cmdline.h>
#include <kernel/format.h>
#include <kernel/ktest.h>

KTEST(timer, ticks_advance)
{
    ASSERT_TRUE(arch::interrupts_enabled());
    u32 start = jiffies;
    /* Each hlt ends at the next interrupt; the PIT is one of few sources, so 5 ticks
       must come within a bounded number of them. */
    for (int i = 0; i < 1000 && jiffies - start < 5; i++)
        arch::hlt();
    EXPECT_GE(jiffies - start, 5u);
}

/* The stopwatch counts with interrupts off, when jiffies stand still. */
KTEST(timer, stopwatch_runs_with_interrupts_off)
{
    u32 elapsed = 0, start;
    {
        arch::InterruptDisabler off;
        start = jiffies;
        timer::Stopwatch watch;
        /* Each round is a few port reads, a microsecond or more: 30 ms need far fewer. */
        for (u32 i = 0; i < 10'000'000 && elapsed < 30; i++)
            elapsed = watch.elapsed_ms();
        EXPECT_EQ(jiffies, start);
    }
    EXPECT_GE(elapsed, 30u);
}

/*
 * And agrees with the clock: 20 ticks (200 ms) read as about 200 ms. The PIT's count runs
 * no faster than the ticks; on a busy host it may miss periods, which the ticks make up.
 */
KTEST(timer, stopwatch_agrees_with_jiffies)
{
    ASSERT_TRUE(arch::interrupts_enabled());
    u32 start = jiffies;
    while (jiffies == start)
        ;
    start = jiffies;
    timer::Stopwatch watch;
    u32 elapsed = 0;
    while (jiffies - start < 20)
        elapsed = watch.elapsed_ms();
    EXPECT_GE(elapsed, 190u);
    EXPECT_LE(elapsed, 210u);
}

KTEST(serial, loopback)
{
    const u8 bytes[] = { 0x00, 0x55, 0xAA, 0xFF, '\n', 'K' };
    EXPECT_TRUE(serial::loopback_test(bytes, sizeof bytes));
}

KTEST(vga, writes_and_scrolls)
{
    char line[16];
    for (int i = 0; i < vga::rows + 2; i++) {
        size_t n = kfmt::snprintf(line, sizeof line, "vga line %d\n", i);
        vga::write(line, n);
    }
    /* After the last newline the cursor sits on a blank bottom row. */
    auto row_text = [](int row, char* out, size_t n) {
        for (size_t c = 0; c + 1 < n; c++)
            out[c] = char(vga::cell(row, int(c)) & 0xFF);
        out[n - 1] = '\0';
    };
    char text[12];
    row_text(vga::rows - 2, text, sizeof text);
    EXPECT_STREQ(text, "vga line 26");
    row_text(vga::rows - 3, text, sizeof text);
    EXPECT_STREQ(text, "vga line 25");
    EXPECT_EQ(vga::cell(vga::rows - 1, 0), u16(0x0720));
    EXPECT_EQ(vga::cell(0, 0) >> 8, 0x07);
}

KTEST(keyboard, us_layout)
{
    EXPECT_EQ(keyboard::translate(0x1E, false, false, false), 'a');
    EXPECT_EQ(keyboard::translate(0x1E, true, false, false), 'A');
    EXPECT_EQ(keyboard::translate(0x1E, false, false, true), 'A');
    EXPECT_EQ(keyboard::translate(0x1E, true, false, true), 'a');
    EXPECT_EQ(keyboard::translate(0x02, false, false, false), '1');
    EXPECT_EQ(keyboard::translate(0x02, true, false, false), '!');
    EXPECT_EQ(keyboard::translate(0x02, false, false, true), '1');      /* caps: letters only */
    EXPECT_EQ(keyboard::translate(0x2E, false, true, false), '\003');   /* ctrl-c */
    EXPECT_EQ(keyboard::translate(0x1C, false, false, false), '\r');     /* Enter: CR, as Linux */
    EXPECT_EQ(keyboard::translate(0x0E, false, false, false), '\177');   /* Backspace: DEL */
    EXPECT_EQ(keyboard::translate(0x2B, false, true, false), '\034');   /* ctrl-backslash */
    EXPECT_EQ(keyboard::translate(0x39, false, false, false), ' ');
    EXPECT_EQ(keyboard::translate(0x3B, false, false, false), '\0');    /* F1: a sequence instead */
}

KTEST(keyboard, escape_sequences_as_linux_console)
{
    EXPECT_STREQ(keyboard::escape_sequence(0x48, true), "\033[A");     /* Up */
    EXPECT_STREQ(keyboard::escape_sequence(0x4B, true), "\033[D");     /* Left */
    EXPECT_STREQ(keyboard::escape_sequence(0x53, true), "\033[3~");    /* Delete */
    EXPECT_STREQ(keyboard::escape_sequence(0x3B, false), "\033[[A");   /* F1 */
    EXPECT_STREQ(keyboard::escape_sequence(0x58, false), "\033[24~");  /* F12 */
    EXPECT_TRUE(keyboard::escape_sequence(0x48, false) == nullptr);     /* keypad 8 */
    EXPECT_TRUE(keyboard::escape_sequence(0x1E, false) == nullptr);     /* a */
}
