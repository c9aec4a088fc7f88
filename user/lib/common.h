/*
 * Small helpers shared by init, the shell and the test runner.
 */
#pragma once

/*
 * Makes sure fds 0, 1 and 2 are open: those that are not get /dev/console. A kernel that
 * starts pid 1 without them is allowed (Linux opens the console for init itself, but a
 * program started as init= should not depend on it).
 */
void ensure_std_fds(void);

/* 1 when uname() says the kernel is Linux: tests that check Ferrite-only facts skip then. */
int running_on_linux(void);

/*
 * Reads every page this process maps, so that none of its own pages is in swap or dropped
 * while free memory is counted (the test runner and the fuzzer count it exactly).
 */
void fault_in_everything(void);
