/*
 * End to end: build/host/mkswap writes areas that the kernel's parser and util-linux's
 * blkid accept, and the parser accepts what util-linux's mkswap writes. The external tools
 * must be there: a missing one is a failure, not a skip.
 */
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <fcntl.h>
#include <spawn.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

/* After the system headers: kernel/types.h defines __used and friends. */
#include <mm/swap_header.h>

extern char** environ;

namespace fs = std::filesystem;

namespace {

struct Outcome {
    int status = -1;            /* the exit status; -1 if it did not exit */
    std::string out, err;
};

std::string slurp(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/* Runs argv[0] (a path) with stdout and stderr captured through files in dir. */
Outcome run(const fs::path& dir, const std::vector<std::string>& args)
{
    std::vector<char*> argv;
    for (const std::string& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    fs::path out = dir / ".stdout", err = dir / ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    Outcome r;
    int e = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (e) {
        r.err = std::string("cannot run ") + args[0] + ": " + std::strerror(e);
        return r;
    }
    int wstatus;
    waitpid(pid, &wstatus, 0);
    if (WIFEXITED(wstatus))
        r.status = WEXITSTATUS(wstatus);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

/* An executable named name on PATH or in the sbin directories (not on a user's PATH). */
std::optional<fs::path> find_tool(const std::string& name)
{
    std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
    dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
    std::stringstream s(dirs);
    for (std::string dir; std::getline(s, dir, ':');) {
        fs::path p = fs::path(dir) / name;
        if (!dir.empty() && access(p.c_str(), X_OK) == 0)
            return p;
    }
    return std::nullopt;
}

/* The unit-test binary sits beside build/host/mkswap. */
fs::path our_mkswap() { return fs::read_symlink("/proc/self/exe").parent_path() / "mkswap"; }

std::vector<u32> bad_pages(const u8* page, const mm::SwapHeader& h)
{
    std::vector<u8> map(h.nr_pages);
    mm::fill_swap_map(page, h, map.data(), h.nr_pages);
    std::vector<u32> bad;
    for (u32 nr = 0; nr < map.size(); nr++)
        if (map[nr] == mm::SWAP_MAP_BAD)
            bad.push_back(nr);
    return bad;
}

/* "xxxxxxxx-xxxx-..." to its 16 bytes. */
std::string uuid_bytes(const std::string& text)
{
    std::string hex;
    for (char c : text)
        if (c != '-')
            hex += c;
    std::string bytes;
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    return bytes;
}

class Mkswap : public ::testing::Test {
protected:
    void SetUp() override
    {
        char tmpl[] = "/tmp/ferrite-mkswap-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir = tmpl;
        mkswap = our_mkswap();
        ASSERT_EQ(access(mkswap.c_str(), X_OK), 0) << mkswap << " is missing: run make";
    }
    void TearDown() override { fs::remove_all(dir); }

    fs::path file(const std::string& name) const { return dir / name; }

    /* A file of pages pages, every byte fill. */
    fs::path make_file(const std::string& name, u32 pages, char fill = 0)
    {
        fs::path p = file(name);
        std::ofstream(p, std::ios::binary) << std::string(size_t(pages) * PAGE_SIZE, fill);
        return p;
    }

    Outcome ours(std::vector<std::string> args)
    {
        args.insert(args.begin(), mkswap.string());
        return run(dir, args);
    }

    /* Parses page 0 of path as swapon would, the device being the whole file. */
    int parse(const fs::path& path, mm::SwapHeader& h)
    {
        std::string data = slurp(path);
        if (data.size() < PAGE_SIZE)
            return -EIO;
        std::memcpy(page, data.data(), PAGE_SIZE);
        return int(to_syscall_result(mm::parse_swap_header(page, u32(data.size() / PAGE_SIZE), h)));
    }

    fs::path dir, mkswap;
    u8 page[PAGE_SIZE];
};

} // namespace

TEST_F(Mkswap, Version0WholeFile)
{
    fs::path f = make_file("v0", 64);
    Outcome r = ours({ f });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Setting up swapspace version 0, size = 252 KiB (258048 bytes)\n");
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.version, mm::SwapVersion::V0);
    EXPECT_EQ(h.nr_pages, 64u);
    EXPECT_EQ(h.nr_good_pages, 63u);
    EXPECT_EQ(bad_pages(page, h), std::vector<u32> { 0 });
    EXPECT_EQ(std::memcmp(page + 4086, "SWAP-SPACE", 10), 0);
}

TEST_F(Mkswap, Version0BadPages)
{
    fs::path f = make_file("v0bad", 16);
    Outcome r = ours({ "-v0", "-b", "2", "-b", "9,7,15", f });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, "Setting up swapspace version 0, size = 44 KiB (45056 bytes)\n");
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 15u);             /* page 15 is bad: the bitmap ends at 14 */
    EXPECT_EQ(h.nr_good_pages, 11u);
    EXPECT_EQ(bad_pages(page, h), (std::vector<u32> { 0, 2, 7, 9 }));
}

TEST_F(Mkswap, Version1BadPages)
{
    fs::path f = make_file("v1", 100, '\xEE');
    Outcome r = ours({ "-v1", "-b", "3,99,5,3", f });
    ASSERT_EQ(r.status, 0) << r.err;
    std::smatch m;
    std::regex expected("Setting up swapspace version 1, size = 384 KiB \\(393216 bytes\\)\n"
                        "no label, UUID=([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\n");
    ASSERT_TRUE(std::regex_match(r.out, m, expected)) << r.out;
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.version, mm::SwapVersion::V1);
    EXPECT_EQ(h.nr_pages, 100u);
    EXPECT_EQ(h.nr_good_pages, 96u);
    EXPECT_EQ(bad_pages(page, h), (std::vector<u32> { 0, 3, 5, 99 }));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(page) + mm::SWAP_V1_UUID_OFFSET, 16), uuid_bytes(m[1]));
    /* The rest of the page is zero: boot bits, label, padding, the unused list. */
    for (u32 i = 0; i < mm::SWAP_SIGNATURE_OFFSET; i++) {
        bool field = (i >= 1024 && i < 1036 + 16) || (i >= 1536 && i < 1536 + 3 * 4);
        if (!field) {
            ASSERT_EQ(page[i], 0) << "byte " << i;
        }
    }
}

TEST_F(Mkswap, WritesOnlyPageZero)
{
    for (const char* version : { "-v0", "-v1" }) {
        fs::path f = make_file("keep", 32, '\xA5');
        ASSERT_EQ(ours({ version, "-b", "4", f }).status, 0);
        std::string data = slurp(f);
        ASSERT_EQ(data.size(), 32u * PAGE_SIZE);
        EXPECT_EQ(data.substr(PAGE_SIZE), std::string(31 * PAGE_SIZE, '\xA5')) << version;
    }
}

TEST_F(Mkswap, PagesExtendsAShortFileOrCreatesOne)
{
    fs::path f = make_file("short", 3, '\x5A');
    ASSERT_EQ(ours({ f, "16" }).status, 0);
    std::string data = slurp(f);
    ASSERT_EQ(data.size(), 16u * PAGE_SIZE);
    EXPECT_EQ(data.substr(PAGE_SIZE, 2 * PAGE_SIZE), std::string(2 * PAGE_SIZE, '\x5A'));
    EXPECT_EQ(data.substr(3 * PAGE_SIZE), std::string(13 * PAGE_SIZE, '\0'));
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 16u);

    fs::path created = file("created");
    ASSERT_EQ(ours({ "-v1", created, "8" }).status, 0);
    EXPECT_EQ(fs::file_size(created), 8u * PAGE_SIZE);
    EXPECT_EQ(fs::status(created).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    ASSERT_EQ(parse(created, h), 0);
    EXPECT_EQ(h.nr_pages, 8u);

    /* Without PAGES there is nothing to size a new file by. */
    Outcome r = ours({ file("absent") });
    EXPECT_EQ(r.status, 1);
    EXPECT_FALSE(fs::exists(file("absent")));
}

TEST_F(Mkswap, PagesSmallerThanTheFile)
{
    fs::path f = make_file("long", 64);
    ASSERT_EQ(ours({ "-v1", f, "10" }).status, 0);
    EXPECT_EQ(fs::file_size(f), 64u * PAGE_SIZE);
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 10u);
    ASSERT_EQ(ours({ "-v0", f, "10" }).status, 0);
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 10u);
}

TEST_F(Mkswap, Version0StopsAt32688Pages)
{
    fs::path f = file("big");
    std::ofstream(f).close();
    fs::resize_file(f, 40000u * PAGE_SIZE);
    Outcome r = ours({ f });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("32688"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "Setting up swapspace version 0, size = 130748 KiB (133885952 bytes)\n");
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 32688u);
    EXPECT_EQ(h.nr_good_pages, 32687u);
    /* -b past the area, though inside the file. */
    EXPECT_EQ(ours({ "-b", "35000", f }).status, 1);
}

TEST_F(Mkswap, Version1BadPageLimit)
{
    fs::path f = make_file("many", 1000);
    std::string list;
    for (u32 nr = 1; nr <= mm::SWAP_V1_MAX_BADPAGES; nr++)
        list += (nr > 1 ? "," : "") + std::to_string(nr);
    ASSERT_EQ(ours({ "-v1", "-b", list, f }).status, 0);
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_good_pages, 999u - 637u);
    EXPECT_EQ(ours({ "-v1", "-b", list + ",900", f }).status, 1);
}

TEST_F(Mkswap, RefusesBadRequestsAndLeavesTheFileAlone)
{
    fs::path f = make_file("victim", 8, '\x33');
    fs::path tiny = make_file("tiny", 1, '\x33');
    const std::vector<std::vector<std::string>> cases = {
        { },                                    /* no FILE */
        { f, "8", "9" },                        /* too many arguments */
        { "-v2", f },
        { "-x", f },
        { "-b", "0", f },                       /* the header page */
        { "-b", "8", f },                       /* past the end */
        { "-b", "1,,2", f },
        { "-b", "-1", f },
        { "-b", "two", f },
        { f, "8x" },
        { f, "-5" },
        { f, "1" },                             /* no page to swap to */
        { tiny },
        { "-b", "1", f, "2" },                  /* every page but the header bad */
        { "-v1", "-b", "1,2,3,4,5,6,7", f },
        { dir },                                /* a directory */
        { file("no/such/dir"), "8" },
    };
    for (const auto& args : cases) {
        Outcome r = ours(args);
        std::string shown;
        for (const std::string& a : args)
            shown += " " + a;
        EXPECT_EQ(r.status, 1) << "mkswap" << shown;
        EXPECT_FALSE(r.err.empty()) << "mkswap" << shown << ": no message";
        EXPECT_EQ(slurp(f), std::string(8 * PAGE_SIZE, '\x33')) << "mkswap" << shown;
    }
    EXPECT_EQ(slurp(tiny), std::string(PAGE_SIZE, '\x33'));
}

TEST_F(Mkswap, BlkidRecognisesBothVersions)
{
    std::optional<fs::path> blkid = find_tool("blkid");
    ASSERT_TRUE(blkid) << "blkid (util-linux) is not installed";
    fs::path v0 = make_file("blk0", 64);
    ASSERT_EQ(ours({ "-v0", "-b", "5", v0 }).status, 0);
    Outcome r = run(dir, { *blkid, "-p", "-o", "export", v0 });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\nTYPE=swap\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nVERSION=0\n"), std::string::npos) << r.out;

    fs::path v1 = make_file("blk1", 64);
    Outcome made = ours({ "-v1", "-b", "5", v1 });
    ASSERT_EQ(made.status, 0);
    std::string uuid = made.out.substr(made.out.find("UUID=") + 5, 36);
    r = run(dir, { *blkid, "-p", "-o", "export", v1 });
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("\nTYPE=swap\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nVERSION=1\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\nUUID=" + uuid + "\n"), std::string::npos) << r.out;
}

TEST_F(Mkswap, UtilLinuxAreaParses)
{
    std::optional<fs::path> theirs = find_tool("mkswap");
    ASSERT_TRUE(theirs) << "util-linux mkswap is not installed";
    Outcome version = run(dir, { *theirs, "--version" });
    ASSERT_NE(version.out.find("util-linux"), std::string::npos) << *theirs << " is not util-linux's mkswap";

    const std::string uuid = "0a1b2c3d-4e5f-4071-8293-a4b5c6d7e8f9";
    fs::path f = make_file("ul", 256);
    Outcome r = run(dir, { *theirs, "-q", "-p", "4096", "-U", uuid, "-L", "ferrite", f });
    ASSERT_EQ(r.status, 0) << r.err;
    mm::SwapHeader h;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.version, mm::SwapVersion::V1);
    EXPECT_EQ(h.nr_pages, 256u);
    EXPECT_EQ(h.nr_good_pages, 255u);
    EXPECT_EQ(bad_pages(page, h), std::vector<u32> { 0 });
    /* The layout this parser and our mkswap assume is the one util-linux writes. */
    EXPECT_EQ(std::string(reinterpret_cast<char*>(page) + mm::SWAP_V1_UUID_OFFSET, 16), uuid_bytes(uuid));
    EXPECT_STREQ(reinterpret_cast<char*>(page) + mm::SWAP_V1_LABEL_OFFSET, "ferrite");

    /* Its size argument counts KiB: 512 KiB is 128 pages of the 256. */
    r = run(dir, { *theirs, "-q", "-p", "4096", f, "512" });
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(parse(f, h), 0);
    EXPECT_EQ(h.nr_pages, 128u);
    EXPECT_EQ(h.highest_bit, 127u);
}
