/*
 * /tests/args: checks the initial stack that exec built: argv and envp as in args.h, and
 * the auxiliary vector that follows envp (i386 System V ABI). Exits 0 if all is well;
 * otherwise prints what is not, as KTAP comments, and exits 1.
 */
#include "args.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];
extern const Elf32_Ehdr __ehdr_start;   /* the linker's name for the mapped ELF header */

static int failures;

#define EXPECT(cond, ...)                                                             \
    do {                                                                              \
        if (!(cond)) {                                                                \
            printf("# args: " __VA_ARGS__);                                           \
            printf("\n");                                                             \
            failures++;                                                               \
        }                                                                             \
    } while (0)

static void check_strings(const char* what, char** got, const char* const* want)
{
    int i = 0;
    for (; want[i]; i++) {
        EXPECT(got[i] != NULL, "%s[%d] missing", what, i);
        if (!got[i])
            return;
        EXPECT(strcmp(got[i], want[i]) == 0, "%s[%d] is \"%s\", want \"%s\"", what, i,
               got[i], want[i]);
    }
    EXPECT(got[i] == NULL, "%s[%d] should be NULL, is \"%s\"", what, i, got[i]);
}

int main(int argc, char** argv, char** envp)
{
    int want_argc = sizeof args_argv / sizeof args_argv[0] - 1;
    EXPECT(argc == want_argc, "argc is %d, want %d", argc, want_argc);
    check_strings("argv", argv, args_argv);
    check_strings("envp", envp, args_envp);

    /* The auxiliary vector starts after envp's NULL. */
    char** p = envp;
    while (*p)
        p++;
    const Elf32_auxv_t* auxv = (const Elf32_auxv_t*)(p + 1);
    unsigned long value[64] = { 0 };
    int present[64] = { 0 };
    int n = 0;
    for (; n < 256 && auxv[n].a_type != AT_NULL; n++) {
        if (auxv[n].a_type < 64) {
            present[auxv[n].a_type] = 1;
            value[auxv[n].a_type] = auxv[n].a_un.a_val;
        }
    }
    EXPECT(n < 256, "auxv has no AT_NULL in its first 256 entries");

    static const struct { int type; const char* name; } required[] = {
        { AT_PHDR, "AT_PHDR" },     { AT_PHENT, "AT_PHENT" }, { AT_PHNUM, "AT_PHNUM" },
        { AT_PAGESZ, "AT_PAGESZ" }, { AT_ENTRY, "AT_ENTRY" }, { AT_RANDOM, "AT_RANDOM" },
        { AT_HWCAP, "AT_HWCAP" },   { AT_UID, "AT_UID" },     { AT_EUID, "AT_EUID" },
        { AT_GID, "AT_GID" },       { AT_EGID, "AT_EGID" },   { AT_SECURE, "AT_SECURE" },
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        EXPECT(present[required[i].type], "%s missing from auxv", required[i].name);

    EXPECT(value[AT_PAGESZ] == 4096, "AT_PAGESZ is %lu", value[AT_PAGESZ]);
    EXPECT(getauxval(AT_PAGESZ) == 4096, "getauxval(AT_PAGESZ) is %lu",
           getauxval(AT_PAGESZ));
    EXPECT(value[AT_ENTRY] == (unsigned long)_start, "AT_ENTRY is %#lx, _start is %p",
           value[AT_ENTRY], (void*)_start);

    const char* ehdr = (const char*)&__ehdr_start;
    EXPECT(value[AT_PHDR] == (unsigned long)(ehdr + __ehdr_start.e_phoff),
           "AT_PHDR is %#lx, the program headers are at %p", value[AT_PHDR],
           (void*)(ehdr + __ehdr_start.e_phoff));
    EXPECT(value[AT_PHENT] == sizeof(Elf32_Phdr), "AT_PHENT is %lu", value[AT_PHENT]);
    EXPECT(value[AT_PHNUM] == __ehdr_start.e_phnum, "AT_PHNUM is %lu, e_phnum %u",
           value[AT_PHNUM], __ehdr_start.e_phnum);
    if (value[AT_PHDR] && value[AT_PHNUM] == __ehdr_start.e_phnum) {
        const Elf32_Phdr* phdr = (const Elf32_Phdr*)value[AT_PHDR];
        int loads = 0;
        for (unsigned i = 0; i < value[AT_PHNUM]; i++)
            loads += phdr[i].p_type == PT_LOAD;
        EXPECT(loads > 0, "no PT_LOAD among the program headers at AT_PHDR");
    }

    const unsigned char* random = (const unsigned char*)value[AT_RANDOM];
    EXPECT(random != NULL, "AT_RANDOM is NULL");
    if (random) {
        unsigned char bytes[16], any = 0;
        memcpy(bytes, random, 16);      /* dies here if they are not readable */
        for (int i = 0; i < 16; i++)
            any |= bytes[i];
        EXPECT(any != 0, "the 16 AT_RANDOM bytes are all zero");
    }

    EXPECT(value[AT_UID] == getuid(), "AT_UID is %lu, getuid() %u", value[AT_UID], getuid());
    EXPECT(value[AT_EUID] == geteuid(), "AT_EUID is %lu", value[AT_EUID]);
    EXPECT(value[AT_GID] == getgid(), "AT_GID is %lu", value[AT_GID]);
    EXPECT(value[AT_EGID] == getegid(), "AT_EGID is %lu", value[AT_EGID]);
    EXPECT(value[AT_SECURE] == 0, "AT_SECURE is %lu", value[AT_SECURE]);

    fflush(stdout);
    return failures ? 1 : 0;
}
