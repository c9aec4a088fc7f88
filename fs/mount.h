/*
 * The kernel's side of the root: what fs::init mounted, and the two directories the
 * kernel puts there whatever the initrd holds.
 */
#pragma once

#include <fs/initrd.h>
#include <fs/proc.h>

namespace fs {

struct MountInfo {
    const void* initrd = nullptr;       /* null when booted without one */
    size_t size = 0;
    InitrdStats stats;
};
const MountInfo& mount_info();

/* /dev and /proc; each made once, the first time it is asked for. */
Node* dev_directory();
Node* proc_directory();
/* Puts a directory (a mount's root) at /dev/NAME; NAME is kept. */
void dev_attach(const char* name, Node* node);

/* A mounted file system, as /proc/mounts lists it. */
struct Mount {
    const char* source;
    const char* path;
    const char* type;
    const char* options;        /* tmpfs adds its size */
    const Node* root;
};
/* In mount order; null past the last. */
const Mount* mount_at(size_t index);

/*
 * For self-tests that stand in a process table of their own: the one /proc uses now
 * (false if none), and putting it back (null: none again).
 */
bool proc_process_directory(ProcessDirectory& out);
void proc_restore_process_directory(const ProcessDirectory* directory);

} // namespace fs
