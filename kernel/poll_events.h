/*
 * Linux's poll event bits, for File::poll (fs/file.h) and the calls in kernel/poll.h.
 * Pure: the file layer builds for the host tests too.
 */
#pragma once

#include <kernel/types.h>

constexpr u32 POLLIN = 0x1, POLLPRI = 0x2, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10,
              POLLNVAL = 0x20, POLLRDNORM = 0x40, POLLRDBAND = 0x80, POLLWRNORM = 0x100,
              POLLWRBAND = 0x200;
/* What a file without its own poll answers: always ready (Linux's DEFAULT_POLLMASK). */
constexpr u32 DEFAULT_POLLMASK = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

class PollTable;
