/* A test fixture: an initrd tree built from an archive and mounted as the root. */
#pragma once

/* Kernel headers first: their errno and SEEK_ names are macros in the host's C library. */
#include <fs/device.h>
#include <fs/initrd.h>
#include <fs/test_support.h>

#include "newc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace initrd_test {

using namespace fs;

struct Record {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
    std::string name;
};

class Initrd : public ::testing::Test {
protected:
    void mount(std::string archive)
    {
        unmount();
        m_archive = std::move(archive);
        m_root = build_initrd_tree(m_archive.data(), m_archive.size(), stats);
        ASSERT_NE(m_root, nullptr);
        set_root(m_root);
    }
    void unmount()
    {
        if (m_root)
            release_node(m_root);
        m_root = nullptr;
        set_root(nullptr);
    }
    void TearDown() override { unmount(); }

    FileStat stat_of(const char* path, bool follow = true)
    {
        FileStat st {};
        long r = to_syscall_result(fs::stat(path, st, follow));
        EXPECT_EQ(r, 0) << path;
        return st;
    }
    long stat_error(const char* path, bool follow = true)
    {
        FileStat st;
        return to_syscall_result(fs::stat(path, st, follow));
    }
    long open_error(const char* path, u32 flags)
    {
        File* f = nullptr;
        long r = to_syscall_result(open_into(path, flags, f));
        if (f) {
            EXPECT_EQ(r, 0);
            f->put();
        }
        return r;
    }
    std::string read_all(const char* path, size_t chunk = 7)
    {
        File* f = nullptr;
        long r = to_syscall_result(open_into(path, O_RDONLY, f));
        EXPECT_EQ(r, 0) << path;
        if (r)
            return "<" + std::to_string(r) + ">";
        std::string out;
        std::vector<char> buf(chunk);
        while ((r = to_syscall_result(f->read(buf.data(), chunk))) > 0)
            out.append(buf.data(), size_t(r));
        EXPECT_EQ(r, 0);
        f->put();
        return out;
    }
    std::vector<Record> list(const char* path, size_t buffer_size = 4096)
    {
        std::vector<Record> records;
        File* f = nullptr;
        EXPECT_EQ(to_syscall_result(open_into(path, O_RDONLY | O_DIRECTORY, f)), 0) << path;
        if (!f)
            return records;
        std::vector<uint8_t> buf(buffer_size);
        long n;
        while ((n = to_syscall_result(f->getdents64(buf.data(), buf.size()))) > 0) {
            for (long at = 0; at < n;) {
                Record r;
                std::memcpy(&r.ino, &buf[at], 8);
                std::memcpy(&r.off, &buf[at + 8], 8);
                std::memcpy(&r.reclen, &buf[at + 16], 2);
                r.type = buf[at + 18];
                r.name = reinterpret_cast<const char*>(&buf[at + 19]);
                EXPECT_EQ(r.reclen % 8, 0);
                EXPECT_EQ(r.reclen, (19 + r.name.size() + 1 + 7) / 8 * 8);
                EXPECT_LE(at + r.reclen, n);
                records.push_back(r);
                at += r.reclen;
            }
        }
        EXPECT_EQ(n, 0);
        f->put();
        return records;
    }
    std::map<std::string, Record> list_by_name(const char* path)
    {
        std::map<std::string, Record> out;
        for (const Record& r : list(path))
            out[r.name] = r;
        return out;
    }

    InitrdStats stats;

private:
    std::string m_archive;
    RamDirectory* m_root = nullptr;
};

inline std::string standard_archive()
{
    newc::Entry root = newc::dir(".", 040711);
    root.mtime = 1234;
    newc::Entry owned = newc::file("./home/user/notes", "notes\n", 0100600);
    owned.uid = 1000;
    owned.gid = 100;
    owned.mtime = 1700000000;
    return newc::archive({
        root, newc::dir("./etc"), newc::file("./etc/motd", "Welcome\n"),
        newc::file("./etc/empty", ""), newc::symlink("./etc/motd.link", "motd"),
        newc::symlink("./etc/abs", "/etc/motd"), newc::symlink("./etc/up", "../etc/motd"),
        newc::symlink("./etc/loop", "loop"), newc::symlink("./etc/dangling", "nowhere"),
        newc::symlink("./etc/dir-link", "/home/user"), newc::symlink("./etc/file-link/", "motd"),
        owned, newc::file("./bin/tool", "#!\n", 0100755),
        newc::file("big", std::string(10000, 'b')),
    });
}

} // namespace initrd_test
