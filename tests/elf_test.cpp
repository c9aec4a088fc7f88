#include <gtest/gtest.h>
#include <kernel/elf.h>
#include <kernel/errno.h>

#include <cstring>
#include <vector>

namespace {

constexpr u32 task_size = 0xC0000000;

/* A static executable's first page: text at 0x08048000, data + bss after it. */
struct Image {
    std::vector<u8> bytes = std::vector<u8>(4096);
    Elf32Header& header() { return *reinterpret_cast<Elf32Header*>(bytes.data()); }
    Elf32ProgramHeader* phdrs() { return reinterpret_cast<Elf32ProgramHeader*>(bytes.data() + 52); }

    Image()
    {
        Elf32Header& h = header();
        const u8 ident[] = { 0x7F, 'E', 'L', 'F', 1, 1, 1 };
        std::memcpy(h.ident, ident, sizeof ident);
        h.type = 2;
        h.machine = 3;
        h.version = 1;
        h.entry = 0x08049000;
        h.phoff = 52;
        h.ehsize = 52;
        h.phentsize = 32;
        h.phnum = 3;
        phdrs()[0] = { PT_LOAD, 0, 0x08048000, 0x08048000, 0x2000, 0x2000, PF_R | PF_X, 0x1000 };
        phdrs()[1] = { PT_LOAD, 0x2100, 0x0804B100, 0x0804B100, 0x300, 0x5000, PF_R | PF_W, 0x1000 };
        phdrs()[2] = { 0x6474E551 /* GNU_STACK */, 0, 0, 0, 0, 0, PF_R | PF_W, 16 };
    }
    /* 0 or -errno, to compare with the errno values directly. */
    long check(ElfImage& out)
    {
        return to_syscall_result(elf_check(bytes.data(), bytes.size(), task_size, out));
    }
};

} // namespace

TEST(Elf, AcceptsStaticExecutable)
{
    Image img;
    ElfImage out;
    ASSERT_EQ(img.check(out), 0);
    EXPECT_EQ(out.entry, 0x08049000u);
    EXPECT_EQ(out.nr_segments, 2u);
    EXPECT_EQ(out.phdr_addr, 0x08048000u + 52);   /* inside the first segment */
    EXPECT_EQ(out.phnum, 3u);
    EXPECT_EQ(out.segments[1].memsz, 0x5000u);
}

TEST(Elf, RejectsWhatItCannotRun)
{
    auto rejected = [](void (*spoil)(Image&)) {
        Image img;
        spoil(img);
        ElfImage out;
        return img.check(out) == -ENOEXEC;
    };
    EXPECT_TRUE(rejected([](Image& i) { i.bytes[0] = 0; }));                     /* magic */
    EXPECT_TRUE(rejected([](Image& i) { i.bytes[4] = 2; }));                     /* 64-bit */
    EXPECT_TRUE(rejected([](Image& i) { i.header().type = 1; }));                /* ET_REL */
    EXPECT_TRUE(rejected([](Image& i) { i.header().type = 4; }));                /* ET_CORE */
    EXPECT_TRUE(rejected([](Image& i) { i.header().machine = 62; }));           /* x86-64 */
    EXPECT_TRUE(rejected([](Image& i) { i.header().phnum = 200; }));            /* past the page */
    EXPECT_TRUE(rejected([](Image& i) { i.header().phentsize = 56; }));
    /* An interpreter's path: at least one character and its NUL, at most PATH_MAX. */
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[2] = { PT_INTERP, 0x200, 0, 0, 1, 1, PF_R, 1 }; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[2] = { PT_INTERP, 0x200, 0, 0, 4097, 4097, PF_R, 1 }; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[2] = { PT_INTERP, 0xFFFFFFF0, 0, 0, 0x20, 0x20, PF_R, 1 }; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[1].filesz = 0x6000; }));      /* filesz > memsz */
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[1].offset = 0x2000; }));      /* misaligned */
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[1].vaddr = 0xBFFFF100; i.phdrs()[1].offset = 0x2100; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[1].vaddr = 0x08048100; }));   /* overlaps text */
    EXPECT_TRUE(rejected([](Image& i) { i.header().entry = 0xC0100000; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[0].type = 0; i.phdrs()[1].type = 0; }));
}

TEST(Elf, TooShortIsRejected)
{
    Image img;
    ElfImage out;
    EXPECT_EQ(elf_check(img.bytes.data(), 40, task_size, out).error().code(), ENOEXEC);
    EXPECT_EQ(elf_check(img.bytes.data(), 100, task_size, out).error().code(), ENOEXEC);   /* phdrs cut off */
}

TEST(Elf, KeepsTheInterpreterAndTheType)
{
    Image img;
    img.phdrs()[2] = { PT_INTERP, 0x194, 0x08048194, 0x08048194, 0x13, 0x13, PF_R, 1 };
    ElfImage out;
    ASSERT_EQ(img.check(out), 0);
    EXPECT_EQ(out.interp_offset, 0x194u);
    EXPECT_EQ(out.interp_size, 0x13u);
    EXPECT_FALSE(out.dynamic);
    EXPECT_EQ(out.first_page(), 0x08048000u);
    EXPECT_EQ(out.span(), 0x9000u);                 /* to the page of the bss end, 0x08050100 */
}

TEST(Elf, AcceptsPositionIndependentFiles)
{
    /* The dynamic linker's shape: relative addresses from 0, entry inside the text. */
    Image img;
    img.header().type = 3;
    img.header().entry = 0x1b5c0;
    img.phdrs()[0] = { PT_LOAD, 0, 0, 0, 0x24000, 0x24000, PF_R | PF_X, 0x1000 };
    img.phdrs()[1] = { PT_LOAD, 0x31ba0, 0x32ba0, 0x32ba0, 0x1dbc, 0x1eb0, PF_R | PF_W, 0x1000 };
    ElfImage out;
    ASSERT_EQ(img.check(out), 0);
    EXPECT_TRUE(out.dynamic);
    EXPECT_EQ(out.interp_size, 0u);
    EXPECT_EQ(out.first_page(), 0u);
    EXPECT_EQ(out.span(), 0x35000u);
    EXPECT_EQ(out.phdr_addr, 52u);                  /* relative too: exec adds the bias */
}
