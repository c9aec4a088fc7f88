/*
 * Disks from user space: a block device as a file, a process sleeping on disk I/O while
 * another runs, and /sbin/mkswap formatting a disk. They need the disks that the test
 * runner's "disks" stage attaches and skip without them:
 *
 *   /dev/hda  8 MiB, sector n holding 128 u32 words: n, 0xD15C0000, then n ^ k
 *   /dev/hdb  4 MiB scratch, sector 0 starting "FERRITE SCRATCH DISK"
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATTERN_DISK "/dev/hda"
#define PATTERN_SECTORS 16384
#define SCRATCH_DISK "/dev/hdb"
#define SCRATCH_MARK "FERRITE SCRATCH DISK"

/* Byte `offset` of the pattern disk. */
static uint8_t pattern_byte(uint64_t offset)
{
    uint32_t n = (uint32_t)(offset >> 9), k = (uint32_t)(offset & 511) >> 2;
    uint32_t word = k == 0 ? n : k == 1 ? 0xD15C0000u : n ^ k;
    return (uint8_t)(word >> (8 * (offset & 3)));
}

static void read_at(int fd, off_t offset, void* buf, size_t n)
{
    CHECK_EQ(lseek(fd, offset, SEEK_SET), offset);
    read_all(fd, buf, n);
}

/* The pattern disk opened as `flags`, or a skip when this machine has none. */
static int open_pattern_disk(int flags)
{
    if (on_linux)
        skip("the test disks are attached to Ferrite by the test runner");
    int fd = open(PATTERN_DISK, flags);
    if (fd < 0 && errno == ENXIO)
        skip("no disk at " PATTERN_DISK);
    CHECK(fd >= 0);
    uint32_t head[2];
    read_all(fd, head, sizeof head);
    if (head[0] != 0 || head[1] != 0xD15C0000u)
        skip(PATTERN_DISK " is not the pattern disk");
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    return fd;
}

void test_disk_file(void)
{
    int fd = open_pattern_disk(O_RDWR);
    const off_t size = (off_t)PATTERN_SECTORS * 512;

    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK(S_ISBLK(st.st_mode));
    CHECK_EQ(major(st.st_rdev), 3);
    CHECK_EQ(minor(st.st_rdev), 0);
    CHECK_EQ(st.st_size, 0);                    /* Linux's answer for a block device */

    uint64_t bytes = 0;
    unsigned long sectors = 0;
    int sector_size = 0;
    CHECK_EQ(ioctl(fd, BLKGETSIZE64, &bytes), 0);
    CHECK_EQ(bytes, size);
    CHECK_EQ(ioctl(fd, BLKGETSIZE, &sectors), 0);
    CHECK_EQ(sectors, PATTERN_SECTORS);
    CHECK_EQ(ioctl(fd, BLKSSZGET, &sector_size), 0);
    CHECK_EQ(sector_size, 512);
    CHECK_ERRNO(ioctl(fd, BLKGETSIZE64, (void*)0xC0000000), EFAULT);
    CHECK_ERRNO(ioctl(fd, 0x5401 /* TCGETS */, &bytes), ENOTTY);

    CHECK_EQ(lseek(fd, 0, SEEK_END), size);
    CHECK_ERRNO(lseek(fd, 1, SEEK_END), EINVAL);

    /* Reads that start and end inside sectors. */
    static uint8_t buf[3000];
    read_at(fd, 5 * 4096 + 100, buf, 1000);
    for (int i = 0; i < 1000; i++)
        if (buf[i] != pattern_byte(5 * 4096 + 100 + i))
            fail("byte %d of the read at %d: %#x, want %#x", i, 5 * 4096 + 100, buf[i],
                 pattern_byte(5 * 4096 + 100 + i));

    /* A write across a sector boundary changes its bytes only. */
    const off_t at = 40 * 512 + 300;
    memset(buf, 0x6B, 700);
    CHECK_EQ(lseek(fd, at, SEEK_SET), at);
    CHECK_EQ(write(fd, buf, 700), 700);
    read_at(fd, 40 * 512, buf, 3 * 512);
    for (int i = 0; i < 3 * 512; i++) {
        int written = i >= 300 && i < 1000;
        uint8_t want = written ? 0x6B : pattern_byte(40 * 512 + i);
        if (buf[i] != want)
            fail("byte %d after the write at %ld: %#x, want %#x", i, (long)at, buf[i], want);
    }

    /* The end of the device. */
    CHECK_EQ(lseek(fd, -10, SEEK_END), size - 10);
    CHECK_EQ(read(fd, buf, 100), 10);
    CHECK_EQ(read(fd, buf, 100), 0);
    CHECK_ERRNO(write(fd, buf, 1), ENOSPC);
    CHECK_EQ(close(fd), 0);

    /* No disk, no partition table: nothing behind these nodes. */
    CHECK_ERRNO(open("/dev/hdd", O_RDONLY), ENXIO);
    CHECK_ERRNO(open("/dev/hda1", O_RDONLY), ENXIO);
}

#define READER_BYTES (2 << 20)

/* Reads the disk and nothing else: any sleep it takes is a sleep on disk I/O. */
static void read_disk(void* arg)
{
    int fd = *(int*)arg;
    static char page[4096];
    for (long done = 0; done < READER_BYTES; done += sizeof page)
        if (read(fd, page, sizeof page) != sizeof page)
            _exit(1);
    _exit(0);
}

/* The state letter in /proc/PID/stat, or 0 once the process is gone. */
static char state_of(pid_t pid)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char* paren = strrchr(text, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

/*
 * A reader process works through 2 MB of the disk while this one keeps looking at its
 * state. The kernel does not preempt itself, so this process can run while the reader is
 * inside read() only if the reader sleeps there: seeing it in state D proves that a
 * process waiting for the disk lets another run.
 */
void test_disk_io_sleeps(void)
{
    int fd = open_pattern_disk(O_RDONLY);
    pid_t reader = spawn(read_disk, &fd);
    int looks = 0, sleeping = 0, status = 0;
    for (;;) {
        pid_t r = waitpid(reader, &status, WNOHANG);
        if (r == reader)
            break;
        CHECK_EQ(r, 0);
        char state = state_of(reader);
        looks++;
        sleeping += state == 'D';       /* a disk wait is uninterruptible, as on Linux */
    }
    diag("reader seen in disk sleep (D) %d times in %d looks", sleeping, looks);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(sleeping > 0);
    close(fd);
}

static void run_mkswap(void* arg)
{
    (void)arg;
    const char* mkswap = root_path("/sbin/mkswap");
    execl(mkswap, "mkswap", SCRATCH_DISK, (char*)NULL);
    _exit(127);
}

/* /sbin/mkswap formats a whole disk; the header reads back from the device. */
void test_disk_mkswap(void)
{
    if (on_linux)
        skip("the test disks are attached to Ferrite by the test runner");
    int fd = open(SCRATCH_DISK, O_RDONLY);
    if (fd < 0 && errno == ENXIO)
        skip("no disk at " SCRATCH_DISK);
    CHECK(fd >= 0);
    static uint8_t page[4096];
    read_all(fd, page, sizeof page);
    if (memcmp(page, SCRATCH_MARK, strlen(SCRATCH_MARK)) != 0)
        skip(SCRATCH_DISK " is not marked as a scratch disk");

    expect_success("/sbin/mkswap " SCRATCH_DISK, run_mkswap, NULL);

    read_at(fd, 0, page, sizeof page);
    CHECK(memcmp(page + 4086, "SWAP-SPACE", 10) == 0);
    /* 4 MiB: pages 1..1023 usable, page 0 (the header) not. */
    CHECK_EQ(page[0], 0xFE);
    CHECK_EQ(page[127], 0xFF);
    CHECK_EQ(page[128], 0);
    close(fd);
}
