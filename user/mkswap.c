/*
 * mkswap [-v0|-v1] [-b N,M,...] FILE [PAGES]: makes FILE a swap area of PAGES pages (all
 * of it by default) by writing its page 0 in the format of docs/swap.md. Nothing past
 * page 0 is written; a regular file shorter than PAGES pages is extended (with a hole).
 *
 * One source, built for the host (build/host/mkswap, to make disk images) and as a static
 * i386 program for the initrd (/sbin/mkswap). It needs only libc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define _FILE_OFFSET_BITS 64            /* areas over 2 GB on i386 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The layout, as in mm/swap_header.h (which is C++ and kernel-side). */
#define SWAP_PAGE_SIZE          4096u
#define SIGNATURE_OFFSET        (SWAP_PAGE_SIZE - 10)
#define V0_MAX_PAGES            (SIGNATURE_OFFSET * 8)                  /* 32688 */
#define V1_VERSION_OFFSET       1024
#define V1_LAST_PAGE_OFFSET     1028
#define V1_NR_BADPAGES_OFFSET   1032
#define V1_UUID_OFFSET          1036
#define V1_BADPAGES_OFFSET      1536
#define V1_MAX_BADPAGES         ((SIGNATURE_OFFSET - V1_BADPAGES_OFFSET) / 4)   /* 637 */

struct options {
    int version;
    const char* file;
    int pages_given;
    uint64_t pages;
    uint32_t* bad;                      /* sorted, distinct */
    size_t nr_bad;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mkswap: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void __attribute__((noreturn)) usage(FILE* to, int status)
{
    fputs("usage: mkswap [-v0|-v1] [-b N,M,...] FILE [PAGES]\n"
          "  -v0          the original format: a bitmap of usable pages (default; at most 32688 pages)\n"
          "  -v1          the SWAPSPACE2 format of today's Linux\n"
          "  -b N,M,...   mark pages N, M, ... bad (page 0 is the header)\n"
          "  PAGES        the size of the area in 4 KiB pages (default: all of FILE);\n"
          "               a shorter regular file is extended, a missing one created\n", to);
    exit(status);
}

/* A decimal number, all of the string, no sign. */
static int parse_number(const char* s, uint64_t* out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char* end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

static int compare_u32(const void* a, const void* b)
{
    uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
    return x < y ? -1 : x > y;
}

static void add_bad_pages(struct options* o, const char* list)
{
    char* copy = strdup(list);
    if (!copy)
        die("out of memory");
    char* rest = copy;
    for (char* item; (item = strsep(&rest, ","));) {
        uint64_t nr;
        if (parse_number(item, &nr) || nr > UINT32_MAX)
            die("-b: bad page number '%s'", item);
        if (nr == 0)
            die("-b: page 0 is the header; it cannot be marked bad");
        uint32_t* grown = realloc(o->bad, (o->nr_bad + 1) * sizeof *o->bad);
        if (!grown)
            die("out of memory");
        o->bad = grown;
        o->bad[o->nr_bad++] = (uint32_t)nr;
    }
    free(copy);
}

static void sort_bad_pages(struct options* o)
{
    if (!o->nr_bad)
        return;
    qsort(o->bad, o->nr_bad, sizeof *o->bad, compare_u32);
    size_t n = 1;
    for (size_t i = 1; i < o->nr_bad; i++)
        if (o->bad[i] != o->bad[n - 1])
            o->bad[n++] = o->bad[i];
    o->nr_bad = n;
}

static void parse_args(int argc, char** argv, struct options* o)
{
    int c;
    while ((c = getopt(argc, argv, "hv:b:")) != -1) {
        switch (c) {
        case 'v':
            if (strcmp(optarg, "0") && strcmp(optarg, "1"))
                die("swap space version %s is not known (0 or 1)", optarg);
            o->version = optarg[0] - '0';
            break;
        case 'b':
            add_bad_pages(o, optarg);
            break;
        case 'h':
            usage(stdout, 0);
        default:
            usage(stderr, 1);
        }
    }
    if (optind == argc || argc - optind > 2)
        usage(stderr, 1);
    o->file = argv[optind];
    if (argc - optind == 2) {
        if (parse_number(argv[optind + 1], &o->pages))
            die("PAGES: '%s' is not a number of pages", argv[optind + 1]);
        o->pages_given = 1;
    }
    sort_bad_pages(o);
}

/*
 * The size of FILE in bytes, or -1 when it cannot be told. stat gives 0 for a block
 * device, so ask the device, then fall back to seeking to its end.
 */
static int64_t file_size(int fd, const struct stat* st)
{
    if (S_ISREG(st->st_mode))
        return st->st_size;
    uint64_t bytes;
    if (S_ISBLK(st->st_mode) && ioctl(fd, BLKGETSIZE64, &bytes) == 0)
        return (int64_t)bytes;
    off_t end = lseek(fd, 0, SEEK_END);
    if (end <= 0)
        return -1;
    return end;
}

/* A version 4 UUID. Without a kernel source of randomness, time and pid stand in. */
static void make_uuid(uint8_t uuid[16])
{
    size_t got = 0;
    ssize_t n = getrandom(uuid, 16, GRND_NONBLOCK);
    if (n == 16)
        got = 16;
    if (got < 16) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, uuid, 16) == 16)
                got = 16;
            close(fd);
        }
    }
    if (got < 16) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
        for (int i = 0; i < 16; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uuid[i] = (uint8_t)(x >> 24);
        }
    }
    uuid[6] = (uuid[6] & 0x0f) | 0x40;
    uuid[8] = (uuid[8] & 0x3f) | 0x80;
}

static void put_le32(uint8_t* at, uint32_t v)
{
    at[0] = v, at[1] = v >> 8, at[2] = v >> 16, at[3] = v >> 24;
}

static void build_v0(uint8_t* page, const struct options* o)
{
    for (uint32_t nr = 1; nr < o->pages; nr++)
        page[nr >> 3] |= 1u << (nr & 7);
    for (size_t i = 0; i < o->nr_bad; i++)
        page[o->bad[i] >> 3] &= ~(1u << (o->bad[i] & 7));
    memcpy(page + SIGNATURE_OFFSET, "SWAP-SPACE", 10);
}

static void build_v1(uint8_t* page, const struct options* o, const uint8_t uuid[16])
{
    put_le32(page + V1_VERSION_OFFSET, 1);
    put_le32(page + V1_LAST_PAGE_OFFSET, (uint32_t)(o->pages - 1));
    put_le32(page + V1_NR_BADPAGES_OFFSET, (uint32_t)o->nr_bad);
    memcpy(page + V1_UUID_OFFSET, uuid, 16);
    for (size_t i = 0; i < o->nr_bad; i++)
        put_le32(page + V1_BADPAGES_OFFSET + 4 * i, o->bad[i]);
    memcpy(page + SIGNATURE_OFFSET, "SWAPSPACE2", 10);
}

/*
 * The pages FILE has. Without PAGES the area is all of them; with PAGES, a regular file
 * may be shorter (it is extended later), anything else may not.
 */
static uint64_t size_area(int fd, struct options* o, int* is_regular)
{
    struct stat st;
    if (fstat(fd, &st))
        die("%s: %s", o->file, strerror(errno));
    *is_regular = S_ISREG(st.st_mode);
    int64_t bytes = file_size(fd, &st);
    if (bytes < 0 && !o->pages_given)
        die("%s: cannot tell its size; give PAGES", o->file);
    uint64_t have = bytes < 0 ? 0 : (uint64_t)bytes / SWAP_PAGE_SIZE;
    if (!o->pages_given)
        o->pages = have;
    else if (o->pages > have && bytes >= 0 && !*is_regular)
        die("%s: has %llu pages, fewer than the %llu asked for", o->file,
            (unsigned long long)have, (unsigned long long)o->pages);
    return have;
}

static void check_area(struct options* o)
{
    if (o->pages < 2)
        die("%s: %llu pages is too small: an area needs its header page and a page to swap to",
            o->file, (unsigned long long)o->pages);
    if (o->version == 0 && o->pages > V0_MAX_PAGES) {
        fprintf(stderr, "mkswap: note: a version 0 area holds at most %u pages (%u KiB); "
                "using %u of %llu\n", V0_MAX_PAGES, V0_MAX_PAGES * 4, V0_MAX_PAGES,
                (unsigned long long)o->pages);
        o->pages = V0_MAX_PAGES;
    }
    /* last_page is a u32; no area this kernel can use comes near it. */
    if (o->pages > (uint64_t)UINT32_MAX + 1)
        die("%s: %llu pages is more than a swap header can describe", o->file,
            (unsigned long long)o->pages);
    if (o->nr_bad && o->bad[o->nr_bad - 1] >= o->pages)
        die("-b: page %u is past the end of the area (%llu pages)", o->bad[o->nr_bad - 1],
            (unsigned long long)o->pages);
    if (o->version == 1 && o->nr_bad > V1_MAX_BADPAGES)
        die("-b: %zu bad pages; a version 1 header holds at most %u", o->nr_bad, V1_MAX_BADPAGES);
    if (o->nr_bad >= o->pages - 1)
        die("%s: no usable page left: all %llu pages after the header are bad", o->file,
            (unsigned long long)o->pages - 1);
}

static void write_header(int fd, const struct options* o, const uint8_t* page)
{
    /* lseek and write rather than pwrite: every kernel this runs on has those two. */
    if (lseek(fd, 0, SEEK_SET) != 0)
        die("%s: cannot seek to the start: %s", o->file, strerror(errno));
    for (size_t done = 0; done < SWAP_PAGE_SIZE;) {
        ssize_t n = write(fd, page + done, SWAP_PAGE_SIZE - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("%s: cannot write the header: %s", o->file, n < 0 ? strerror(errno) : "short write");
        done += (size_t)n;
    }
    /* A kernel (or file) without fsync has nothing to flush. */
    if (fsync(fd) && errno != EINVAL && errno != ENOSYS && errno != EROFS)
        die("%s: %s", o->file, strerror(errno));
    if (close(fd))
        die("%s: %s", o->file, strerror(errno));
}

int main(int argc, char** argv)
{
    struct options o = { 0 };
    parse_args(argc, argv, &o);
    /* With PAGES known, refuse a bad request before FILE is created or extended. */
    uint64_t requested = o.pages;
    if (o.pages_given)
        check_area(&o);

    int fd = open(o.file, O_RDWR | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && o.pages_given)
        fd = open(o.file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        die("%s: %s", o.file, strerror(errno));
    int is_regular;
    uint64_t have = size_area(fd, &o, &is_regular);
    if (!o.pages_given)
        check_area(&o);
    else if (is_regular && requested > have && ftruncate(fd, (off_t)(requested * SWAP_PAGE_SIZE)))
        die("%s: cannot extend to %llu pages: %s", o.file, (unsigned long long)requested,
            strerror(errno));

    static uint8_t page[SWAP_PAGE_SIZE];
    uint8_t uuid[16];
    if (o.version == 0) {
        build_v0(page, &o);
    } else {
        make_uuid(uuid);
        build_v1(page, &o, uuid);
    }
    write_header(fd, &o, page);

    unsigned long long bytes = (o.pages - 1 - o.nr_bad) * SWAP_PAGE_SIZE;
    printf("Setting up swapspace version %d, size = %llu KiB (%llu bytes)\n", o.version,
           bytes / 1024, bytes);
    if (o.version == 1) {
        printf("no label, UUID=");
        for (int i = 0; i < 16; i++)
            printf("%02x%s", uuid[i], i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
        printf("\n");
    }
    free(o.bad);
    return 0;
}
