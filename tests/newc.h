/* Writes cpio newc archives for the tests, field by field, so each can be bent. */
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace newc {

struct Entry {
    std::string name;
    uint32_t mode = 0100644;
    std::string data;
    uint32_t ino = 0, uid = 0, gid = 0, nlink = 1, mtime = 0;
    uint32_t dev_major = 0, dev_minor = 0, rdev_major = 0, rdev_minor = 0;
    const char* magic = "070701";
    uint32_t check = 0;
    /* Overrides for malformed archives. */
    static constexpr uint32_t RIGHT = 0xFFFFFFFF;
    uint32_t name_size = RIGHT, file_size = RIGHT;
};

inline void pad4(std::string& s)
{
    while (s.size() % 4)
        s.push_back('\0');
}

inline void append(std::string& out, const Entry& e)
{
    char header[111];
    uint32_t name_size = e.name_size != Entry::RIGHT ? e.name_size : uint32_t(e.name.size() + 1);
    uint32_t file_size = e.file_size != Entry::RIGHT ? e.file_size : uint32_t(e.data.size());
    std::snprintf(header, sizeof header,
                  "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", e.magic, e.ino,
                  e.mode, e.uid, e.gid, e.nlink, e.mtime, file_size, e.dev_major, e.dev_minor,
                  e.rdev_major, e.rdev_minor, name_size, e.check);
    out.append(header, 110);
    out.append(e.name);
    out.push_back('\0');
    pad4(out);
    out.append(e.data);
    pad4(out);
}

inline void append_trailer(std::string& out)
{
    Entry trailer;
    trailer.name = "TRAILER!!!";
    trailer.mode = 0;
    trailer.nlink = 1;
    append(out, trailer);
}

inline std::string archive(const std::vector<Entry>& entries)
{
    std::string out;
    uint32_t ino = 100;
    for (Entry e : entries) {
        if (!e.ino)
            e.ino = ino++;
        append(out, e);
    }
    append_trailer(out);
    return out;
}

inline Entry file(std::string name, std::string data, uint32_t mode = 0100644)
{
    Entry e;
    e.name = std::move(name);
    e.data = std::move(data);
    e.mode = mode;
    return e;
}

inline Entry dir(std::string name, uint32_t mode = 040755)
{
    Entry e;
    e.name = std::move(name);
    e.mode = mode;
    e.nlink = 2;
    return e;
}

inline Entry symlink(std::string name, std::string target)
{
    Entry e;
    e.name = std::move(name);
    e.data = std::move(target);
    e.mode = 0120777;
    return e;
}

} // namespace newc
