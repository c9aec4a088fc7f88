/*
 * The root file system built from the initrd: a tree of directories, regular files,
 * symlinks and special files, one Node each, whose names and data stay in the archive
 * (which mm keeps reserved for ever). Read-only: nothing in it changes after the build.
 */
#pragma once

#include <fs/cpio.h>
#include <fs/node.h>

namespace fs {

class RamDirectory final : public DirectoryNode {
public:
    /* A name in the directory; the name is inside the archive, not NUL-terminated. */
    struct Entry {
        const char* name;
        u32 length;
        u32 hash;               /* of the name: most mismatches cost no string compare */
        Node* node;
        Entry* next;
    };

    RamDirectory(u32 permissions, u32 ino) : DirectoryNode(permissions, ROOT_DEV, ino) { }

    ErrorOr<Vnode> lookup(int pid, const char* name, size_t length) const override;
    Vnode parent(int) const override { return { m_parent, -1 }; }
    u32 nlink() const override { return 2 + m_subdirectories; }

    Entry* find(const char* name, size_t length) const;
    /* Appends a name (the directory takes one link of node); false if out of memory. */
    bool add(const char* name, size_t length, Node* node);
    /* Points an existing name at another node; returns the node it had. */
    Node* replace(Entry& entry, Node* node);
    /*
     * Puts node at `name` (NUL-terminated, kept), in place of whatever was there: how the
     * kernel's /dev and /proc win over the archive's. The node stays its owner's: the tree
     * never frees it. False if out of memory.
     */
    bool attach(const char* name, Node* node);
    void set_parent(const Node* parent) { m_parent = parent; }

    /* Drops the links of every name, freeing what nothing else links to. */
    void clear();

protected:
    bool read_child(int pid, u64 cursor, DirEntryInfo& out) const override;

private:
    Entry* m_first = nullptr;
    Entry* m_last = nullptr;
    const Node* m_parent = this;
    u32 m_subdirectories = 0;
};

struct InitrdStats {
    u32 files = 0, directories = 0, symlinks = 0, specials = 0;
    u32 skipped = 0;            /* entries with names or types the tree cannot hold */
    cpio::Error error = cpio::Error::None;
    size_t error_offset = 0;
    bool out_of_memory = false;
};

/*
 * Builds the tree of the newc archive at [data, data + size). A malformed archive keeps
 * what came before the error, as Linux does with a broken initramfs; the root exists
 * even for an empty or broken archive. Null only if not even the root could be allocated.
 */
RamDirectory* build_initrd_tree(const void* data, size_t size, InitrdStats& stats);

/* Drops a node's link from the tree; frees it (and a directory's contents) at the last. */
void release_node(Node* node);

} // namespace fs
