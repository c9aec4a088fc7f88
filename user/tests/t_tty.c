/*
 * The terminal: termios, the line discipline, process groups and sessions, job control,
 * and stopped processes with their wait statuses.
 *
 * On Ferrite the terminal is the console, and input is typed into it with TIOCSTI; on
 * Linux (which may run the suite without a terminal) it is a pseudo-terminal, typed into
 * through its master side. Either way the tests that type run in a child of their own
 * whose settings the parent puts back afterwards, echo off, so that nothing typed shows up
 * in the report.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

struct term {
    int fd;             /* the terminal */
    int master;         /* Linux: the pseudo-terminal's master side; -1 on Ferrite */
};

/* The terminal to test, opened without becoming anyone's controlling terminal. */
static struct term open_term(void)
{
    struct term t = { -1, -1 };
    if (!on_linux) {
        t.fd = open("/dev/console", O_RDWR | O_NOCTTY);
        CHECK(t.fd >= 0);
        return t;
    }
    t.master = posix_openpt(O_RDWR | O_NOCTTY);
    if (t.master < 0 || grantpt(t.master) != 0 || unlockpt(t.master) != 0)
        skip("no pseudo-terminal on this Linux");
    t.fd = open(ptsname(t.master), O_RDWR | O_NOCTTY);
    CHECK(t.fd >= 0);
    return t;
}

/* Makes the calling session leader's controlling terminal t. */
static void take_term(struct term t)
{
    CHECK_EQ(ioctl(t.fd, TIOCSCTTY, 0), 0);
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Characters as if typed; a pseudo-terminal's input is processed a moment later. */
static void type(struct term t, const char* s)
{
    if (t.master >= 0) {
        write_all(t.master, s, strlen(s));
        pause_ms(50);
        return;
    }
    for (; *s; s++)
        CHECK_EQ(ioctl(t.fd, TIOCSTI, s), 0);
}

static void set_lflag(struct term t, tcflag_t on, tcflag_t off)
{
    struct termios tio;
    CHECK_EQ(tcgetattr(t.fd, &tio), 0);
    tio.c_lflag = (tio.c_lflag | on) & ~off;
    CHECK_EQ(tcsetattr(t.fd, TCSANOW, &tio), 0);
}

static void set_min_time(struct term t, int min, int time)
{
    struct termios tio;
    CHECK_EQ(tcgetattr(t.fd, &tio), 0);
    tio.c_cc[VMIN] = min;
    tio.c_cc[VTIME] = time;
    CHECK_EQ(tcsetattr(t.fd, TCSANOW, &tio), 0);
}

static void expect_read(struct term t, const char* want)
{
    char buf[64];
    ssize_t n = read(t.fd, buf, sizeof buf - 1);
    CHECK(n >= 0);
    buf[n] = 0;
    if (strcmp(buf, want) != 0)
        fail("read %zd bytes \"%s\", want \"%s\"", n, buf, want);
}

/* Runs fn in a child with the terminal's echo off and puts the settings back afterwards. */
static void with_term(const char* what, void (*fn)(void*), struct term* t)
{
    struct termios saved;
    CHECK_EQ(tcgetattr(t->fd, &saved), 0);
    set_lflag(*t, 0, ECHO);
    tcflush(t->fd, TCIFLUSH);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fn(t);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    tcflush(t->fd, TCIFLUSH);
    tcsetattr(t->fd, TCSANOW, &saved);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("%s: child %s", what, describe_status(status));
}

static void close_term(struct term t)
{
    close(t.fd);
    if (t.master >= 0)
        close(t.master);
}

void test_tty_termios(void)
{
    struct term t = open_term();
    struct termios tio, back;
    CHECK_EQ(tcgetattr(t.fd, &tio), 0);
    /* Linux's tty_std_termios. */
    CHECK(tio.c_lflag & ICANON);
    CHECK(tio.c_lflag & ECHO);
    CHECK(tio.c_lflag & ISIG);
    CHECK(tio.c_iflag & ICRNL);
    CHECK((tio.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR));
    CHECK_EQ(tio.c_cc[VINTR], 003);
    CHECK_EQ(tio.c_cc[VSUSP], 032);
    CHECK_EQ(tio.c_cc[VEOF], 004);
    CHECK_EQ(tio.c_cc[VERASE], 0177);
    CHECK_EQ(tio.c_cc[VMIN], 1);

    struct termios changed = tio;
    changed.c_lflag &= ~(ICANON | ECHO);
    changed.c_cc[VMIN] = 5;
    changed.c_cc[VTIME] = 7;
    changed.c_iflag |= IGNCR;
    static const int actions[] = { TCSANOW, TCSADRAIN, TCSAFLUSH };
    for (int i = 0; i < 3; i++) {
        changed.c_cc[VEOL] = (cc_t)('a' + i);
        CHECK_EQ(tcsetattr(t.fd, actions[i], &changed), 0);
        CHECK_EQ(tcgetattr(t.fd, &back), 0);
        CHECK_EQ(back.c_lflag, changed.c_lflag);
        CHECK_EQ(back.c_iflag, changed.c_iflag);
        CHECK_EQ(back.c_oflag, changed.c_oflag);
        CHECK(memcmp(back.c_cc, changed.c_cc, NCCS) == 0);
    }
    CHECK_EQ(tcsetattr(t.fd, TCSANOW, &tio), 0);
    CHECK_EQ(tcgetattr(t.fd, &back), 0);
    CHECK_EQ(back.c_lflag, tio.c_lflag);

    struct winsize ws, set = { 30, 100, 0, 0 }, old;
    CHECK_EQ(ioctl(t.fd, TIOCGWINSZ, &old), 0);
    if (!on_linux)
        CHECK(old.ws_row == 25 && old.ws_col == 80);
    CHECK_EQ(ioctl(t.fd, TIOCSWINSZ, &set), 0);
    CHECK_EQ(ioctl(t.fd, TIOCGWINSZ, &ws), 0);
    CHECK(ws.ws_row == 30 && ws.ws_col == 100);
    CHECK_EQ(ioctl(t.fd, TIOCSWINSZ, &old), 0);

    int n = -1;
    CHECK_EQ(ioctl(t.fd, FIONREAD, &n), 0);
    CHECK_EQ(n, 0);
    CHECK_EQ(tcflush(t.fd, TCIOFLUSH), 0);
    CHECK_ERRNO(tcflush(t.fd, 7), EINVAL);
    CHECK_EQ(tcflow(t.fd, TCOON), 0);
    CHECK_EQ(tcdrain(t.fd), 0);
    CHECK_ERRNO(ioctl(t.fd, TCGETS, (void*)4), EFAULT);

    int null = open("/dev/null", O_RDWR);
    CHECK_ERRNO(tcgetattr(null, &back), ENOTTY);
    close(null);
    close_term(t);
}

/* Whether poll finds the terminal readable now. */
static int readable(struct term t)
{
    struct pollfd p = { t.fd, POLLIN, 0 };
    int n = poll(&p, 1, 0);
    CHECK(n >= 0);
    return n == 1 && (p.revents & POLLIN);
}

static void line_editing(void* arg)
{
    struct term t = *(struct term*)arg;
    type(t, "ab\177c\r");               /* DEL erases; CR arrives as NL (ICRNL) */
    expect_read(t, "ac\n");
    type(t, "junk\025ok\n");            /* ^U kills the line */
    expect_read(t, "ok\n");
    type(t, "one two\027\n");           /* ^W erases a word */
    expect_read(t, "one \n");
    CHECK_EQ(readable(t), 0);
    type(t, "xyz");
    CHECK_EQ(readable(t), 0);           /* half a line is not ready */
    type(t, "\n");
    CHECK_EQ(readable(t), 1);
    int n = -1;
    CHECK_EQ(ioctl(t.fd, FIONREAD, &n), 0);
    CHECK_EQ(n, 4);
    expect_read(t, "xyz\n");
    type(t, "\004");                    /* ^D on an empty line: end of file */
    expect_read(t, "");
    type(t, "ab\004");                  /* after text: the text */
    expect_read(t, "ab");
    type(t, "first\nsecond\n");         /* a line a read */
    expect_read(t, "first\n");
    expect_read(t, "second\n");
    type(t, "nonblocking");             /* no line yet */
    int flags = fcntl(t.fd, F_GETFL);
    CHECK_EQ(fcntl(t.fd, F_SETFL, flags | O_NONBLOCK), 0);
    char c;
    CHECK_ERRNO(read(t.fd, &c, 1), EAGAIN);
    CHECK_EQ(fcntl(t.fd, F_SETFL, flags), 0);
}

void test_tty_line_editing(void)
{
    struct term t = open_term();
    with_term("line editing", line_editing, &t);
    close_term(t);
}

static long elapsed_ms(const struct timespec* since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

static void raw_mode(void* arg)
{
    struct term t = *(struct term*)arg;
    set_lflag(t, 0, ICANON);
    set_min_time(t, 1, 0);
    CHECK_EQ(readable(t), 0);
    type(t, "q");                       /* one key, no Enter */
    CHECK_EQ(readable(t), 1);
    char buf[16];
    CHECK_EQ(read(t.fd, buf, sizeof buf), 1);
    CHECK_EQ(buf[0], 'q');
    type(t, "\177\025");                /* editing characters are data now */
    CHECK_EQ(read(t.fd, buf, sizeof buf), 2);
    CHECK(buf[0] == 0177 && buf[1] == 025);

    set_min_time(t, 0, 0);              /* a poll */
    CHECK_EQ(read(t.fd, buf, sizeof buf), 0);
    set_min_time(t, 0, 2);              /* at most 0.2 s for a byte */
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    CHECK_EQ(read(t.fd, buf, sizeof buf), 0);
    long ms = elapsed_ms(&start);
    if (ms < 150 || ms > 2000)
        fail("VTIME 2 read returned after %ld ms", ms);
    set_min_time(t, 3, 0);
    type(t, "abcd");
    CHECK_EQ(read(t.fd, buf, sizeof buf), 4);
}

void test_tty_raw_mode(void)
{
    struct term t = open_term();
    with_term("raw mode", raw_mode, &t);
    close_term(t);
}

static volatile sig_atomic_t got_sigint;
static void on_sigint(int sig) { (void)sig; got_sigint = 1; }

static void pause_forever(void* arg)
{
    (void)arg;
    for (;;)
        pause();
}

/* waitpid with options until it reports pid, failing the test if it does not. */
static int wait_options(pid_t pid, int options)
{
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, options)) < 0 && errno == EINTR)
        ;
    if (r != pid)
        fail("waitpid(%d, %#x) returned %d: %s", pid, options, r, r < 0 ? strerror(errno) : "");
    return status;
}

/* A session leader with the terminal: ^C ^Z ^\ signal the foreground group. */
static void signal_keys(void* arg)
{
    struct term t = *(struct term*)arg;
    CHECK(setsid() == getpid());
    take_term(t);
    CHECK_EQ(tcgetpgrp(t.fd), getpid());
    CHECK_EQ(tcgetsid(t.fd), getpid());

    signal(SIGINT, on_sigint);
    type(t, "lost");
    type(t, "\003");
    for (int i = 0; i < 100 && !got_sigint; i++)
        pause_ms(10);
    CHECK(got_sigint);
    int n = -1;
    CHECK_EQ(ioctl(t.fd, FIONREAD, &n), 0);
    CHECK_EQ(n, 0);                     /* the interrupt flushed the input */

    /* A job in the foreground: ^Z stops it, SIGCONT continues it, ^\ kills it. */
    pid_t job = spawn(pause_forever, NULL);
    CHECK_EQ(setpgid(job, job), 0);
    sigset_t ttou;
    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    sigprocmask(SIG_BLOCK, &ttou, NULL);
    CHECK_EQ(tcsetpgrp(t.fd, job), 0);
    CHECK_EQ(tcgetpgrp(t.fd), job);
    got_sigint = 0;
    type(t, "\032");
    int status = wait_options(job, WUNTRACED);
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTSTP)
        fail("^Z: job %s, want stopped by SIGTSTP", describe_status(status));
    CHECK_EQ(kill(job, SIGCONT), 0);
    status = wait_options(job, WCONTINUED);
    CHECK(WIFCONTINUED(status));
    type(t, "\034");
    status = wait_options(job, 0);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGQUIT)
        fail("^\\: job %s, want SIGQUIT", describe_status(status));
    CHECK(!got_sigint);                 /* the leader was not in the foreground */
    /* Taking the terminal back from the background is allowed with SIGTTOU blocked. */
    CHECK_EQ(tcsetpgrp(t.fd, getpid()), 0);
}

void test_tty_signal_keys(void)
{
    struct term t = open_term();
    with_term("signal keys", signal_keys, &t);
    close_term(t);
}

static void read_in_background(void* arg)
{
    char c;
    read(*(int*)arg, &c, 1);
    _exit(3);
}


static void read_ignoring_ttin(void* arg)
{
    signal(SIGTTIN, SIG_IGN);
    char c;
    CHECK_ERRNO(read(*(int*)arg, &c, 1), EIO);
}

static void write_in_background(void* arg)
{
    const char* line = "# a write from the background\n";
    write(*(int*)arg, line, strlen(line));
    _exit(3);
}

static void write_ignoring_ttou(void* arg)
{
    signal(SIGTTOU, SIG_IGN);
    const char* line = "# a write from the background, SIGTTOU ignored\n";
    CHECK_EQ(write(*(int*)arg, line, strlen(line)), (ssize_t)strlen(line));
}

static void setpgrp_in_background(void* arg)
{
    tcsetpgrp(*(int*)arg, getpgrp());
    _exit(3);
}

struct job {
    void (*fn)(void*);
    int* fd;
};

/* Both parent and child put the child in its group, so that it is there before it runs on. */
static void job_main(void* arg)
{
    struct job* job = arg;
    setpgid(0, 0);
    job->fn(job->fd);
}

/* Runs fn in a background group of the caller's session; returns its wait status. */
static int in_background(void (*fn)(void*), int* fd)
{
    struct job job = { fn, fd };
    pid_t pid = spawn(job_main, &job);
    setpgid(pid, pid);
    int status = wait_options(pid, WUNTRACED);
    if (WIFSTOPPED(status)) {
        kill(pid, SIGKILL);             /* a stopped process dies of SIGKILL */
        int end = wait_options(pid, 0);
        if (!WIFSIGNALED(end) || WTERMSIG(end) != SIGKILL)
            fail("stopped job %s after SIGKILL", describe_status(end));
    }
    return status;
}

static void expect_stopped_by(int status, int sig, const char* what)
{
    if (!WIFSTOPPED(status) || WSTOPSIG(status) != sig)
        fail("%s: %s, want stopped by signal %d", what, describe_status(status), sig);
}

static void background_jobs(void* arg)
{
    struct term t = *(struct term*)arg;
    CHECK(setsid() == getpid());
    take_term(t);
    int fd = t.fd;
    int status = in_background(read_in_background, &fd);
    expect_stopped_by(status, SIGTTIN, "read from the background");
    status = in_background(read_ignoring_ttin, &fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("read with SIGTTIN ignored: %s", describe_status(status));

    status = in_background(write_in_background, &fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3)
        fail("write without TOSTOP: %s, want it to go through", describe_status(status));
    set_lflag(t, TOSTOP, 0);
    status = in_background(write_in_background, &fd);
    expect_stopped_by(status, SIGTTOU, "write from the background with TOSTOP");
    status = in_background(write_ignoring_ttou, &fd);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("write with SIGTTOU ignored: %s", describe_status(status));
    set_lflag(t, 0, TOSTOP);
    status = in_background(setpgrp_in_background, &fd);
    expect_stopped_by(status, SIGTTOU, "tcsetpgrp from the background");
}

void test_tty_background_jobs(void)
{
    struct term t = open_term();
    with_term("background jobs", background_jobs, &t);
    close_term(t);
}

static void session_calls(void* arg)
{
    struct term t = *(struct term*)arg;
    pid_t me = getpid();
    CHECK_EQ(setsid(), me);
    CHECK_EQ(getsid(0), me);
    CHECK_EQ(getpgrp(), me);
    CHECK_EQ(getpgid(0), me);
    CHECK_ERRNO(setsid(), EPERM);               /* already a group leader */
    CHECK_ERRNO(setpgid(0, 0), EPERM);          /* a session leader stays in its group */
    CHECK_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
    CHECK_ERRNO(tcgetpgrp(t.fd), ENOTTY);       /* not its controlling terminal */

    pid_t child = spawn(pause_forever, NULL);
    CHECK_EQ(getpgid(child), me);
    CHECK_EQ(getsid(child), me);
    CHECK_EQ(setpgid(child, child), 0);
    CHECK_EQ(getpgid(child), child);
    CHECK_EQ(setpgid(child, me), 0);            /* back into an existing group */
    CHECK_ERRNO(setpgid(child, 999999), EPERM); /* no such group in the session */
    CHECK_ERRNO(setpgid(child, -1), EINVAL);
    CHECK_ERRNO(setpgid(1, 1), ESRCH);          /* not a child */
    CHECK_ERRNO(getpgid(999999), ESRCH);
    CHECK_ERRNO(getsid(999999), ESRCH);
    CHECK_EQ(setpgid(child, child), 0);
    CHECK_EQ(kill(-child, SIGTERM), 0);         /* a group by number */
    int status = wait_options(child, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK_ERRNO(kill(-child, SIGTERM), ESRCH);

    take_term(t);
    int tty = open("/dev/tty", O_RDWR);
    CHECK(tty >= 0);
    CHECK_EQ(tcgetpgrp(tty), me);
    pid_t sid = -1;
    CHECK_EQ(ioctl(tty, TIOCGSID, &sid), 0);
    CHECK_EQ(sid, me);
    CHECK_EQ(ioctl(t.fd, TIOCSCTTY, 0), 0);    /* the one it has: no change */
    CHECK_ERRNO(tcsetpgrp(tty, 999999), ESRCH);
    close(tty);

    /* A child of the session may not take its terminal; after TIOCNOTTY nobody has it. */
    pid_t other = fork();
    CHECK(other >= 0);
    if (other == 0) {
        CHECK_EQ(setsid(), getpid());
        CHECK_ERRNO(ioctl(t.fd, TIOCSCTTY, 0), EPERM);
        _exit(0);
    }
    status = wait_options(other, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    signal(SIGHUP, SIG_IGN);                    /* the leader's TIOCNOTTY hangs up its group */
    CHECK_EQ(ioctl(t.fd, TIOCNOTTY), 0);
    CHECK_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
}

void test_tty_sessions(void)
{
    struct term t = open_term();
    with_term("sessions", session_calls, &t);
    close_term(t);
}

static volatile sig_atomic_t sigchld_count;
static void on_sigchld(int sig) { (void)sig; sigchld_count++; }

/* The state letter of /proc/PID/stat. */
static char proc_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    CHECK(n > 0);
    buf[n] = 0;
    char* paren = strrchr(buf, ')');
    CHECK(paren && paren[1] == ' ');
    return paren[2];
}

static void stops_in_own_group(void* arg)
{
    (void)arg;
    setpgid(0, 0);
    pause_forever(NULL);
}

static void stop_and_continue(void* arg)
{
    (void)arg;
    /*
     * A session of its own, the stopped child in a group of its own: a group whose parent
     * is in another group of the session, so not orphaned and SIGTSTP stops it.
     */
    CHECK(setsid() == getpid());
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);

    pid_t child = spawn(stops_in_own_group, NULL);
    setpgid(child, child);
    CHECK_EQ(kill(child, SIGSTOP), 0);
    int status = wait_options(child, WUNTRACED);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP);
    CHECK(sigchld_count >= 1);
    CHECK_EQ(proc_state(child), 'T');
    CHECK_EQ(waitpid(child, &status, WNOHANG | WUNTRACED), 0);    /* reported once */
    CHECK_EQ(waitpid(child, &status, WNOHANG), 0);                 /* not without WUNTRACED */

    int before = sigchld_count;
    CHECK_EQ(kill(child, SIGCONT), 0);
    status = wait_options(child, WCONTINUED);
    CHECK(WIFCONTINUED(status));
    /* Linux sends this SIGCHLD once the continued child runs: a moment later. */
    for (int i = 0; i < 100 && sigchld_count == before; i++)
        pause_ms(10);
    CHECK(sigchld_count > before);
    CHECK(proc_state(child) != 'T');

    /* SA_NOCLDSTOP: no SIGCHLD for the stop, which wait still reports. */
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    before = sigchld_count;
    CHECK_EQ(kill(child, SIGTSTP), 0);
    status = wait_options(child, WUNTRACED);
    CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
    pause_ms(20);
    CHECK_EQ(sigchld_count, before);

    CHECK_EQ(kill(child, SIGKILL), 0);          /* kills it stopped */
    status = wait_options(child, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* Our own group is orphaned (our parent is in another session): SIGTSTP is dropped. */
    raise(SIGTSTP);
}

void test_tty_stop_continue(void)
{
    pid_t pid = spawn(stop_and_continue, NULL);
    int status = wait_options(pid, WUNTRACED);
    if (WIFSTOPPED(status)) {
        kill(pid, SIGKILL);
        wait_options(pid, 0);
        fail("SIGTSTP stopped a process of an orphaned group");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("stop and continue: child %s", describe_status(status));
}

static int hup_pipe[2];
static void on_sighup(int sig) { (void)sig; write(hup_pipe[1], "H", 1); _exit(0); }

static void stopped_then_orphaned(void* arg)
{
    (void)arg;
    setpgid(0, 0);
    signal(SIGHUP, on_sighup);
    raise(SIGSTOP);
    write(hup_pipe[1], "C", 1);                 /* continued without SIGHUP first */
    _exit(0);
}

static void leader_exits(void* arg)
{
    (void)arg;
    CHECK(setsid() == getpid());
    pid_t child = spawn(stopped_then_orphaned, NULL);
    setpgid(child, child);
    int status = wait_options(child, WUNTRACED);
    CHECK(WIFSTOPPED(status));
    /* Exiting orphans the child's stopped group: it gets SIGHUP and SIGCONT. */
}

void test_tty_orphaned_group(void)
{
    CHECK_EQ(pipe(hup_pipe), 0);
    expect_success("session leader", leader_exits, NULL);
    close(hup_pipe[1]);
    char c = 0;
    alarm(10);
    CHECK_EQ(read(hup_pipe[0], &c, 1), 1);
    alarm(0);
    CHECK_EQ(c, 'H');
    close(hup_pipe[0]);
}

static int leader_pipe[2];
static void on_leader_hangup(int sig) { (void)sig; write(leader_pipe[1], "L", 1); _exit(0); }

static void foreground_job(void* arg)
{
    (void)arg;
    setpgid(0, 0);
    for (;;)
        pause();
}

/* A session leader with the terminal gives it to a job and exits. */
static void leader_with_job(void* arg)
{
    struct term t = *(struct term*)arg;
    CHECK(setsid() == getpid());
    take_term(t);
    signal(SIGHUP, on_leader_hangup);           /* the job inherits it */
    pid_t job = spawn(foreground_job, NULL);
    setpgid(job, job);
    signal(SIGTTOU, SIG_IGN);
    CHECK_EQ(tcsetpgrp(t.fd, job), 0);
    /* Exiting hangs up the terminal: its foreground group gets SIGHUP. */
}

void test_tty_leader_exit_hangup(void)
{
    struct term t = open_term();
    CHECK_EQ(pipe(leader_pipe), 0);
    with_term("session leader", leader_with_job, &t);
    close(leader_pipe[1]);
    char c = 0;
    alarm(10);
    CHECK_EQ(read(leader_pipe[0], &c, 1), 1);
    alarm(0);
    CHECK_EQ(c, 'L');
    close(leader_pipe[0]);
    close_term(t);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

/*
 * Reads a line from the terminal in the background: SIGTTIN stops it; continued in the
 * foreground, the read starts again and gets the line.
 */
static void read_after_stop(void* arg)
{
    setpgid(0, 0);
    char buf[16];
    ssize_t n = read(*(int*)arg, buf, sizeof buf);
    if (n != 3 || memcmp(buf, "go\n", 3) != 0)
        fail("read after the continue returned %zd: %s", n, n < 0 ? strerror(errno) : "other bytes");
}

/* In the foreground: a handler interrupts the read (EINTR) unless it has SA_RESTART. */
static void read_with_handler(void* arg)
{
    int fd = *(int*)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    char buf[16];
    CHECK_ERRNO(read(fd, buf, sizeof buf), EINTR);
    CHECK(got_usr1);
    got_usr1 = 0;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK(got_usr1);
    if (n != 4 || memcmp(buf, "yes\n", 4) != 0)
        fail("SA_RESTART read returned %zd", n);
}

static void restarts(void* arg)
{
    struct term t = *(struct term*)arg;
    CHECK(setsid() == getpid());
    take_term(t);
    signal(SIGTTOU, SIG_IGN);
    int fd = t.fd;
    pid_t job = spawn(read_after_stop, &fd);
    setpgid(job, job);
    int status = wait_options(job, WUNTRACED);
    expect_stopped_by(status, SIGTTIN, "read from the background");
    CHECK_EQ(tcsetpgrp(t.fd, job), 0);          /* fg */
    type(t, "go\n");
    CHECK_EQ(kill(job, SIGCONT), 0);
    status = wait_options(job, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("continued reader %s", describe_status(status));
    CHECK_EQ(tcsetpgrp(t.fd, getpgrp()), 0);

    pid_t reader = spawn(read_with_handler, &fd);   /* in our group: the foreground */
    pause_ms(200);
    CHECK_EQ(kill(reader, SIGUSR1), 0);             /* no SA_RESTART: EINTR */
    pause_ms(200);
    CHECK_EQ(kill(reader, SIGUSR1), 0);             /* SA_RESTART: the read goes on */
    pause_ms(200);
    type(t, "yes\n");
    status = wait_options(reader, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("reader with a handler %s", describe_status(status));
}

void test_tty_read_restarts(void)
{
    struct term t = open_term();
    with_term("restarts", restarts, &t);
    close_term(t);
}
