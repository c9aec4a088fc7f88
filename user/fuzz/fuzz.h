/*
 * The system-call fuzzer (/tests/fuzz): what the generator (calls.c) and the driver
 * (fuzz.c) share. A call is generated from a random stream alone, so that the driver
 * can name the call a child was in when it hung, and a seed replays a run.
 */
#pragma once

#include <stdint.h>

/* The child's two descriptors the fuzzed calls must never touch: no argument is 62 or 63. */
#define FD_PROGRESS 62          /* one byte written before each call: the driver's count */
#define FD_LOG 63               /* the console, for -v */

/* A small, fast generator (xorshift64*); the fuzzer needs no better. */
struct rng {
    uint64_t state;
};
void rng_seed(struct rng* r, uint64_t seed, uint64_t stream);
uint32_t rng_next(struct rng* r);
uint32_t rng_below(struct rng* r, uint32_t n);

/* Where the driver put the memory the arguments point into (set up before any fork). */
struct arena {
    uintptr_t buffers;          /* BUFFER_PAGES pages, read-write, holding the structures below */
    uintptr_t readonly;         /* one read-only page */
    uintptr_t edge;             /* a read-write page followed by an unmapped one */
    uintptr_t hole;             /* HOLE_SIZE bytes that were mapped and unmapped again */
    uintptr_t image_start, image_end;  /* the fuzzer's own program: never unmapped */
    int parent_pid;
};
#define BUFFER_PAGES 16
#define HOLE_SIZE (1u << 20)
extern struct arena arena;

struct call {
    uint32_t nr;
    uint32_t args[6];
    const char* name;           /* NULL for a number the table does not list */
};

/* The next call of a stream: number, then arguments by kind. */
void generate_call(struct rng* r, struct call* c);

/*
 * Keeps a child's call from ending the run or the child's own ability to go on: see the
 * comment above the function in calls.c for each rule. own_pid: the calling child.
 */
void sanitize_call(struct call* c, int own_pid, uintptr_t stack_low);

/* "name(0x..., ...)" or "syscall_N(...)" into buf. */
void describe_call(const struct call* c, char* buf, unsigned size);

/* fork, vfork, clone: the new process leaves at once (fuzz.c). */
int is_fork_call(uint32_t nr);
