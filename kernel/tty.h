/*
 * The console as a terminal: Linux's line discipline (n_tty) over the one input queue that
 * the serial port and the keyboard feed, its termios, and job control (docs/tty.md).
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>

namespace fs { class File; class Node; }
struct Task;
struct Tty;

/* Linux's i386 struct termios (the kernel's, as TCGETS fills it). */
struct LinuxTermios {
    u32 c_iflag, c_oflag, c_cflag, c_lflag;
    u8 c_line;
    u8 c_cc[19];
};
static_assert(sizeof(LinuxTermios) == 36);

/* One typed character; from interrupt handlers. Edits, echoes, signals. */
void tty_receive(char c);

/* The session leader leaves: its terminal's foreground group gets SIGHUP, the session loses it. */
void tty_session_leader_exit(Task& leader);

/* The terminal's foreground process group, 0 for none (/proc/PID/stat's tpgid). */
int tty_foreground(const Tty& tty);

/* /dev/tty (minor 0: the controlling terminal, ENXIO without one) and /dev/console (minor 1). */
ErrorOr<fs::File*> tty_open(const fs::Node& node, u32 minor, u32 flags);

/* For the self-tests: the console terminal's settings, and its input thrown away. */
LinuxTermios tty_termios();
void tty_set_termios(const LinuxTermios& termios);
void tty_flush_input();
