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
        return dir.node->parent(dir.pid);
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

/* Where the symlink `link`, found in `dir`, leads. */
ErrorOr<Vnode> follow_link(Vnode dir, Vnode link, int& hops, bool& missing_last)
{
    if (++hops > MAX_SYMLINK_HOPS)
        return Error::from_errno(ELOOP);
    LinkScratch scratch;
    const char* target;
    size_t length;
    TRY(link.node->link_target(link.pid, scratch, target, length));
    if (length == 0)
        return Error::from_errno(ENOENT);
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
    Vnode dir = length && path[0] == '/' ? Vnode { root_node, -1 } : start;
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

ErrorOr<File*> open_node(Vnode node, u32 flags)
{
    if ((flags & O_DIRECTORY) && !node.node->is_directory())
        return Error::from_errno(ENOTDIR);
    if (node.node->is_symlink())
        return Error::from_errno(ELOOP);        /* O_NOFOLLOW met a symlink */
    if (node.node->is_directory() && (flags & O_ACCMODE) != O_RDONLY)
        return Error::from_errno(EISDIR);
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
    return resolve_from(Vnode { root_node, -1 }, path, length, follow, hops, missing_last);
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

ErrorOr<File*> open(const char* path, u32 flags)
{
    size_t length = TRY(path_length(path));
    int hops = 0;
    bool missing_last;
    Vnode root { root_node, -1 };
    Follow follow = flags & O_NOFOLLOW ? Follow::No : Follow::Yes;
    if (!(flags & O_CREAT))
        return named(open_node(TRY(resolve_from(root, path, length, follow, hops, missing_last)), flags), path);

    /* O_CREAT: the order of Linux's checks, on a file system where nothing can be made. */
    Last last = TRY(walk_to_last(root, path, length, hops));
    if (last.name.length == 0 || last.trailing_slash)
        return Error::from_errno(EISDIR);
    if (flags & O_EXCL)
        follow = Follow::No;
    ErrorOr<Vnode> node = finish(last, follow, hops, missing_last);
    if (node.is_error()) {
        if (node.error().code() == ENOENT && missing_last)
            return Error::from_errno(EROFS);
        return node.error();
    }
    if (flags & O_EXCL)
        return Error::from_errno(EEXIST);
    if (node.value().node->is_directory())
        return Error::from_errno(EISDIR);
    return named(open_node(node.value(), flags), path);
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
