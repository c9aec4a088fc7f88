/* Power off and halt (CONTRACT §4). */
#pragma once

#include <kernel/types.h>

/*
 * Writes status to port 0xF4 (QEMU's isa-debug-exit then exits with (status << 1) | 1),
 * "Shutdown" to port 0x8900 (Bochs), and halts if neither machine went away.
 */
[[noreturn]] void machine_power_off(u8 status);

/* After a panic: halt for good, or, when self-tests run, power off with status 3. */
[[noreturn]] void halt_after_panic();

/* Set while self-tests run, so that a panic ends the run instead of hanging it. */
extern bool power_off_on_panic;

constexpr u8 panic_exit_status = 3;
