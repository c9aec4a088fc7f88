/*
 * The kernel's random numbers: a xorshift generator seeded from the CPU (arch_entropy) at
 * first use. Not cryptographic: what getrandom, /dev/random and /dev/urandom hand out.
 */
#pragma once

#include <kernel/error.h>
#include <kernel/userspace.h>

/* len random bytes into a kernel buffer. */
void random_bytes(void* buf, size_t len);
/* len random bytes to user memory: how many were written, or EFAULT with none. */
ErrorOr<size_t> random_to_user(Userspace<void*> buf, size_t len);
