/* The initrd tree: what each kind of archive entry becomes. */
#include "initrd_fixture.h"    /* first: see there */

#include <cstdio>

using namespace fs;
using namespace initrd_test;

TEST_F(Initrd, BuildsTheTreeWithImpliedDirectories)
{
    mount(standard_archive());
    EXPECT_EQ(stats.error, cpio::Error::None);
    EXPECT_EQ(stats.skipped, 0u);
    EXPECT_FALSE(stats.out_of_memory);
    /* home, home/user and bin are implied by the paths below them. */
    FileStat home = stat_of("/home");
    EXPECT_EQ(home.mode, S_IFDIR | 0755u);
    EXPECT_EQ(home.uid, 0u);
    EXPECT_EQ(stat_of("/bin").mode, S_IFDIR | 0755u);
    FileStat root = stat_of("/");
    EXPECT_EQ(root.mode, S_IFDIR | 0711u);     /* from the "." entry */
    EXPECT_EQ(root.mtime, 1234u);
    EXPECT_EQ(root.ino, 1u);
    EXPECT_EQ(root.nlink, 2u + 3u);            /* etc, home, bin */
    FileStat notes = stat_of("/home/user/notes");
    EXPECT_EQ(notes.mode, S_IFREG | 0600u);
    EXPECT_EQ(notes.uid, 1000u);
    EXPECT_EQ(notes.gid, 100u);
    EXPECT_EQ(notes.mtime, 1700000000u);
    EXPECT_EQ(notes.size, 6u);
    EXPECT_EQ(notes.nlink, 1u);
    EXPECT_EQ(stat_of("/bin/tool").mode, S_IFREG | 0755u);
    EXPECT_EQ(stat_of("/big").size, 10000u);
    FileStat link = stat_of("/etc/motd.link", false);
    EXPECT_EQ(link.mode, S_IFLNK | 0777u);
    EXPECT_EQ(link.size, 4u);
    EXPECT_NE(stat_of("/etc/motd").ino, stat_of("/etc/empty").ino);
    EXPECT_EQ(stat_of("/etc/motd").dev, stat_of("/").dev);
}


TEST_F(Initrd, HardLinksShareOneNode)
{
    /* As GNU cpio writes them: same inode number, the data with the last name only. */
    newc::Entry first = newc::file("a", "");
    first.ino = 7;
    first.nlink = 3;
    newc::Entry second = first;
    second.name = "dir/b";
    newc::Entry last = first;
    last.name = "c";
    last.data = "shared\n";
    newc::Entry other = newc::file("d", "other\n");
    other.ino = 7;              /* the same number on another device is another file */
    other.dev_major = 8;
    other.nlink = 2;
    mount(newc::archive({ first, second, last, other }));
    EXPECT_EQ(read_all("/a"), "shared\n");
    EXPECT_EQ(read_all("/dir/b"), "shared\n");
    EXPECT_EQ(read_all("/c"), "shared\n");
    EXPECT_EQ(read_all("/d"), "other\n");
    EXPECT_EQ(stat_of("/a").ino, stat_of("/c").ino);
    EXPECT_EQ(stat_of("/a").nlink, 3u);
    EXPECT_NE(stat_of("/a").ino, stat_of("/d").ino);
    EXPECT_EQ(stat_of("/d").nlink, 1u);
}


TEST_F(Initrd, LaterEntriesReplaceEarlierOnes)
{
    newc::Entry hard = newc::file("h1", "hard");
    hard.ino = 9;
    hard.nlink = 2;
    newc::Entry hard2 = hard;
    hard2.name = "h2";
    mount(newc::archive({
        newc::file("x", "first"), newc::file("x", "second"),
        newc::file("d", "a file"), newc::dir("d"), newc::file("d/inside", "in"),
        newc::dir("e"), newc::file("e/gone", "gone"), newc::file("e", "a file now"),
        hard, newc::file("h1", "replaced"), hard2,
        newc::dir("./etc", 040700), newc::dir("etc/"),
    }));
    EXPECT_EQ(read_all("/x"), "second");
    EXPECT_EQ(read_all("/d/inside"), "in");
    EXPECT_EQ(read_all("/e"), "a file now");
    EXPECT_EQ(read_all("/h1"), "replaced");
    EXPECT_EQ(read_all("/h2"), "hard");         /* the table kept the node alive */
    EXPECT_EQ(stat_of("/h2").nlink, 1u);
    EXPECT_EQ(stat_of("/etc").mode, S_IFDIR | 0755u);  /* a second entry updates the first */
    EXPECT_EQ(list("/").size(), 2u + 6u);
}


TEST_F(Initrd, UnplaceableEntriesAreSkipped)
{
    newc::Entry weird = newc::file("weird", "");
    weird.mode = 0170644;       /* no such file type */
    newc::Entry root_file = newc::file(".", "");
    mount(newc::archive({
        newc::file("../escape", "no"), newc::file("a/../b", "no"),
        newc::file(std::string(256, 'n'), "no"), newc::file("f", "file"),
        newc::file("f/under-a-file", "no"), weird, root_file,
        newc::symlink("s", std::string(4096, 's')),
    }));
    EXPECT_EQ(stats.skipped, 7u);
    EXPECT_EQ(stats.error, cpio::Error::None);
    EXPECT_EQ(read_all("/f"), "file");
    EXPECT_EQ(list("/").size(), 2u + 2u);       /* f, and a (implied before "..") */
}


namespace {

ErrorOr<File*> fake_char_open(const Node& node, u32 minor, u32)
{
    struct Fake final : DeviceFile {
        using DeviceFile::DeviceFile;
        u32 minor = 0;
        ErrorOr<size_t> read(void* buf, size_t n) override
        {
            std::memset(buf, int(minor), n);
            return n;
        }
    };
    auto* f = new Fake(node);
    f->minor = minor;
    return static_cast<File*>(f);
}

} // namespace


TEST_F(Initrd, SpecialFilesOpenTheirDriver)
{
    newc::Entry chr = newc::file("dev/fake", "");
    chr.mode = 020620;
    chr.rdev_major = 240;
    chr.rdev_minor = 0x42;
    newc::Entry blk = newc::file("dev/disk", "");
    blk.mode = 060660;
    blk.rdev_major = 3;
    blk.rdev_minor = 1;
    newc::Entry fifo = newc::file("fifo", "");
    fifo.mode = 010644;
    mount(newc::archive({ chr, blk, fifo }));
    EXPECT_EQ(stats.specials, 3u);
    FileStat st = stat_of("/dev/fake");
    EXPECT_EQ(st.mode, S_IFCHR | 0620u);
    EXPECT_EQ(st.rdev, makedev(240, 0x42));
    EXPECT_EQ(st.rdev, 0xF042u);
    EXPECT_EQ(stat_of("/dev/disk").rdev, 0x301u);
    EXPECT_EQ(open_error("/dev/fake", O_RDONLY), -ENXIO);      /* no driver yet */
    EXPECT_EQ(open_error("/dev/disk", O_RDWR), -ENXIO);
    EXPECT_EQ(open_error("/fifo", O_RDONLY), -ENXIO);

    EXPECT_EQ(to_syscall_result(register_device(DeviceType::Char, 240, fake_char_open)), 0);
    EXPECT_EQ(to_syscall_result(register_device(DeviceType::Char, 240, fake_char_open)), -EBUSY);
    EXPECT_EQ(to_syscall_result(register_device(DeviceType::Char, 256, fake_char_open)), -EINVAL);
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/dev/fake", O_RDWR, f)), 0);     /* devices may be written */
    char buf[4];
    EXPECT_EQ(to_syscall_result(f->read(buf, 4)), 4);
    EXPECT_EQ(buf[3], 0x42);
    FileStat fst;
    EXPECT_EQ(to_syscall_result(f->stat(fst)), 0);
    EXPECT_EQ(fst.ino, st.ino);
    EXPECT_EQ(fst.rdev, st.rdev);
    f->put();
    EXPECT_EQ(open_error("/dev/disk", O_RDONLY), -ENXIO);      /* block major 3 is separate */
}


TEST_F(Initrd, BrokenArchiveKeepsWhatCameBefore)
{
    std::string archive = newc::archive({ newc::file("good", "1"), newc::file("bad", "22") });
    archive[archive.find("bad") - 110] = 'X';
    mount(archive);
    EXPECT_EQ(stats.error, cpio::Error::BadMagic);
    EXPECT_EQ(read_all("/good"), "1");
    EXPECT_EQ(stat_error("/bad"), -ENOENT);
    mount("");
    EXPECT_EQ(stats.error, cpio::Error::None);
    EXPECT_EQ(list("/").size(), 2u);
    EXPECT_EQ(stat_of("/").mode, S_IFDIR | 0755u);
}


namespace {

/* Stands in for the kernel's /dev: an empty directory that is not part of the tree. */
class KernelDirectory final : public DirectoryNode {
public:
    KernelDirectory() : DirectoryNode(0755, makedev(0, 5), 1) { }
    ErrorOr<Vnode> lookup(int, const char*, size_t) const override { return Error::from_errno(ENOENT); }
    Vnode parent(int) const override { return { root_node, -1 }; }

protected:
    bool read_child(int, u64, DirEntryInfo&) const override { return false; }
};

} // namespace


TEST_F(Initrd, KernelDirectoriesWinOverTheArchive)
{
    mount(newc::archive({ newc::dir("dev"), newc::file("dev/console", "not a device"),
                          newc::file("proc", "a file"), newc::file("etc/motd", "m") }));
    static KernelDirectory dev, proc;
    auto* root = const_cast<RamDirectory*>(static_cast<const RamDirectory*>(root_node));
    ASSERT_TRUE(root->attach("dev", &dev));
    ASSERT_TRUE(root->attach("proc", &proc));
    ASSERT_TRUE(root->attach("sys", &proc));
    EXPECT_EQ(stat_error("/dev/console"), -ENOENT);
    EXPECT_EQ(stat_of("/dev").dev, makedev(0, 5));
    EXPECT_EQ(stat_of("/proc").mode & S_IFMT, S_IFDIR);
    EXPECT_EQ(stat_of("/dev/../etc/motd").ino, stat_of("/etc/motd").ino);
    EXPECT_EQ(list("/").size(), 2u + 4u);
    EXPECT_EQ(stat_of("/").nlink, 2u + 4u);
}


TEST_F(Initrd, MountsWhatTheCpioToolWrites)
{
    char dir_template[] = "/tmp/ferrite-initrd-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    std::string dir = dir_template, archive_path = dir + ".cpio";
    std::string command =
        "cd " + dir + " && mkdir -p etc/deep/er && echo hi > etc/deep/er/file && "
        "ln -s deep/er etc/short && ln etc/deep/er/file etc/hard && chmod 700 etc/deep && "
        "find . | LC_ALL=C sort | cpio --quiet -o -H newc > " + archive_path + " && rm -rf " + dir;
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
    FILE* in = std::fopen(archive_path.c_str(), "rb");
    ASSERT_NE(in, nullptr);
    std::string archive;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0)
        archive.append(buf, n);
    std::fclose(in);
    std::remove(archive_path.c_str());

    mount(archive);
    EXPECT_EQ(stats.error, cpio::Error::None);
    EXPECT_EQ(stats.skipped, 0u);
    EXPECT_EQ(read_all("/etc/short/file"), "hi\n");
    EXPECT_EQ(read_all("/etc/hard"), "hi\n");
    EXPECT_EQ(stat_of("/etc/hard").ino, stat_of("/etc/deep/er/file").ino);
    EXPECT_EQ(stat_of("/etc/hard").nlink, 2u);
    EXPECT_EQ(stat_of("/etc/deep").mode, S_IFDIR | 0700u);
}

