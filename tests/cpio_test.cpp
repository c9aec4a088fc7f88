/* Kernel headers first: their errno and SEEK_ names are macros in the host's C library. */
#include <fs/cpio.h>

#include "newc.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Parsed {
    std::string name;
    uint32_t mode, uid, gid, nlink, mtime, ino, rdev_major, rdev_minor;
    std::string data;
};

struct Result {
    std::vector<Parsed> entries;
    cpio::Reader::Status status;
    cpio::Error error;
    size_t error_offset;
};

Result parse(const void* data, size_t size)
{
    Result result;
    cpio::Reader reader(data, size);
    cpio::Entry e;
    while ((result.status = reader.next(e)) == cpio::Reader::Status::Entry) {
        EXPECT_EQ(std::strlen(e.name), e.name_length);
        result.entries.push_back({ std::string(e.name, e.name_length), e.mode, e.uid, e.gid,
                                   e.nlink, e.mtime, e.ino, e.rdev_major, e.rdev_minor,
                                   std::string(reinterpret_cast<const char*>(e.data), e.size) });
    }
    result.error = reader.error();
    result.error_offset = reader.error_offset();
    /* Once finished, it stays finished. */
    EXPECT_EQ(reader.next(e), result.status);
    return result;
}

Result parse(const std::string& s) { return parse(s.data(), s.size()); }

/*
 * The archive placed so that its last byte is the last one before an inaccessible page:
 * a read past the end is a crash, not a silent success.
 */
class GuardedBuffer {
public:
    explicit GuardedBuffer(const std::string& bytes)
    {
        long page = sysconf(_SC_PAGESIZE);
        m_pages = (bytes.size() + page - 1) / page + 1;
        m_length = m_pages * page;
        m_base = static_cast<char*>(mmap(nullptr, m_length, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        EXPECT_NE(m_base, MAP_FAILED);
        mprotect(m_base + m_length - page, page, PROT_NONE);
        m_data = m_base + m_length - page - bytes.size();
        std::memcpy(m_data, bytes.data(), bytes.size());
        m_size = bytes.size();
    }
    ~GuardedBuffer() { munmap(m_base, m_length); }
    const char* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    char* m_base;
    char* m_data;
    size_t m_pages, m_length, m_size;
};

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string sample_archive()
{
    return newc::archive({ newc::dir("etc"), newc::file("etc/motd", "hello\n"),
                           newc::symlink("etc/link", "motd"), newc::file("empty", "") });
}

} // namespace

TEST(Cpio, LiteralArchiveFromTheFormatDescription)
{
    /* Written out by hand: one file "a" holding "hi\n", then the trailer. */
    static const char bytes[] =
        "070701" "00000001" "000081A4" "000003E8" "00000064" "00000001" "5F5E0FF0"
        "00000003" "00000000" "00000000" "00000000" "00000000" "00000002" "00000000"
        "a\0"
        "hi\n\0"
        "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
        "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
        "TRAILER!!!\0\0\0\0";
    static_assert(sizeof bytes - 1 == 112 + 4 + 124);
    Result r = parse(bytes, sizeof bytes - 1);
    ASSERT_EQ(r.status, cpio::Reader::Status::End);
    ASSERT_EQ(r.entries.size(), 1u);
    EXPECT_EQ(r.entries[0].name, "a");
    EXPECT_EQ(r.entries[0].mode, 0100644u);
    EXPECT_EQ(r.entries[0].uid, 1000u);
    EXPECT_EQ(r.entries[0].gid, 100u);
    EXPECT_EQ(r.entries[0].mtime, 0x5F5E0FF0u);
    EXPECT_EQ(r.entries[0].data, "hi\n");
}

TEST(Cpio, WrittenEntriesComeBack)
{
    newc::Entry dev;
    dev.name = "dev/hda";
    dev.mode = 060660;
    dev.rdev_major = 3;
    dev.rdev_minor = 64;
    std::string archive = newc::archive({ newc::dir("etc"), newc::file("etc/motd", "hello\n"),
                                          newc::symlink("etc/link", "motd"), dev,
                                          newc::file("odd", std::string(4097, 'x')) });
    Result r = parse(archive);
    ASSERT_EQ(r.status, cpio::Reader::Status::End);
    ASSERT_EQ(r.entries.size(), 5u);
    EXPECT_EQ(r.entries[0].name, "etc");
    EXPECT_EQ(r.entries[0].mode, 040755u);
    EXPECT_EQ(r.entries[1].data, "hello\n");
    EXPECT_EQ(r.entries[2].mode, 0120777u);
    EXPECT_EQ(r.entries[2].data, "motd");
    EXPECT_EQ(r.entries[3].rdev_major, 3u);
    EXPECT_EQ(r.entries[3].rdev_minor, 64u);
    EXPECT_EQ(r.entries[4].data.size(), 4097u);
}

TEST(Cpio, ArchiveMadeByTheCpioTool)
{
    char dir_template[] = "/tmp/ferrite-cpio-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string dir = dir_template;
    std::string archive_path = dir + ".cpio";
    std::string binary;
    for (int i = 0; i < 3 * 256; i++)
        binary.push_back(char(i));
    {
        ASSERT_EQ(mkdir((dir + "/sub").c_str(), 0750), 0);
        std::ofstream(dir + "/a.txt") << "alpha\n";
        std::ofstream(dir + "/sub/b.bin", std::ios::binary) << binary;
        std::ofstream(dir + "/sub/empty");
        ASSERT_EQ(chmod((dir + "/a.txt").c_str(), 0640), 0);
        ASSERT_EQ(chmod((dir + "/sub").c_str(), 0750), 0);
        ASSERT_EQ(symlink("a.txt", (dir + "/link").c_str()), 0);
        ASSERT_EQ(link((dir + "/a.txt").c_str(), (dir + "/hard").c_str()), 0);
    }
    std::string command = "cd " + dir + " && find . | LC_ALL=C sort | cpio --quiet -o -H newc > " +
                          archive_path;
    ASSERT_EQ(std::system(command.c_str()), 0)
        << "could not run the cpio tool (Debian package cpio): " << command;
    std::string archive = read_file(archive_path);
    std::system(("rm -rf " + dir + " " + archive_path).c_str());

    GuardedBuffer buffer(archive);
    Result r = parse(buffer.data(), buffer.size());
    ASSERT_EQ(r.status, cpio::Reader::Status::End) << cpio::error_string(r.error);
    std::map<std::string, Parsed> by_name;
    /* GNU cpio 2.13 drops the "./" that find prints; older versions keep it. */
    for (const Parsed& p : r.entries)
        by_name[p.name.rfind("./", 0) == 0 ? p.name.substr(2) : p.name] = p;
    ASSERT_EQ(by_name.size(), 7u);     /* . a.txt hard link sub sub/b.bin sub/empty */
    ASSERT_TRUE(by_name.count("."));
    EXPECT_EQ(by_name["a.txt"].mode, 0100640u);
    EXPECT_EQ(by_name["sub"].mode, 040750u);
    EXPECT_EQ(by_name["sub/b.bin"].data, binary);
    EXPECT_EQ(by_name["sub/empty"].data, "");
    EXPECT_EQ(by_name["link"].mode & 0170000, 0120000u);
    EXPECT_EQ(by_name["link"].data, "a.txt");
    /* Hard links: one inode, and GNU cpio stores the data with the last name only. */
    EXPECT_EQ(by_name["a.txt"].ino, by_name["hard"].ino);
    EXPECT_EQ(by_name["a.txt"].nlink, 2u);
    EXPECT_EQ(by_name["a.txt"].data + by_name["hard"].data, "alpha\n");
    /* The tool pads the archive to 512 bytes with zeros after the trailer. */
    EXPECT_EQ(archive.size() % 512, 0u);
}

TEST(Cpio, EmptyInputAndZeroPaddingAreEmptyArchives)
{
    EXPECT_EQ(parse("", 0).status, cpio::Reader::Status::End);
    std::string zeros(1024, '\0');
    Result r = parse(zeros);
    EXPECT_EQ(r.status, cpio::Reader::Status::End);
    EXPECT_TRUE(r.entries.empty());
}

TEST(Cpio, ConcatenatedArchivesAsLinuxAllows)
{
    std::string archive = sample_archive() + std::string(512, '\0') +
                          newc::archive({ newc::file("second", "2") });
    Result r = parse(archive);
    ASSERT_EQ(r.status, cpio::Reader::Status::End);
    ASSERT_EQ(r.entries.size(), 5u);
    EXPECT_EQ(r.entries[4].name, "second");
}

TEST(Cpio, ChecksumFormat)
{
    newc::Entry e = newc::file("sum", "abc");
    e.magic = "070702";
    e.check = 'a' + 'b' + 'c';
    Result good = parse(newc::archive({ e }));
    EXPECT_EQ(good.status, cpio::Reader::Status::End);
    ASSERT_EQ(good.entries.size(), 1u);
    e.check++;
    Result bad = parse(newc::archive({ e }));
    EXPECT_EQ(bad.status, cpio::Reader::Status::Error);
    EXPECT_EQ(bad.error, cpio::Error::BadChecksum);
}

TEST(Cpio, MalformedArchivesAreRejected)
{
    const std::string good = sample_archive();
    struct Case {
        const char* what;
        std::string bytes;
        cpio::Error error;
        size_t entries_before;
    };
    std::vector<Case> cases;

    std::string odc = good;
    odc[5] = '7';       /* 070707: the old portable format */
    cases.push_back({ "bad magic", odc, cpio::Error::BadMagic, 0 });
    cases.push_back({ "text", std::string("hello world, this is not an archive at all") +
                                  std::string(100, '!'), cpio::Error::BadMagic, 0 });
    cases.push_back({ "truncated header", good.substr(0, 50), cpio::Error::TruncatedHeader, 0 });

    std::string bad_hex = good;
    bad_hex[6 + 8 + 3] = 'g';       /* in the mode field */
    cases.push_back({ "bad hex", bad_hex, cpio::Error::BadHexField, 0 });

    newc::Entry huge_name = newc::file("x", "");
    huge_name.name_size = 0xFFFFFFF0;
    cases.push_back({ "name size past the end", newc::archive({ huge_name }),
                      cpio::Error::NamePastEnd, 0 });
    newc::Entry zero_name = newc::file("x", "");
    zero_name.name_size = 0;
    cases.push_back({ "name size 0", newc::archive({ zero_name }), cpio::Error::BadNameSize, 0 });
    newc::Entry unterminated = newc::file("abc", "");
    unterminated.name_size = 2;     /* "ab" without its NUL */
    cases.push_back({ "name not NUL-terminated", newc::archive({ unterminated }),
                      cpio::Error::BadNameSize, 0 });

    newc::Entry huge_data = newc::file("x", "abc");
    huge_data.file_size = 0xFFFFFFF0;
    cases.push_back({ "data past the end", newc::archive({ newc::file("ok", "1"), huge_data }),
                      cpio::Error::DataPastEnd, 1 });

    std::string no_trailer;
    newc::append(no_trailer, newc::file("a", "1"));
    newc::append(no_trailer, newc::file("b", "2"));
    cases.push_back({ "no trailer", no_trailer, cpio::Error::MissingTrailer, 2 });
    cases.push_back({ "garbage after the trailer", good + "junk", cpio::Error::BadMagic, 4 });
    cases.push_back({ "unaligned archive after the trailer", good + std::string(1, '\0') +
                                                                 good, cpio::Error::BadMagic, 4 });

    for (const Case& c : cases) {
        GuardedBuffer buffer(c.bytes);
        Result r = parse(buffer.data(), buffer.size());
        EXPECT_EQ(r.status, cpio::Reader::Status::Error) << c.what;
        EXPECT_EQ(r.error, c.error) << c.what << ": " << cpio::error_string(r.error);
        EXPECT_EQ(r.entries.size(), c.entries_before) << c.what;
        EXPECT_LE(r.error_offset, c.bytes.size()) << c.what;
        EXPECT_STRNE(cpio::error_string(r.error), "unknown error");
    }
}

TEST(Cpio, EveryTruncationIsAnErrorWithinBounds)
{
    const std::string good = sample_archive();
    for (size_t length = 1; length < good.size(); length++) {
        GuardedBuffer buffer(good.substr(0, length));
        Result r = parse(buffer.data(), buffer.size());
        /* The trailer's own padding may be cut off; nothing else may be. */
        if (length >= good.size() - 3)
            EXPECT_EQ(r.status, cpio::Reader::Status::End) << length;
        else
            EXPECT_EQ(r.status, cpio::Reader::Status::Error) << length;
    }
}

TEST(Cpio, RandomCorruptionNeverReadsOutOfBounds)
{
    const std::string good = sample_archive();
    std::mt19937 rng(12345);
    for (int round = 0; round < 3000; round++) {
        std::string bytes = good;
        int changes = 1 + int(rng() % 4);
        for (int i = 0; i < changes; i++) {
            size_t at = rng() % bytes.size();
            /* Mostly hex digits, so that the corruption gets past the field parser. */
            bytes[at] = rng() % 4 ? "0123456789abcdefF"[rng() % 17] : char(rng());
        }
        bytes.resize(bytes.size() - rng() % 64);
        GuardedBuffer buffer(bytes);
        Result r = parse(buffer.data(), buffer.size());
        for (const Parsed& p : r.entries)
            EXPECT_LE(p.data.size(), bytes.size());
    }
}
