/*
 * For the tests of the file layer, in the kernel and on the host: results compared as a
 * system call would return them (the value, or -errno), so one EXPECT_EQ checks both the
 * outcome and the error.
 */
#pragma once

#include <fs/file.h>

namespace fs {

/* fs::open, with the File (null on an error) in out; 0 or -errno. */
inline long test_open(const char* path, u32 flags, File*& out)
{
    ErrorOr<File*> opened = open(path, flags);
    if (opened.is_error()) {
        out = nullptr;
        return -long(opened.error().code());
    }
    out = opened.value();
    return 0;
}

/* File::lseek, with the new offset in position; 0 or -errno. */
inline long test_seek(File& file, i64 offset, int whence, i64& position)
{
    ErrorOr<i64> moved = file.lseek(offset, whence);
    if (moved.is_error())
        return -long(moved.error().code());
    position = moved.value();
    return 0;
}

} // namespace fs
