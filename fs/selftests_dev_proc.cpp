/* Self-tests of the kernel's own directories: /dev and /proc. */
#include <arch/cpu.h>
#include <arch/paging.h>
#include <fs/device.h>
#include <fs/mount.h>
#include <fs/test_support.h>
#include <kernel/format.h>
#include <kernel/ktest.h>
#include <kernel/string.h>
#include <mm/layout.h>
#include <mm/memory.h>

using namespace fs;

namespace {

/*
 * One page of user address space in the current page directory, for ioctls that copy to
 * user memory while there are no processes yet.
 */
class ScratchUserPage {
public:
    static constexpr u32 ADDRESS = 0x40000000;

    ScratchUserPage()
    {
        m_table = get_free_page(Gfp::Kernel);
        m_page = get_free_page(Gfp::Kernel);
        if (!m_table || !m_page || !directory()[arch::pgd_index(ADDRESS)].none())
            return;
        constexpr u32 flags = arch::Pte::WRITABLE | arch::Pte::USER;
        m_table.as_ptr<arch::Pte>()[arch::pte_index(ADDRESS)] = arch::Pte::mapping(to_phys(m_page), flags);
        directory()[arch::pgd_index(ADDRESS)] = arch::Pde::user_table(to_phys(m_table));
        arch::flush_tlb();
        m_mapped = true;
    }
    ~ScratchUserPage()
    {
        if (m_mapped) {
            directory()[arch::pgd_index(ADDRESS)] = arch::Pde();
            arch::flush_tlb();
        }
        if (m_table)
            free_page(m_table);
        if (m_page)
            free_page(m_page);
    }
    bool mapped() const { return m_mapped; }
    const u8* contents() const { return m_page.as_ptr<u8>(); }

private:
    static arch::Pde* directory() { return reinterpret_cast<arch::Pde*>(phys_to_virt(arch::read_cr3() & PAGE_MASK)); }

    VirtAddr m_table, m_page;
    bool m_mapped = false;
};

char text[4096];

/* The number after "key" in /proc/meminfo's text, checking the " kB" after it. */
long meminfo_value(const char* key)
{
    size_t key_length = strlen(key);
    for (const char* line = text; *line;) {
        if (strncmp(line, key, key_length) == 0) {
            const char* p = line + key_length;
            while (*p == ' ')
                p++;
            long value = 0;
            while (*p >= '0' && *p <= '9')
                value = value * 10 + (*p++ - '0');
            return strncmp(p, " kB\n", 4) == 0 ? value : -1;
        }
        while (*line && *line++ != '\n') { }
    }
    return -1;
}

long read_text(const char* path)
{
    File* f = nullptr;
    if (long r = to_syscall_result(open_into(path, O_RDONLY, f)))
        return r;
    size_t total = 0;
    long n;
    for (;;) {
        size_t room = sizeof text - 1 - total;
        n = to_syscall_result(f->read(text + total, room < 1000 ? room : 1000));
        if (n <= 0)
            break;
        total += size_t(n);
    }
    text[total] = '\0';
    f->put();
    return n < 0 ? n : long(total);
}

bool has_entry(const char* dir, const char* name)
{
    File* f = nullptr;
    if (to_syscall_result(open_into(dir, O_RDONLY | O_DIRECTORY, f)))
        return false;
    static u8 buf[4096];
    bool found = false;
    long n;
    while (!found && (n = to_syscall_result(f->getdents64(buf, sizeof buf))) > 0)
        for (long at = 0; at < n; at += reinterpret_cast<LinuxDirent64*>(buf + at)->d_reclen)
            found |= strcmp(reinterpret_cast<const char*>(buf + at + DIRENT64_NAME_OFFSET), name) == 0;
    f->put();
    return found;
}

ErrorOr<void> pid_text(int pid, TextBuffer& out)
{
    out.printf("pid %d\n", pid);
    return {};
}

ErrorOr<void> big_text(int, TextBuffer& out)
{
    for (int i = 0; i < 7000; i++)
        out.printf("%09d\n", i);        /* 70000 bytes: more than a text file holds */
    return {};
}

ErrorOr<void> failing_text(int, TextBuffer&) { return Error::from_errno(EIO); }

ErrorOr<size_t> binary_at(int pid, u64 offset, void* buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        static_cast<u8*>(buf)[i] = u8(u32(offset + i) * 7 + u32(pid));
    return n;
}

void register_test_entries()
{
    static bool done;
    if (done)
        return;
    done = true;
    proc_register({ .name = "ktest-text", .generate = pid_text });
    proc_register({ .name = "ktest-big", .generate = big_text });
    proc_register({ .name = "ktest-error", .generate = failing_text });
    proc_register({ .name = "ktest-binary", .read_at = binary_at });
    proc_register_per_process({ .name = "ktest-pid", .generate = pid_text });
}

/* A process table of three: 1, 7 (the caller) and 42. */
constexpr int fake_pids[] = { 1, 7, 42 };
bool fake_exists(int pid)
{
    for (int p : fake_pids)
        if (p == pid)
            return true;
    return false;
}
int fake_next(int after)
{
    for (int p : fake_pids)
        if (p > after)
            return p;
    return -1;
}
int fake_self() { return 7; }

} // namespace

KTEST(dev, nodes_with_linux_numbers)
{
    static const struct { const char* path; u32 type, rdev; } nodes[] = {
        { "/dev/console", S_IFCHR, 0x0501 }, { "/dev/tty", S_IFCHR, 0x0500 },
        { "/dev/null", S_IFCHR, 0x0103 }, { "/dev/zero", S_IFCHR, 0x0105 },
        { "/dev/hda", S_IFBLK, 0x0300 }, { "/dev/hda1", S_IFBLK, 0x0301 },
        { "/dev/hda4", S_IFBLK, 0x0304 }, { "/dev/hdb", S_IFBLK, 0x0340 },
        { "/dev/hdb2", S_IFBLK, 0x0342 }, { "/dev/hdc", S_IFBLK, 0x1600 },
        { "/dev/hdc3", S_IFBLK, 0x1603 }, { "/dev/hdd", S_IFBLK, 0x1640 },
        { "/dev/hdd4", S_IFBLK, 0x1644 },
    };
    for (const auto& n : nodes) {
        FileStat st = { };
        EXPECT_EQ(to_syscall_result(fs::stat(n.path, st, true)), 0);
        EXPECT_EQ(st.mode & S_IFMT, n.type);
        EXPECT_EQ(st.rdev, n.rdev);
        EXPECT_EQ(st.dev, DEVFS_DEV);
        EXPECT_TRUE(has_entry("/dev", n.path + 5));
    }
    FileStat st;
    EXPECT_EQ(to_syscall_result(fs::stat("/dev/hda5", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/dev/console/", st, true)), -ENOTDIR);
}

KTEST(dev, disks_wait_for_their_driver)
{
    File* f = nullptr;
    EXPECT_EQ(to_syscall_result(open_into("/dev/hda", O_RDWR, f)), -ENXIO);
    EXPECT_EQ(to_syscall_result(open_into("/dev/hdd4", O_RDONLY, f)), -ENXIO);
    EXPECT_EQ(f, nullptr);
}

KTEST(dev, null_and_zero)
{
    File* f = nullptr;
    char buf[32];
    i64 pos = -1;
    ASSERT_EQ(to_syscall_result(open_into("/dev/null", O_RDWR, f)), 0);
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 0);
    EXPECT_EQ(to_syscall_result(f->write("abc", 3)), 3);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 100, SEEK_SET, pos)), 0);
    EXPECT_EQ(pos, 0);
    EXPECT_EQ(to_syscall_result(f->ioctl(0x5401, Userspace<void*>())), -ENOTTY);
    FileStat st;
    EXPECT_EQ(to_syscall_result(f->stat(st)), 0);
    EXPECT_EQ(st.rdev, makedev(1, 3));
    EXPECT_EQ(f->flags(), O_RDWR);
    f->put();

    ASSERT_EQ(to_syscall_result(open_into("/dev/zero", O_RDONLY, f)), 0);
    memset(buf, 0x55, sizeof buf);
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), long(sizeof buf));
    u32 nonzero = 0;
    for (char c : buf)
        nonzero += c != 0;
    EXPECT_EQ(nonzero, 0u);
    f->put();
}

KTEST(dev, console_writes_and_answers_tty_ioctls)
{
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/dev/console", O_RDWR, f)), 0);
    const char line[] = "# /dev/console write\n";
    EXPECT_EQ(to_syscall_result(f->write(line, sizeof line - 1)), long(sizeof line - 1));
    EXPECT_EQ(to_syscall_result(f->read(nullptr, 0)), 0);
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, SEEK_SET, pos)), -ESPIPE);
    EXPECT_EQ(to_syscall_result(f->read_page(0, nullptr)), -EACCES);

    ScratchUserPage user;
    ASSERT_TRUE(user.mapped());
    const u32 TCGETS = 0x5401, TIOCGWINSZ = 0x5413;
    EXPECT_EQ(to_syscall_result(f->ioctl(TCGETS, Userspace<void*>(ScratchUserPage::ADDRESS))), 0);
    u32 flags[4];
    memcpy(flags, user.contents(), sizeof flags);
    EXPECT_EQ(flags[3] & 02, 02u);          /* c_lflag: ICANON */
    EXPECT_EQ(flags[3] & 010, 010u);        /* ECHO */
    EXPECT_EQ(flags[1] & 05, 05u);          /* c_oflag: OPOST ONLCR */
    EXPECT_EQ(user.contents()[16], 0);      /* c_line */
    EXPECT_EQ(user.contents()[17 + 2], 0177);   /* VERASE */
    EXPECT_EQ(user.contents()[17 + 4], 4);  /* VEOF: ^D */
    EXPECT_EQ(user.contents()[17 + 6], 1);  /* VMIN */

    EXPECT_EQ(to_syscall_result(f->ioctl(TIOCGWINSZ, Userspace<void*>(ScratchUserPage::ADDRESS + 100))), 0);
    u16 winsize[4];
    memcpy(winsize, user.contents() + 100, sizeof winsize);
    EXPECT_EQ(winsize[0], 25);
    EXPECT_EQ(winsize[1], 80);

    EXPECT_EQ(to_syscall_result(f->ioctl(TCGETS, Userspace<void*>(ScratchUserPage::ADDRESS + 0x1000))), -EFAULT);   /* unmapped */
    EXPECT_EQ(to_syscall_result(f->ioctl(TCGETS, Userspace<void*>(PAGE_OFFSET))), -EFAULT);                       /* kernel */
    EXPECT_EQ(to_syscall_result(f->ioctl(0x1234, Userspace<void*>(ScratchUserPage::ADDRESS))), -ENOTTY);
    f->put();

    /* A self-test runs without a controlling terminal: /dev/tty is none, as Linux has it. */
    EXPECT_EQ(to_syscall_result(open_into("/dev/tty", O_WRONLY, f)), -ENXIO);
}

KTEST(proc, meminfo_matches_mm)
{
    const u32 before = nr_free_pages();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/proc/meminfo", O_RDONLY, f)), 0);
    const u32 after_open = nr_free_pages();
    f->put();
    ASSERT_GE(read_text("/proc/meminfo"), 0);
    char first[64];
    kfmt::snprintf(first, sizeof first, "MemTotal:       %8u kB\n", mm::managed_pages * 4);
    EXPECT_EQ(strncmp(text, first, strlen(first)), 0);
    EXPECT_EQ(meminfo_value("MemTotal:"), long(mm::managed_pages * 4));
    long free_kb = meminfo_value("MemFree:");
    EXPECT_LE(free_kb, long(before) * 4);
    EXPECT_GE(free_kb, long(after_open) * 4);
    EXPECT_EQ(meminfo_value("SwapTotal:"), 0);
    EXPECT_EQ(meminfo_value("SwapFree:"), 0);

    FileStat st;
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/meminfo", st, true)), 0);
    EXPECT_EQ(st.mode, S_IFREG | 0444u);
    EXPECT_EQ(st.size, 0u);                 /* as Linux: the length is known only when read */
    EXPECT_TRUE(has_entry("/proc", "meminfo"));
    EXPECT_EQ(to_syscall_result(open_into("/proc/meminfo", O_WRONLY, f)), -EACCES);
    EXPECT_EQ(to_syscall_result(open_into("/proc/meminfo", O_RDONLY | O_TRUNC, f)), -EACCES);
    EXPECT_EQ(to_syscall_result(open_into("/proc/new", O_WRONLY | O_CREAT, f)), -EROFS);
}

KTEST(proc, text_files_are_snapshots)
{
    register_test_entries();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/proc/ktest-text", O_RDONLY, f)), 0);
    char buf[16] = { };
    EXPECT_EQ(to_syscall_result(f->read(buf, 3)), 3);
    EXPECT_EQ(to_syscall_result(f->read(buf + 3, sizeof buf - 4)), 4);
    EXPECT_STREQ(buf, "pid -1\n");
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 0);
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, -3, SEEK_END, pos)), 0);
    EXPECT_EQ(pos, 4);
    EXPECT_EQ(to_syscall_result(f->read(buf, sizeof buf)), 3);
    EXPECT_EQ(to_syscall_result(f->read_page(0, text)), -EACCES);
    f->put();

    EXPECT_EQ(to_syscall_result(open_into("/proc/ktest-error", O_RDONLY, f)), -EIO);
    EXPECT_EQ(f, nullptr);

    /* 70000 bytes generated, 64 KB kept; the pages go back at close. */
    const u32 before = nr_free_pages();
    ASSERT_EQ(to_syscall_result(open_into("/proc/ktest-big", O_RDONLY, f)), 0);
    EXPECT_LE(nr_free_pages(), before - 16);      /* 16 pages of text, perhaps a slab page */
    u32 total = 0, wrong = 0;
    long n;
    while ((n = to_syscall_result(f->read(text, 999))) > 0) {
        for (long i = 0; i < n; i++, total++) {
            char line[16];
            kfmt::snprintf(line, sizeof line, "%09u\n", total / 10);
            wrong += text[i] != line[total % 10];
        }
    }
    EXPECT_EQ(n, 0);
    EXPECT_EQ(total, 65536u);
    EXPECT_EQ(wrong, 0u);
    f->put();
    EXPECT_EQ(nr_free_pages(), before);
}

KTEST(proc, binary_files_read_at_any_offset)
{
    register_test_entries();
    File* f = nullptr;
    ASSERT_EQ(to_syscall_result(open_into("/proc/ktest-binary", O_RDONLY, f)), 0);
    u8 buf[16];
    i64 pos = -1;
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0x7ff000, SEEK_SET, pos)), 0);
    EXPECT_EQ(to_syscall_result(f->read(buf, 8)), 8);
    EXPECT_EQ(buf[0], u8(0x7ff000 * 7 - 1));
    EXPECT_EQ(buf[7], u8((0x7ff000 + 7) * 7 - 1));
    EXPECT_EQ(f->offset(), 0x7ff008);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 8, SEEK_CUR, pos)), 0);
    EXPECT_EQ(pos, 0x7ff010);
    EXPECT_EQ(to_syscall_result(seek_into(*f, 0, SEEK_END, pos)), -EINVAL);
    EXPECT_EQ(to_syscall_result(seek_into(*f, i64(1) << 40, SEEK_SET, pos)), 0);
    EXPECT_EQ(to_syscall_result(f->read(buf, 1)), 1);
    f->put();
}

KTEST(proc, process_directories)
{
    register_test_entries();
    ProcessDirectory saved;
    bool had = proc_process_directory(saved);
    proc_set_process_directory({ fake_exists, fake_next, fake_self });

    EXPECT_TRUE(has_entry("/proc", "1"));
    EXPECT_TRUE(has_entry("/proc", "7"));
    EXPECT_TRUE(has_entry("/proc", "42"));
    EXPECT_TRUE(has_entry("/proc", "self"));
    EXPECT_TRUE(has_entry("/proc", "meminfo"));
    EXPECT_FALSE(has_entry("/proc", "2"));
    EXPECT_TRUE(has_entry("/proc/42", "ktest-pid"));
    char buf[16] = { };
    EXPECT_EQ(to_syscall_result(fs::readlink("/proc/self", buf, sizeof buf)), 1);
    EXPECT_STREQ(buf, "7");
    EXPECT_EQ(read_text("/proc/42/ktest-pid"), 7);
    EXPECT_STREQ(text, "pid 42\n");
    EXPECT_EQ(read_text("/proc/self/ktest-pid"), 6);
    EXPECT_STREQ(text, "pid 7\n");
    EXPECT_EQ(read_text("/proc/self/../1/ktest-pid"), 6);
    EXPECT_STREQ(text, "pid 1\n");

    FileStat st, other;
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/42", st, true)), 0);
    EXPECT_EQ(st.mode, S_IFDIR | 0555u);
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/self", other, true)), 0);
    EXPECT_NE(st.ino, other.ino);
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/self", other, false)), 0);
    EXPECT_EQ(other.mode & S_IFMT, S_IFLNK);
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/42/ktest-pid", st, true)), 0);
    ASSERT_EQ(to_syscall_result(fs::stat("/proc/7/ktest-pid", other, true)), 0);
    EXPECT_NE(st.ino, other.ino);

    EXPECT_EQ(to_syscall_result(fs::stat("/proc/2", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/042", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/42/nope", st, true)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/42/ktest-pid/", st, true)), -ENOTDIR);
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/ktest-pid", st, true)), -ENOENT);

    proc_restore_process_directory(had ? &saved : nullptr);
}

KTEST(proc, no_process_table_no_self)
{
    ProcessDirectory saved;
    bool had = proc_process_directory(saved);
    proc_restore_process_directory(nullptr);
    FileStat st;
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/self", st, false)), -ENOENT);
    EXPECT_EQ(to_syscall_result(fs::stat("/proc/1", st, true)), -ENOENT);
    EXPECT_FALSE(has_entry("/proc", "self"));
    EXPECT_TRUE(has_entry("/proc", "meminfo"));
    proc_restore_process_directory(had ? &saved : nullptr);
}
