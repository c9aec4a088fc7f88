/*
 * Process groups and sessions, as Linux's: a session holds process groups, a group holds
 * processes; the session leader's controlling terminal (kernel/tty.h) belongs to the whole
 * session, and its foreground group gets the terminal's signals.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/types.h>

struct Task;

/* Sends sig to every process of the group; false if it has none. sig 0 only looks. */
bool kill_pgrp(int pgid, int sig);
/* Whether some process of session sid is in group pgid. */
bool pgrp_in_session(int pgid, int sid);
/*
 * POSIX's orphaned process group: no member has a parent in another group of the same
 * session (init does not count), leaving aside `ignored`, a process on its way out, as a
 * member and as a parent.
 */
bool is_orphaned_pgrp(int pgid, const Task* ignored = nullptr);

/* From do_exit, before the children go to init: hangups for the session and groups t leaves. */
void exit_job_control(Task& t);

long sys_getpgrp();
ErrorOr<int> sys_getpgid(int pid);
ErrorOr<int> sys_getsid(int pid);
ErrorOr<void> sys_setpgid(int pid, int pgid);
ErrorOr<int> sys_setsid();
