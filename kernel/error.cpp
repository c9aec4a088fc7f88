/* What the error types do when they are misused: a kernel bug, not a user's. */
#include <kernel/error.h>
#include <kernel/printk.h>

void error_or_misused(const char* what, int code)
{
    panic("%s: %d", what, code);
}
