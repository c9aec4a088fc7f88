/*
 * The fuzzer's calls: which system calls, how their arguments are drawn, and the rules
 * that keep a call from ending the run.
 *
 * Nine calls in ten come from the table below (Linux i386 numbers: what Ferrite
 * implements and what CONTRACT §6 asks for), the tenth is any number 0..450. Each
 * argument is drawn by the kind the table gives it, or one time in eight from any kind:
 * 0, -1, kernel addresses, unmapped memory, a read-only page, a buffer running into an
 * unmapped page, huge sizes, valid buffers and structures, open descriptors, small ints.
 */
#include "fuzz.h"

#include <stddef.h>

struct arena arena;

void rng_seed(struct rng* r, uint64_t seed, uint64_t stream)
{
    /* splitmix64 of both, so that neighbouring seeds and batches share nothing. */
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + stream + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    r->state = (z ^ (z >> 31)) | 1;
}

uint32_t rng_next(struct rng* r)
{
    r->state ^= r->state >> 12;
    r->state ^= r->state << 25;
    r->state ^= r->state >> 27;
    return (uint32_t)((r->state * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t rng_below(struct rng* r, uint32_t n)
{
    return (uint32_t)(((uint64_t)rng_next(r) * n) >> 32);
}

/*
 * Argument kinds: f descriptor, p buffer, n path, s size, i integer or flags, a address
 * for the memory calls, k pid, g signal, o file offset, z sigset size, x any kind.
 */
struct entry {
    uint16_t nr;
    uint8_t weight;             /* calls that end the child or block come less often */
    const char* name;
    const char* kinds;
};

static const struct entry table[] = {
    { 1, 1, "exit", "i" }, { 2, 4, "fork", "" }, { 3, 10, "read", "fps" },
    { 4, 10, "write", "fps" }, { 5, 10, "open", "nii" }, { 6, 10, "close", "f" },
    { 7, 4, "waitpid", "kpi" }, { 9, 4, "link", "nn" }, { 10, 4, "unlink", "n" },
    { 11, 1, "execve", "npp" }, { 12, 6, "chdir", "n" }, { 13, 4, "time", "p" },
    { 15, 4, "chmod", "ni" }, { 19, 10, "lseek", "foi" }, { 20, 2, "getpid", "" },
    { 24, 2, "getuid", "" }, { 27, 4, "alarm", "i" }, { 29, 1, "pause", "" },
    { 33, 6, "access", "ni" }, { 36, 2, "sync", "" }, { 37, 6, "kill", "kg" },
    { 38, 4, "rename", "nn" }, { 39, 4, "mkdir", "ni" }, { 40, 4, "rmdir", "n" },
    { 41, 8, "dup", "f" }, { 42, 8, "pipe", "p" }, { 45, 10, "brk", "a" },
    { 47, 2, "getgid", "" }, { 49, 2, "geteuid", "" }, { 50, 2, "getegid", "" },
    { 54, 10, "ioctl", "fip" }, { 57, 4, "setpgid", "ki" }, { 60, 4, "umask", "i" },
    { 61, 4, "chroot", "n" }, { 63, 8, "dup2", "ff" }, { 64, 2, "getppid", "" },
    { 65, 2, "getpgrp", "" }, { 66, 2, "setsid", "" }, { 75, 6, "setrlimit", "ip" },
    { 77, 6, "getrusage", "ip" }, { 78, 6, "gettimeofday", "pp" }, { 83, 4, "symlink", "nn" },
    { 85, 8, "readlink", "nps" }, { 87, 4, "swapon", "xi" }, { 88, 4, "reboot", "xxx" },
    { 91, 10, "munmap", "as" }, { 96, 4, "getpriority", "ik" }, { 97, 4, "setpriority", "iki" },
    { 103, 4, "syslog", "ips" }, { 104, 4, "setitimer", "ipp" }, { 105, 4, "getitimer", "ip" },
    { 114, 6, "wait4", "kpip" }, { 115, 4, "swapoff", "x" }, { 116, 6, "sysinfo", "p" },
    { 118, 4, "fsync", "f" }, { 119, 1, "sigreturn", "" }, { 120, 4, "clone", "ixppp" },
    { 122, 6, "uname", "p" }, { 125, 10, "mprotect", "asi" }, { 140, 8, "_llseek", "foopi" },
    { 142, 4, "_newselect", "ipppp" }, { 144, 6, "msync", "asi" }, { 145, 8, "readv", "fpi" },
    { 146, 8, "writev", "fpi" }, { 148, 4, "fdatasync", "f" }, { 150, 6, "mlock", "as" },
    { 151, 6, "munlock", "as" }, { 152, 4, "mlockall", "i" }, { 153, 4, "munlockall", "" },
    { 158, 4, "sched_yield", "" }, { 162, 6, "nanosleep", "pp" }, { 163, 8, "mremap", "assia" },
    { 168, 4, "poll", "pii" }, { 172, 4, "prctl", "iiiii" }, { 173, 1, "rt_sigreturn", "" },
    { 174, 8, "rt_sigaction", "gppz" }, { 175, 8, "rt_sigprocmask", "ippz" },
    { 177, 4, "rt_sigtimedwait", "pppz" }, { 179, 2, "rt_sigsuspend", "pz" },
    { 180, 8, "pread64", "fpsoo" }, { 181, 8, "pwrite64", "fpsoo" }, { 183, 6, "getcwd", "ps" },
    { 186, 4, "sigaltstack", "pp" }, { 190, 4, "vfork", "" }, { 191, 6, "ugetrlimit", "ip" },
    { 192, 12, "mmap2", "asiifo" }, { 193, 4, "truncate64", "noo" },
    { 194, 4, "ftruncate64", "foo" }, { 195, 8, "stat64", "np" }, { 196, 6, "lstat64", "np" },
    { 197, 8, "fstat64", "fp" }, { 199, 2, "getuid32", "" }, { 200, 2, "getgid32", "" },
    { 201, 2, "geteuid32", "" }, { 202, 2, "getegid32", "" }, { 205, 4, "getgroups32", "ip" },
    { 206, 4, "setgroups32", "ip" }, { 218, 6, "mincore", "asp" }, { 219, 8, "madvise", "asi" },
    { 220, 8, "getdents64", "fps" }, { 221, 8, "fcntl64", "fii" }, { 224, 2, "gettid", "" },
    { 238, 4, "tkill", "kg" }, { 239, 6, "sendfile64", "ffps" }, { 240, 6, "futex", "piipai" },
    { 242, 4, "sched_getaffinity", "ksp" }, { 243, 6, "set_thread_area", "p" },
    { 252, 1, "exit_group", "i" }, { 258, 6, "set_tid_address", "p" },
    { 265, 6, "clock_gettime", "ip" }, { 266, 4, "clock_getres", "ip" },
    { 267, 6, "clock_nanosleep", "iipp" }, { 268, 4, "statfs64", "nsp" },
    { 269, 4, "fstatfs64", "fsp" }, { 270, 4, "tgkill", "kkg" }, { 295, 10, "openat", "fnii" },
    { 296, 4, "mkdirat", "fni" }, { 300, 8, "fstatat64", "fnpi" }, { 301, 4, "unlinkat", "fni" },
    { 302, 4, "renameat", "fnfn" }, { 305, 6, "readlinkat", "fnps" }, { 307, 6, "faccessat", "fni" },
    { 308, 4, "pselect6", "ipppp" }, { 309, 4, "ppoll", "pippz" }, { 320, 4, "utimensat", "fnpi" },
    { 330, 8, "dup3", "ffi" }, { 331, 8, "pipe2", "pi" }, { 340, 4, "prlimit64", "kipp" },
    { 355, 6, "getrandom", "psi" },
    /* The file tree's calls, which tmpfs (paths under /tmp and /dev/shm) lets change it. */
    { 92, 4, "truncate", "no" }, { 93, 4, "ftruncate", "fo" }, { 94, 4, "fchmod", "fi" },
    { 133, 4, "fchdir", "f" }, { 198, 4, "lchown32", "nii" }, { 207, 4, "fchown32", "fii" },
    { 212, 4, "chown32", "nii" }, { 298, 4, "fchownat", "fniii" }, { 303, 4, "linkat", "fnfni" },
    { 304, 4, "symlinkat", "nfn" }, { 306, 4, "fchmodat", "fni" }, { 353, 4, "renameat2", "fnfni" },
};
#define NENTRIES (sizeof table / sizeof table[0])

/*
 * Not called at all: System V shared memory (ipc 117, shmget..shmdt 395-398) outlives the
 * process that made it, by design, so free memory would not come back after the child.
 */
static int excluded(uint32_t nr)
{
    return nr == 117 || (nr >= 395 && nr <= 398);
}

static uint32_t total_weight;

static const struct entry* find_entry(uint32_t nr)
{
    for (size_t i = 0; i < NENTRIES; i++)
        if (table[i].nr == nr)
            return &table[i];
    return NULL;
}

static const struct entry* pick_entry(struct rng* r)
{
    if (!total_weight)
        for (size_t i = 0; i < NENTRIES; i++)
            total_weight += table[i].weight;
    uint32_t w = rng_below(r, total_weight);
    for (size_t i = 0; i < NENTRIES; i++) {
        if (w < table[i].weight)
            return &table[i];
        w -= table[i].weight;
    }
    return &table[0];
}

/* Offsets in the arena's first pages: paths in page 0, structures in page 1 (fuzz.c). */
#define PATHS 20
#define PATH_STRIDE 128
#define STRUCTS 32
#define STRUCT_STRIDE 64

static uint32_t one_of(struct rng* r, const uint32_t* values, uint32_t n)
{
    return values[rng_below(r, n)];
}
#define ONE_OF(r, ...) ({ static const uint32_t v_[] = { __VA_ARGS__ }; \
                          one_of(r, v_, sizeof v_ / sizeof v_[0]); })

static uint32_t valid_buffer(struct rng* r)
{
    uint32_t base = (uint32_t)arena.buffers;
    switch (rng_below(r, 4)) {
    case 0: return base + 4096 + rng_below(r, STRUCTS) * STRUCT_STRIDE;
    case 1: return base + rng_below(r, BUFFER_PAGES) * 4096;
    case 2: return base + (rng_below(r, BUFFER_PAGES * 4096) & ~3u);
    default: return base + 2 * 4096 + rng_below(r, 4096);
    }
}

static uint32_t pointer(struct rng* r)
{
    switch (rng_below(r, 12)) {
    case 0: return 0;
    case 1: return 0xFFFFFFFF;
    case 2: return ONE_OF(r, 0xC0000000, 0xC0100000, 0xFFFFF000, 0xBFFFFFFE, 0xC0000000 - 16)
                   + rng_below(r, 8);
    case 3: return 0xC0000000 + rng_next(r) % 0x40000000;
    case 4: return (uint32_t)arena.hole + rng_below(r, HOLE_SIZE);
    case 5: return rng_below(r, 4096);
    case 6: return (uint32_t)arena.readonly + rng_below(r, 4096);
    case 7: return (uint32_t)arena.edge + 4096 - 1 - rng_below(r, 64);
    default: return valid_buffer(r);
    }
}

static uint32_t size(struct rng* r)
{
    switch (rng_below(r, 6)) {
    case 0: return ONE_OF(r, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFF000, 0x40000000,
                          0x10000000, 0xC0000000);
    case 1: return ONE_OF(r, 0, 1, 2, 4, 8, 16, 64, 100);
    case 2: return ONE_OF(r, 4095, 4096, 4097, 8192, 65536, 1 << 20, 16 << 20);
    default: return rng_below(r, 8192);
    }
}

static uint32_t integer(struct rng* r)
{
    switch (rng_below(r, 6)) {
    case 0: return rng_below(r, 4);
    case 1: return rng_below(r, 64);
    case 2: return 1u << rng_below(r, 32);
    case 3: return rng_next(r) & 0xFFFF;
    case 4: return ONE_OF(r, 0xFFFFFFFF, 0x80000000, 0x7FFFFFFF, 0xFFFFFF9C);
    default: return rng_next(r);
    }
}

static uint32_t descriptor(struct rng* r)
{
    if (rng_below(r, 8))
        return rng_below(r, 12);        /* fuzz.c opens 0..10 in every child */
    return ONE_OF(r, 0xFFFFFFFF, 0xFFFFFF9C, 61, 64, 1000, 0x80000000);
}

static uint32_t address(struct rng* r)
{
    uint32_t page = rng_below(r, 64) * 4096;
    switch (rng_below(r, 9)) {
    case 0: return (uint32_t)arena.hole + page % HOLE_SIZE;
    case 1: return (uint32_t)arena.buffers + page % (BUFFER_PAGES * 4096);
    case 2: return (uint32_t)arena.readonly;
    case 3: return (uint32_t)arena.edge + ONE_OF(r, 0, 4096);
    case 4: return ONE_OF(r, 0, 0x1000, 0x40000000, 0xBFFFF000, 0xC0000000, 0xFFFFF000);
    case 5: return (uint32_t)arena.hole + page % HOLE_SIZE + 1 + rng_below(r, 4095);
    case 6: return rng_next(r) & ~0xFFFu;
    default: return (uint32_t)arena.hole + page % HOLE_SIZE;
    }
}

static uint32_t path(struct rng* r)
{
    if (rng_below(r, 10))
        return (uint32_t)arena.buffers + rng_below(r, PATHS) * PATH_STRIDE;
    return pointer(r);
}

static uint32_t argument(struct rng* r, char kind)
{
    if (kind == 'x' || rng_below(r, 8) == 0)
        kind = "fpnsiakgoz"[rng_below(r, 10)];
    switch (kind) {
    case 'f': return descriptor(r);
    case 'p': return pointer(r);
    case 'n': return path(r);
    case 's': return size(r);
    case 'a': return address(r);
    case 'k': return rng_below(r, 4) ? rng_below(r, 40) : ONE_OF(r, 0xFFFFFFFF, 0x80000000, 32768, 99999);
    case 'g': return rng_below(r, 4) ? rng_below(r, 66) : ONE_OF(r, 9, 11, 17, 19, 0xFFFFFFFF);
    case 'o': return rng_below(r, 2) ? rng_below(r, 8192) : ONE_OF(r, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 4096);
    case 'z': return rng_below(r, 4) ? 8 : integer(r);
    default: return integer(r);
    }
}

void generate_call(struct rng* r, struct call* c)
{
    const struct entry* e;
    if (rng_below(r, 10) == 0) {
        do
            c->nr = rng_below(r, 451);
        while (excluded(c->nr));
        e = find_entry(c->nr);
    } else {
        e = pick_entry(r);
        c->nr = e->nr;
    }
    c->name = e ? e->name : NULL;
    const char* kinds = e ? e->kinds : "xxxxxx";
    for (int i = 0; i < 6; i++)
        c->args[i] = kinds[i] ? argument(r, kinds[i]) : (rng_below(r, 2) ? 0 : integer(r));
}

int is_fork_call(uint32_t nr)
{
    return nr == 2 || nr == 120 || nr == 190;
}

/* Page-rounded [start, start + len) meets [lo, hi)? */
static int overlaps(uint32_t start, uint32_t len, uint64_t lo, uint64_t hi)
{
    uint64_t s = start & ~0xFFFull;
    uint64_t e = (uint64_t)start + len + 0xFFF;
    return s < hi && e > lo;
}

/* A range the memory calls may not touch: the fuzzer's program and its stack. */
static void keep_off(uint32_t* start, uint32_t* len, uintptr_t stack_low)
{
    for (int round = 0; round < 2; round++)
        if (overlaps(*start, *len, arena.image_start, arena.image_end) ||
            overlaps(*start, *len, stack_low, 0xC0000000ull)) {
            if (round == 0)
                *start = (uint32_t)arena.hole;
            else
                *len = HOLE_SIZE;
        }
}

/*
 * The rules, each for a call that would otherwise end the run or stop the child from
 * going on; everything else goes to the kernel as drawn:
 * - No argument is 62 or 63, the child's progress pipe and console (fuzz.h).
 * - kill, tkill, tgkill, setpriority, prlimit64 never name pid 1, the fuzzer or a process
 *   group (pid <= 0): those become the caller itself. Children and strays may be hit.
 * - reboot never gets its first magic number (0xfee1dead): nothing powers off.
 * - swapon and swapoff never get a path: the run's swap area stays as it is, and its
 *   slots are counted.
 * - clone never gets a new stack: the new process runs the fuzzer's exit, which needs one.
 * - munmap, mprotect, madvise, mremap, mlock, msync and MAP_FIXED mmap2 never cover the
 *   fuzzer's program or its stack: the range moves to the unmapped hole instead.
 * Paths come from a pool (fuzz.c) without writable places and without programs that power
 * off or run the suite: files made on tmpfs, like SysV segments, would outlive a child.
 */
void sanitize_call(struct call* c, int own_pid, uintptr_t stack_low)
{
    for (int i = 0; i < 6; i++)
        if (c->args[i] == FD_PROGRESS || c->args[i] == FD_LOG)
            c->args[i] = 61;
    int pid_arg = -1;
    switch (c->nr) {
    case 37: case 238: pid_arg = 0; break;
    case 270: pid_arg = 1; c->args[0] = (uint32_t)own_pid; break;
    case 97: pid_arg = 1; break;
    case 340: pid_arg = 0; break;
    case 88:
        if (c->args[0] == 0xfee1dead)
            c->args[0] = 0;
        break;
    case 87: case 115:
        if (c->args[0] - (uint32_t)arena.buffers < 4096)
            c->args[0] = (uint32_t)arena.hole;
        break;
    case 120:
        c->args[1] = 0;
        break;
    case 91: case 125: case 219: case 150: case 151: case 144:
        keep_off(&c->args[0], &c->args[1], stack_low);
        break;
    case 192:
        if (c->args[3] & 0x10)          /* MAP_FIXED */
            keep_off(&c->args[0], &c->args[1], stack_low);
        break;
    case 163:
        keep_off(&c->args[0], &c->args[1], stack_low);
        keep_off(&c->args[4], &c->args[2], stack_low);
        break;
    }
    if (pid_arg >= 0) {
        int pid = (int)c->args[pid_arg];
        if (pid <= 1 || pid == arena.parent_pid)
            c->args[pid_arg] = (uint32_t)own_pid;
    }
}

/* Formats by hand: a child whose TLS descriptor the fuzzing changed cannot use stdio. */
static char* put_str(char* p, char* end, const char* s)
{
    while (*s && p < end)
        *p++ = *s++;
    return p;
}

static char* put_num(char* p, char* end, uint32_t v, int hex)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[hex ? v % 16 : v % 10];
        v = hex ? v / 16 : v / 10;
    } while (v);
    if (hex)
        p = put_str(p, end, "0x");
    while (n && p < end)
        *p++ = digits[--n];
    return p;
}

void describe_call(const struct call* c, char* buf, unsigned size)
{
    char* p = buf;
    char* end = buf + size - 1;
    if (c->name) {
        p = put_str(p, end, c->name);
    } else {
        p = put_str(p, end, "syscall_");
        p = put_num(p, end, c->nr, 0);
    }
    p = put_str(p, end, "[");
    p = put_num(p, end, c->nr, 0);
    p = put_str(p, end, "](");
    for (int i = 0; i < 6; i++) {
        p = put_num(p, end, c->args[i], 1);
        p = put_str(p, end, i < 5 ? ", " : ")");
    }
    *p = 0;
}
