/*
 * The shell's parts: sh.c reads, splits and runs command lines; builtins.c holds the
 * commands that run inside the shell itself.
 */
#pragma once

/* Status of the last command, for `$?`. */
extern int last_status;

/*
 * Runs `argv[0]` as a builtin if there is one: sets *status and returns 1; returns 0
 * when argv[0] is not a builtin.
 */
int run_builtin(int argc, char** argv, int* status);
