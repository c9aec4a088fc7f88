/*
 * Shared memory: MAP_SHARED anonymous memory and files, System V segments (directly and
 * through i386's ipc multiplexer), msync's checks, /proc's views of them (maps,
 * sysvipc/shm, meminfo's Shmem), and, in the swap stage (the swap_shm_* tests), shared
 * pages pushed out to swap by memory pressure and read back by another process.
 *
 * Frame numbers in pagemap are shown by Linux to root only; without them that check skips.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u
#define PM_PRESENT (1ull << 63)
#define PM_PFN_MASK ((1ull << 55) - 1)

static uint64_t pagemap_of(pid_t pid, const void* vaddr)
{
    char path[64];
    snprintf(path, sizeof path, pid ? "/proc/%d/pagemap" : "/proc/self/pagemap", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    uint64_t entry = 0;
    off_t offset = (off_t)((uintptr_t)vaddr / PAGE) * 8;
    if (pread(fd, &entry, 8, offset) != 8)
        fail("read %s: %s", path, strerror(errno));
    close(fd);
    return entry;
}

/* The text of a small file (/proc), NUL-terminated, in a static buffer. */
static const char* read_text(const char* path)
{
    static char text[16384];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while (len < sizeof text - 1 && (n = read(fd, text + len, sizeof text - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    text[len] = 0;
    return text;
}

/* The line of /proc/self/maps that starts at addr, in a static buffer, or fails. */
static const char* maps_line(const void* addr)
{
    static char line[256];
    char start[32];
    snprintf(start, sizeof start, "%08lx-", (unsigned long)(uintptr_t)addr);
    const char* text = read_text("/proc/self/maps");
    for (const char* l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        if (strncmp(l, start, strlen(start)) == 0) {
            size_t n = strcspn(l, "\n");
            memcpy(line, l, n < sizeof line - 1 ? n : sizeof line - 1);
            line[n < sizeof line - 1 ? n : sizeof line - 1] = 0;
            return line;
        }
    }
    fail("no maps line at %p", addr);
}

/* meminfo's value for key, in kB. */
static long meminfo_kb(const char* key)
{
    const char* text = read_text("/proc/meminfo");
    const char* l = strstr(text, key);
    if (!l)
        fail("/proc/meminfo has no %s", key);
    return strtol(l + strlen(key), NULL, 10);
}

static char* shared_anon(size_t bytes)
{
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        fail("mmap MAP_SHARED|MAP_ANONYMOUS: %s", strerror(errno));
    return p;
}

/* Shared anonymous memory is one memory for parent and child: stores both ways, same frames. */
void test_shm_anon_fork(void)
{
    char* p = shared_anon(4 * PAGE);
    strcpy(p, "parent");
    int sync_pipe[2], frame_pipe[2];
    CHECK(pipe(sync_pipe) == 0 && pipe(frame_pipe) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (strcmp(p, "parent") != 0)
            _exit(2);
        strcpy(p + 3 * PAGE, "child");
        uint64_t e = pagemap_of(0, p + 3 * PAGE);
        write_all(frame_pipe[1], &e, sizeof e);
        char c;
        read_all(sync_pipe[0], &c, 1);
        _exit(strcmp(p + PAGE, "parent again") == 0 ? 0 : 3);
    }
    uint64_t theirs;
    read_all(frame_pipe[0], &theirs, sizeof theirs);
    CHECK(strcmp(p + 3 * PAGE, "child") == 0);
    uint64_t ours = pagemap_of(0, p + 3 * PAGE);
    CHECK(ours & PM_PRESENT);
    if (ours & PM_PFN_MASK)
        CHECK_EQ(ours & PM_PFN_MASK, theirs & PM_PFN_MASK);
    else
        diag("pagemap shows no frame numbers: frame check skipped");
    strcpy(p + PAGE, "parent again");
    write_all(sync_pipe[1], "x", 1);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(munmap(p, 4 * PAGE) == 0);
}

/* maps names it as Linux does: rw-s, 00:01, an inode, "/dev/zero (deleted)". */
void test_shm_anon_maps(void)
{
    char* p = shared_anon(2 * PAGE);
    const char* line = maps_line(p);
    char perms[8];
    unsigned long off, ino;
    unsigned maj, min;
    if (sscanf(line, "%*x-%*x %7s %lx %x:%x %lu", perms, &off, &maj, &min, &ino) != 5)
        fail("maps line %s", line);
    CHECK(strcmp(perms, "rw-s") == 0);
    CHECK_EQ(off, 0);
    CHECK(ino != 0);
    if (!strstr(line, "/dev/zero (deleted)"))
        fail("maps line %s", line);
    CHECK(mprotect(p, PAGE, PROT_READ) == 0);   /* a shared region split keeps its name */
    CHECK(strstr(maps_line(p + PAGE), "rw-s 00001000") != NULL);
    CHECK(munmap(p, 2 * PAGE) == 0);
}

/* A read-only shared mapping of a file; writing it is refused as Linux refuses it. */
void test_shm_file_readonly(void)
{
    const char* path = root_path("/tests/hello");
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    char head[64];
    CHECK(read(fd, head, sizeof head) == sizeof head);
    char* p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    CHECK(p != MAP_FAILED);
    CHECK(memcmp(p, head, sizeof head) == 0);
    CHECK(strstr(maps_line(p), "r--s") != NULL);
    CHECK_ERRNO(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
    CHECK(mprotect(p, PAGE, PROT_READ) == 0);
    CHECK(munmap(p, PAGE) == 0);
    CHECK(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES);
    /* A private mapping of the same descriptor may become writable: the copy is its own. */
    p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(p != MAP_FAILED);
    CHECK(mprotect(p, PAGE, PROT_READ | PROT_WRITE) == 0);
    CHECK(munmap(p, PAGE) == 0);
    close(fd);
}

static int stat_segment(int id, struct shmid_ds* ds)
{
    return shmctl(id, IPC_STAT, ds);
}

static unsigned long nattch(int id)
{
    struct shmid_ds ds;
    if (stat_segment(id, &ds) != 0)
        fail("IPC_STAT %d: %s", id, strerror(errno));
    return (unsigned long)ds.shm_nattch;
}

/* A segment: create, attach, share with a child (fork inherits the attach), detach, remove. */
void test_sysv_basic(void)
{
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    CHECK(id >= 0);
    struct shmid_ds ds;
    CHECK(stat_segment(id, &ds) == 0);
    CHECK_EQ(ds.shm_segsz, 10000);
    CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
    CHECK_EQ(ds.shm_cpid, getpid());
    CHECK_EQ(ds.shm_nattch, 0);
    char* p = shmat(id, NULL, 0);
    CHECK(p != (void*)-1);
    CHECK_EQ((uintptr_t)p % PAGE, 0);
    CHECK(p[9999] == 0);
    strcpy(p + 8192, "from the parent");
    CHECK_EQ(nattch(id), 1);
    CHECK(stat_segment(id, &ds) == 0);
    CHECK_EQ(ds.shm_lpid, getpid());
    CHECK(ds.shm_atime != 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        if (nattch(id) != 2 || strcmp(p + 8192, "from the parent") != 0)
            _exit(2);
        strcpy(p, "from the child");
        _exit(shmdt(p) == 0 && nattch(id) == 1 ? 0 : 3);
    }
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strcmp(p, "from the child") == 0);
    CHECK(shmdt(p) == 0);
    CHECK_EQ(nattch(id), 0);
    CHECK(stat_segment(id, &ds) == 0);
    CHECK(ds.shm_dtime != 0);
    /* IPC_SET changes the mode's permission bits. */
    ds.shm_perm.mode = 0640;
    CHECK(shmctl(id, IPC_SET, &ds) == 0);
    CHECK(stat_segment(id, &ds) == 0);
    CHECK_EQ(ds.shm_perm.mode & 0777, 0640);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    CHECK_ERRNO(stat_segment(id, &ds), EINVAL);
}

/* A key no other test run uses: from the pid and the time. */
static key_t private_key(int n)
{
    return (key_t)(0x5e000000 | ((getpid() & 0xFFFF) << 8) | (n & 0xFF)) ^ (key_t)(time(NULL) & 0x7F0000);
}

static void write_to(void* arg)
{
    *(volatile char*)arg = 1;
}

/* Linux's errors for each call. */
void test_sysv_errors(void)
{
    key_t key = private_key(1);
    CHECK_ERRNO(shmget(key, 4096, 0600), ENOENT);
    CHECK_ERRNO(shmget(key, 0, IPC_CREAT | 0600), EINVAL);
    int id = shmget(key, 8192, IPC_CREAT | 0600);
    CHECK(id >= 0);
    CHECK_EQ(shmget(key, 4096, 0600), id);
    CHECK_EQ(shmget(key, 8192, IPC_CREAT | 0600), id);
    CHECK_ERRNO(shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_ERRNO(shmget(key, 3 * 4096, 0600), EINVAL);
    CHECK_ERRNO(shmat(-1, NULL, 0), EINVAL);
    CHECK_ERRNO(shmat(id + 1, NULL, 0), EINVAL);
    CHECK_ERRNO(shmctl(-1, IPC_STAT, NULL), EINVAL);
    struct shmid_ds ds;
    CHECK_ERRNO(shmctl(id, 12345, &ds), EINVAL);

    /* An address: page aligned, or rounded down with SHM_RND; nothing in the way. */
    char* base = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(base != MAP_FAILED);
    CHECK_ERRNO(shmat(id, base + 100, 0), EINVAL);
    CHECK_ERRNO(shmat(id, base, 0), EINVAL);            /* mapped already */
    CHECK(munmap(base, 4 * PAGE) == 0);
    char* p = shmat(id, base + 100, SHM_RND);
    CHECK(p == base);
    CHECK_ERRNO(shmdt(p + 1), EINVAL);
    CHECK_ERRNO(shmdt(p + PAGE), EINVAL);
    CHECK(shmdt(p) == 0);
    CHECK_ERRNO(shmdt(p), EINVAL);

    /* SHM_RDONLY: reads work, a store is SIGSEGV, mprotect cannot add PROT_WRITE. */
    p = shmat(id, NULL, SHM_RDONLY);
    CHECK(p != (void*)-1);
    CHECK(p[0] == 0);
    CHECK(strstr(maps_line(p), "r--s") != NULL);
    expect_death("a store to a SHM_RDONLY attach", SIGSEGV, write_to, p);
    CHECK_ERRNO(mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
    CHECK(shmdt(p) == 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    CHECK_ERRNO(shmget(key, 4096, 0600), ENOENT);
}

/* Removed while attached: it lives on (SHM_DEST, key gone) until the last detach. */
void test_sysv_rmid_attached(void)
{
    key_t key = private_key(2);
    int id = shmget(key, 3 * PAGE, IPC_CREAT | 0600);
    CHECK(id >= 0);
    char* p = shmat(id, NULL, 0);
    CHECK(p != (void*)-1);
    strcpy(p, "kept");
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* The child's attach is inherited; it keeps the segment after the parent detaches. */
        usleep(200 * 1000);
        _exit(strcmp(p, "kept") == 0 && strcmp(p + PAGE, "later") == 0 ? 0 : 2);
    }
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
    struct shmid_ds ds;
    CHECK(stat_segment(id, &ds) == 0);
    CHECK(ds.shm_perm.mode & SHM_DEST);
    CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE);
    CHECK_EQ(ds.shm_nattch, 2);
    CHECK_ERRNO(shmget(key, PAGE, 0600), ENOENT);
    strcpy(p + PAGE, "later");
    CHECK(shmdt(p) == 0);
    CHECK(stat_segment(id, &ds) == 0);                  /* the child still has it */
    CHECK_EQ(ds.shm_nattch, 1);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_ERRNO(stat_segment(id, &ds), EINVAL);          /* its exit was the last detach */
}

static void attach_and_exit(void* arg)
{
    int id = *(int*)arg;
    char* p = shmat(id, NULL, 0);
    if (p == (void*)-1)
        _exit(2);
    strcpy(p, "left by a process that exited");
}

static void attach_and_exec(void* arg)
{
    int id = *(int*)arg;
    if (shmat(id, NULL, 0) == (void*)-1)
        _exit(2);
    const char* hello = root_path("/tests/hello");
    execl(hello, hello, (char*)NULL);
    _exit(3);
}

/* Exit and exec detach; the segment outlives the process that filled it. */
void test_sysv_exit_exec_detach(void)
{
    int id = shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
    CHECK(id >= 0);
    expect_success("attach and exit", attach_and_exit, &id);
    CHECK_EQ(nattch(id), 0);
    char* p = shmat(id, NULL, SHM_RDONLY);
    CHECK(p != (void*)-1);
    CHECK(strcmp(p, "left by a process that exited") == 0);
    CHECK(shmdt(p) == 0);
    pid_t pid = spawn(attach_and_exec, &id);
    int status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_EQ(nattch(id), 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
}

/* i386's ipc(2) multiplexer: SHMAT answers through its third argument. */
void test_sysv_ipc_multiplexer(void)
{
    enum { SHMAT = 21, SHMDT = 22, SHMGET = 23, SHMCTL = 24, IPC_64_FLAG = 0x100 };
    int id = (int)syscall(SYS_ipc, SHMGET, IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600, 0, 0);
    CHECK(id >= 0);
    unsigned long addr = 0;
    CHECK_EQ(syscall(SYS_ipc, SHMAT, id, 0, (long)&addr, 0, 0), 0);
    CHECK(addr != 0 && addr % PAGE == 0);
    strcpy((char*)addr, "via ipc");
    char* q = shmat(id, NULL, 0);
    CHECK(q != (void*)-1 && strcmp(q, "via ipc") == 0);
    CHECK(shmdt(q) == 0);
    unsigned char ds[128];
    memset(ds, 0xAA, sizeof ds);
    CHECK_EQ(syscall(SYS_ipc, SHMCTL, id, IPC_STAT | IPC_64_FLAG, 0, (long)ds, 0), 0);
    uint32_t segsz, nattch_;
    memcpy(&segsz, ds + 36, 4);                 /* after the 36-byte ipc64_perm */
    memcpy(&nattch_, ds + 36 + 4 + 24 + 8, 4);  /* after the times and the pids */
    CHECK_EQ(segsz, 2 * PAGE);
    CHECK_EQ(nattch_, 1);
    CHECK_EQ(syscall(SYS_ipc, SHMDT, 0, 0, 0, addr, 0), 0);
    CHECK_EQ(syscall(SYS_ipc, SHMCTL, id, IPC_RMID, 0, 0, 0), 0);
    errno = 0;
    CHECK(syscall(SYS_ipc, SHMCTL, id, IPC_STAT | IPC_64_FLAG, 0, (long)ds, 0) == -1 && errno == EINVAL);
}

/* IPC_INFO, SHM_INFO, SHM_STAT, /proc/sysvipc/shm and the maps name of a segment. */
void test_sysv_info(void)
{
    key_t key = private_key(3);
    int id = shmget(key, 5 * PAGE, IPC_CREAT | 0644);
    CHECK(id >= 0);
    char* p = shmat(id, NULL, 0);
    CHECK(p != (void*)-1);
    memset(p, 1, 2 * PAGE);
    struct shminfo info;
    int max = shmctl(0, IPC_INFO, (struct shmid_ds*)&info);
    CHECK(max >= 0);
    CHECK(info.shmmax >= 5 * PAGE && info.shmmin == 1 && info.shmmni > 0 && info.shmall > 0);
    struct shm_info si;
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds*)&si) >= 0);
    CHECK(si.used_ids >= 1 && si.shm_tot >= 5 && si.shm_rss >= 2);
    int found = 0;
    for (int i = 0; i <= max; i++) {
        struct shmid_ds ds;
        int got = shmctl(i, SHM_STAT, &ds);
        if (got == id) {
            found = 1;
            CHECK_EQ(ds.shm_segsz, 5 * PAGE);
        }
    }
    CHECK(found);

    const char* text = read_text("/proc/sysvipc/shm");
    CHECK(strncmp(text, "       key      shmid perms", 27) == 0);
    found = 0;
    for (const char* l = strchr(text, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        int k, i;
        unsigned perms;
        unsigned long size, rss;
        int cpid, lpid;
        unsigned long natt;
        if (sscanf(l + 1, "%d %d %o %lu %d %d %lu %*u %*u %*u %*u %*u %*u %*u %lu", &k, &i, &perms,
                   &size, &cpid, &lpid, &natt, &rss) == 8 && i == id) {
            found = 1;
            CHECK_EQ(k, key);
            CHECK_EQ(perms, 0644);
            CHECK_EQ(size, 5 * PAGE);
            CHECK_EQ(cpid, getpid());
            CHECK_EQ(natt, 1);
            CHECK_EQ(rss, 2 * PAGE);
        }
    }
    if (!found)
        fail("segment %d not in /proc/sysvipc/shm:\n%s", id, text);

    char name[32];
    snprintf(name, sizeof name, "/SYSV%08x (deleted)", (unsigned)key);
    const char* line = maps_line(p);
    if (!strstr(line, name) || !strstr(line, "rw-s 00000000 00:01 "))
        fail("maps line %s", line);
    CHECK(shmdt(p) == 0);
    CHECK(shmctl(id, IPC_RMID, NULL) == 0);
}

/* msync validates as Linux; for memory-backed objects there is nothing to write. */
void test_msync_checks(void)
{
    char* p = shared_anon(4 * PAGE);
    strcpy(p, "synced");
    CHECK(msync(p, 4 * PAGE, MS_SYNC) == 0);
    CHECK(msync(p, 100, MS_ASYNC) == 0);
    CHECK(msync(p, 4 * PAGE, MS_INVALIDATE) == 0);
    CHECK(msync(p, 0, MS_SYNC) == 0);
    CHECK(strcmp(p, "synced") == 0);
    CHECK_ERRNO(msync(p + 1, PAGE, MS_SYNC), EINVAL);
    CHECK_ERRNO(msync(p, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERRNO(msync(p, PAGE, 8), EINVAL);
    CHECK(munmap(p + 2 * PAGE, PAGE) == 0);
    CHECK_ERRNO(msync(p, 4 * PAGE, MS_SYNC), ENOMEM);
    CHECK(msync(p, 2 * PAGE, MS_SYNC) == 0);
    CHECK(munmap(p, 4 * PAGE) == 0);
    CHECK_ERRNO(msync(p, PAGE, MS_ASYNC), ENOMEM);
}

/* meminfo's Shmem counts the pages of shared memory in RAM. */
void test_shmem_meminfo(void)
{
    const size_t bytes = 2u << 20;
    long before = meminfo_kb("Shmem:");
    char* p = shared_anon(bytes);
    touch_pages(p, bytes);
    long during = meminfo_kb("Shmem:");
    CHECK(munmap(p, bytes) == 0);
    long after = meminfo_kb("Shmem:");
    if (during - before < (long)(bytes / 1024) * 9 / 10)
        fail("Shmem %ld kB before, %ld kB with 2 MB touched", before, during);
    if (during - after < (long)(bytes / 1024) * 9 / 10)
        fail("Shmem %ld kB with 2 MB touched, %ld kB after munmap", during, after);
}

/*
 * Under memory pressure (the swap stage: 16 MB of RAM, swap disks attached). Skipped
 * without the disks, and on Linux (swapon would change the machine).
 */
static void need_swap_disk(void)
{
    if (on_linux)
        skip("swapon would change the machine running the tests");
    int fd = open("/dev/hda", O_RDONLY);
    if (fd < 0)
        skip("no swap disk attached (the swap stages of make test attach one)");
    close(fd);
}

static long vmstat(const char* key)
{
    const char* text = read_text("/proc/vmstat");
    size_t k = strlen(key);
    for (const char* l = text; l && *l; l = strchr(l, '\n'), l += !!l)
        if (strncmp(l, key, k) == 0 && l[k] == ' ')
            return strtol(l + k + 1, NULL, 10);
    fail("/proc/vmstat has no %s", key);
}

static unsigned long long swap_in_use(void)
{
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    return (unsigned long long)(si.totalswap - si.freeswap) * si.mem_unit;
}

struct region_job {
    char* p;
    int shmid;                          /* attach this segment first if >= 0 */
    uint32_t pages, seed;
};

static char* job_memory(const struct region_job* job, int flags)
{
    if (job->shmid < 0)
        return job->p;
    char* p = shmat(job->shmid, NULL, flags);
    if (p == (void*)-1)
        fail("shmat: %s", strerror(errno));
    return p;
}

static void fill_job(void* arg)
{
    const struct region_job* job = arg;
    char* p = job_memory(job, 0);
    for (uint32_t i = 0; i < job->pages; i++)
        fill_page((uint32_t*)(p + (size_t)i * PAGE), i, job->seed);
}

static void verify_job(void* arg)
{
    const struct region_job* job = arg;
    const char* p = job_memory(job, SHM_RDONLY);
    for (uint32_t i = 0; i < job->pages; i++)
        if (!page_ok((const uint32_t*)(p + (size_t)i * PAGE), i, job->seed))
            fail("page %u wrong", i);
}

/* Private memory as large as RAM, written: everything else must make room. */
static void press(void* arg)
{
    (void)arg;
    struct sysinfo si;
    CHECK(sysinfo(&si) == 0);
    size_t bytes = (size_t)si.totalram * si.mem_unit;
    char* p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(p != MAP_FAILED);
    touch_pages(p, bytes);
}

static double seconds_since(const struct timespec* t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void shm_info(struct shm_info* si)
{
    CHECK(shmctl(0, SHM_INFO, (struct shmid_ds*)si) >= 0);
}

/*
 * A 16 MB segment at 16 MB of RAM: one process writes it, pressure pushes it out, another
 * process reads every byte back; its pages in swap are counted (SHM_INFO's shm_swp) and
 * the swap traffic reported. Removing it gives back every slot.
 */
void test_swap_shm_sysv(void)
{
    need_swap_disk();
    if (swapon("/dev/hda", 0) < 0)
        fail("swapon: %s", strerror(errno));
    long out0 = vmstat("pswpout"), in0 = vmstat("pswpin");
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct region_job job = { NULL, -1, (16u << 20) / PAGE, 0x5151 };
    job.shmid = shmget(IPC_PRIVATE, 16u << 20, IPC_CREAT | 0600);
    CHECK(job.shmid >= 0);
    expect_success("fill the segment", fill_job, &job);
    expect_success("memory pressure", press, NULL);
    struct shm_info si;
    shm_info(&si);
    unsigned long swapped = si.shm_swp;
    diag("after pressure: %lu of %u pages of the segment in swap, %lu in RAM", swapped, job.pages,
         (unsigned long)si.shm_rss);
    CHECK(swapped > job.pages / 2);
    expect_success("read it back in another process", verify_job, &job);
    shm_info(&si);
    long out = vmstat("pswpout") - out0, in = vmstat("pswpin") - in0;
    diag("16 MB segment at 16 MB RAM: %ld pages written to swap, %ld read back, %.2f s", out, in,
         seconds_since(&t0));
    CHECK(in > 0 && out >= (long)swapped);
    /* Removing it frees its slots (this process's own pages may be in swap too: swapoff counts all). */
    shm_info(&si);
    unsigned long long used = swap_in_use();
    CHECK(shmctl(job.shmid, IPC_RMID, NULL) == 0);
    CHECK(used - swap_in_use() >= (unsigned long long)si.shm_swp * PAGE);
    if (swapoff("/dev/hda") < 0)
        fail("swapoff: %s", strerror(errno));
}

/* The same with shared anonymous memory, filled by one child and checked by another. */
void test_swap_shm_anon(void)
{
    need_swap_disk();
    if (swapon("/dev/hda", 0) < 0)
        fail("swapon: %s", strerror(errno));
    long out0 = vmstat("pswpout");
    struct region_job job = { shared_anon(12u << 20), -1, (12u << 20) / PAGE, 0xA404 };
    expect_success("fill the mapping", fill_job, &job);
    expect_success("memory pressure", press, NULL);
    long out = vmstat("pswpout") - out0;
    diag("12 MB shared mapping: %ld pages written to swap", out);
    CHECK(meminfo_kb("Shmem:") < 12 * 1024);    /* some of it is out */
    expect_success("read it back in another process", verify_job, &job);
    unsigned long long used = swap_in_use();
    long kept = meminfo_kb("Shmem:");
    CHECK(munmap(job.p, (size_t)job.pages * PAGE) == 0);
    /* The last unmap frees the object: its slots go (swapoff then finds every slot free). */
    CHECK(used - swap_in_use() >= (unsigned long long)(12 * 1024 - kept) * 1024 / 2);
    if (swapoff("/dev/hda") < 0)
        fail("swapoff: %s", strerror(errno));
}

/* swapoff with a segment's pages in swap brings them all back into the segment. */
void test_swap_shm_swapoff(void)
{
    need_swap_disk();
    if (swapon("/dev/hda", 0) < 0)
        fail("swapon: %s", strerror(errno));
    struct region_job job = { NULL, -1, (6u << 20) / PAGE, 0x0FF0 };
    job.shmid = shmget(IPC_PRIVATE, 6u << 20, IPC_CREAT | 0600);
    CHECK(job.shmid >= 0);
    expect_success("fill the segment", fill_job, &job);
    expect_success("memory pressure", press, NULL);
    struct shm_info si;
    shm_info(&si);
    CHECK(si.shm_swp > 0);
    unsigned long out = si.shm_swp;
    if (swapoff("/dev/hda") < 0)
        fail("swapoff: %s", strerror(errno));
    shm_info(&si);
    diag("swapoff brought back %lu pages of the segment", out);
    CHECK_EQ(si.shm_swp, 0);
    CHECK_EQ(si.shm_rss, job.pages);
    expect_success("read it back", verify_job, &job);
    CHECK(shmctl(job.shmid, IPC_RMID, NULL) == 0);
}

/*
 * For the runner: the System V segments there are, and after a test the removal of those
 * it left (created since the snapshot by a process now gone), so that a test killed
 * before its IPC_RMID (injected allocation failures) does not count as leaked memory.
 */
int sysv_snapshot(int* ids, int max)
{
    struct shminfo info;
    int last = shmctl(0, IPC_INFO, (struct shmid_ds*)&info), n = 0;
    for (int i = 0; i <= last && n < max; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT, &ds);
        if (id >= 0)
            ids[n++] = id;
    }
    return n;
}

int sysv_remove_left(const int* ids, int n)
{
    struct shminfo info;
    int last = shmctl(0, IPC_INFO, (struct shmid_ds*)&info), removed = 0;
    for (int i = 0; i <= last; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT, &ds), known = 0;
        if (id < 0)
            continue;
        for (int k = 0; k < n; k++)
            known |= ids[k] == id;
        if (known || (kill(ds.shm_cpid, 0) == 0 || errno != ESRCH))
            continue;
        printf("# removing System V segment %d left behind (key %#x, %lu bytes)\n", id,
               (unsigned)ds.shm_perm.__key, (unsigned long)ds.shm_segsz);
        if (shmctl(id, IPC_RMID, NULL) == 0)
            removed++;
    }
    return removed;
}
