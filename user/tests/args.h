/*
 * What the args_env_auxv test passes to /tests/args, which checks that it arrived.
 * The empty strings are there on purpose: they must arrive as empty, not be dropped.
 */
#pragma once

static const char* const args_argv[] = { "args", "one", "two words", "", "last", 0 };
static const char* const args_envp[] = { "FOO=bar", "EMPTY=", "X=1", 0 };
