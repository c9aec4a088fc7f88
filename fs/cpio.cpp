#include <fs/cpio.h>
#include <kernel/string.h>

namespace cpio {

namespace {

constexpr size_t align4(size_t v) { return (v + 3) & ~size_t(3); }

bool parse_hex8(const u8* p, u32& value)
{
    u32 v = 0;
    for (int i = 0; i < 8; i++) {
        u8 c = p[i];
        u32 digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        v = v << 4 | digit;
    }
    value = v;
    return true;
}

/* Whether the first n (up to 6) bytes are those of "070701" or "070702". */
bool magic_matches(const u8* p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i == 5 ? p[i] != '1' && p[i] != '2' : p[i] != "07070"[i])
            return false;
    }
    return true;
}

/* The header's fields after the magic, in order. */
enum Field { Ino, Mode, Uid, Gid, Nlink, Mtime, FileSize, DevMajor, DevMinor, RdevMajor,
             RdevMinor, NameSize, Check, NR_FIELDS };
static_assert(6 + NR_FIELDS * 8 == HEADER_SIZE);

constexpr char TRAILER[] = "TRAILER!!!";

} // namespace

const char* error_string(Error error)
{
    switch (error) {
    case Error::None: return "no error";
    case Error::BadMagic: return "bad magic (not a newc cpio archive)";
    case Error::BadHexField: return "header field is not hexadecimal";
    case Error::TruncatedHeader: return "archive ends inside a header";
    case Error::BadNameSize: return "name size is 0 or the name is not NUL-terminated";
    case Error::NamePastEnd: return "name runs past the end of the archive";
    case Error::DataPastEnd: return "file data runs past the end of the archive";
    case Error::BadChecksum: return "checksum mismatch";
    case Error::MissingTrailer: return "archive ends without TRAILER!!!";
    }
    return "unknown error";
}

Reader::Status Reader::fail(Error error, size_t at)
{
    m_error = error;
    m_error_offset = at;
    return Status::Error;
}

Reader::Status Reader::next(Entry& entry)
{
    if (m_error != Error::None)
        return Status::Error;
    for (;;) {
        if (!m_in_archive) {
            /* Between archives: zero padding, then the end or another archive. */
            while (m_offset < m_size && m_data[m_offset] == 0)
                m_offset++;
            if (m_offset == m_size)
                return Status::End;
            if (m_offset & 3)
                return fail(Error::BadMagic, m_offset);
        }
        if (m_offset == m_size)
            return fail(Error::MissingTrailer, m_offset);
        const u8* header = m_data + m_offset;
        size_t left = m_size - m_offset;
        if (!magic_matches(header, left < 6 ? left : 6))
            return fail(Error::BadMagic, m_offset);
        if (left < HEADER_SIZE)
            return fail(Error::TruncatedHeader, m_offset);
        bool has_checksum = header[5] == '2';
        u32 field[NR_FIELDS];
        for (int i = 0; i < NR_FIELDS; i++)
            if (!parse_hex8(header + 6 + i * 8, field[i]))
                return fail(Error::BadHexField, m_offset + 6 + i * 8);

        size_t name_start = m_offset + HEADER_SIZE;
        u32 name_size = field[NameSize];
        if (name_size == 0)
            return fail(Error::BadNameSize, m_offset);
        if (name_size > m_size - name_start)
            return fail(Error::NamePastEnd, m_offset);
        const char* name = reinterpret_cast<const char*>(m_data + name_start);
        if (name[name_size - 1] != '\0')
            return fail(Error::BadNameSize, m_offset);

        size_t data_start = align4(name_start + name_size);
        size_t available = data_start <= m_size ? m_size - data_start : 0;
        u32 file_size = field[FileSize];
        if (file_size > available)
            return fail(Error::DataPastEnd, m_offset);
        const u8* data = m_data + (data_start <= m_size ? data_start : m_size);
        if (has_checksum) {
            u32 sum = 0;
            for (u32 i = 0; i < file_size; i++)
                sum += data[i];
            if (sum != field[Check])
                return fail(Error::BadChecksum, m_offset);
        }

        size_t header_offset = m_offset;
        size_t end = align4(data_start + file_size);
        /* The last entry's padding may be missing; nothing is read from it. */
        m_offset = end < m_size ? end : m_size;
        m_in_archive = true;

        size_t name_length = 0;
        while (name[name_length])
            name_length++;
        if (name_length == sizeof TRAILER - 1 && memcmp(name, TRAILER, name_length) == 0) {
            m_in_archive = false;
            continue;
        }

        entry = Entry {
            .name = name,
            .name_length = name_length,
            .ino = field[Ino], .mode = field[Mode], .uid = field[Uid], .gid = field[Gid],
            .nlink = field[Nlink], .mtime = field[Mtime],
            .dev_major = field[DevMajor], .dev_minor = field[DevMinor],
            .rdev_major = field[RdevMajor], .rdev_minor = field[RdevMinor],
            .data = data, .size = file_size, .offset = header_offset,
        };
        return Status::Entry;
    }
}

} // namespace cpio
