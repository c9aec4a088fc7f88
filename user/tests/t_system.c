/*
 * The system as users see it: the clocks (CLOCK_REALTIME from the CMOS clock, set by
 * clock_settime and settimeofday), and the /proc files that ps, top, free and uptime read,
 * in Linux's formats.
 */
#include "tests.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The 32-bit structures of the i386 system calls, made directly (glibc would use the
   64-bit-time calls first). */
struct ts32 {
    int32_t sec, nsec;
};
struct tv32 {
    int32_t sec, usec;
};
struct tz32 {
    int32_t minuteswest, dsttime;
};

static struct ts32 clock_now(int clock)
{
    struct ts32 t;
    CHECK_EQ(syscall(SYS_clock_gettime, clock, &t), 0);
    return t;
}

static size_t read_text(const char* path, char* buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail("open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = 0;
    return len;
}

/* The number after "name " on a line of its own in text; fails if there is none. */
static unsigned long long field(const char* text, const char* path, const char* name)
{
    size_t n = strlen(name);
    for (const char* p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return strtoull(p + n + 1, NULL, 10);
    fail("%s has no \"%s\" line", path, name);
}

static double uptime_seconds(void)
{
    char text[128];
    read_text("/proc/uptime", text, sizeof text);
    double up = -1, idle = -1;
    if (sscanf(text, "%lf %lf", &up, &idle) != 2 || up < 0 || idle < 0)
        fail("/proc/uptime is \"%s\"", text);
    return up;
}

/*
 * CLOCK_REALTIME comes from the CMOS clock: a date after the year this was written, and
 * time(), gettimeofday and the coarse clock agree with it; the monotonic clock is uptime.
 */
void test_clock_realtime(void)
{
    struct ts32 real = clock_now(CLOCK_REALTIME);
    if (real.sec < 1735689600)          /* 2025-01-01 */
        fail("CLOCK_REALTIME is %d s after 1970: the real-time clock was not read", real.sec);
    struct ts32 coarse = clock_now(CLOCK_REALTIME_COARSE);
    struct tv32 tv;
    CHECK_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
    long t = syscall(SYS_time, NULL);
    if (coarse.sec < real.sec - 1 || coarse.sec > real.sec + 1 || tv.sec < real.sec ||
        tv.sec > real.sec + 1 || t < real.sec || t > real.sec + 1)
        fail("CLOCK_REALTIME %d, CLOCK_REALTIME_COARSE %d, gettimeofday %d, time %ld disagree",
             real.sec, coarse.sec, tv.sec, t);
    double up = uptime_seconds();
    struct ts32 boot = clock_now(CLOCK_BOOTTIME);
    if (boot.sec + 1 < up || boot.sec > up + 1)
        fail("CLOCK_BOOTTIME %d s, /proc/uptime %.2f s", boot.sec, up);
}

/* What clock_settime and settimeofday refuse, before they would change anything. */
void test_clock_set_invalid(void)
{
    struct ts32 t = clock_now(CLOCK_REALTIME);
    CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &t), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_settime, 99, &t), EINVAL);
    struct ts32 bad_nsec = { t.sec, 1000000000 }, negative = { -1, 0 };
    CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &bad_nsec), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &negative), EINVAL);
    CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, (void*)8), EFAULT);
    struct tv32 bad_usec = { t.sec, 1000000 };
    CHECK_ERRNO(syscall(SYS_settimeofday, &bad_usec, NULL), EINVAL);
    struct tz32 far_west = { 16 * 60, 0 };
    CHECK_ERRNO(syscall(SYS_settimeofday, NULL, &far_west), EINVAL);
}

/*
 * Setting CLOCK_REALTIME moves it and only it: the monotonic clock goes on, and putting
 * the time back works the same way. settimeofday's timezone comes back from gettimeofday.
 */
void test_clock_settime(void)
{
    if (on_linux)
        skip("setting the clock would change the machine running the tests");
    struct ts32 before = clock_now(CLOCK_REALTIME), mono = clock_now(CLOCK_MONOTONIC);
    struct ts32 ahead = { before.sec + 100000, before.nsec };
    CHECK_EQ(syscall(SYS_clock_settime, CLOCK_REALTIME, &ahead), 0);
    struct ts32 now = clock_now(CLOCK_REALTIME), mono_now = clock_now(CLOCK_MONOTONIC);
    long t = syscall(SYS_time, NULL);
    struct ts32 back = { now.sec - 100000, now.nsec };
    CHECK_EQ(syscall(SYS_clock_settime, CLOCK_REALTIME, &back), 0);
    if (now.sec < ahead.sec || now.sec > ahead.sec + 1 || t < ahead.sec || t > ahead.sec + 1)
        fail("set to %d, CLOCK_REALTIME reads %d and time() %ld", ahead.sec, now.sec, t);
    if (mono_now.sec < mono.sec || mono_now.sec > mono.sec + 1)
        fail("CLOCK_MONOTONIC moved from %d to %d with the real-time clock", mono.sec, mono_now.sec);

    struct tv32 tv = { before.sec + 50, 250000 }, got;
    struct tz32 zone = { -60, 0 }, got_zone = { 1, 1 }, utc = { 0, 0 };
    CHECK_EQ(syscall(SYS_settimeofday, &tv, &zone), 0);
    CHECK_EQ(syscall(SYS_gettimeofday, &got, &got_zone), 0);
    struct ts32 restore = clock_now(CLOCK_REALTIME);
    restore.sec -= 50;
    CHECK_EQ(syscall(SYS_clock_settime, CLOCK_REALTIME, &restore), 0);
    CHECK_EQ(syscall(SYS_settimeofday, NULL, &utc), 0);
    if (got.sec < tv.sec || got.sec > tv.sec + 1)
        fail("settimeofday to %d, gettimeofday reads %d", tv.sec, got.sec);
    CHECK_EQ(got_zone.minuteswest, -60);
    CHECK_EQ(got_zone.dsttime, 0);
}

/* /proc/stat: the cpu lines, intr, ctxt, btime, processes and the task counts. */
void test_proc_stat(void)
{
    char text[4096];
    read_text("/proc/stat", text, sizeof text);
    unsigned long long v[10];
    if (sscanf(text, "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) != 10)
        fail("/proc/stat's first line is not \"cpu \" and ten numbers: %.80s", text);
    /* USER_HZ ticks: together about the uptime (times the CPUs: Linux's may have more). */
    double ticks = 0, up = uptime_seconds();
    for (int i = 0; i < 10; i++)
        ticks += (double)v[i];
    if (ticks < (up - 2) * 100 || (!on_linux && ticks > (up + 2) * 100))
        fail("/proc/stat's cpu line adds up to %.0f ticks in %.2f s of uptime", ticks, up);
    CHECK(strstr(text, "\ncpu0 ") != NULL);
    CHECK(strstr(text, "\nintr ") != NULL && field(text, "/proc/stat", "intr") > 0);
    CHECK(field(text, "/proc/stat", "ctxt") > 0);
    unsigned long long forks = field(text, "/proc/stat", "processes");
    CHECK(field(text, "/proc/stat", "procs_running") >= 1);     /* this test */
    field(text, "/proc/stat", "procs_blocked");
    long long btime = (long long)field(text, "/proc/stat", "btime");
    long long now = time(NULL);
    if (btime < now - (long long)up - 2 || btime > now - (long long)up + 2)
        fail("btime %lld, but now %lld less %.2f s of uptime", btime, now, up);

    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        _exit(0);
    wait_for(pid);
    read_text("/proc/stat", text, sizeof text);
    CHECK(field(text, "/proc/stat", "processes") > forks);
}

static double load1(int* last_pid)
{
    char text[128];
    read_text("/proc/loadavg", text, sizeof text);
    double a, b, c;
    int running, total;
    if (sscanf(text, "%lf %lf %lf %d/%d %d", &a, &b, &c, &running, &total, last_pid) != 6 ||
        running < 1 || total < running)
        fail("/proc/loadavg is \"%s\"", text);
    return a;
}

/*
 * Spins for at most 20 s, and dies with the test: a test killed for want of memory (the
 * fail-page-alloc stage) must not leave spinners holding memory and the CPU.
 */
static void spin(void* arg)
{
    pid_t test = *(pid_t*)arg;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != test)
        _exit(0);                       /* the test died before prctl */
    struct ts32 start = clock_now(CLOCK_MONOTONIC);
    while (clock_now(CLOCK_MONOTONIC).sec < start.sec + 20)
        __asm__ volatile("");
}

/*
 * /proc/loadavg: three averages, running/total, the last pid given out. Two processes
 * spinning for 11 s (two of Linux's 5 s updates at least) raise the 1-minute average
 * to 2 * (1 - e^(-10/60)) = 0.31 or more; 0.25 leaves room for the fixed point.
 */
void test_proc_loadavg(void)
{
    int last;
    load1(&last);
    pid_t self = getpid();
    pid_t a = spawn(spin, &self), b = spawn(spin, &self);
    load1(&last);
    CHECK(last >= b);
    sleep(11);
    double load = load1(&last);
    kill(a, SIGKILL);
    kill(b, SIGKILL);
    wait_for(a);
    wait_for(b);
    if (load < 0.25)
        fail("two processes spinning for 11 s, and the 1-minute load average is %.2f", load);
}

/* /proc/uptime, version, cmdline, cpuinfo, partitions; pgfault and pgmajfault in vmstat. */
void test_proc_system_files(void)
{
    char text[8192];
    double up = uptime_seconds();
    struct ts32 boot = clock_now(CLOCK_BOOTTIME);
    if (up < boot.sec - 1 || up > boot.sec + 1)
        fail("/proc/uptime %.2f, CLOCK_BOOTTIME %d", up, boot.sec);

    struct utsname u;
    CHECK_EQ(uname(&u), 0);
    read_text("/proc/version", text, sizeof text);
    char want[200];
    snprintf(want, sizeof want, "%s version %s ", u.sysname, u.release);
    if (strncmp(text, want, strlen(want)) != 0 || !strstr(text, u.version))
        fail("/proc/version is \"%s\"; uname says %s %s %s", text, u.sysname, u.release, u.version);

    size_t n = read_text("/proc/cmdline", text, sizeof text);
    CHECK(n > 1 && text[n - 1] == '\n');

    read_text("/proc/cpuinfo", text, sizeof text);
    const char* lines[] = { "processor\t: 0\n", "\nvendor_id\t: ", "\ncpu family\t: ",
                            "\nmodel\t\t: ", "\nmodel name\t: ", "\nflags\t\t:", "\nbogomips\t: ",
                            "\nwp\t\t: yes\n" };
    for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
        if (!strstr(text, lines[i]))
            fail("/proc/cpuinfo lacks \"%s\"", lines[i]);
    double bogomips = atof(strstr(text, "\nbogomips\t: ") + 12);
    CHECK(bogomips > 0);

    read_text("/proc/partitions", text, sizeof text);
    if (strncmp(text, "major minor  #blocks  name\n\n", 28) != 0)
        fail("/proc/partitions begins \"%.40s\"", text);
    int hda = on_linux ? -1 : open("/dev/hda", O_RDONLY);      /* a first disk is there */
    if (hda >= 0) {
        close(hda);
        unsigned major, minor;
        unsigned long long blocks;
        char name[32];
        if (sscanf(text + 28, "%u %u %llu %31s", &major, &minor, &blocks, name) != 4 ||
            major != 3 || minor != 0 || strcmp(name, "hda") != 0 || blocks == 0)
            fail("/proc/partitions: \"%s\", hda first", text + 28);
    }

    read_text("/proc/vmstat", text, sizeof text);
    unsigned long long faults = field(text, "/proc/vmstat", "pgfault");
    field(text, "/proc/vmstat", "pgmajfault");
    size_t size = 64 * 4096;
    char* p = malloc(size);
    CHECK(p != NULL);
    touch_pages(p, size);
    read_text("/proc/vmstat", text, sizeof text);
    unsigned long long after = field(text, "/proc/vmstat", "pgfault");
    free(p);
    if (after < faults + 64)
        fail("pgfault went from %llu to %llu over 64 new pages", faults, after);
}

/*
 * /proc/PID/stat: Linux's 52 fields, as ps and top read them: state, ppid, num_threads 1,
 * starttime in USER_HZ ticks since boot, vsize in bytes, rss in pages, CPU time in ticks.
 */
void test_proc_pid_stat(void)
{
    /* Half a second of CPU time, by the process's CPU clock. */
    while (clock_now(CLOCK_PROCESS_CPUTIME_ID).nsec < 500000000 &&
           clock_now(CLOCK_PROCESS_CPUTIME_ID).sec < 1) { }
    char text[1024], comm[64];
    read_text("/proc/self/stat", text, sizeof text);
    int fields = 2;                     /* pid and (comm), then one a space */
    for (const char* p = strrchr(text, ')'); *p; p++)
        fields += *p == ' ';
    CHECK_EQ(fields, 52);
    int pid, ppid, threads;
    char state;
    unsigned long utime, stime, vsize;
    unsigned long long starttime;
    long rss;
    if (sscanf(text, "%d (%63[^)]) %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
               "%*d %d %*d %llu %lu %ld", &pid, comm, &state, &ppid, &utime, &stime, &threads,
               &starttime, &vsize, &rss) != 10)
        fail("/proc/self/stat is \"%s\"", text);
    CHECK_EQ(pid, getpid());
    CHECK_EQ(ppid, getppid());
    CHECK_EQ(state, 'R');
    CHECK_EQ(threads, 1);
    CHECK(strcmp(comm, "run") == 0);
    if (utime + stime < 45)
        fail("half a second spinning, and utime %lu stime %lu ticks", utime, stime);
    double up = uptime_seconds();
    if ((double)starttime > up * 100 + 100 || (double)starttime < (up - 30) * 100)
        fail("starttime %llu ticks, uptime %.2f s", starttime, up);
    CHECK(vsize > 100 * 1024 && rss > 0);
}

/*
 * /proc/PID/exe names the program a process runs, and exec through it runs that program
 * again (busybox runs its applets so); a kernel thread has none.
 */
void test_proc_exe(void)
{
    char link[256], self[300];
    ssize_t n = readlink("/proc/self/exe", link, sizeof link - 1);
    CHECK(n > 0);
    link[n] = '\0';
    struct stat by_link, by_name;
    CHECK(stat("/proc/self/exe", &by_link) == 0 && stat(link, &by_name) == 0);
    CHECK(by_link.st_ino == by_name.st_ino && by_link.st_dev == by_name.st_dev);

    /* Another process's, while it waits for its input: /tests/hello. */
    int in[2];
    CHECK(pipe(in) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        close(in[1]);
        execl(root_path("/tests/hello"), "hello", "0", "wait", (char*)NULL);
        _exit(127);
    }
    close(in[0]);
    snprintf(self, sizeof self, "/proc/%d/exe", (int)pid);
    for (int tries = 0; tries < 200; tries++) {
        n = readlink(self, link, sizeof link - 1);
        if (n > 0 && (link[n] = '\0', strstr(link, "/tests/hello")))
            break;
        usleep(10000);
    }
    if (n <= 0 || !strstr(link, "/tests/hello"))
        fail("%s: want a path ending in /tests/hello, got %s", self, n > 0 ? link : strerror(errno));
    pid_t again = fork();
    CHECK(again >= 0);
    if (again == 0) {
        execl(self, "hello", "5", (char*)NULL);
        _exit(127);
    }
    int status = wait_for(again);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 5)
        fail("exec of %s: %s, want exit 5 (hello 5)", self, describe_status(status));
    close(in[1]);
    status = wait_for(pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* pid 2: kswapd here, kthreadd on Linux; neither runs a program. */
    CHECK_ERRNO(readlink("/proc/2/exe", link, sizeof link), ENOENT);
}

/* /dev/random and /dev/urandom: character devices 1,8 and 1,9 that read random bytes. */
void test_dev_random(void)
{
    static const char* const names[] = { "/dev/random", "/dev/urandom" };
    for (int i = 0; i < 2; i++) {
        struct stat st;
        CHECK(stat(names[i], &st) == 0);
        CHECK(S_ISCHR(st.st_mode));
        CHECK_EQ(major(st.st_rdev), 1);
        CHECK_EQ(minor(st.st_rdev), 8 + i);
        int fd = open(names[i], O_RDWR);
        CHECK(fd >= 0);
        unsigned char a[64], b[64], zero[64] = { 0 };
        CHECK_EQ(read(fd, a, sizeof a), sizeof a);
        CHECK_EQ(read(fd, b, sizeof b), sizeof b);
        CHECK(memcmp(a, b, sizeof a) != 0 && memcmp(a, zero, sizeof a) != 0);
        CHECK_EQ(write(fd, "seed", 4), 4);
        void* volatile unmapped = (void*)16;
        CHECK_ERRNO(read(fd, unmapped, 8), EFAULT);
        close(fd);
    }
}
