/*
 * Self-tests of the console's line discipline: characters go in as the drivers' interrupts
 * put them, and come out through /dev/console as a process reads them. Echo is off
 * meanwhile, so that the typing stays out of the KTAP report. The self-tests run where
 * nothing may sleep: every read here finds its input already typed (t_tty waits).
 */
#include <fs/file.h>
#include <fs/test_support.h>
#include <kernel/console.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <kernel/tty.h>

using fs::File;

namespace {

constexpr u32 ICANON = 02, ECHO = 010, ISIG = 01, IGNCR = 0200, INLCR = 0100, ECHOE = 020,
              ECHOK = 040, ECHONL = 0100, ECHOCTL = 01000, ECHOKE = 04000;
constexpr u32 OPOST = 01;
constexpr int VMIN = 6, VTIME = 5;

/* The console with echo off for the length of a test, and its settings back after. */
class QuietConsole {
public:
    QuietConsole() : m_saved(tty_termios())
    {
        LinuxTermios quiet = m_saved;
        quiet.c_lflag &= ~ECHO;
        tty_set_termios(quiet);
        tty_flush_input();
    }
    ~QuietConsole()
    {
        tty_flush_input();
        tty_set_termios(m_saved);
        if (m_file)
            m_file->put();
    }
    void set(u32 lflag_on, u32 lflag_off, u32 iflag_on = 0, u32 oflag_off = 0)
    {
        LinuxTermios t = tty_termios();
        t.c_lflag = (t.c_lflag | lflag_on) & ~lflag_off;
        t.c_iflag |= iflag_on;
        t.c_oflag &= ~oflag_off;
        tty_set_termios(t);
    }
    void set_cc(int index, u8 value)
    {
        LinuxTermios t = tty_termios();
        t.c_cc[index] = value;
        tty_set_termios(t);
    }
    static void type(const char* s)
    {
        while (*s)
            console_input(*s++);
    }
    /* One read of up to 63 bytes, as a string; "<error>" if it failed. */
    const char* read()
    {
        if (!m_file && fs::open_into("/dev/console", fs::O_RDWR, m_file).is_error())
            return "<open failed>";
        ErrorOr<size_t> n = m_file->read(m_buf, sizeof m_buf - 1);
        if (n.is_error())
            return "<error>";
        m_buf[n.value()] = 0;
        return m_buf;
    }

private:
    LinuxTermios m_saved;
    fs::File* m_file = nullptr;
    char m_buf[64];
};

/* What the terminal writes to the consoles, caught for the length of a test. */
char echoed[128];
size_t echoed_length;

void catch_echo(const char* s, size_t n)
{
    for (size_t i = 0; i < n && echoed_length < sizeof echoed - 1; i++)
        echoed[echoed_length++] = s[i];
    echoed[echoed_length] = 0;
}

Console echo_catcher { "echo", catch_echo };

/* Types s with the console's output caught; returns what the terminal wrote meanwhile. */
const char* echo_of(const char* s)
{
    echoed_length = 0;
    echoed[0] = 0;
    ConsoleRedirect redirect(echo_catcher);
    QuietConsole::type(s);
    return echoed;
}

/* A console on which a key is typed while the first write is on its way out. */
bool typed_during_write;

void catch_and_type(const char* s, size_t n)
{
    if (!typed_during_write) {
        typed_during_write = true;
        console_input('k');             /* as the serial port's interrupt would, mid-write */
    }
    catch_echo(s, n);
}

Console typing_catcher { "typing", catch_and_type };

} // namespace

KTEST(tty, canonical_line_editing)
{
    QuietConsole tty;
    QuietConsole::type("ab\177c\r");            /* DEL erases; Enter's CR arrives as NL */
    EXPECT_STREQ(tty.read(), "ac\n");
    QuietConsole::type("xy\bz\n");              /* so does ^H */
    EXPECT_STREQ(tty.read(), "xz\n");
    QuietConsole::type("junk\025ok\n");         /* ^U kills the line */
    EXPECT_STREQ(tty.read(), "ok\n");
    QuietConsole::type("one two  \027\n");      /* ^W erases a word and the blanks after it */
    EXPECT_STREQ(tty.read(), "one \n");
    QuietConsole::type("first\nsecond\n");      /* one line a read */
    EXPECT_STREQ(tty.read(), "first\n");
    EXPECT_STREQ(tty.read(), "second\n");
}

KTEST(tty, end_of_file_and_carriage_returns)
{
    QuietConsole tty;
    QuietConsole::type("\004");                 /* ^D at the start of a line: end of file */
    EXPECT_STREQ(tty.read(), "");
    QuietConsole::type("ab\004");               /* after text: the text, without the ^D */
    EXPECT_STREQ(tty.read(), "ab");
    tty.set(0, 0, IGNCR);
    QuietConsole::type("c\rd\n");
    EXPECT_STREQ(tty.read(), "cd\n");
}

KTEST(tty, interrupt_character_flushes_input)
{
    QuietConsole tty;
    QuietConsole::type("lost\003kept\n");      /* no foreground group: only the flush */
    EXPECT_STREQ(tty.read(), "kept\n");
    tty.set(0, ISIG);
    QuietConsole::type("a\003b\n");             /* without ISIG ^C is data */
    EXPECT_STREQ(tty.read(), "a\003b\n");
}

KTEST(tty, raw_mode_minimum_and_time)
{
    QuietConsole tty;
    tty.set(0, ICANON);
    tty.set_cc(VMIN, 0);
    tty.set_cc(VTIME, 0);
    EXPECT_STREQ(tty.read(), "");               /* MIN 0 TIME 0: a poll */
    QuietConsole::type("k\177\n");              /* no editing: every byte as typed */
    EXPECT_STREQ(tty.read(), "k\177\n");
    tty.set_cc(VMIN, 2);
    QuietConsole::type("xyz");
    EXPECT_STREQ(tty.read(), "xyz");            /* MIN 2: at least two, all that is there */
}

KTEST(tty, entering_raw_mode_hands_over_the_line)
{
    QuietConsole tty;
    QuietConsole::type("half");
    tty.set(0, ICANON);
    tty.set_cc(VMIN, 1);
    EXPECT_STREQ(tty.read(), "half");
}

KTEST(tty, echo_as_termios_says)
{
    QuietConsole tty;
    tty.set(ECHO, 0);
    EXPECT_STREQ(echo_of("ab\177"), "ab\b \b");          /* ECHOE: the character rubbed out */
    EXPECT_STREQ(echo_of("\001\177"), "^A\b \b\b \b");  /* ECHOCTL: ^A, two columns */
    EXPECT_STREQ(echo_of("x\n"), "x\r\n");                /* OPOST ONLCR */
    EXPECT_STREQ(echo_of("\003"), "^C");                  /* the interrupt character, shown */
    tty_flush_input();
    tty.set(0, ECHOKE);
    EXPECT_STREQ(echo_of("zz\025"), "zz^U\r\n");          /* ECHOK without ECHOKE: KILL, newline */
    tty.set(0, ECHOCTL | ECHOE, 0, OPOST);
    EXPECT_STREQ(echo_of("k\177\001\n"), "k\177\001\n");   /* no ECHOCTL, ECHOE, OPOST: as typed */
    tty_flush_input();
    tty.set(ECHONL, ECHO);
    EXPECT_STREQ(echo_of("quiet\n"), "\n");               /* ECHONL: only the newline */
    EXPECT_STREQ(tty.read(), "quiet\n");
    tty.set(0, 0, INLCR);
    EXPECT_STREQ(echo_of("cr\n"), "");                    /* INLCR: NL becomes CR, no line end */
    tty.set(0, ICANON);
    EXPECT_STREQ(tty.read(), "cr\r");
}

KTEST(tty, full_line_keeps_its_newline)
{
    QuietConsole tty;
    for (int i = 0; i < 1100; i++)          /* more than the ring holds */
        QuietConsole::type("x");
    QuietConsole::type("\n\n\n");           /* the first ends the line; the ring is full after */
    u32 total = 0;
    const char* line;
    while (*(line = tty.read())) {
        total += u32(strlen(line));
        if (line[strlen(line) - 1] == '\n')
            break;
    }
    EXPECT_EQ(total, 1024u);                /* 1023 x and the newline */
    QuietConsole::type("ok\n");
    EXPECT_STREQ(tty.read(), "ok\n");
}

KTEST(tty, echo_waits_for_the_write_in_progress)
{
    QuietConsole tty;
    tty.set(ECHO, 0);
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(fs::open_into("/dev/console", fs::O_RDWR, f)), 0);
    echoed_length = 0;
    echoed[0] = 0;
    typed_during_write = false;
    {
        ConsoleRedirect redirect(typing_catcher);
        EXPECT_EQ(to_syscall_result(f->write("written", 7)), 7);
    }
    EXPECT_STREQ(echoed, "writtenk");       /* not "kwritten" */
    f->put();
}
