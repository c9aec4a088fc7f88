/*
 * For the tests of the file layer, in the kernel and on the host: the calls that give a
 * value as well as a possible error, with the value put where the test keeps it. Tests
 * compare to_syscall_result of the outcome with 0 or -errno, so that one EXPECT_EQ checks
 * the outcome and the error.
 */
#pragma once

#include <fs/file.h>

namespace fs {

/* fs::open, with the File (null on an error) in out. */
inline ErrorOr<void> open_into(const char* path, u32 flags, File*& out)
{
    ErrorOr<File*> opened = open(path, flags);
    out = opened.is_error() ? nullptr : opened.value();
    if (opened.is_error())
        return opened.error();
    return {};
}

/* File::lseek, with the new offset in position (left alone on an error). */
inline ErrorOr<void> seek_into(File& file, i64 offset, int whence, i64& position)
{
    position = TRY(file.lseek(offset, whence));
    return {};
}

} // namespace fs
