/*
 * Path walks, as Linux does them: "//" and "." are nothing, ".." goes to the parent (the
 * root is its own), a symlink in the middle of a path is always followed and one at the
 * end when asked or when a slash follows it; relative targets start in the link's
 * directory. At most MAX_SYMLINK_HOPS links in one walk, then ELOOP.
 */
#include <fs/node.h>
#include <kernel/string.h>

namespace fs {

const Node* root_node;

void set_root(const Node* root) { root_node = root; }

namespace {

const Node* (*root_source)();

/* Where absolute paths start, and ".." stops: the caller's root (chroot), or the real one. */
Vnode walk_root()
{
    const Node* root = root_source ? root_source() : nullptr;
    return Vnode { root ? root : root_node, -1 };
}

struct Component {
    const char* name;
    size_t length;
};

/* The last component of a path and the directory it is looked up in. */
struct Last {
    Vnode dir;
    Component name;             /* length 0: the path names dir itself ("/") */
    bool trailing_slash;
};

ErrorOr<Last> walk_to_last(Vnode start, const char* path, size_t length, int& hops);
ErrorOr<Vnode> finish(const Last& last, Follow follow, int& hops, bool& missing_last);

bool is_name(Component c, const char* name)
{
    size_t n = strlen(name);
    return c.length == n && memcmp(c.name, name, n) == 0;
}

/* One step from a directory: ".", "..", or a name it holds. */
ErrorOr<Vnode> step(Vnode dir, Component c)
{
    if (!dir.node->is_directory())
        return Error::from_errno(ENOTDIR);
    if (is_name(c, "."))
        return dir;
    if (is_name(c, ".."))
        return dir.node == walk_root().node ? dir : dir.node->parent(dir.pid);
    if (c.length > NAME_MAX)
        return Error::from_errno(ENAMETOOLONG);
    return dir.node->lookup(dir.pid, c.name, c.length);
}

ErrorOr<Vnode> resolve_from(Vnode start, const char* path, size_t length, Follow follow,
                            int& hops, bool& missing_last)
{
    missing_last = false;
    Last last = TRY(walk_to_last(start, path, length, hops));
    return finish(last, follow, hops, missing_last);
}

/* A symlink's target for a walk, one more hop: ELOOP past MAX_SYMLINK_HOPS, ENOENT if empty. */
ErrorOr<void> link_for_walk(Vnode link, int& hops, LinkScratch& scratch, const char*& target,
                            size_t& length)
{
    if (++hops > MAX_SYMLINK_HOPS)
        return Error::from_errno(ELOOP);
    TRY(link.node->link_target(link.pid, scratch, target, length));
    if (length == 0)
        return Error::from_errno(ENOENT);
    return {};
}

/* Where the symlink `link`, found in `dir`, leads. */
ErrorOr<Vnode> follow_link(Vnode dir, Vnode link, int& hops, bool& missing_last)
{
    LinkScratch scratch;
    const char* target;
    size_t length;
    TRY(link_for_walk(link, hops, scratch, target, length));
    return resolve_from(dir, target, length, Follow::Yes, hops, missing_last);
}

bool next_component(const char* path, size_t length, size_t& i, Component& out)
{
    while (i < length && path[i] == '/')
        i++;
    if (i == length)
        return false;
    size_t start = i;
    while (i < length && path[i] != '/')
        i++;
    out = { path + start, i - start };
    return true;
}

ErrorOr<Last> walk_to_last(Vnode start, const char* path, size_t length, int& hops)
{
    Vnode dir = length && path[0] == '/' ? walk_root() : start;
    size_t i = 0;
    Component c;
    if (!next_component(path, length, i, c))
        return Last { dir, { path, 0 }, false };
    for (;;) {
        size_t end_of_name = i;
        while (i < length && path[i] == '/')
            i++;
        if (i == length)
            return Last { dir, c, end_of_name != length };
        Vnode next = TRY(step(dir, c));
        if (next.node->is_symlink()) {
            bool ignored;
            next = TRY(follow_link(dir, next, hops, ignored));
        }
        if (!next.node->is_directory())
            return Error::from_errno(ENOTDIR);
        dir = next;
        next_component(path, length, i, c);
    }
}

ErrorOr<Vnode> finish(const Last& last, Follow follow, int& hops, bool& missing_last)
{
    missing_last = false;
    if (last.name.length == 0)
        return last.dir;
    ErrorOr<Vnode> found = step(last.dir, last.name);
    if (found.is_error()) {
        missing_last = found.error().code() == ENOENT;
        return found.error();
    }
    Vnode node = found.value();
    if (node.node->is_symlink() && (follow == Follow::Yes || last.trailing_slash))
        node = TRY(follow_link(last.dir, node, hops, missing_last));
    if (last.trailing_slash && !node.node->is_directory())
        return Error::from_errno(ENOTDIR);
    return node;
}

ErrorOr<size_t> path_length(const char* path)
{
    size_t length = 0;
    while (length < PATH_MAX && path[length])
        length++;
    if (length == PATH_MAX)
        return Error::from_errno(ENAMETOOLONG);
    if (length == 0 || !root_node)
        return Error::from_errno(ENOENT);
    return length;
}

bool is_dot_name(Component c)
{
    return is_name(c, ".") || is_name(c, "..");
}

ErrorOr<File*> open_node(Vnode node, u32 flags)
{
    if ((flags & O_DIRECTORY) && !node.node->is_directory())
        return Error::from_errno(ENOTDIR);
    if (node.node->is_symlink())
        return Error::from_errno(ELOOP);        /* O_NOFOLLOW met a symlink */
    if (node.node->is_directory() && (flags & O_ACCMODE) != O_RDONLY)
        return Error::from_errno(EISDIR);
    /* O_TRUNC empties (even read-only, as Linux); a read-only tree's open refuses it. */
    if ((flags & O_TRUNC) && node.node->is_regular() && node.node->writable())
        TRY(node.node->truncate(0));
    File* file = TRY(node.node->open(node.pid, flags));
    file->set_flags(flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
    return file;
}

} // namespace

ErrorOr<Vnode> resolve_path(const char* path, Follow follow)
{
    size_t length = TRY(path_length(path));
    int hops = 0;
    bool missing_last;
    return resolve_from(walk_root(), path, length, follow, hops, missing_last);
}

namespace {

/* The file open_node made, named by the path it was opened by. */
ErrorOr<File*> named(ErrorOr<File*> file, const char* path)
{
    if (!file.is_error())
        file.value()->set_path(path);
    return file;
}

} // namespace

ErrorOr<File*> open(const char* path, u32 flags, u32 create_mode)
{
    size_t length = TRY(path_length(path));
    int hops = 0;
    bool missing_last;
    Vnode root = walk_root();
    Follow follow = flags & O_NOFOLLOW ? Follow::No : Follow::Yes;
    if (!(flags & O_CREAT))
        return named(open_node(TRY(resolve_from(root, path, length, follow, hops, missing_last)), flags), path);

    /* O_CREAT: Linux's order of checks. */
    Last last = TRY(walk_to_last(root, path, length, hops));
    for (;;) {
        if (last.name.length == 0 || last.trailing_slash || is_dot_name(last.name))
            return Error::from_errno(EISDIR);
        ErrorOr<Vnode> found = step(last.dir, last.name);
        if (found.is_error() && found.error().code() == ENOENT) {
            /* Missing: made here, where the directory can change. */
            if (!last.dir.node->writable())
                return Error::from_errno(EROFS);
            NewNode what { S_IFREG | (create_mode & 07777), 0, 0, nullptr, 0 };
            Vnode made = TRY(last.dir.node->create(last.name.name, last.name.length, what));
            return named(open_node(made, flags & ~O_TRUNC), path);
        }
        Vnode node = TRY(found);
        if (flags & O_EXCL)
            return Error::from_errno(EEXIST);   /* a symlink too: O_EXCL does not follow */
        if (node.node->is_directory())
            return Error::from_errno(EISDIR);
        if (!node.node->is_symlink() || follow == Follow::No)
            return named(open_node(node, flags), path);
        /* A symlink: where it leads is made if missing, as Linux does for a dangling one. */
        LinkScratch scratch;
        const char* target;
        size_t target_length;
        TRY(link_for_walk(node, hops, scratch, target, target_length));
        last = TRY(walk_to_last(last.dir, target, target_length, hops));
    }
}

ErrorOr<void> stat(const char* path, FileStat& st, bool follow_symlinks)
{
    Vnode node = TRY(resolve_path(path, follow_symlinks ? Follow::Yes : Follow::No));
    node.node->stat(node.pid, st);
    return {};
}

ErrorOr<size_t> readlink(const char* path, char* buf, size_t n)
{
    if (n == 0)
        return Error::from_errno(EINVAL);
    Vnode node = TRY(resolve_path(path, Follow::No));
    if (!node.node->is_symlink())
        return Error::from_errno(EINVAL);
    LinkScratch scratch;
    const char* target;
    size_t length;
    TRY(node.node->link_target(node.pid, scratch, target, length));
    size_t k = length < n ? length : n;
    memcpy(buf, target, k);
    return k;
}

ErrorOr<void> check_directory(const char* path)
{
    Vnode node = TRY(resolve_path(path, Follow::Yes));
    if (!node.node->is_directory())
        return Error::from_errno(ENOTDIR);
    return {};
}

} // namespace fs

namespace fs {

namespace {

/* The directory a path's last name is in, for the calls that make or remove that name. */
ErrorOr<Last> parent_of(const char* path)
{
    size_t length = TRY(path_length(path));
    int hops = 0;
    Last last = TRY(walk_to_last(walk_root(), path, length, hops));
    if (last.name.length > NAME_MAX)
        return Error::from_errno(ENAMETOOLONG);
    return last;
}

/* What the last name is now: a node, or ENOENT (fine for the callers that make one). */
ErrorOr<Vnode> lookup_last(const Last& last)
{
    return step(last.dir, last.name);
}

bool is_root_of_mount(Vnode node)
{
    Vnode up = node.node->parent(node.pid);
    return up.node != node.node && up.node->dev() != node.node->dev();
}

/* Whether `node` is `ancestor` or lies below it. */
bool within(Vnode node, const Node* ancestor)
{
    for (;;) {
        if (node.node == ancestor)
            return true;
        Vnode up = node.node->parent(node.pid);
        if (up.node == node.node)
            return false;
        node = up;
    }
}

/* A name about to be made: Linux's filename_create (EEXIST, then EROFS, then ENOENT). */
ErrorOr<Last> new_name(const char* path, bool directory)
{
    Last last = TRY(parent_of(path));
    if (last.name.length == 0 || is_dot_name(last.name))
        return Error::from_errno(EEXIST);
    ErrorOr<Vnode> existing = lookup_last(last);
    if (!existing.is_error())
        return Error::from_errno(EEXIST);
    if (existing.error().code() != ENOENT)
        return existing.error();
    if (!last.dir.node->writable())
        return Error::from_errno(EROFS);
    if (last.trailing_slash && !directory)
        return Error::from_errno(ENOENT);
    return last;
}

} // namespace

void set_root_source(const Node* (*source)())
{
    root_source = source;
}

bool directory_empty(Vnode dir)
{
    DirEntryInfo entry;
    return !dir.node->read_dir(dir.pid, 2, entry);
}

ErrorOr<void> make_directory(const char* path, u32 mode)
{
    Last last = TRY(new_name(path, true));
    NewNode what { S_IFDIR | (mode & 07777), 0, 0, nullptr, 0 };
    TRY(last.dir.node->create(last.name.name, last.name.length, what));
    return {};
}

ErrorOr<void> make_symlink(const char* target, size_t target_length, const char* path)
{
    if (target_length == 0)
        return Error::from_errno(ENOENT);
    if (target_length >= PATH_MAX)
        return Error::from_errno(ENAMETOOLONG);
    Last last = TRY(new_name(path, false));
    NewNode what { S_IFLNK | 0777, 0, 0, target, target_length };
    TRY(last.dir.node->create(last.name.name, last.name.length, what));
    return {};
}

ErrorOr<void> make_link(const char* from, const char* to, bool follow)
{
    Vnode old = TRY(resolve_path(from, follow ? Follow::Yes : Follow::No));
    Last last = TRY(new_name(to, false));
    if (old.node->dev() != last.dir.node->dev())
        return Error::from_errno(EXDEV);
    if (old.node->is_directory())
        return Error::from_errno(EPERM);
    return last.dir.node->add_link(last.name.name, last.name.length, *old.node);
}

ErrorOr<void> unlink(const char* path)
{
    Last last = TRY(parent_of(path));
    if (last.name.length == 0 || is_dot_name(last.name))
        return Error::from_errno(EISDIR);
    if (!last.dir.node->writable())
        return Error::from_errno(EROFS);
    Vnode victim = TRY(lookup_last(last));
    if (victim.node->is_directory())
        return Error::from_errno(EISDIR);
    if (last.trailing_slash)
        return Error::from_errno(ENOTDIR);
    return last.dir.node->remove(last.name.name, last.name.length);
}

ErrorOr<void> remove_directory(const char* path)
{
    Last last = TRY(parent_of(path));
    if (last.name.length == 0)
        return Error::from_errno(EBUSY);
    if (is_name(last.name, "."))
        return Error::from_errno(EINVAL);
    if (is_name(last.name, ".."))
        return Error::from_errno(ENOTEMPTY);
    if (!last.dir.node->writable())
        return Error::from_errno(EROFS);
    Vnode victim = TRY(lookup_last(last));
    if (!victim.node->is_directory())
        return Error::from_errno(ENOTDIR);
    if (is_root_of_mount(victim))
        return Error::from_errno(EBUSY);
    if (!directory_empty(victim))
        return Error::from_errno(ENOTEMPTY);
    return last.dir.node->remove(last.name.name, last.name.length);
}

/* Linux's do_renameat2 and vfs_rename, in their order. */
ErrorOr<void> rename(const char* from, const char* to)
{
    Last a = TRY(parent_of(from));
    Last b = TRY(parent_of(to));
    if (a.name.length == 0 || is_dot_name(a.name) || b.name.length == 0 || is_dot_name(b.name))
        return Error::from_errno(EBUSY);
    if (a.dir.node->dev() != b.dir.node->dev())
        return Error::from_errno(EXDEV);
    if (!a.dir.node->writable())
        return Error::from_errno(EROFS);
    Vnode old = TRY(lookup_last(a));
    bool moving_directory = old.node->is_directory();
    if (!moving_directory && (a.trailing_slash || b.trailing_slash))
        return Error::from_errno(ENOTDIR);
    ErrorOr<Vnode> target = lookup_last(b);
    if (target.is_error() && target.error().code() != ENOENT)
        return target.error();
    if (moving_directory && within(b.dir, old.node))
        return Error::from_errno(EINVAL);       /* into itself */
    if (!target.is_error()) {
        Vnode over = target.value();
        if (within(a.dir, over.node))
            return Error::from_errno(ENOTEMPTY);        /* over one of its own ancestors */
        if (over.node == old.node)
            return {};                                  /* two names of one node */
        if (moving_directory && !over.node->is_directory())
            return Error::from_errno(ENOTDIR);
        if (!moving_directory && over.node->is_directory())
            return Error::from_errno(EISDIR);
        if (is_root_of_mount(over))
            return Error::from_errno(EBUSY);
        if (over.node->is_directory() && !directory_empty(over))
            return Error::from_errno(ENOTEMPTY);
    }
    if (is_root_of_mount(old))
        return Error::from_errno(EBUSY);
    return a.dir.node->rename(a.name.name, a.name.length, *b.dir.node, b.name.name, b.name.length);
}

ErrorOr<void> truncate(const char* path, u64 size)
{
    Vnode node = TRY(resolve_path(path, Follow::Yes));
    if (node.node->is_directory())
        return Error::from_errno(EISDIR);
    if (!node.node->is_regular())
        return Error::from_errno(EINVAL);
    if (!node.node->writable())
        return Error::from_errno(EROFS);
    return node.node->truncate(size);
}

ErrorOr<void> change(const char* path, const Attributes& what, Follow follow)
{
    Vnode node = TRY(resolve_path(path, follow));
    if (!node.node->writable())
        return Error::from_errno(EROFS);
    return node.node->change(what);
}

ErrorOr<void> statfs(const char* path, FsStats& out)
{
    Vnode node = TRY(resolve_path(path, Follow::Yes));
    node.node->statfs(out);
    return {};
}

} // namespace fs
