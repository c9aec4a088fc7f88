#include <kernel/cmdline.h>
#include <kernel/console.h>
#include <kernel/format.h>
#include <kernel/ktest.h>
#include <kernel/string.h>

extern "C" const ktest::Case __start_ktests[], __stop_ktests[];

namespace ktest {
namespace {

constexpr size_t name_length = 96;
constexpr size_t max_cases = 1024;

/* The linker keeps no useful order within the section: sort by file, then line. */
const Case* sorted[max_cases];

bool before(const Case* a, const Case* b)
{
    int c = strcmp(a->file, b->file);
    return c < 0 || (c == 0 && a->line < b->line);
}

size_t sort_cases()
{
    size_t n = 0;
    for (const Case* c = __start_ktests; c < __stop_ktests && n < max_cases; c++) {
        size_t i = n++;
        for (; i > 0 && before(c, sorted[i - 1]); i--)
            sorted[i] = sorted[i - 1];
        sorted[i] = c;
    }
    return n;
}

void full_name(const Case& c, char (&buf)[name_length])
{
    kfmt::snprintf(buf, sizeof buf, "%s.%s", c.suite, c.name);
}

bool selected(const Case& c, const char* glob, const char* name)
{
    return c.explicit_only ? strcmp(glob, name) == 0 : glob_match(glob, name);
}

} // namespace

void report(Context& ctx, const char* file, int line, const char* fmt, ...)
{
    ctx.failed = true;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kfmt::vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    console_print("    # %s:%d: %s\n", file, line, msg);
}

bool address_faults(u32 address, bool write)
{
    u32 value = 0;
    last_recovered_fault = { };
    bool ok = write ? probe_write_u32(address, value) : probe_read_u32(address, value);
    if (ok)
        return false;
    /* It must have been a page fault at exactly that address, not some other trap. */
    return last_recovered_fault.vector == 14 && last_recovered_fault.address == address;
}

unsigned run(const char* glob)
{
    char name[name_length];
    size_t count = sort_cases();
    unsigned planned = 0;
    for (size_t i = 0; i < count; i++) {
        full_name(*sorted[i], name);
        planned += selected(*sorted[i], glob, name);
    }

    console_print("KTAP version 1\n1..%u\n", planned);
    unsigned index = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < count; i++) {
        const Case* c = sorted[i];
        full_name(*c, name);
        if (!selected(*c, glob, name))
            continue;
        Context ctx;
        c->run(ctx);
        index++;
        if (ctx.failed) {
            failed++;
            console_print("not ok %u %s\n", index, name);
        } else if (ctx.skip_reason) {
            skipped++;
            console_print("ok %u %s # SKIP %s\n", index, name, ctx.skip_reason);
        } else {
            console_print("ok %u %s\n", index, name);
        }
    }
    if (failed)
        console_print("# selftest: %u passed, %u failed, %u skipped\n", index - failed - skipped,
                      failed, skipped);
    else
        console_print("# selftest: all passed, %u skipped\n", skipped);
    return failed;
}

} // namespace ktest
