#include <kernel/errno.h>
#include <kernel/string.h>
#include <mm/swap_header.h>

namespace mm {

namespace {

constexpr char SIGNATURE_V0[] = "SWAP-SPACE";
constexpr char SIGNATURE_V1[] = "SWAPSPACE2";
static_assert(sizeof(SIGNATURE_V0) - 1 == SWAP_SIGNATURE_LENGTH);
static_assert(sizeof(SIGNATURE_V1) - 1 == SWAP_SIGNATURE_LENGTH);

/* The version 1 fields are little-endian on disk whatever the CPU. */
u32 read_le32(const u8* page, u32 offset)
{
    const u8* p = page + offset;
    return u32(p[0]) | u32(p[1]) << 8 | u32(p[2]) << 16 | u32(p[3]) << 24;
}

bool v0_usable(const u8* page, u32 nr)
{
    return page[nr >> 3] & (1u << (nr & 7));
}

u32 min(u32 a, u32 b) { return a < b ? a : b; }

ErrorOr<void> parse_v0(const u8* page, u32 device_pages, SwapHeader& header)
{
    /* Bit 0 stands for the header page itself; it is never usable, whatever it says. */
    u32 limit = min(SWAP_V0_MAX_PAGES, device_pages);
    u32 good = 0, lowest = 0, highest = 0;
    for (u32 nr = 1; nr < limit; nr++) {
        if (!v0_usable(page, nr))
            continue;
        if (!good)
            lowest = nr;
        highest = nr;
        good++;
    }
    if (!good)
        return Error::from_errno(EINVAL);
    header = { SwapVersion::V0, highest + 1, good, lowest, highest };
    return {};
}

/* The version 1 bad page list, checked by parse_v1 to hold at most 637 entries. */
class BadPages {
public:
    explicit BadPages(const u8* page) : m_page(page), m_count(read_le32(page, SWAP_V1_NR_BADPAGES_OFFSET)) { }
    u32 count() const { return m_count; }
    u32 operator[](u32 i) const { return read_le32(m_page, SWAP_V1_BADPAGES_OFFSET + 4 * i); }
    bool contains(u32 nr) const
    {
        for (u32 i = 0; i < m_count; i++)
            if ((*this)[i] == nr)
                return true;
        return false;
    }
    /* Entries naming distinct pages below limit: duplicates are legal and count once. */
    u32 distinct_below(u32 limit) const
    {
        u32 n = 0;
        for (u32 i = 0; i < m_count; i++) {
            u32 nr = (*this)[i];
            bool seen = false;
            for (u32 j = 0; j < i && !seen; j++)
                seen = (*this)[j] == nr;
            if (nr < limit && !seen)
                n++;
        }
        return n;
    }
private:
    const u8* m_page;
    u32 m_count;
};

/*
 * As Linux's read_swap_header and setup_swap_map: a bad page entry must lie in
 * 1..last_page, but entries past the part of the area that is used (a device shorter than
 * last_page says, or more pages than an entry can name) are dropped with those pages.
 */
ErrorOr<void> parse_v1(const u8* page, u32 device_pages, SwapHeader& header)
{
    if (read_le32(page, SWAP_V1_VERSION_OFFSET) != 1)
        return Error::from_errno(EINVAL);
    u32 last_page = read_le32(page, SWAP_V1_LAST_PAGE_OFFSET);
    if (last_page == 0)
        return Error::from_errno(EINVAL);
    BadPages bad(page);
    if (bad.count() > SWAP_V1_MAX_BADPAGES)
        return Error::from_errno(EINVAL);
    for (u32 i = 0; i < bad.count(); i++)
        if (bad[i] == 0 || bad[i] > last_page)
            return Error::from_errno(EINVAL);

    u32 nr_pages = min(min(last_page, SWAP_MAX_PAGES - 1) + 1, device_pages);
    if (nr_pages < 2)
        return Error::from_errno(EINVAL);
    u32 good = nr_pages - 1 - bad.distinct_below(nr_pages);
    if (!good)
        return Error::from_errno(EINVAL);
    u32 lowest = 1, highest = nr_pages - 1;
    while (bad.contains(lowest))
        lowest++;
    while (bad.contains(highest))
        highest--;
    header = { SwapVersion::V1, nr_pages, good, lowest, highest };
    return {};
}

} // namespace

ErrorOr<void> parse_swap_header(const u8* page, u32 device_pages, SwapHeader& header)
{
    const u8* signature = page + SWAP_SIGNATURE_OFFSET;
    if (memcmp(signature, SIGNATURE_V0, SWAP_SIGNATURE_LENGTH) == 0)
        return parse_v0(page, device_pages, header);
    if (memcmp(signature, SIGNATURE_V1, SWAP_SIGNATURE_LENGTH) == 0)
        return parse_v1(page, device_pages, header);
    return Error::from_errno(EINVAL);
}

void fill_swap_map(const u8* page, const SwapHeader& header, u8* swap_map, u32 length)
{
    u32 used = min(length, header.nr_pages);
    for (u32 nr = 0; nr < length; nr++)
        swap_map[nr] = nr < used ? SWAP_MAP_FREE : SWAP_MAP_BAD;
    if (length)
        swap_map[0] = SWAP_MAP_BAD;
    if (header.version == SwapVersion::V0) {
        for (u32 nr = 1; nr < used; nr++)
            if (!v0_usable(page, nr))
                swap_map[nr] = SWAP_MAP_BAD;
        return;
    }
    BadPages bad(page);
    for (u32 i = 0; i < bad.count() && i < SWAP_V1_MAX_BADPAGES; i++)
        if (bad[i] < used)
            swap_map[bad[i]] = SWAP_MAP_BAD;
}

} // namespace mm
