/*
 * The console terminal: Linux's n_tty line discipline, its termios and job control.
 *
 * Typed characters arrive in interrupt context (tty_receive) and are processed there, as
 * Linux's receive_buf does: signals for ^C ^Z ^\ go out even when nobody reads, and echo
 * happens as the key is typed. Readers take what is ready from the same ring with
 * interrupts off; on one CPU that is the whole of the locking.
 */
#include <arch/interrupts.h>
#include <drivers/timer.h>
#include <fs/device.h>
#include <kernel/console.h>
#include <kernel/errno.h>
#include <kernel/poll.h>
#include <kernel/session.h>
#include <kernel/string.h>
#include <kernel/task.h>
#include <kernel/tty.h>
#include <kernel/uaccess.h>

#include <new>

namespace {

/* Linux's termios bits (i386, octal as in asm-generic/termbits.h). */
constexpr u32 INLCR = 0100, IGNCR = 0200, ICRNL = 0400, IXON = 02000;
constexpr u32 OPOST = 01, ONLCR = 04;
constexpr u32 ISIG = 01, ICANON = 02, ECHO = 010, ECHOE = 020, ECHOK = 040, ECHONL = 0100,
              NOFLSH = 0200, TOSTOP = 0400, ECHOCTL = 01000, ECHOKE = 04000, IEXTEN = 0100000;
enum Cc { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6,
          VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VWERASE = 14, VEOL2 = 16 };

/*
 * Linux's tty_std_termios: ICRNL IXON; OPOST ONLCR; B38400 CS8 CREAD HUPCL;
 * ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN; and INIT_C_CC.
 */
constexpr LinuxTermios std_termios = {
    .c_iflag = 0002400, .c_oflag = 0000005, .c_cflag = 0002277, .c_lflag = 0105073,
    .c_line = 0,
    .c_cc = { 003, 034, 0177, 025, 004, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0, 0, 0 },
};

struct LinuxWinsize {
    u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

/* Linux's ioctl numbers (asm-generic/ioctls.h). */
constexpr u32 TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404,
              TCSBRK = 0x5409, TCXONC = 0x540A, TCFLSH = 0x540B, TIOCSCTTY = 0x540E,
              TIOCGPGRP = 0x540F, TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411, TIOCSTI = 0x5412,
              TIOCGWINSZ = 0x5413,
              TIOCSWINSZ = 0x5414, FIONREAD = 0x541B, TIOCNOTTY = 0x5422, TIOCGSID = 0x5429;

/* What a slot of the input ring ends: a line (newline, EOL), or a line by ^D, not delivered. */
constexpr u8 LINE_END = 1, EOF_MARK = 2;

} // namespace

/* A terminal: the console is the only one. Task::tty points here for its session. */
struct Tty {
    LinuxTermios termios = std_termios;
    LinuxWinsize winsize = { 25, 80, 0, 0 };
    int pgrp = 0;                       /* the foreground process group, 0 for none */
    int session = 0;                    /* the session it controls, 0 for none */
    bool output_stopped = false;        /* by ^S (IXON) or TCXONC */

    /*
     * The input ring, free-running indices: [read_tail, canon_head) is ready for read,
     * [canon_head, head) the line being edited (empty outside canonical mode).
     */
    static constexpr u32 SIZE = 1024;
    char buf[SIZE];
    u8 marks[SIZE];
    u32 read_tail = 0, canon_head = 0, head = 0;

    /*
     * Echo typed while a process writes waits here, so that it comes after what the
     * process wrote rather than in the middle of it (Linux's echo buffer).
     */
    bool writing = false;
    char echo_pending[256];
    u32 echo_length = 0;

    WaitQueue read_wait;                /* readers, for input */
    WaitQueue write_wait;               /* writers, for ^Q */

    bool l(u32 flag) const { return termios.c_lflag & flag; }
    bool i(u32 flag) const { return termios.c_iflag & flag; }
    /* c equals the control character cc; a 0 there disables it (_POSIX_VDISABLE). */
    bool is(char c, Cc cc) const { return termios.c_cc[cc] && u8(c) == termios.c_cc[cc]; }
    u32 ready() const { return canon_head - read_tail; }
};

namespace {

Tty console;

/* Output processing (OPOST, ONLCR) onto the console's devices. */
void output(Tty& tty, const char* s, size_t n)
{
    if (!(tty.termios.c_oflag & OPOST) || !(tty.termios.c_oflag & ONLCR)) {
        console_write_tty(s, n);
        return;
    }
    char chunk[128];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k + 2 > sizeof chunk) {
            console_write_tty(chunk, k);
            k = 0;
        }
        if (s[i] == '\n')
            chunk[k++] = '\r';
        chunk[k++] = s[i];
    }
    console_write_tty(chunk, k);
}

/* Echo of typed input: now, or after the write in progress. Interrupts off. */
void echo(Tty& tty, const char* s, size_t n)
{
    if (!tty.writing) {
        output(tty, s, n);
        return;
    }
    for (size_t i = 0; i < n && tty.echo_length < sizeof tty.echo_pending; i++)
        tty.echo_pending[tty.echo_length++] = s[i];
}

/* A process's write, then the echo that came meanwhile. */
void write_output(Tty& tty, const char* s, size_t n)
{
    {
        arch::InterruptDisabler guard;
        tty.writing = true;
    }
    output(tty, s, n);
    for (;;) {
        char pending[sizeof tty.echo_pending];
        u32 length;
        {
            arch::InterruptDisabler guard;
            length = tty.echo_length;
            if (!length) {
                tty.writing = false;
                return;
            }
            memcpy(pending, tty.echo_pending, length);
            tty.echo_length = 0;
        }
        output(tty, pending, length);
    }
}

bool control_char(char c) { return (u8(c) < 32 && c != '\t' && c != '\n') || u8(c) == 0177; }

/* Echo of one typed character: ^X for control characters under ECHOCTL. */
void echo_char(Tty& tty, char c)
{
    if (tty.l(ECHOCTL) && control_char(c)) {
        char caret[2] = { '^', char(c ^ 0100) };
        echo(tty, caret, 2);
    } else {
        echo(tty, &c, 1);
    }
}

/* Takes back the last character of the line being edited, on the screen too (ECHOE). */
bool erase_one(Tty& tty)
{
    if (tty.head == tty.canon_head)
        return false;
    tty.head--;
    char c = tty.buf[tty.head % Tty::SIZE];
    if (tty.l(ECHO) && tty.l(ECHOE)) {
        echo(tty, "\b \b", 3);
        if (tty.l(ECHOCTL) && control_char(c))
            echo(tty, "\b \b", 3);
    }
    return true;
}

/* Appends to the ring; a full ring drops the character, as a terminal nobody reads. */
void put(Tty& tty, char c, u8 mark)
{
    if (tty.head - tty.read_tail >= Tty::SIZE)
        return;
    tty.buf[tty.head % Tty::SIZE] = c;
    tty.marks[tty.head % Tty::SIZE] = mark;
    tty.head++;
}

void flush_input_locked(Tty& tty)
{
    tty.read_tail = tty.canon_head = tty.head;
}

void flush_input(Tty& tty)
{
    arch::InterruptDisabler guard;
    flush_input_locked(tty);
}

/* ^C ^\ ^Z: Linux's isig(): flush unless NOFLSH, echo, signal the foreground group. */
void signal_char(Tty& tty, char c, int sig)
{
    if (!tty.l(NOFLSH))
        flush_input_locked(tty);
    tty.output_stopped = false;
    if (tty.l(ECHO))
        echo_char(tty, c);
    if (tty.pgrp)
        kill_pgrp(tty.pgrp, sig);
    wake_up(tty.write_wait);
}

/* Canonical mode's editing characters; false if c is an ordinary one. */
bool edit_char(Tty& tty, char c)
{
    if (tty.is(c, VERASE) || c == '\b') {
        if (!erase_one(tty) || tty.l(ECHOE) || !tty.l(ECHO))
            return true;
        echo_char(tty, c);
        return true;
    }
    if (tty.is(c, VWERASE) && tty.l(IEXTEN)) {
        while (tty.head != tty.canon_head && tty.buf[(tty.head - 1) % Tty::SIZE] == ' ')
            erase_one(tty);
        while (tty.head != tty.canon_head && tty.buf[(tty.head - 1) % Tty::SIZE] != ' ')
            erase_one(tty);
        return true;
    }
    if (tty.is(c, VKILL)) {
        if (tty.l(ECHOKE) && tty.l(ECHOE)) {
            while (erase_one(tty)) { }
            return true;
        }
        tty.head = tty.canon_head;
        if (tty.l(ECHO)) {
            echo_char(tty, c);
            if (tty.l(ECHOK))
                echo(tty, "\n", 1);
        }
        return true;
    }
    if (tty.is(c, VEOF)) {
        put(tty, c, LINE_END | EOF_MARK);
        tty.canon_head = tty.head;
        wake_up(tty.read_wait);
        return true;
    }
    if (c == '\n' || tty.is(c, VEOL) || tty.is(c, VEOL2)) {
        if (tty.l(ECHO) || (c == '\n' && tty.l(ECHONL)))
            c == '\n' ? echo(tty, "\n", 1) : echo_char(tty, c);
        put(tty, c, LINE_END);
        tty.canon_head = tty.head;
        wake_up(tty.read_wait);
        return true;
    }
    return false;
}

void receive_locked(Tty& tty, char c)
{
    if (c == '\r') {
        if (tty.i(IGNCR))
            return;
        if (tty.i(ICRNL))
            c = '\n';
    } else if (c == '\n' && tty.i(INLCR)) {
        c = '\r';
    }
    if (tty.i(IXON)) {
        if (tty.is(c, VSTOP)) {
            tty.output_stopped = true;
            return;
        }
        if (tty.is(c, VSTART)) {
            tty.output_stopped = false;
            wake_up(tty.write_wait);
            return;
        }
    }
    if (tty.l(ISIG)) {
        int sig = tty.is(c, VINTR) ? SIGINT : tty.is(c, VQUIT) ? SIGQUIT : tty.is(c, VSUSP) ? SIGTSTP : 0;
        if (sig) {
            signal_char(tty, c, sig);
            return;
        }
    }
    u32 used = tty.head - tty.read_tail;
    if (tty.l(ICANON)) {
        if (edit_char(tty, c))
            return;
        if (used >= Tty::SIZE - 1)      /* the last slot is kept for the newline */
            return;
        put(tty, c, 0);
        if (tty.l(ECHO))
            echo_char(tty, c);
        return;
    }
    if (used >= Tty::SIZE)
        return;
    put(tty, c, 0);
    tty.canon_head = tty.head;
    if (tty.l(ECHO))
        echo_char(tty, c);
    wake_up(tty.read_wait);
}

/*
 * Linux's __tty_check_change: a process of the terminal's session outside its foreground
 * group may not use it for `sig`'s purpose. An ignored or blocked SIGTTOU lets the write or
 * change through; an ignored SIGTTIN makes the read EIO, and so does an orphaned group,
 * which nobody could continue after a stop. Otherwise the group gets the signal and the
 * call starts again once it is continued (ERESTARTSYS).
 */
ErrorOr<void> check_foreground(Tty& tty, int sig)
{
    Task* t = current;
    if (t->tty != &tty || !tty.pgrp || t->pgid == tty.pgrp)
        return {};
    if (signal_ignored_or_blocked(*t, sig))
        return sig == SIGTTIN ? Error::from_errno(EIO) : ErrorOr<void>();
    if (is_orphaned_pgrp(t->pgid))
        return Error::from_errno(EIO);
    kill_pgrp(t->pgid, sig);
    return Error::from_errno(ERESTARTSYS);
}

/* Takes ready input into buf: in canonical mode up to the end of one line. */
size_t take_locked(Tty& tty, char* buf, size_t n, bool canonical)
{
    size_t k = 0;
    while (k < n && tty.read_tail != tty.canon_head) {
        u32 slot = tty.read_tail % Tty::SIZE;
        tty.read_tail++;
        if (canonical && (tty.marks[slot] & EOF_MARK))
            break;
        buf[k++] = tty.buf[slot];
        if (canonical && (tty.marks[slot] & LINE_END))
            break;
    }
    return k;
}

ErrorOr<size_t> read_canonical(Tty& tty, char* buf, size_t n, bool nonblock)
{
    arch::InterruptDisabler guard;
    if (!tty.ready() && nonblock)
        return Error::from_errno(EAGAIN);
    if (wait_event(tty.read_wait, Interruptible::Yes, [&] { return tty.ready() != 0; })
        == WaitResult::Interrupted)
        return Error::from_errno(ERESTARTSYS);
    return take_locked(tty, buf, n, true);
}

/*
 * Raw mode, as termios(3) describes VMIN and VTIME: with MIN > 0 the read waits for MIN
 * bytes (TIME, if set, bounds the gap between bytes once one came); with MIN 0 it waits at
 * most TIME tenths of a second for any byte, or not at all.
 */
ErrorOr<size_t> read_raw(Tty& tty, char* buf, size_t n, bool nonblock)
{
    arch::InterruptDisabler guard;
    u32 min = tty.termios.c_cc[VMIN], time = tty.termios.c_cc[VTIME];
    u32 want = min < n ? min : u32(n);
    size_t got = take_locked(tty, buf, n, false);
    if (got >= n || (min && got >= want) || (!min && (got || !time)))
        return got;
    if (nonblock && !got)
        return Error::from_errno(EAGAIN);
    for (;;) {
        u32 deadline = time && (got || !min) ? jiffies + (time * HZ + 9) / 10 : 0;
        WaitResult r = wait_event(tty.read_wait, Interruptible::Yes, [&] { return tty.ready() != 0; },
                                  deadline);
        if (r == WaitResult::Interrupted)
            return got ? ErrorOr<size_t>(got) : Error::from_errno(ERESTARTSYS);
        if (r == WaitResult::TimedOut)
            return got;
        got += take_locked(tty, buf + got, n - got, false);
        if (got >= n || (min && got >= want) || !min)
            return got;
    }
}

/* FIONREAD: what read could take now; ^D marks are not data. */
u32 input_available(const Tty& tty)
{
    arch::InterruptDisabler guard;
    u32 count = 0;
    for (u32 i = tty.read_tail; i != tty.canon_head; i++)
        count += !(tty.marks[i % Tty::SIZE] & EOF_MARK);
    return count;
}

void set_termios(Tty& tty, const LinuxTermios& next)
{
    arch::InterruptDisabler guard;
    bool was_canonical = tty.l(ICANON);
    tty.termios = next;
    /* Leaving or entering canonical mode makes the line being edited readable, as Linux. */
    if (was_canonical != tty.l(ICANON)) {
        tty.canon_head = tty.head;
        wake_up(tty.read_wait);
    }
    if (!tty.i(IXON) && tty.output_stopped) {
        tty.output_stopped = false;
        wake_up(tty.write_wait);
    }
}

/* Every process of the session loses the terminal; its foreground group is told. */
void disassociate(Tty& tty, bool on_exit)
{
    if (tty.pgrp) {
        kill_pgrp(tty.pgrp, SIGHUP);
        if (!on_exit)
            kill_pgrp(tty.pgrp, SIGCONT);
    }
    for (Task* t : task)
        if (t && t->sid == tty.session && t->tty == &tty)
            t->tty = nullptr;
    tty.session = tty.pgrp = 0;
}

ErrorOr<void> set_controlling(Tty& tty, u32 steal)
{
    Task* t = current;
    if (t->pid == t->sid && t->tty == &tty)
        return {};
    if (t->pid != t->sid || t->tty)
        return Error::from_errno(EPERM);
    if (tty.session) {
        /* Another session's terminal: only root may take it, and only when asked to. */
        if (steal != 1)
            return Error::from_errno(EPERM);
        disassociate(tty, false);
    }
    tty.session = t->sid;
    tty.pgrp = t->pgid;
    t->tty = &tty;
    return {};
}

ErrorOr<void> set_foreground(Tty& tty, Userspace<const int*> arg)
{
    TRY(check_foreground(tty, SIGTTOU));
    int pgrp;
    TRY(copy_from_user(pgrp, arg));
    if (current->tty != &tty || tty.session != current->sid)
        return Error::from_errno(ENOTTY);
    if (pgrp < 0)
        return Error::from_errno(EINVAL);
    if (!pgrp_in_session(pgrp, current->sid))
        return kill_pgrp(pgrp, 0) ? Error::from_errno(EPERM) : Error::from_errno(ESRCH);
    tty.pgrp = pgrp;
    return {};
}

ErrorOr<void> ioctl(Tty& tty, u32 cmd, Userspace<void*> arg)
{
    switch (cmd) {
    case TCGETS:
        return copy_to_user(arg.as<LinuxTermios>(), tty.termios);
    case TCSETS:
    case TCSETSW:                       /* output is written synchronously: nothing to drain */
    case TCSETSF: {
        TRY(check_foreground(tty, SIGTTOU));
        LinuxTermios next;
        TRY(copy_from_user(next, arg.as<const LinuxTermios>()));
        if (cmd == TCSETSF)
            flush_input(tty);
        set_termios(tty, next);
        return {};
    }
    case TCSBRK:                        /* tcdrain, or a break: neither has anything to wait for */
        return {};
    case TIOCOUTQ:                      /* output is never queued */
        return copy_to_user(arg.as<int>(), 0);
    case TCXONC: {
        TRY(check_foreground(tty, SIGTTOU));
        arch::InterruptDisabler guard;
        switch (arg.address()) {
        case 0: tty.output_stopped = true; return {};                   /* TCOOFF */
        case 1: tty.output_stopped = false; wake_up(tty.write_wait); return {};  /* TCOON */
        case 2: case 3: {                                               /* TCIOFF, TCION */
            char c = char(tty.termios.c_cc[arg.address() == 2 ? VSTOP : VSTART]);
            if (c)
                output(tty, &c, 1);
            return {};
        }
        default: return Error::from_errno(EINVAL);
        }
    }
    case TCFLSH:
        TRY(check_foreground(tty, SIGTTOU));
        if (arg.address() > 2)
            return Error::from_errno(EINVAL);
        if (arg.address() != 1)         /* TCIFLUSH, TCIOFLUSH; output is never queued */
            flush_input(tty);
        return {};
    case TIOCGWINSZ:
        return copy_to_user(arg.as<LinuxWinsize>(), tty.winsize);
    case TIOCSWINSZ: {
        LinuxWinsize next;
        TRY(copy_from_user(next, arg.as<const LinuxWinsize>()));
        bool changed = next.ws_row != tty.winsize.ws_row || next.ws_col != tty.winsize.ws_col;
        tty.winsize = next;
        if (changed && tty.pgrp)
            kill_pgrp(tty.pgrp, SIGWINCH);
        return {};
    }
    case FIONREAD:
        return copy_to_user(arg.as<int>(), int(input_available(tty)));
    case TIOCSTI: {
        /* A character as if typed (every process is root here, which Linux asks for). */
        char c;
        TRY(copy_from_user(c, arg.as<const char>()));
        arch::InterruptDisabler guard;
        receive_locked(tty, c);
        return {};
    }
    case TIOCSCTTY:
        return set_controlling(tty, arg.address());
    case TIOCNOTTY:
        if (current->tty != &tty)
            return Error::from_errno(ENOTTY);
        if (current->pid == current->sid)
            disassociate(tty, false);
        else
            current->tty = nullptr;
        return {};
    case TIOCGPGRP:
    case TIOCGSID:
        /* Only of one's own controlling terminal, as Linux. */
        if (current->tty != &tty || !tty.session)
            return Error::from_errno(ENOTTY);
        return copy_to_user(arg.as<int>(), cmd == TIOCGPGRP ? tty.pgrp : tty.session);
    case TIOCSPGRP:
        return set_foreground(tty, arg.as<const int>());
    default:
        /* What today's Linux answers for a request no tty layer knows. */
        return Error::from_errno(ENOTTY);
    }
}

/*
 * Linux's n_tty_poll: readable when a read would not wait (a line in canonical mode; in raw
 * mode MIN bytes, or one when TIME is set), writable unless output is stopped.
 */
u32 poll_events(Tty& tty, PollTable* table)
{
    if (table) {
        table->watch(tty.read_wait);
        table->watch(tty.write_wait);
    }
    arch::InterruptDisabler guard;
    u32 min = tty.termios.c_cc[VMIN];
    u32 need = !tty.l(ICANON) && !tty.termios.c_cc[VTIME] && min ? min : 1;
    u32 events = tty.output_stopped ? 0 : POLLOUT | POLLWRNORM;
    if (tty.ready() >= need)
        events |= POLLIN | POLLRDNORM;
    return events;
}

/* An open /dev/console or /dev/tty. */
class TtyFile final : public fs::DeviceFile {
public:
    TtyFile(const fs::Node& node, Tty& tty) : DeviceFile(node), m_tty(tty) { }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        if (!n)
            return 0u;
        TRY(check_foreground(m_tty, SIGTTIN));
        bool nonblock = flags() & fs::O_NONBLOCK;
        char* out = static_cast<char*>(buf);
        return m_tty.l(ICANON) ? read_canonical(m_tty, out, n, nonblock)
                               : read_raw(m_tty, out, n, nonblock);
    }
    ErrorOr<size_t> write(const void* buf, size_t n) override
    {
        if (m_tty.l(TOSTOP))
            TRY(check_foreground(m_tty, SIGTTOU));
        if (wait_event(m_tty.write_wait, Interruptible::Yes, [this] { return !m_tty.output_stopped; })
            == WaitResult::Interrupted)
            return Error::from_errno(ERESTARTSYS);
        write_output(m_tty, static_cast<const char*>(buf), n);
        return n;
    }
    ErrorOr<i64> lseek(i64, int) override { return Error::from_errno(ESPIPE); }
    ErrorOr<void> ioctl(u32 cmd, Userspace<void*> arg) override { return ::ioctl(m_tty, cmd, arg); }
    u32 poll(PollTable* table) override { return poll_events(m_tty, table); }

private:
    Tty& m_tty;
};

} // namespace

void tty_receive(char c)
{
    arch::InterruptDisabler guard;
    receive_locked(console, c);
}

void tty_session_leader_exit(Task& leader)
{
    Tty* tty = leader.tty;
    if (tty && tty->session == leader.sid)
        disassociate(*tty, true);
}

ErrorOr<fs::File*> tty_open(const fs::Node& node, u32 minor, u32)
{
    /*
     * Opening never makes a controlling terminal here: /dev/console never does on Linux,
     * and /dev/tty is one already. A session leader takes the console with TIOCSCTTY.
     */
    Tty* tty = minor == 1 ? &console : minor == 0 ? current->tty : nullptr;
    if (!tty)
        return Error::from_errno(ENXIO);
    fs::File* file = new (std::nothrow) TtyFile(node, *tty);
    if (!file)
        return Error::from_errno(ENOMEM);
    return file;
}

int tty_foreground(const Tty& tty) { return tty.pgrp; }

LinuxTermios tty_termios() { return console.termios; }
void tty_set_termios(const LinuxTermios& termios) { set_termios(console, termios); }

void tty_flush_input() { flush_input(console); }
