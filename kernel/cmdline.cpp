#include <kernel/cmdline.h>
#include <mm/fault_inject.h>
#include <mm/mmtrace.h>

namespace {

bool starts_with(const char* s, const char* prefix, const char*& rest)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    rest = s;
    return true;
}

bool equal(const char* a, const char* b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

bool contains(const char* s, char c)
{
    for (; *s; s++)
        if (*s == c)
            return true;
    return false;
}

/* Appends word, keeping a NULL at the end; false (nothing stored) when the list is full. */
template<size_t N>
bool push(const char* (&list)[N], size_t& count, const char* word)
{
    if (count + 1 >= N)
        return false;
    list[count++] = word;
    return true;
}

/* Linux panics on too many words for init ("Too many boot init vars"); we keep what fits. */
template<size_t N>
void push_or_count(const char* (&list)[N], size_t& count, const char* word,
                   const char*& first_dropped, size_t& nr_dropped)
{
    if (push(list, count, word))
        return;
    if (!nr_dropped++)
        first_dropped = word;
}

bool is_parameter(const char* word)
{
    return contains(word, '=') || equal(word, "selftest") || equal(word, "quiet") || equal(word, "--");
}

} // namespace

bool parse_size(const char* s, u64& out)
{
    u64 base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    u64 value = 0;
    bool any = false;
    for (;; s++) {
        unsigned digit;
        if (*s >= '0' && *s <= '9') digit = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f') digit = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F') digit = *s - 'A' + 10;
        else break;
        if (value >> 59)        /* no size we care about comes near; avoids 64-bit division */
            return false;
        value = value * base + digit;
        any = true;
    }
    if (!any)
        return false;
    unsigned shift = 0;
    switch (*s) {
    case 'G': case 'g': shift = 30; s++; break;
    case 'M': case 'm': shift = 20; s++; break;
    case 'K': case 'k': shift = 10; s++; break;
    default: break;
    }
    if (*s || (shift && value > (~u64(0) >> shift)))
        return false;
    out = value << shift;
    return true;
}

bool glob_match(const char* pattern, const char* s)
{
    /* Iterative matcher with one backtracking point: the most recent star. */
    const char* star = nullptr;
    const char* resume = nullptr;
    while (*s) {
        if (*pattern == '*') {
            star = pattern++;
            resume = s;
        } else if (*pattern == '?' || *pattern == *s) {
            pattern++;
            s++;
        } else if (star) {
            pattern = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

void parse_command_line(const char* text, CommandLine& cmd, CommandLine::ImageName image)
{
    /* Copy, splitting into NUL-terminated words in place. */
    size_t n = 0;
    for (; text[n] && n + 1 < CommandLine::max_length; n++)
        cmd.buffer[n] = text[n] == '\t' || text[n] == '\n' ? ' ' : text[n];
    cmd.buffer[n] = '\0';
    cmd.length = n;
    while (text[cmd.length])
        cmd.length++;

    bool first = true;
    bool after_dashes = false;
    bool console_given = false;
    char* p = cmd.buffer;
    while (*p) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        char* word = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';

        bool skip_image = first && image == CommandLine::ImageName::Present && !is_parameter(word);
        first = false;
        if (skip_image)
            continue;

        const char* value;
        if (after_dashes) {
            push_or_count(cmd.init_argv, cmd.init_argc, word, cmd.dropped_arg, cmd.nr_dropped_args);
        } else if (equal(word, "--")) {
            after_dashes = true;
        } else if (starts_with(word, "init=", value) || starts_with(word, "rdinit=", value)) {
            cmd.init = value;
        } else if (starts_with(word, "console=", value)) {
            if (!console_given)
                cmd.console_vga = cmd.console_serial = false;
            console_given = true;
            const char* rest;
            if (starts_with(value, "ttyS0", rest) && (*rest == '\0' || *rest == ','))
                cmd.console_serial = true;
            else if (equal(value, "tty0") || equal(value, "tty1") || equal(value, "tty"))
                cmd.console_vga = true;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (starts_with(word, "mem=", value)) {
            u64 size;
            if (parse_size(value, size) && size)
                cmd.mem_limit = size;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (equal(word, "selftest")) {
            cmd.selftest = true;
        } else if (starts_with(word, "selftest=", value)) {
            cmd.selftest = true;
            cmd.selftest_glob = value;
        } else if (equal(word, "quiet")) {
            cmd.loglevel = 4;           /* as Linux: warnings and worse only */
        } else if (starts_with(word, "loglevel=", value)) {
            u64 level;
            if (parse_size(value, level) && level <= 15)
                cmd.loglevel = int(level);
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (starts_with(word, "ide=", value)) {
            if (equal(value, "nodma"))
                cmd.ide_dma = false;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (starts_with(word, "libata.dma=", value)) {
            u64 mask;
            if (parse_size(value, mask) && mask <= 7)
                cmd.ide_dma = mask & 1;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (starts_with(word, "fail_page_alloc=", value)) {
            mm::FaultAttr attr;
            if (mm::FaultAttr::parse(value, attr))
                cmd.fail_page_alloc = value;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (equal(word, "mmtrace")) {
            cmd.mmtrace = "all";
        } else if (starts_with(word, "mmtrace=", value)) {
            u32 mask;
            if (mm::parse_mmtrace_list(value, mask))
                cmd.mmtrace = value;
            else
                push(cmd.bad, cmd.nr_bad, word);
        } else if (contains(word, '=')) {
            push_or_count(cmd.init_envp, cmd.init_envc, word, cmd.dropped_env, cmd.nr_dropped_envs);
        } else {
            push_or_count(cmd.init_argv, cmd.init_argc, word, cmd.dropped_arg, cmd.nr_dropped_args);
        }
    }
    /* A console= naming nothing we have falls back to both, so messages are never lost. */
    if (!cmd.console_vga && !cmd.console_serial)
        cmd.console_vga = cmd.console_serial = true;
}
