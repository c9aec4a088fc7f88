/*
 * Self-tests of the root file system on the real initrd (built from user/rootfs, with the
 * files under /etc/selftest put there for these tests).
 */
#include <fs/mount.h>
#include <fs/test_support.h>
#include <kernel/format.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <mm/memory.h>

using namespace fs;

namespace {

/* Booted without one (QEMU's -kernel alone): skip; the test stages all give one. */
#define REQUIRE_INITRD()                                                                \
    do {                                                                                \
        if (!mount_info().initrd)                                                       \
            KTEST_SKIP("no initrd was mounted: boot with -initrd build/initrd.cpio");   \
    } while (0)

/* Buffers live here, not on the 8 KB kernel stack. */
char path_buf[PATH_MAX + 64];
char data_buf[1024];

FileStat stat_or_zero(const char* path, bool follow = true)
{
    FileStat st = { };
    if (to_syscall_result(fs::stat(path, st, follow)) < 0)
        st = { };
    return st;
}

long open_result(const char* path, u32 flags)
{
    File* f = nullptr;
    long r = to_syscall_result(open_into(path, flags, f));
    if (f)
        f->put();
    return r;
}

/*
 * Reads a whole file in pieces of `chunk` (up to sizeof data_buf) and counts the bytes
 * that differ from expected(offset). Returns the length read, or -errno.
 */
template<typename Expected>
long read_and_compare(const char* path, size_t chunk, u32& wrong, Expected expected)
{
    File* f = nullptr;
    if (long r = to_syscall_result(open_into(path, O_RDONLY, f)))
        return r;
    size_t total = 0;
    long n;
    wrong = 0;
    while ((n = to_syscall_result(f->read(data_buf, chunk))) > 0) {
        for (long i = 0; i < n; i++)
            wrong += u8(data_buf[i]) != expected(total + size_t(i));
        total += size_t(n);
    }
    f->put();
    return n < 0 ? n : long(total);
}

/* The line of /etc/selftest/pattern.txt that byte `at` falls in, as written. */
char pattern_byte(size_t at)
{
    char line[16];
    kfmt::snprintf(line, sizeof line, "line %04u\n", unsigned(at / 10));
    return line[at % 10];
}

} // namespace

KTEST(fs, initrd_mounted_cleanly)
{
    REQUIRE_INITRD();
    const InitrdStats& stats = mount_info().stats;
    EXPECT_EQ(stats.error, cpio::Error::None);
    EXPECT_EQ(stats.skipped, 0u);
    EXPECT_GE(stats.files, 5u);
    EXPECT_GE(stats.symlinks, 6u);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/selftest/nested/deeper")), 0);
}

KTEST(fs, tree_matches_the_archive)
{
    REQUIRE_INITRD();
    /* Every entry of the archive, read again independently, is what the tree shows. */
    cpio::Reader reader(mount_info().initrd, mount_info().size);
    cpio::Entry e;
    u32 checked = 0;
    while (reader.next(e) == cpio::Reader::Status::Entry) {
        const char* name = e.name;
        while (name[0] == '.' && name[1] == '/')
            name += 2;
        if (strcmp(name, ".") == 0 || strncmp(name, "dev", 3) == 0 || strncmp(name, "proc", 4) == 0)
            continue;       /* the root's attributes, and what the kernel's directories hide */
        kfmt::snprintf(path_buf, sizeof path_buf, "/%s", name);
        FileStat st;
        ASSERT_EQ(to_syscall_result(fs::stat(path_buf, st, false)), 0);
        EXPECT_EQ(st.mode, e.mode);
        EXPECT_EQ(st.uid, e.uid);
        EXPECT_EQ(st.gid, e.gid);
        EXPECT_EQ(st.mtime, e.mtime);
        if ((e.mode & S_IFMT) == S_IFREG) {
            EXPECT_EQ(st.size, u64(e.size));
            u32 wrong = 0;
            EXPECT_EQ(read_and_compare(path_buf, 1000, wrong, [&](size_t at) { return e.data[at]; }),
                      long(e.size));
            EXPECT_EQ(wrong, 0u);
        }
        if ((e.mode & S_IFMT) == S_IFLNK) {
            EXPECT_EQ(to_syscall_result(fs::readlink(path_buf, data_buf, sizeof data_buf)), long(e.size));
            EXPECT_EQ(memcmp(data_buf, e.data, e.size), 0);
        }
        checked++;
    }
    EXPECT_EQ(reader.error(), cpio::Error::None);
    EXPECT_GE(checked, 15u);
}

KTEST(fs, motd_read_and_seek)
{
    REQUIRE_INITRD();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc/motd", O_RDONLY, f)), 0);
    char buf[64] = { };
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf - 1)), 20);
    EXPECT_STREQ(buf, "Welcome to Ferrite.\n");
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 0);
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, 11, SEEK_SET, pos)), 0);
    EXPECT_EQ(pos, 11);
    memset(buf, 0, sizeof buf);
    EXPECT_EQ(to_syscall_result(f->read(buf, 7)), 7);
    EXPECT_STREQ(buf, "Ferrite");
    EXPECT_EQ(to_syscall_result(seek_into(*f, -9, SEEK_END, pos)), 0);
    EXPECT_EQ(pos, 11);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 2, SEEK_CUR, pos)), 0);
    EXPECT_EQ(pos, 13);
    EXPECT_EQ(to_syscall_result(seek_into(*f, -14, SEEK_CUR, pos)), -EINVAL);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, 7, pos)), -EINVAL);
    EXPECT_EQ(f->offset(), 13);
    EXPECT_EQ(to_syscall_result(f->write("x", 1)), -EBADF);
    EXPECT_EQ(to_syscall_result(f->ioctl(0x5401, Userspace<void*>())), -ENOTTY);
    FileStat st;
    EXPECT_EQ(to_syscall_result(f->stat(st)), 0);
    EXPECT_EQ(st.size, 20u);
    EXPECT_EQ(st.mode & S_IFMT, S_IFREG);
    EXPECT_EQ(st.ino, stat_or_zero("/etc/motd").ino);
    f->put();
}

KTEST(fs, pattern_across_pages_and_read_page)
{
    REQUIRE_INITRD();
    const char* path = "/etc/selftest/pattern.txt";
    u32 wrong = 0;
    EXPECT_EQ(read_and_compare(path, 777, wrong, [](size_t at) { return u8(pattern_byte(at)); }),
              10000);
    EXPECT_EQ(wrong, 0u);

    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into(path, O_RDONLY, f)), 0);
    VirtAddr page = get_free_page(Gfp::Kernel);
    ASSERT_TRUE(bool(page));
    u8* p = page.as_ptr<u8>();
    memset(p, 0xEE, PAGE_SIZE);
    EXPECT_EQ(to_syscall_result(f->read_page(4096, p)), 4096);
    EXPECT_EQ(p[0], u8(pattern_byte(4096)));
    EXPECT_EQ(p[4095], u8(pattern_byte(8191)));
    memset(p, 0xEE, PAGE_SIZE);
    EXPECT_EQ(to_syscall_result(f->read_page(8192, p)), 10000 - 8192);
    wrong = 0;
    for (size_t i = 0; i < PAGE_SIZE; i++)
        wrong += p[i] != (i < 10000 - 8192 ? u8(pattern_byte(8192 + i)) : 0);
    EXPECT_EQ(wrong, 0u);
    memset(p, 0xEE, PAGE_SIZE);
    EXPECT_EQ(to_syscall_result(f->read_page(12288, p)), 0);
    wrong = 0;
    for (size_t i = 0; i < PAGE_SIZE; i++)
        wrong += p[i] != 0;
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(to_syscall_result(f->read_page(10, p)), 4096);       /* an offset need not be page-aligned */
    EXPECT_EQ(p[0], u8(pattern_byte(10)));
    EXPECT_EQ(f->offset(), 0);
    free_page(page);
    f->put();
}

KTEST(fs, path_walks)
{
    REQUIRE_INITRD();
    const u32 motd = stat_or_zero("/etc/motd").ino;
    ASSERT_NE(motd, 0u);
    for (const char* path : { "//etc///motd", "/./etc/./motd", "/etc/selftest/../motd",
                              "/../../etc/motd", "/etc/motd.link", "/etc/selftest/up",
                              "/etc/selftest/motd-abs", "/etc/selftest/nested/deeper/../../../motd" })
        EXPECT_EQ(stat_or_zero(path).ino, motd);
    EXPECT_EQ(stat_or_zero("/etc/selftest/nested-link/deeper/leaf.txt").size, 5u);
    EXPECT_EQ(stat_or_zero("/etc/selftest/nested-link/").mode & S_IFMT, S_IFDIR);
    EXPECT_EQ(stat_or_zero("/etc/selftest/nested-link", false).mode & S_IFMT, S_IFLNK);
    EXPECT_EQ(stat_or_zero("/").ino, stat_or_zero("/..").ino);

    FileStat st;
    EXPECT_EQ(to_syscall_result(fs::stat("", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/nope", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/motd/", st, true)), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/motd/x", st, true)), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/selftest/loop", st, true)), -ELOOP);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/selftest/loop", st, false)), 0);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/selftest/dangling", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/etc/selftest/dangling", st, false)), 0);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/selftest/nested-link")), 0);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/motd")), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/nope")), -ENOENT);

    memset(path_buf, 'n', 257);
    path_buf[0] = '/';
    path_buf[257] = '\0';
    EXPECT_EQ(to_syscall_result(fs::stat(path_buf, st, true)), -ENAMETOOLONG);      /* a 256-byte name */
    for (size_t i = 0; i < PATH_MAX; i++)
        path_buf[i] = i % 2 ? '.' : '/';
    path_buf[PATH_MAX - 1] = '\0';
    EXPECT_EQ(to_syscall_result(fs::stat(path_buf, st, true)), 0);                 /* 4095 characters: the root */
    path_buf[PATH_MAX - 1] = '/';
    path_buf[PATH_MAX] = '\0';
    EXPECT_EQ(to_syscall_result(fs::stat(path_buf, st, true)), -ENAMETOOLONG);
}

KTEST(fs, readlink)
{
    REQUIRE_INITRD();
    char buf[32];
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/motd.link", buf, sizeof buf)), 4);
    EXPECT_EQ(memcmp(buf, "motd", 4), 0);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/selftest/motd-abs", buf, 4)), 4);
    EXPECT_EQ(memcmp(buf, "/etc", 4), 0);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/selftest/up", buf, sizeof buf)), 7);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/motd", buf, sizeof buf)), -EINVAL);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/selftest/nope", buf, sizeof buf)), -ENOENT);
}

KTEST(fs, open_flags)
{
    REQUIRE_INITRD();
    EXPECT_EQ(open_result("/etc/motd", O_RDONLY), 0);
    EXPECT_EQ(open_result("/etc/motd", O_WRONLY), -EROFS);
    EXPECT_EQ(open_result("/etc/motd", O_RDWR), -EROFS);
    EXPECT_EQ(open_result("/etc/motd", O_RDONLY | O_TRUNC), -EROFS);
    EXPECT_EQ(open_result("/etc/motd", O_RDONLY | O_CREAT), 0);
    EXPECT_EQ(open_result("/etc/motd", O_RDONLY | O_CREAT | O_EXCL), -EEXIST);
    EXPECT_EQ(open_result("/etc/new", O_WRONLY | O_CREAT), -EROFS);
    EXPECT_EQ(open_result("/nodir/new", O_WRONLY | O_CREAT), -ENOENT);
    EXPECT_EQ(open_result("/etc/motd", O_RDONLY | O_DIRECTORY), -ENOTDIR);
    EXPECT_EQ(open_result("/etc", O_WRONLY), -EISDIR);
    EXPECT_EQ(open_result("/etc", O_RDONLY | O_CREAT), -EISDIR);
    EXPECT_EQ(open_result("/etc/motd.link", O_RDONLY | O_NOFOLLOW), -ELOOP);
    EXPECT_EQ(open_result("/etc/selftest/loop", O_RDONLY), -ELOOP);
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc/selftest", O_RDONLY | O_DIRECTORY, f)), 0);
    char buf[8];
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), -EISDIR);
    f->put();
}

KTEST(fs, getdents64_lists_a_directory)
{
    REQUIRE_INITRD();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc/selftest", O_RDONLY | O_DIRECTORY, f)), 0);
    u8* buf = reinterpret_cast<u8*>(data_buf);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, 23)), -EINVAL);
    long n = to_syscall_result(f->getdents64(buf, 4096));
    ASSERT_GE(n, 24);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf + n, 4096)), 0);

    static const struct { const char* name; u8 type; } expected[] = {
        { ".", 4 }, { "..", 4 }, { "dangling", 10 }, { "hello.txt", 8 }, { "loop", 10 },
        { "motd-abs", 10 }, { "nested", 4 }, { "nested-link", 10 }, { "pattern.txt", 8 },
        { "tool", 8 }, { "up", 10 },
    };
    u32 found = 0, records = 0;
    for (long at = 0; at < n;) {
        LinuxDirent64 d;
        memcpy(&d, buf + at, sizeof d);
        const char* name = reinterpret_cast<const char*>(buf + at + DIRENT64_NAME_OFFSET);
        EXPECT_EQ(d.d_reclen % 8, 0);
        EXPECT_EQ(d.d_reclen, dirent64_reclen(strlen(name)));
        records++;
        for (const auto& e : expected) {
            if (strcmp(e.name, name) == 0) {
                found++;
                EXPECT_EQ(d.d_type, e.type);
                kfmt::snprintf(path_buf, sizeof path_buf, "/etc/selftest/%s", name);
                EXPECT_EQ(d.d_ino, u64(stat_or_zero(path_buf, false).ino));
            }
        }
        at += d.d_reclen;
    }
    EXPECT_EQ(found, array_size(expected));
    EXPECT_EQ(records, array_size(expected));
    f->put();
}

KTEST(fs, root_has_dev_and_proc)
{
    FileStat st;
    ASSERT_EQ(to_syscall_result(fs::stat("/dev", st, true)), 0);
    EXPECT_EQ(st.mode, S_IFDIR | 0755u);
    EXPECT_EQ(st.dev, DEVFS_DEV);
    ASSERT_EQ(to_syscall_result(fs::stat("/proc", st, true)), 0);
    EXPECT_EQ(st.mode, S_IFDIR | 0555u);
    EXPECT_EQ(st.dev, PROC_DEV);
    EXPECT_EQ(stat_or_zero("/proc/..").ino, stat_or_zero("/").ino);
    EXPECT_EQ(stat_or_zero("/dev/../dev/null").rdev, makedev(1, 3));
    EXPECT_EQ(to_syscall_result(check_directory("/dev/")), 0);
}

KTEST(fs, open_files_are_freed)
{
    REQUIRE_INITRD();
    static const char* const paths[] = { "/etc/motd", "/etc/selftest", "/", "/dev/null",
                                         "/dev/zero", "/dev", "/proc", "/proc/meminfo",
                                         "/etc/selftest/pattern.txt" };
    char buf[64];
    const u32 before = nr_free_pages();
    for (u32 round = 0; round < 50; round++) {
        File* files[array_size(paths)] = { };
        for (size_t i = 0; i < array_size(paths); i++)
            EXPECT_EQ(to_syscall_result(open_into(paths[i], O_RDONLY, files[i])), 0);
        for (File* f : files) {
            if (!f)
                continue;
            f->get();           /* as dup() does */
            if (to_syscall_result(f->read(buf, sizeof buf)) == -EISDIR)
                EXPECT_GT(to_syscall_result(f->getdents64(buf, sizeof buf)), 0);
            f->put();
            f->put();
        }
        EXPECT_EQ(open_result("/etc/motd", O_WRONLY), -EROFS);
        EXPECT_EQ(open_result("/nope", O_RDONLY), -ENOENT);
    }
    EXPECT_EQ(nr_free_pages(), before);
}
