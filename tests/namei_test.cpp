/* Path walks and open files on an initrd tree. */
#include "initrd_fixture.h"    /* first: see there */

using namespace fs;
using namespace initrd_test;

TEST_F(Initrd, ReadsAndSeeks)
{
    mount(standard_archive());
    EXPECT_EQ(read_all("/etc/motd"), "Welcome\n");
    EXPECT_EQ(read_all("/etc/empty"), "");
    EXPECT_EQ(read_all("/big", 999), std::string(10000, 'b'));

    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc/motd", O_RDONLY, f)), 0);
    char buf[16] = {};
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, 3, SEEK_SET, pos)), 0);
    EXPECT_EQ(pos, 3);
    EXPECT_EQ(to_syscall_result(f->read(buf, 3)), 3);
    EXPECT_EQ(std::string(buf, 3), "com");
    EXPECT_EQ(to_syscall_result(seek_into(*f, -2, SEEK_END, pos)), 0);
    EXPECT_EQ(pos, 6);
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 2);
    EXPECT_EQ(std::string(buf, 2), "e\n");
    EXPECT_EQ(to_syscall_result(seek_into(*f, -8, SEEK_CUR, pos)), 0);
    EXPECT_EQ(pos, 0);
    EXPECT_EQ(to_syscall_result(seek_into(*f, -1, SEEK_SET, pos)), -EINVAL);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, 3, pos)), -EINVAL);
    EXPECT_EQ(f->offset(), 0);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 100, SEEK_SET, pos)), 0);     /* past the end is allowed */
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 0);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, sizeof buf)), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(f->write("x", 1)), -EBADF);
    EXPECT_EQ(to_syscall_result(f->ioctl(0x5401, Userspace<void*>())), -ENOTTY);
    FileStat st;
    EXPECT_EQ(to_syscall_result(f->stat(st)), 0);
    EXPECT_EQ(st.size, 8u);
    EXPECT_EQ(st.ino, stat_of("/etc/motd").ino);
    f->put();
}


TEST_F(Initrd, ReadPageZeroFillsPastTheEnd)
{
    mount(standard_archive());
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/big", O_RDONLY, f)), 0);
    std::vector<uint8_t> page(4096, 0xEE);
    EXPECT_EQ(to_syscall_result(f->read_page(4096, page.data())), 4096);
    EXPECT_EQ(page, std::vector<uint8_t>(4096, 'b'));
    std::fill(page.begin(), page.end(), 0xEE);
    EXPECT_EQ(to_syscall_result(f->read_page(8192, page.data())), 10000 - 8192);
    for (size_t i = 0; i < page.size(); i++)
        ASSERT_EQ(page[i], i < 10000 - 8192 ? 'b' : 0) << i;
    std::fill(page.begin(), page.end(), 0xEE);
    EXPECT_EQ(to_syscall_result(f->read_page(12288, page.data())), 0);
    EXPECT_EQ(page, std::vector<uint8_t>(4096, 0));
    EXPECT_EQ(to_syscall_result(f->read_page(u64(1) << 40, page.data())), 0);
    EXPECT_EQ(f->offset(), 0);          /* read_page leaves the offset alone */
    f->put();
}


TEST_F(Initrd, PathWalks)
{
    mount(standard_archive());
    const u32 motd = stat_of("/etc/motd").ino;
    for (const char* path : { "/etc/motd", "//etc///motd", "/./etc/./motd", "/etc/../etc/motd",
                              "/../../etc/motd", "/etc/motd.link", "/etc/abs", "/etc/up",
                              "/etc/dir-link/../../../etc/motd", "etc/motd" })
        EXPECT_EQ(stat_of(path).ino, motd) << path;
    EXPECT_EQ(stat_of("/etc/dir-link/notes").uid, 1000u);
    /* ".." of a directory reached through a symlink is the target's parent. */
    EXPECT_EQ(stat_of("/etc/dir-link/..").ino, stat_of("/home").ino);
    EXPECT_EQ(stat_of("/etc/").ino, stat_of("/etc").ino);
    EXPECT_EQ(stat_of("/etc/.").ino, stat_of("/etc").ino);
    EXPECT_EQ(stat_of("/").ino, stat_of("/..").ino);

    EXPECT_EQ(stat_error(""), -ENOENT);
    EXPECT_EQ(stat_error("/nope"), -ENOENT);
    EXPECT_EQ(stat_error("/nope/motd"), -ENOENT);
    EXPECT_EQ(stat_error("/etc/motd/"), -ENOTDIR);
    EXPECT_EQ(stat_error("/etc/motd/."), -ENOTDIR);
    EXPECT_EQ(stat_error("/etc/motd/x"), -ENOTDIR);
    EXPECT_EQ(stat_error("/etc/motd.link/x"), -ENOTDIR);
    EXPECT_EQ(stat_error("/etc/loop"), -ELOOP);
    EXPECT_EQ(stat_error("/etc/loop/x"), -ELOOP);
    EXPECT_EQ(stat_of("/etc/loop", false).mode & S_IFMT, S_IFLNK);
    EXPECT_EQ(stat_error("/etc/loop/", false), -ELOOP);     /* a slash makes lstat follow */
    EXPECT_EQ(stat_error("/etc/dangling"), -ENOENT);
    EXPECT_EQ(stat_of("/etc/dangling", false).mode & S_IFMT, S_IFLNK);
    EXPECT_EQ(stat_error("/etc/motd.link/", false), -ENOTDIR);
    EXPECT_EQ(stat_of("/etc/dir-link/", false).mode & S_IFMT, S_IFDIR);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/dir-link")), 0);
    EXPECT_EQ(to_syscall_result(check_directory("/etc/motd")), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(check_directory("/missing")), -ENOENT);
    EXPECT_EQ(to_syscall_result(check_directory("/")), 0);
}


TEST_F(Initrd, NameAndPathLengthLimits)
{
    mount(standard_archive());
    std::string name255(255, 'n'), name256(256, 'n');
    EXPECT_EQ(stat_error(("/etc/" + name255).c_str()), -ENOENT);
    EXPECT_EQ(stat_error(("/etc/" + name256).c_str()), -ENAMETOOLONG);
    EXPECT_EQ(stat_error(("/" + name256 + "/x").c_str()), -ENAMETOOLONG);
    /* PATH_MAX counts the NUL: 4095 characters may be walked, 4096 may not. */
    std::string path;
    while (path.size() < 4095 - 9)
        path += "/./././.";
    path.resize(4095 - 9, '/');
    path += "/etc/motd";
    ASSERT_EQ(path.size(), 4095u);
    EXPECT_EQ(stat_of(path.c_str()).ino, stat_of("/etc/motd").ino);
    path.insert(0, "/");
    EXPECT_EQ(stat_error(path.c_str()), -ENAMETOOLONG);
}


TEST_F(Initrd, SymlinkHopLimit)
{
    /* l0 -> l1 -> ... -> l8 -> target: following l1 takes 8 links, l0 takes 9. */
    std::vector<newc::Entry> entries = { newc::file("target", "t") };
    for (int i = 0; i < 9; i++)
        entries.push_back(newc::symlink("l" + std::to_string(i),
                                        i == 8 ? "target" : "l" + std::to_string(i + 1)));
    entries.push_back(newc::symlink("a", "b"));
    entries.push_back(newc::symlink("b", "a"));
    entries.push_back(newc::symlink("empty-target", ""));
    mount(newc::archive(entries));
    EXPECT_EQ(stats.skipped, 1u);               /* the empty target, as Linux refuses it */
    EXPECT_EQ(read_all("/l1"), "t");
    EXPECT_EQ(stat_error("/l0"), -ELOOP);
    EXPECT_EQ(stat_error("/a"), -ELOOP);
    EXPECT_EQ(stat_error("/empty-target", false), -ENOENT);
}


TEST_F(Initrd, OpenFlagsFollowLinux)
{
    mount(standard_archive());
    EXPECT_EQ(open_error("/etc/motd", O_RDONLY), 0);
    EXPECT_EQ(open_error("/etc/motd", O_WRONLY), -EROFS);
    EXPECT_EQ(open_error("/etc/motd", O_RDWR), -EROFS);
    EXPECT_EQ(open_error("/etc/motd", O_RDONLY | O_TRUNC), -EROFS);
    EXPECT_EQ(open_error("/etc/motd", O_RDONLY | O_CREAT), 0);
    EXPECT_EQ(open_error("/etc/motd", O_RDONLY | O_CREAT | O_EXCL), -EEXIST);
    EXPECT_EQ(open_error("/etc/motd.link", O_RDONLY | O_CREAT | O_EXCL), -EEXIST);
    EXPECT_EQ(open_error("/etc/new", O_RDONLY | O_CREAT), -EROFS);
    EXPECT_EQ(open_error("/etc/new", O_WRONLY | O_CREAT | O_EXCL), -EROFS);
    EXPECT_EQ(open_error("/etc/dangling", O_WRONLY | O_CREAT), -EROFS);
    EXPECT_EQ(open_error("/nodir/new", O_RDONLY | O_CREAT), -ENOENT);
    EXPECT_EQ(open_error("/etc/motd/new", O_RDONLY | O_CREAT), -ENOTDIR);
    EXPECT_EQ(open_error("/etc/new/", O_RDONLY | O_CREAT), -EISDIR);
    EXPECT_EQ(open_error("/etc/motd/", O_RDONLY | O_CREAT), -EISDIR);
    EXPECT_EQ(open_error("/etc", O_RDONLY | O_CREAT), -EISDIR);
    EXPECT_EQ(open_error("/", O_RDONLY | O_CREAT), -EISDIR);
    EXPECT_EQ(open_error("/etc/new", O_RDONLY), -ENOENT);
    EXPECT_EQ(open_error("/etc/motd", O_RDONLY | O_DIRECTORY), -ENOTDIR);
    EXPECT_EQ(open_error("/etc/dir-link", O_RDONLY | O_DIRECTORY), 0);
    EXPECT_EQ(open_error("/etc/dir-link", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), -ENOTDIR);
    EXPECT_EQ(open_error("/etc/motd.link", O_RDONLY | O_NOFOLLOW), -ELOOP);
    EXPECT_EQ(open_error("/etc/motd.link", O_RDONLY), 0);
    EXPECT_EQ(open_error("/etc", O_WRONLY), -EISDIR);
    EXPECT_EQ(open_error("/etc", O_RDWR), -EISDIR);
    EXPECT_EQ(open_error("/etc", O_RDONLY | O_TRUNC), 0);
    EXPECT_EQ(open_error("/etc/loop", O_RDONLY), -ELOOP);

    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc/motd", O_RDONLY | O_CREAT | O_NOCTTY | O_NONBLOCK | O_APPEND, f)), 0);
    EXPECT_EQ(f->flags(), O_RDONLY | O_NONBLOCK | O_APPEND);
    f->put();
    ASSERT_EQ(to_syscall_result(open_into("/etc", O_RDONLY, f)), 0);
    char buf[64];
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), -EISDIR);
    f->put();
}


TEST_F(Initrd, Readlink)
{
    mount(standard_archive());
    char buf[64];
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/motd.link", buf, sizeof buf)), 4);
    EXPECT_EQ(std::string(buf, 4), "motd");
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/abs", buf, 4)), 4);     /* truncated, no NUL */
    EXPECT_EQ(std::string(buf, 4), "/etc");
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/dangling", buf, sizeof buf)), 7);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/motd", buf, sizeof buf)), -EINVAL);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc", buf, sizeof buf)), -EINVAL);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/dir-link/", buf, sizeof buf)), -EINVAL);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/nope", buf, sizeof buf)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::readlink("/etc/motd.link", buf, 0)), -EINVAL);
}


TEST_F(Initrd, Getdents64)
{
    mount(standard_archive());
    auto etc = list_by_name("/etc");
    std::vector<std::string> names;
    for (const Record& r : list("/etc"))
        names.push_back(r.name);
    /* ".", "..", then archive order. */
    EXPECT_EQ(names, (std::vector<std::string> { ".", "..", "motd", "empty", "motd.link", "abs",
                                                 "up", "loop", "dangling", "dir-link",
                                                 "file-link" }));
    EXPECT_EQ(etc["."].ino, stat_of("/etc").ino);
    EXPECT_EQ(etc[".."].ino, stat_of("/").ino);
    EXPECT_EQ(etc["."].type, 4);       /* DT_DIR */
    EXPECT_EQ(etc["motd"].type, 8);    /* DT_REG */
    EXPECT_EQ(etc["abs"].type, 10);    /* DT_LNK */
    EXPECT_EQ(etc["motd"].ino, stat_of("/etc/motd").ino);
    auto root = list_by_name("/");
    EXPECT_EQ(root[".."].ino, root["."].ino);

    /* Buffers that hold one record at a time give the same listing. */
    std::vector<std::string> one_by_one;
    for (const Record& r : list("/etc", 32))
        one_by_one.push_back(r.name);
    EXPECT_EQ(one_by_one, names);

    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/etc", O_RDONLY, f)), 0);
    uint8_t buf[512];
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, 23)), -EINVAL);     /* "." needs 24 */
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, 24)), 24);
    i64 cursor;
    std::memcpy(&cursor, buf + 8, 8);
    long n = to_syscall_result(f->getdents64(buf, sizeof buf));
    EXPECT_GT(n, 0);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, sizeof buf)), 0);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, sizeof buf)), 0);
    /* Seeking to a d_off resumes there. */
    i64 pos;
    EXPECT_EQ(to_syscall_result(seek_into(*f, cursor, SEEK_SET, pos)), 0);
    uint8_t again[512];
    ASSERT_EQ(to_syscall_result(f->getdents64(again, sizeof again)), n);
    EXPECT_EQ(std::memcmp(again, buf, size_t(n)), 0);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, SEEK_END, pos)), -EINVAL);
    EXPECT_EQ(to_syscall_result(seek_into(*f, -1, SEEK_SET, pos)), -EINVAL);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, SEEK_SET, pos)), 0);
    EXPECT_EQ(to_syscall_result(f->getdents64(buf, 24)), 24);
    EXPECT_STREQ(reinterpret_cast<const char*>(buf + 19), ".");
    f->put();
}

