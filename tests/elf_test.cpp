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
    EXPECT_TRUE(rejected([](Image& i) { i.header().type = 3; }));                /* ET_DYN */
    EXPECT_TRUE(rejected([](Image& i) { i.header().machine = 62; }));           /* x86-64 */
    EXPECT_TRUE(rejected([](Image& i) { i.header().phnum = 200; }));            /* past the page */
    EXPECT_TRUE(rejected([](Image& i) { i.header().phentsize = 56; }));
    EXPECT_TRUE(rejected([](Image& i) { i.phdrs()[2].type = PT_INTERP; }));     /* dynamic */
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
