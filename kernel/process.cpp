/* fork, exit and wait: the life of a process. */
#include <arch/cpu.h>
#include <arch/interrupts.h>
#include <drivers/power.h>
#include <drivers/timer.h>
#include <fs/node.h>
#include <kernel/cmdline.h>
#include <kernel/errno.h>
#include <kernel/kstat.h>
#include <kernel/printk.h>
#include <kernel/session.h>
#include <kernel/string.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <mm/layout.h>
#include <mm/memory.h>
#include <mm/vm.h>

#include <new>

extern "C" char ret_from_fork[], init_trampoline[], kernel_thread_trampoline[];

namespace {

constexpr u32 CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
              CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000,
              CLONE_THREAD = 0x10000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
              CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000;
/*
 * What a process with its own files and signal handlers cannot share: threads are not
 * supported. CLONE_VM is allowed with CLONE_VFORK only (do_fork).
 */
constexpr u32 CLONE_SHARING = CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD
                            | CLONE_SETTLS | CLONE_PARENT | CLONE_PTRACE;
constexpr int PID_MAX = 32768;

int last_pid;

/*
 * The pid of each slot a fork in progress holds, 0 for none: fork may sleep for memory
 * between choosing its slot and pid and installing the task, and meanwhile another fork
 * must choose others.
 */
int forking_pid[NR_TASKS];

bool pid_taken(int pid)
{
    if (find_task(pid))
        return true;
    for (int p : forking_pid)
        if (p == pid)
            return true;
    return false;
}

/* A free slot and a fresh pid, held until release_slot or the task's install; -1 if full. */
int reserve_slot(int& pid)
{
    arch::InterruptDisabler guard;
    for (int slot = 1; slot < NR_TASKS; slot++) {
        if (task[slot] || forking_pid[slot])
            continue;
        do      /* 1 is init's, even before init runs (kernel threads of the self-tests) */
            last_pid = last_pid + 1 < PID_MAX && last_pid >= 1 ? last_pid + 1 : 2;
        while (pid_taken(last_pid));
        pid = forking_pid[slot] = last_pid;
        return slot;
    }
    return -1;
}

} // namespace

int last_allocated_pid()
{
    return last_pid;
}

namespace {

void release_slot(int slot)
{
    arch::InterruptDisabler guard;
    forking_pid[slot] = 0;
}

/*
 * A new task whose kernel stack holds an empty user frame at the top and, below it,
 * what switch_to pops: EFLAGS (interrupts off), four registers and the address to
 * start at.
 */
Task* create_task(int slot, const char* start)
{
    Task* t = new (std::nothrow) Task;
    if (!t)
        return nullptr;
    t->kernel_stack = get_free_page(Gfp::Kernel);
    if (!t->kernel_stack) {
        delete t;
        return nullptr;
    }
    t->slot = slot;
    t->esp0 = u32(t->kernel_stack.value()) + KERNEL_STACK_SIZE;
    u32* sp = reinterpret_cast<u32*>(&t->user_frame());
    *--sp = u32(start);
    for (int i = 0; i < 4; i++)
        *--sp = 0;                      /* ebp, ebx, esi, edi */
    *--sp = 0x2;                        /* EFLAGS: interrupts off until the task is set up */
    t->kernel_esp = u32(sp);
    t->start_time = jiffies;
    return t;
}

void destroy_task(Task* t)
{
    free_page(t->kernel_stack);
    delete t;
}

void release_zombie(Task* child)
{
    Task* t = current;
    t->cutime += child->utime + child->cutime;
    t->cstime += child->stime + child->cstime;
    t->cmin_flt += child->min_flt + child->cmin_flt;
    t->cmaj_flt += child->maj_flt + child->cmaj_flt;
    u32 rss = child->max_rss > child->cmax_rss ? child->max_rss : child->cmax_rss;
    if (rss > t->cmax_rss)
        t->cmax_rss = rss;
    {
        arch::InterruptDisabler guard;
        task[child->slot] = nullptr;
    }
    destroy_task(child);
}

void close_files(Task* t)
{
    for (int fd = 0; fd < NR_OPEN; fd++)
        if (fs::File* f = t->files[fd]) {
            t->files[fd] = nullptr;
            f->put();
        }
    if (const fs::Node* root = t->root) {
        t->root = nullptr;
        root->put();
    }
}

constexpr u32 WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8, WALL = 0x40000000, WCLONE = 0x80000000;

/* Whether c is among the children wait4's pid selects: one, the caller's group, a group, all. */
bool wait_selects(const Task* c, int pid)
{
    if (!c || c->parent != current)
        return false;
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == current->pgid;
    return pid == -1 || c->pgid == -pid;
}

/* What wait4 would report of c: its exit, a stop (WUNTRACED), a continue (WCONTINUED). */
bool reportable(const Task* c, u32 options)
{
    return c->state == TaskState::Zombie || ((options & WUNTRACED) && c->stop_report)
        || ((options & WCONTINUED) && c->continue_report);
}

/*
 * The vfork parent sleeps until the child lets go of the borrowed memory. As Linux's, the
 * sleep is uninterruptible except by SIGKILL: other signals stay pending until the child
 * is done. The child cannot be released meanwhile: only this parent's wait4 would.
 */
void wait_for_vfork_done(Task* child)
{
    Task* t = current;
    if (wait_event(t->vfork_done, Interruptible::Killable, [child] { return !child->vfork_parent; })
        == WaitResult::Interrupted) {
        arch::InterruptDisabler guard;
        child->vfork_parent = nullptr;  /* killed: the child runs on alone */
    }
}

/* wait4 has something to report for `pid`, or none of those children is left. */
bool child_waitable(int pid, u32 options)
{
    bool have_children = false;
    for (Task* c : task) {
        if (!wait_selects(c, pid))
            continue;
        if (reportable(c, options))
            return true;
        have_children = true;
    }
    return !have_children;
}

} // namespace

ErrorOr<int> do_fork(u32 flags, u32 child_stack, Userspace<int*> parent_tid,
                     Userspace<int*> child_tid)
{
    if (flags & CLONE_SHARING)
        return Error::from_errno(EINVAL);
    /*
     * CLONE_VM alone makes a thread on Linux: a task running on the same memory beside
     * its parent. Only the vfork kind, whose parent sleeps meanwhile, is supported.
     */
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return Error::from_errno(EINVAL);
    int pid;
    int slot = reserve_slot(pid);
    if (slot < 0)
        return Error::from_errno(EAGAIN);
    Task* parent = current;
    Task* t = create_task(slot, ret_from_fork);
    if (!t) {
        release_slot(slot);
        return Error::from_errno(ENOMEM);
    }
    if (flags & CLONE_VM) {
        t->mm = parent->mm;             /* borrowed until the child's exec or exit */
        t->mm->users++;
    } else {
        t->mm = parent->mm->fork_copy();
    }
    if (!t->mm) {
        destroy_task(t);
        release_slot(slot);
        return Error::from_errno(ENOMEM);
    }
    t->pid = pid;
    t->parent = parent;
    t->pgid = parent->pgid;
    t->sid = parent->sid;
    t->tty = parent->tty;
    memcpy(t->comm, parent->comm, sizeof t->comm);
    memcpy(t->cwd, parent->cwd, sizeof t->cwd);
    t->umask = parent->umask;
    if ((t->root = parent->root))
        t->root->get();
    for (int i = 0; i < NSIG; i++)
        t->actions[i] = parent->actions[i];
    t->blocked = parent->blocked;
    for (int i = 0; i < 3; i++)
        t->tls[i] = parent->tls[i];
    for (int fd = 0; fd < NR_OPEN; fd++)
        if ((t->files[fd] = parent->files[fd]))
            t->files[fd]->get();
    t->close_on_exec = parent->close_on_exec;
    arch::fpu_save(parent->fpu);
    t->fpu = parent->fpu;
    t->exit_signal = int(flags & 0xFF);
    t->counter = parent->counter;
    t->nice = parent->nice;
    t->ngroups = parent->ngroups;
    memcpy(t->groups, parent->groups, sizeof t->groups);
    t->sas_ss_sp = parent->sas_ss_sp;
    t->sas_ss_size = parent->sas_ss_size;

    TrapFrame& frame = t->user_frame();
    frame = parent->user_frame();
    frame.eax = 0;
    if (child_stack)
        frame.user_esp = child_stack;
    if (flags & CLONE_CHILD_SETTID)
        t->set_child_tid = child_tid;
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = child_tid;
    if ((flags & CLONE_PARENT_SETTID) && copy_to_user(parent_tid, t->pid).is_error()) {
        close_files(t);
        mm::mmput(t->mm);
        destroy_task(t);
        release_slot(slot);
        return Error::from_errno(EFAULT);
    }
    if (flags & CLONE_VFORK)
        t->vfork_parent = parent;
    {
        arch::InterruptDisabler guard;
        task[slot] = t;
        forking_pid[slot] = 0;
        kstat.forks++;
    }
    if (flags & CLONE_VFORK)
        wait_for_vfork_done(t);
    return pid;
}

/*
 * The vfork child's exec or exit: its parent, asleep in wait_for_vfork_done, may run
 * again (Linux's mm_release and vfork_done).
 */
void vfork_release(Task* child)
{
    arch::InterruptDisabler guard;
    if (Task* p = child->vfork_parent) {
        child->vfork_parent = nullptr;
        wake_up(p->vfork_done);
    }
}

/* The first code of a forked child, on its own stack, before it returns to user mode. */
extern "C" void fork_return(TrapFrame* frame)
{
    arch::sti();
    /* As Linux's schedule_tail: a bad address is the program's loss, not an error. */
    if (!current->set_child_tid.is_null())
        (void)copy_to_user(current->set_child_tid, current->pid);
    return_to_user(*frame);
}

void do_exit(int wait_status)
{
    Task* t = current;
    close_files(t);
    if (!t->clear_child_tid.is_null() && t->mm) {
        /* As Linux: whoever waits for the tid to clear (pthread_join) is woken. */
        if (!copy_to_user(t->clear_child_tid, 0).is_error())
            futex_wake_one(t->clear_child_tid.address());
    }
    if (t->mm) {
        arch::write_cr3(virt_to_phys(u32(swapper_pg_dir)));
        mm::AddressSpace* as = t->mm;
        t->mm = nullptr;
        mm::mmput(as);
    }
    vfork_release(t);
    if (t->pid == 1) {
        int code = (wait_status & 0x7F) ? 128 + (wait_status & 0x7F) : (wait_status >> 8) & 0xFF;
        printk(KERN_NOTICE "init exited with status %d: powering off\n", code);
        machine_power_off(u8(code));
    }
    exit_job_control(*t);
    Task* init = find_task(1);
    bool orphaned_zombie = false;
    for (Task* c : task)
        if (c && c->parent == t) {
            c->parent = init;
            /* As Linux: a clone's own exit signal was meant for its parent, not init. */
            c->exit_signal = SIGCHLD;
            if (c->pdeath_signal)
                send_signal(*c, c->pdeath_signal);
            orphaned_zombie |= c->state == TaskState::Zombie;
        }
    if (orphaned_zombie && init)
        wake_up(init->child_exit);

    arch::cli();
    t->exit_status = wait_status;
    t->state = TaskState::Zombie;
    if (Task* p = t->parent) {
        if (t->exit_signal)
            send_signal(*p, t->exit_signal);
        wake_up(p->child_exit);
    }
    schedule();
    panic("do_exit: zombie %d ran again", t->pid);
}

long sys_exit(int code)
{
    do_exit(exit_status_code(code));
}

ErrorOr<int> sys_fork()
{
    return do_fork(SIGCHLD, 0, Userspace<int*>(), Userspace<int*>());
}

ErrorOr<int> sys_vfork()
{
    return do_fork(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, Userspace<int*>(), Userspace<int*>());
}

/* tls: a struct user_desc for CLONE_SETTLS, which is not supported (CLONE_SHARING). */
ErrorOr<int> sys_clone(u32 flags, u32 child_stack, Userspace<int*> parent_tid, Userspace<void*>,
                       Userspace<int*> child_tid)
{
    return do_fork(flags, child_stack, parent_tid, child_tid);
}

ErrorOr<int> sys_wait4(int pid, Userspace<int*> status, u32 options,
                       Userspace<LinuxRusage*> rusage)
{
    if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WALL | WCLONE))
        return Error::from_errno(EINVAL);
    for (;;) {
        bool have_children = false;
        for (Task* c : task) {
            if (!wait_selects(c, pid))
                continue;
            have_children = true;
            if (!reportable(c, options))
                continue;
            /* Linux's wait statuses: 0x7F with the signal above for a stop, 0xFFFF for a continue. */
            int code = c->state == TaskState::Zombie ? c->exit_status
                     : (options & WUNTRACED) && c->stop_report ? c->stop_report << 8 | 0x7F : 0xFFFF;
            if (!status.is_null())
                TRY(copy_to_user(status, code));
            if (!rusage.is_null())
                TRY(fill_rusage(rusage, c->utime, c->stime, c->min_flt, c->maj_flt, c->max_rss));
            int child_pid = c->pid;
            if (c->state == TaskState::Zombie)
                release_zombie(c);
            else if ((code & 0xFF) == 0x7F)
                c->stop_report = 0;
            else
                c->continue_report = false;
            return child_pid;
        }
        if (!have_children)
            return Error::from_errno(ECHILD);
        if (options & WNOHANG)
            return 0;
        if (wait_event(current->child_exit, Interruptible::Yes,
                       [pid, options] { return child_waitable(pid, options); })
            == WaitResult::Interrupted)
            return Error::from_errno(EINTR);
    }
}

ErrorOr<int> sys_waitpid(int pid, Userspace<int*> status, u32 options)
{
    return sys_wait4(pid, status, options, Userspace<LinuxRusage*>());
}

long sys_getpid() { return current->pid; }
long sys_getppid() { return current->parent ? current->parent->pid : 0; }
long sys_getuid() { return 0; }

long sys_set_tid_address(Userspace<int*> tidptr)
{
    current->clear_child_tid = tidptr;
    return current->pid;
}

long sys_sched_yield()
{
    schedule();
    return 0;
}

Task* kernel_thread(void (*fn)(void*), void* arg, const char* name)
{
    int pid;
    int slot = reserve_slot(pid);
    Task* t = slot < 0 ? nullptr : create_task(slot, kernel_thread_trampoline);
    if (!t) {
        if (slot >= 0)
            release_slot(slot);
        return nullptr;
    }
    t->pid = pid;
    t->parent = current;
    t->exit_signal = 0;
    t->thread_fn = fn;
    t->thread_arg = arg;
    for (size_t i = 0; name[i] && i < sizeof t->comm - 1; i++)
        t->comm[i] = name[i];
    arch::fpu_init_state(t->fpu);
    arch::InterruptDisabler guard;
    task[slot] = t;
    forking_pid[slot] = 0;
    return t;
}

extern "C" [[noreturn]] void kernel_thread_main()
{
    arch::sti();
    current->thread_fn(current->thread_arg);
    do_exit(0);
}

bool reap_kernel_thread(Task* t)
{
    if (t->state != TaskState::Zombie || t->parent != current)
        return false;
    release_zombie(t);
    return true;
}

/* pid 1: a task of its own, whose first act is to exec init (init_task_main). */
namespace {
const char* init_path;
}

void start_init(const char* path)
{
    init_path = path;
    Task* t = create_task(1, init_trampoline);
    if (!t || !(t->mm = mm::AddressSpace::create()))
        panic("start_init: no memory for pid 1");
    t->pid = 1;
    last_pid = 1;
    t->exit_signal = 0;
    memcpy(t->comm, "init", 5);
    arch::fpu_init_state(t->fpu);
    task[1] = t;
}

extern "C" [[noreturn]] void init_task_main()
{
    arch::sti();
    open_console_for_init();
    ErrorOr<void> result = kernel_execve(init_path);
    if (result.is_error())
        panic("No working init found: %s: error %d. Try passing init= option to the kernel.",
              init_path, result.error().code());
    /* Injected failures start once init runs: booting and exec'ing it are spared. */
    if (command_line.fail_page_alloc)
        mm::start_fail_page_alloc(command_line.fail_page_alloc);
    jump_to_ret_from_trap(&current->user_frame());
}
