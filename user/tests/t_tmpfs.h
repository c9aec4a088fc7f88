/*
 * What the tmpfs tests (t_tmpfs.c, t_tmpfs_mounts.c) share: each test's body runs in a
 * directory of its own (tmpfs_base), made under /tmp on Ferrite and under /dev/shm on
 * Linux (where /tmp is often a disk), and removed afterwards whatever the body did.
 */
#pragma once

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define PROC_SUPER_MAGIC 0x9fa0

extern char tmpfs_base[64];

/* tmpfs_base/name, in one of four buffers that take turns. */
const char* tmpfs_path(const char* name);

/*
 * Runs body in a child, in a new tmpfs_base under `where`; removes the directory after
 * and fails (or skips) as the body did.
 */
void tmpfs_in_own_directory(void (*body)(void), const char* where);

/* Writes text as the whole file; checks a file holds exactly text. */
void tmpfs_put_file(const char* path, const char* text);
void tmpfs_check_file(const char* path, const char* text);

#define DEFAULT_PLACE (on_linux ? "/dev/shm" : "/tmp")
#define TMPFS_TEST(name, where)                                                       \
    static void name##_body(void);                                                    \
    void test_##name(void) { tmpfs_in_own_directory(name##_body, where); }            \
    static void name##_body(void)
