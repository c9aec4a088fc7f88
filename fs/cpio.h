/*
 * The cpio "newc" format, as `cpio -o -H newc` writes it and as Linux unpacks an
 * initramfs: per entry a 110-byte header of ASCII hex fields starting "070701", the name
 * with its NUL (header and name padded together to 4 bytes), the data (padded to 4). The
 * entry named "TRAILER!!!" ends an archive; zero padding may follow, and another archive
 * after it, as Linux allows. "070702" (the same with a checksum) is read too and its
 * checksum checked.
 *
 * Pure code: it reads the archive in place and never past its end.
 */
#pragma once

#include <kernel/types.h>

namespace cpio {

constexpr size_t HEADER_SIZE = 110;

struct Entry {
    const char* name;           /* NUL-terminated, inside the archive */
    size_t name_length;         /* without the NUL */
    u32 ino, mode, uid, gid, nlink, mtime;
    u32 dev_major, dev_minor, rdev_major, rdev_minor;
    const u8* data;             /* inside the archive */
    u32 size;
    size_t offset;              /* of the header, from the start of the archive */
};

enum class Error : u8 {
    None,
    BadMagic,               /* a header does not start with 070701 or 070702 */
    BadHexField,            /* a header field is not eight hex digits */
    TruncatedHeader,        /* the archive ends inside a header */
    BadNameSize,            /* namesize 0, or the name is not NUL-terminated within it */
    NamePastEnd,            /* the name runs past the end of the archive */
    DataPastEnd,            /* the file data runs past the end of the archive */
    BadChecksum,            /* a 070702 entry whose data does not sum to its check field */
    MissingTrailer,         /* the archive ends without TRAILER!!! */
};

const char* error_string(Error error);

class Reader {
public:
    enum class Status : u8 { Entry, End, Error };

    Reader(const void* data, size_t size)
        : m_data(static_cast<const u8*>(data)), m_size(size) { }

    /* The next entry (the trailer is not one); End once the data is used up; Error stays. */
    Status next(Entry& entry);

    Error error() const { return m_error; }
    /* Where the error was found, from the start of the data. */
    size_t error_offset() const { return m_error_offset; }

private:
    Status fail(Error error, size_t at);

    const u8* m_data;
    size_t m_size;
    size_t m_offset = 0;
    bool m_in_archive = false;      /* a header was read since the last trailer */
    Error m_error = Error::None;
    size_t m_error_offset = 0;
};

} // namespace cpio
