/*
 * Path walks, as Linux does them: "//" and "." are nothing, ".." goes to the parent (the
 * root is its own), a symlink in the middle of a path is always followed and one at the
 * end when asked or when a slash follows it; relative targets start in the link's
 * directory. At most MAX_SYMLINK_HOPS links in one walk, then -ELOOP.
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

long walk_to_last(Vnode start, const char* path, size_t length, int& hops, Last& out);
long finish(const Last& last, Follow follow, int& hops, Vnode& out, bool& missing_last);

bool is_name(Component c, const char* name)
{
    size_t n = strlen(name);
    return c.length == n && memcmp(c.name, name, n) == 0;
}

/* One step from a directory: ".", "..", or a name it holds. */
long step(Vnode dir, Component c, Vnode& out)
{
    if (!dir.node->is_directory())
        return -ENOTDIR;
    if (is_name(c, ".")) {
        out = dir;
        return 0;
    }
    if (is_name(c, "..")) {
        out = dir.node->parent(dir.pid);
        return 0;
    }
    if (c.length > NAME_MAX)
        return -ENAMETOOLONG;
    return dir.node->lookup(dir.pid, c.name, c.length, out);
}

long resolve_from(Vnode start, const char* path, size_t length, Follow follow, int& hops,
                  Vnode& out, bool& missing_last)
{
    missing_last = false;
    Last last;
    if (long r = walk_to_last(start, path, length, hops, last))
        return r;
    return finish(last, follow, hops, out, missing_last);
}

/* Where the symlink `link`, found in `dir`, leads. */
long follow_link(Vnode dir, Vnode link, int& hops, Vnode& out, bool& missing_last)
{
    if (++hops > MAX_SYMLINK_HOPS)
        return -ELOOP;
    LinkScratch scratch;
    const char* target;
    size_t length;
    if (long r = link.node->link_target(link.pid, scratch, target, length))
        return r;
    if (length == 0)
        return -ENOENT;
    return resolve_from(dir, target, length, Follow::Yes, hops, out, missing_last);
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

long walk_to_last(Vnode start, const char* path, size_t length, int& hops, Last& out)
{
    Vnode dir = length && path[0] == '/' ? Vnode { root_node, -1 } : start;
    size_t i = 0;
    Component c;
    if (!next_component(path, length, i, c)) {
        out = { dir, { path, 0 }, false };
        return 0;
    }
    for (;;) {
        size_t end_of_name = i;
        while (i < length && path[i] == '/')
            i++;
        if (i == length) {
            out = { dir, c, end_of_name != length };
            return 0;
        }
        Vnode next;
        if (long r = step(dir, c, next))
            return r;
        if (next.node->is_symlink()) {
            bool ignored;
            if (long r = follow_link(dir, next, hops, next, ignored))
                return r;
        }
        if (!next.node->is_directory())
            return -ENOTDIR;
        dir = next;
        next_component(path, length, i, c);
    }
}

long finish(const Last& last, Follow follow, int& hops, Vnode& out, bool& missing_last)
{
    missing_last = false;
    if (last.name.length == 0) {
        out = last.dir;
        return 0;
    }
    Vnode node;
    if (long r = step(last.dir, last.name, node)) {
        missing_last = r == -ENOENT;
        return r;
    }
    if (node.node->is_symlink() && (follow == Follow::Yes || last.trailing_slash))
        if (long r = follow_link(last.dir, node, hops, node, missing_last))
            return r;
    if (last.trailing_slash && !node.node->is_directory())
        return -ENOTDIR;
    out = node;
    return 0;
}

long path_length(const char* path, size_t& length)
{
    length = 0;
    while (length < PATH_MAX && path[length])
        length++;
    if (length == PATH_MAX)
        return -ENAMETOOLONG;
    if (length == 0 || !root_node)
        return -ENOENT;
    return 0;
}

long open_node(Vnode node, u32 flags, File*& out)
{
    if ((flags & O_DIRECTORY) && !node.node->is_directory())
        return -ENOTDIR;
    if (node.node->is_symlink())
        return -ELOOP;          /* O_NOFOLLOW met a symlink */
    if (node.node->is_directory() && (flags & O_ACCMODE) != O_RDONLY)
        return -EISDIR;
    File* file = nullptr;
    if (long r = node.node->open(node.pid, flags, file))
        return r;
    file->set_flags(flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC));
    out = file;
    return 0;
}

} // namespace

long resolve_path(const char* path, Follow follow, Vnode& out)
{
    size_t length;
    if (long r = path_length(path, length))
        return r;
    int hops = 0;
    bool missing_last;
    return resolve_from(Vnode { root_node, -1 }, path, length, follow, hops, out, missing_last);
}

long open(const char* path, u32 flags, File*& out)
{
    out = nullptr;
    size_t length;
    if (long r = path_length(path, length))
        return r;
    int hops = 0;
    bool missing_last;
    Vnode node;
    Vnode root { root_node, -1 };
    Follow follow = flags & O_NOFOLLOW ? Follow::No : Follow::Yes;
    if (!(flags & O_CREAT)) {
        if (long r = resolve_from(root, path, length, follow, hops, node, missing_last))
            return r;
        return open_node(node, flags, out);
    }

    /* O_CREAT: the order of Linux's checks, on a file system where nothing can be made. */
    Last last;
    if (long r = walk_to_last(root, path, length, hops, last))
        return r;
    if (last.name.length == 0 || last.trailing_slash)
        return -EISDIR;
    if (flags & O_EXCL)
        follow = Follow::No;
    if (long r = finish(last, follow, hops, node, missing_last))
        return r == -ENOENT && missing_last ? -EROFS : r;
    if (flags & O_EXCL)
        return -EEXIST;
    if (node.node->is_directory())
        return -EISDIR;
    return open_node(node, flags, out);
}

long stat(const char* path, FileStat& st, bool follow_symlinks)
{
    Vnode node;
    if (long r = resolve_path(path, follow_symlinks ? Follow::Yes : Follow::No, node))
        return r;
    node.node->stat(node.pid, st);
    return 0;
}

long readlink(const char* path, char* buf, size_t n)
{
    if (n == 0)
        return -EINVAL;
    Vnode node;
    if (long r = resolve_path(path, Follow::No, node))
        return r;
    if (!node.node->is_symlink())
        return -EINVAL;
    LinkScratch scratch;
    const char* target;
    size_t length;
    if (long r = node.node->link_target(node.pid, scratch, target, length))
        return r;
    size_t k = length < n ? length : n;
    memcpy(buf, target, k);
    return long(k);
}

long check_directory(const char* path)
{
    Vnode node;
    if (long r = resolve_path(path, Follow::Yes, node))
        return r;
    return node.node->is_directory() ? 0 : -ENOTDIR;
}

} // namespace fs
