/*
 * System V shared memory: shmget, shmat, shmdt, shmctl, directly [395-398] and through
 * i386's ipc multiplexer [117], and /proc/sysvipc/shm. A segment is a ShmObject with an
 * id, a key and Linux's bookkeeping; the object's attach list counts shm_nattch, and a
 * segment removed while attached lives on until its last detach (exit and exec detach
 * too, by unmapping). docs/shared-memory.md has the design.
 */
#include <kernel/errno.h>
#include <kernel/format.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <kernel/uaccess.h>
#include <fs/proc.h>
#include <mm/shmem.h>
#include <mm/vm.h>

#include <new>

namespace {

constexpr i32 IPC_PRIVATE = 0;
constexpr int IPC_CREAT = 01000, IPC_EXCL = 02000;
constexpr int IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
constexpr int SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
constexpr int IPC_64 = 0x100;
constexpr int SHM_RDONLY = 010000, SHM_RND = 020000, SHM_REMAP = 040000, SHM_EXEC = 0100000;
constexpr u32 SHM_DEST = 01000, SHM_LOCKED = 02000;

/* Linux's limits on i386 (IPC_INFO reports them). */
constexpr u32 SHMMNI = 4096;
constexpr u32 SHMMAX = 0xFEFFFFFFu, SHMALL = 0xFEFFFFFFu, SHMMIN = 1;
constexpr u32 SEQ_MULTIPLIER = 32768;   /* id = seq * SEQ_MULTIPLIER + index */

struct Segment final : mm::ShmWatcher {
    i32 key;
    u32 index;
    u16 seq;
    u32 mode;
    u32 uid = 0, gid = 0, cuid = 0, cgid = 0;
    u32 segsz;
    u32 atime = 0, dtime = 0, ctime;
    int cpid, lpid = 0;
    mm::ShmObject* obj;

    u32 id() const { return u32(seq) * SEQ_MULTIPLIER + index; }
    u32 nattch() const { return obj->attach_count(); }

    /* Linux's shm_open and shm_close: fork and splits count as attaches too. */
    void attached(mm::ShmObject*) override
    {
        atime = real_time_seconds();
        lpid = current ? current->pid : 0;
    }
    void detached(mm::ShmObject*) override;
};

Segment* segments[SHMMNI];
u16 next_seq[SHMMNI];
u32 segments_in_use;

void destroy(Segment* s)
{
    segments[s->index] = nullptr;
    segments_in_use--;
    s->obj->set_watcher(nullptr);
    mm::shm_put(s->obj);
    delete s;
}

void Segment::detached(mm::ShmObject*)
{
    dtime = real_time_seconds();
    lpid = current ? current->pid : 0;
    if ((mode & SHM_DEST) && nattch() == 0)
        destroy(this);
}

Segment* find_id(int shmid)
{
    if (shmid < 0)
        return nullptr;
    Segment* s = segments[u32(shmid) % SEQ_MULTIPLIER % SHMMNI];
    return s && s->id() == u32(shmid) ? s : nullptr;
}

Segment* find_key(i32 key)
{
    for (Segment* s : segments)
        if (s && s->key == key && !(s->mode & SHM_DEST))
            return s;
    return nullptr;
}

int max_index()
{
    for (int i = int(SHMMNI) - 1; i >= 0; i--)
        if (segments[i])
            return i;
    return 0;
}

ErrorOr<int> create(i32 key, u32 size, int flags)
{
    if (size < SHMMIN || size > SHMMAX)
        return Error::from_errno(EINVAL);
    u32 index = 0;
    while (index < SHMMNI && segments[index])
        index++;
    if (index == SHMMNI)
        return Error::from_errno(ENOSPC);
    auto* s = new (std::nothrow) Segment;
    if (!s)
        return Error::from_errno(ENOMEM);
    ErrorOr<mm::ShmObject*> obj = mm::shm_create(page_align_up(size));
    if (obj.is_error()) {
        delete s;
        return obj.error();
    }
    s->key = key;
    s->index = index;
    s->seq = next_seq[index]++ % (0x7FFFFFFF / SEQ_MULTIPLIER);
    s->mode = u32(flags) & 0777;
    s->segsz = size;
    s->ctime = real_time_seconds();
    s->cpid = current->pid;
    s->obj = obj.value();
    s->obj->set_watcher(s);
    segments[index] = s;
    segments_in_use++;
    return int(s->id());
}

/* Linux's struct shmid64_ds on i386 (IPC_64), and the old struct shmid_ds. */
struct Ipc64Perm {
    i32 key;
    u32 uid, gid, cuid, cgid;
    u16 mode, pad1;
    u16 seq, pad2;
    u32 unused1, unused2;
};
struct ShmidDs64 {
    Ipc64Perm perm;
    u32 segsz;
    u32 atime, atime_high, dtime, dtime_high, ctime, ctime_high;
    i32 cpid, lpid;
    u32 nattch, unused4, unused5;
};
static_assert(sizeof(ShmidDs64) == 84);
struct OldIpcPerm {
    i32 key;
    u16 uid, gid, cuid, cgid, mode, seq;
};
struct OldShmidDs {
    OldIpcPerm perm;
    i32 segsz;
    i32 atime, dtime, ctime;
    u16 cpid, lpid, nattch, unused;
    u32 unused2, unused3;
};
static_assert(sizeof(OldShmidDs) == 48);
struct ShmInfo {                        /* shminfo64; the old shminfo is its first five words */
    u32 shmmax, shmmin, shmmni, shmseg, shmall, unused[4];
};
struct ShmInfoStats {                   /* struct shm_info */
    i32 used_ids;
    u32 shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

ErrorOr<void> stat_to_user(const Segment& s, bool ipc64, Userspace<void*> buf)
{
    if (ipc64) {
        ShmidDs64 d { };
        d.perm = { s.key, s.uid, s.gid, s.cuid, s.cgid, u16(s.mode), 0, s.seq, 0, 0, 0 };
        d.segsz = s.segsz;
        d.atime = s.atime;
        d.dtime = s.dtime;
        d.ctime = s.ctime;
        d.cpid = s.cpid;
        d.lpid = s.lpid;
        d.nattch = s.nattch();
        return copy_to_user(buf, &d, sizeof d);
    }
    OldShmidDs d { };
    d.perm = { s.key, u16(s.uid), u16(s.gid), u16(s.cuid), u16(s.cgid), u16(s.mode), s.seq };
    d.segsz = i32(s.segsz);
    d.atime = i32(s.atime);
    d.dtime = i32(s.dtime);
    d.ctime = i32(s.ctime);
    d.cpid = u16(s.cpid);
    d.lpid = u16(s.lpid);
    d.nattch = u16(s.nattch());
    return copy_to_user(buf, &d, sizeof d);
}

ErrorOr<void> set_from_user(Segment& s, bool ipc64, Userspace<void*> buf)
{
    u32 uid, gid, mode;
    if (ipc64) {
        ShmidDs64 d;
        TRY(copy_from_user(&d, Userspace<const void*>(buf), sizeof d));
        uid = d.perm.uid, gid = d.perm.gid, mode = d.perm.mode;
    } else {
        OldShmidDs d;
        TRY(copy_from_user(&d, Userspace<const void*>(buf), sizeof d));
        uid = d.perm.uid, gid = d.perm.gid, mode = d.perm.mode;
    }
    s.uid = uid;
    s.gid = gid;
    s.mode = (s.mode & ~0777u) | (mode & 0777);
    s.ctime = real_time_seconds();
    return {};
}

} // namespace

ErrorOr<int> sys_shmget(i32 key, u32 size, int flags)
{
    if (key == IPC_PRIVATE)
        return create(key, size, flags);
    Segment* s = find_key(key);
    if (!s) {
        if (!(flags & IPC_CREAT))
            return Error::from_errno(ENOENT);
        return create(key, size, flags);
    }
    if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
        return Error::from_errno(EEXIST);
    if (size > s->segsz)
        return Error::from_errno(EINVAL);
    return int(s->id());
}

ErrorOr<u32> do_shmat(int shmid, u32 addr, int flags)
{
    Segment* s = find_id(shmid);
    if (!s)
        return Error::from_errno(EINVAL);
    if (addr % PAGE_SIZE) {             /* SHMLBA is a page on i386 */
        if (!(flags & SHM_RND))
            return Error::from_errno(EINVAL);
        addr = page_align_down(addr);
        if (!addr && (flags & SHM_REMAP))
            return Error::from_errno(EINVAL);
    }
    mm::AddressSpace& as = *current->mm;
    u32 size = page_align_up(s->segsz);
    u32 prot = flags & SHM_RDONLY ? mm::PROT_READ : mm::PROT_READ | mm::PROT_WRITE;
    if (flags & SHM_EXEC)
        prot |= mm::PROT_EXEC;
    if (addr) {
        if (addr >= TASK_SIZE || size > TASK_SIZE - addr)
            return Error::from_errno(EINVAL);
        mm::Region* in_the_way = as.find_above(addr);
        if (in_the_way && in_the_way->start < addr + size) {
            if (!(flags & SHM_REMAP))
                return Error::from_errno(EINVAL);
            TRY(as.unmap(addr, addr + size));
        }
    } else if (!(addr = as.find_free(size, 0))) {
        return Error::from_errno(ENOMEM);
    }
    mm::Region r { addr, addr + size, prot, mm::RegionKind::Shared };
    r.shm = s->obj;
    r.sysv = true;
    r.shared = true;
    r.shm_key = s->key;
    r.dev = 1;                          /* Linux's shm mount: 00:01 */
    r.ino = s->id();
    r.max_prot = flags & SHM_RDONLY ? mm::PROT_READ | mm::PROT_EXEC : mm::PROT_READ | mm::PROT_WRITE | mm::PROT_EXEC;
    TRY(as.map(r));
    return addr;
}

ErrorOr<u32> sys_shmat(int shmid, u32 addr, int flags)
{
    return do_shmat(shmid, addr, flags);
}

/* Detaches the segment attached at addr: every part of that attach (mprotect may have split it). */
ErrorOr<void> sys_shmdt(u32 addr)
{
    mm::AddressSpace& as = *current->mm;
    mm::Region* r = addr % PAGE_SIZE ? nullptr : as.find(addr);
    if (!r || !r->sysv || r->start != addr || r->offset != 0)
        return Error::from_errno(EINVAL);
    mm::ShmObject* obj = r->shm;
    u32 end = addr + page_align_up(u32(mm::shm_size(obj)));
    for (u32 pos = addr; (r = as.find_above(pos)) && r->start < end;) {
        pos = r->end;
        if (r->shm == obj && r->sysv && r->start - r->offset == addr)
            TRY(as.unmap(r->start, r->end));
    }
    return {};
}

ErrorOr<int> sys_shmctl(int shmid, int cmd, Userspace<void*> buf)
{
    bool ipc64 = cmd & IPC_64;
    cmd &= ~IPC_64;
    if (cmd == IPC_INFO) {
        ShmInfo info { SHMMAX, SHMMIN, SHMMNI, SHMMNI, SHMALL, { } };
        TRY(copy_to_user(buf, &info, ipc64 ? sizeof info : 5 * sizeof(u32)));
        return max_index();
    }
    if (cmd == SHM_INFO) {
        ShmInfoStats st { i32(segments_in_use), 0, 0, 0, 0, 0 };
        for (Segment* s : segments) {
            if (!s)
                continue;
            st.shm_tot += page_align_up(s->segsz) / PAGE_SIZE;
            st.shm_rss += s->obj->pages_resident();
            st.shm_swp += s->obj->pages_held() - s->obj->pages_resident();
        }
        TRY(copy_to_user(buf, &st, sizeof st));
        return max_index();
    }
    if (cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
        /* By index into the table, answering the id. */
        Segment* s = shmid >= 0 && u32(shmid) < SHMMNI ? segments[shmid] : nullptr;
        if (!s)
            return Error::from_errno(EINVAL);
        TRY(stat_to_user(*s, ipc64, buf));
        return int(s->id());
    }
    Segment* s = find_id(shmid);
    if (!s)
        return Error::from_errno(EINVAL);
    switch (cmd) {
    case IPC_STAT:
        TRY(stat_to_user(*s, ipc64, buf));
        return 0;
    case IPC_SET:
        TRY(set_from_user(*s, ipc64, buf));
        return 0;
    case IPC_RMID:
        /* Attached: it lives on, out of reach of shmget, until the last detach. */
        s->mode |= SHM_DEST;
        s->key = IPC_PRIVATE;
        if (s->nattch() == 0)
            destroy(s);
        return 0;
    case SHM_LOCK:
    case SHM_UNLOCK:
        if (cmd == SHM_LOCK)
            s->mode |= SHM_LOCKED;
        else
            s->mode &= ~SHM_LOCKED;
        s->obj->m_locked = cmd == SHM_LOCK;
        return 0;
    default:
        return Error::from_errno(EINVAL);
    }
}

/* i386's multiplexer: the shm calls (SHMAT answers through the third argument). */
ErrorOr<int> sys_ipc(u32 call, int first, int second, int third, u32 ptr, int)
{
    constexpr u32 SHMAT = 21, SHMDT = 22, SHMGET = 23, SHMCTL = 24;
    u32 version = call >> 16;
    switch (call & 0xFFFF) {
    case SHMAT: {
        if (version == 1)
            return Error::from_errno(EINVAL);   /* iBCS2's, as Linux */
        u32 addr = TRY(do_shmat(first, ptr, second));
        TRY(copy_to_user(Userspace<u32*>(u32(third)), addr));
        return 0;
    }
    case SHMDT:
        TRY(sys_shmdt(ptr));
        return 0;
    case SHMGET:
        return sys_shmget(first, u32(second), third);
    case SHMCTL:
        return sys_shmctl(first, second, Userspace<void*>(ptr));
    default:
        return Error::from_errno(ENOSYS);
    }
}

/* /proc/sysvipc/shm, Linux's 32-bit layout. */
ErrorOr<void> generate_sysvipc_shm(int, fs::TextBuffer& out)
{
    out.printf("       key      shmid perms       size  cpid  lpid nattch   uid   gid  cuid  cgid"
               "      atime      dtime      ctime        rss       swap\n");
    for (Segment* s : segments) {
        if (!s)
            continue;
        u32 rss = s->obj->pages_resident(), swp = s->obj->pages_held() - rss;
        out.printf("%10d %10d  %4o %10u %5d %5d  %5u %5u %5u %5u %5u %10u %10u %10u %10u %10u\n",
                   s->key, int(s->id()), s->mode, s->segsz, s->cpid, s->lpid, s->nattch(), s->uid,
                   s->gid, s->cuid, s->cgid, s->atime, s->dtime, s->ctime, rss * PAGE_SIZE,
                   swp * PAGE_SIZE);
    }
    return {};
}

void ipc_shm_init()
{
    fs::proc_register_sysvipc({ "shm", generate_sysvipc_shm, nullptr });
}
