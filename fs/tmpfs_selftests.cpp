/*
 * Self-tests of tmpfs from inside the kernel: the kernel's own reads and writes of a
 * tmpfs file (File::read and write on kernel buffers, read_page), and the lifetime of
 * nodes that are unlinked while open. The user tests (user/tests/t_tmpfs.c) cover the
 * system calls.
 */
#include <fs/node.h>
#include <fs/test_support.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <mm/memory.h>

using namespace fs;

namespace {

/* Buffers live here, not on the kernel stack. */
u8 written[6000];
u8 back[4096];

u8 pattern(size_t at) { return u8(at * 7 + at / 251); }

} // namespace

KTEST(tmpfs, kernel_reads_and_writes)
{
    const u32 free_before = nr_free_pages();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/tmp/ktest-rw", O_RDWR | O_CREAT | O_EXCL, f)), 0);
    for (size_t i = 0; i < sizeof written; i++)
        written[i] = pattern(i);
    /* 100 bytes at 0, then the rest from 3000 on: the bytes between read as zeros. */
    EXPECT_EQ(to_syscall_result(f->write(written, 100)), 100);
    i64 position = -1;
    ASSERT_EQ(to_syscall_result(seek_into(*f, 3000, SEEK_SET, position)), 0);
    const size_t rest = sizeof written - 3000;
    EXPECT_EQ(to_syscall_result(f->write(written + 3000, rest)), long(rest));
    EXPECT_EQ(f->size(), u64(sizeof written));

    ASSERT_EQ(to_syscall_result(seek_into(*f, 0, SEEK_SET, position)), 0);
    EXPECT_EQ(to_syscall_result(f->read(back, sizeof back)), long(sizeof back));
    u32 wrong = 0;
    for (size_t i = 0; i < sizeof back; i++)
        wrong += back[i] != (i < 100 || i >= 3000 ? pattern(i) : 0);
    EXPECT_EQ(wrong, 0u);

    /* read_page: the tail of the file, zeros past its end. */
    EXPECT_EQ(to_syscall_result(f->read_page(4096, back)), long(sizeof written - 4096));
    wrong = 0;
    for (size_t i = 0; i < sizeof back; i++)
        wrong += back[i] != (4096 + i < sizeof written ? pattern(4096 + i) : 0);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(to_syscall_result(f->read_page(8192, back)), 0);

    /* Unlinked while open: still there for the File, gone (pages and all) at its close. */
    EXPECT_EQ(to_syscall_result(fs::unlink("/tmp/ktest-rw")), 0);
    FileStat st;
    EXPECT_EQ(to_syscall_result(f->stat(st)), 0);
    EXPECT_EQ(st.nlink, 0u);
    ASSERT_EQ(to_syscall_result(seek_into(*f, 5000, SEEK_SET, position)), 0);
    EXPECT_EQ(to_syscall_result(f->read(back, 10)), 10);
    EXPECT_EQ(back[0], pattern(5000));
    f->put();
    EXPECT_EQ(nr_free_pages(), free_before);
}

KTEST(tmpfs, removed_directory_stays_open)
{
    ASSERT_EQ(to_syscall_result(fs::make_directory("/tmp/ktest-dir", 0755)), 0);
    File* dir = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/tmp/ktest-dir", O_RDONLY | O_DIRECTORY, dir)), 0);
    EXPECT_EQ(to_syscall_result(fs::remove_directory("/tmp/ktest-dir")), 0);
    /* The node lives on for the File: stat answers, listing is ENOENT as on Linux. */
    FileStat st;
    EXPECT_EQ(to_syscall_result(dir->stat(st)), 0);
    EXPECT_EQ(st.nlink, 0u);
    EXPECT_EQ(to_syscall_result(dir->getdents64(back, sizeof back)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::make_directory("/tmp/ktest-dir", 0755)), 0);
    EXPECT_EQ(to_syscall_result(fs::remove_directory("/tmp/ktest-dir")), 0);
    dir->put();
}
