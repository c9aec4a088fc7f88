#include <gtest/gtest.h>
#include <mm/swap_header.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <vector>

using mm::SwapHeader;
using mm::SwapVersion;
using mm::parse_swap_header;
using mm::fill_swap_map;

namespace {

/* Page 0 of an area, built by hand. */
struct HeaderPage {
    u8 bytes[PAGE_SIZE] = { };

    void sign(const char* signature) { std::memcpy(bytes + mm::SWAP_SIGNATURE_OFFSET, signature, 10); }
    void put32(u32 offset, u32 v) { std::memcpy(bytes + offset, &v, 4); }

    static HeaderPage v0(std::initializer_list<u32> usable)
    {
        HeaderPage p;
        for (u32 nr : usable)
            p.bytes[nr >> 3] |= 1u << (nr & 7);
        p.sign("SWAP-SPACE");
        return p;
    }
    static HeaderPage v0_range(u32 first, u32 last)
    {
        HeaderPage p = v0({ });
        for (u32 nr = first; nr <= last; nr++)
            p.bytes[nr >> 3] |= 1u << (nr & 7);
        return p;
    }
    static HeaderPage v1(u32 last_page, std::initializer_list<u32> bad = { })
    {
        HeaderPage p;
        p.put32(mm::SWAP_V1_VERSION_OFFSET, 1);
        p.put32(mm::SWAP_V1_LAST_PAGE_OFFSET, last_page);
        p.put32(mm::SWAP_V1_NR_BADPAGES_OFFSET, u32(bad.size()));
        u32 i = 0;
        for (u32 nr : bad)
            p.put32(mm::SWAP_V1_BADPAGES_OFFSET + 4 * i++, nr);
        p.sign("SWAPSPACE2");
        return p;
    }
};

/* 0 or -errno, to compare with the errno values directly. */
int parse(const HeaderPage& p, u32 device_pages, SwapHeader& h)
{
    return int(to_syscall_result(parse_swap_header(p.bytes, device_pages, h)));
}

int parse(const HeaderPage& p, u32 device_pages)
{
    SwapHeader h;
    return parse(p, device_pages, h);
}

std::vector<u8> swap_map_of(const HeaderPage& p, const SwapHeader& h, u32 length)
{
    std::vector<u8> map(length, 0x55);
    fill_swap_map(p.bytes, h, map.data(), length);
    return map;
}

/* The pages a swap_map marks bad. */
std::vector<u32> bad_in(const std::vector<u8>& map)
{
    std::vector<u32> bad;
    for (u32 nr = 0; nr < map.size(); nr++) {
        EXPECT_TRUE(map[nr] == mm::SWAP_MAP_FREE || map[nr] == mm::SWAP_MAP_BAD) << "page " << nr;
        if (map[nr] == mm::SWAP_MAP_BAD)
            bad.push_back(nr);
    }
    return bad;
}

} // namespace

TEST(SwapHeaderV0, BitmapGivesSizeAndUsablePages)
{
    HeaderPage p = HeaderPage::v0({ 1, 2, 3, 6, 7, 9 });
    SwapHeader h;
    ASSERT_EQ(parse(p, 100, h), 0);
    EXPECT_EQ(h.version, SwapVersion::V0);
    EXPECT_EQ(h.nr_pages, 10u);                     /* the highest usable bit + 1 */
    EXPECT_EQ(h.nr_good_pages, 6u);
    EXPECT_EQ(h.lowest_bit, 1u);
    EXPECT_EQ(h.highest_bit, 9u);
    EXPECT_EQ(bad_in(swap_map_of(p, h, h.nr_pages)), (std::vector<u32> { 0, 4, 5, 8 }));
}

TEST(SwapHeaderV0, HeaderBitIsNeverUsable)
{
    HeaderPage p = HeaderPage::v0({ 0, 5 });
    SwapHeader h;
    ASSERT_EQ(parse(p, 100, h), 0);
    EXPECT_EQ(h.nr_good_pages, 1u);
    EXPECT_EQ(h.lowest_bit, 5u);
    EXPECT_EQ(swap_map_of(p, h, 6)[0], mm::SWAP_MAP_BAD);
    EXPECT_EQ(parse(HeaderPage::v0({ 0 }), 100), -EINVAL);
}

TEST(SwapHeaderV0, EmptyBitmapIsRejected)
{
    EXPECT_EQ(parse(HeaderPage::v0({ }), 100), -EINVAL);
}

TEST(SwapHeaderV0, LargestArea)
{
    HeaderPage p = HeaderPage::v0_range(1, mm::SWAP_V0_MAX_PAGES - 1);
    SwapHeader h;
    ASSERT_EQ(parse(p, 1u << 20, h), 0);
    EXPECT_EQ(h.nr_pages, 32688u);
    EXPECT_EQ(h.nr_good_pages, 32687u);
    EXPECT_EQ(h.highest_bit, 32687u);
    /* The signature's bytes are not bitmap. */
    EXPECT_EQ(bad_in(swap_map_of(p, h, 32700)).size(), 1u + 12u);
}

TEST(SwapHeaderV0, DeviceSizeCutsTheBitmap)
{
    HeaderPage p = HeaderPage::v0_range(1, 99);
    SwapHeader h;
    ASSERT_EQ(parse(p, 50, h), 0);
    EXPECT_EQ(h.nr_pages, 50u);
    EXPECT_EQ(h.nr_good_pages, 49u);
    EXPECT_EQ(h.highest_bit, 49u);
    EXPECT_EQ(parse(p, 1), -EINVAL);
    EXPECT_EQ(parse(p, 0), -EINVAL);
}

TEST(SwapHeaderV1, WholeArea)
{
    HeaderPage p = HeaderPage::v1(99);
    SwapHeader h;
    ASSERT_EQ(parse(p, 100, h), 0);
    EXPECT_EQ(h.version, SwapVersion::V1);
    EXPECT_EQ(h.nr_pages, 100u);                    /* last_page + 1 */
    EXPECT_EQ(h.nr_good_pages, 99u);
    EXPECT_EQ(h.lowest_bit, 1u);
    EXPECT_EQ(h.highest_bit, 99u);
    EXPECT_EQ(bad_in(swap_map_of(p, h, 100)), std::vector<u32> { 0 });
}

TEST(SwapHeaderV1, BadPages)
{
    HeaderPage p = HeaderPage::v1(99, { 1, 50, 99, 50 });      /* a duplicate counts once */
    SwapHeader h;
    ASSERT_EQ(parse(p, 1000, h), 0);
    EXPECT_EQ(h.nr_pages, 100u);
    EXPECT_EQ(h.nr_good_pages, 96u);
    EXPECT_EQ(h.lowest_bit, 2u);
    EXPECT_EQ(h.highest_bit, 98u);
    EXPECT_EQ(bad_in(swap_map_of(p, h, 100)), (std::vector<u32> { 0, 1, 50, 99 }));
}

TEST(SwapHeaderV1, BadPageOutsideOneToLastPageIsRejected)
{
    EXPECT_EQ(parse(HeaderPage::v1(99, { 0 }), 100), -EINVAL);
    EXPECT_EQ(parse(HeaderPage::v1(99, { 100 }), 1000), -EINVAL);
    EXPECT_EQ(parse(HeaderPage::v1(99, { 5, 0xFFFFFFFF }), 1000), -EINVAL);
}

TEST(SwapHeaderV1, BadPageListLimit)
{
    HeaderPage p = HeaderPage::v1(1000);
    for (u32 i = 0; i < mm::SWAP_V1_MAX_BADPAGES; i++)
        p.put32(mm::SWAP_V1_BADPAGES_OFFSET + 4 * i, i + 1);
    p.put32(mm::SWAP_V1_NR_BADPAGES_OFFSET, mm::SWAP_V1_MAX_BADPAGES);
    SwapHeader h;
    ASSERT_EQ(parse(p, 1001, h), 0);
    EXPECT_EQ(h.nr_good_pages, 1000u - 637u);
    EXPECT_EQ(h.lowest_bit, 638u);
    std::vector<u8> map = swap_map_of(p, h, h.nr_pages);
    EXPECT_EQ(bad_in(map).size(), 638u);
    EXPECT_EQ(map[638], mm::SWAP_MAP_FREE);

    p.put32(mm::SWAP_V1_NR_BADPAGES_OFFSET, mm::SWAP_V1_MAX_BADPAGES + 1);
    EXPECT_EQ(parse(p, 1001), -EINVAL);
    p.put32(mm::SWAP_V1_NR_BADPAGES_OFFSET, 0xFFFFFFFF);
    EXPECT_EQ(parse(p, 1001), -EINVAL);
}

TEST(SwapHeaderV1, VersionFieldMustBeOne)
{
    HeaderPage p = HeaderPage::v1(99);
    p.put32(mm::SWAP_V1_VERSION_OFFSET, 0);
    EXPECT_EQ(parse(p, 100), -EINVAL);
    p.put32(mm::SWAP_V1_VERSION_OFFSET, 2);
    EXPECT_EQ(parse(p, 100), -EINVAL);
}

TEST(SwapHeaderV1, ByteSwappedHeaderIsRejected)
{
    /* What a big-endian machine's mkswap writes: Linux swaps it around; this kernel does not. */
    HeaderPage p = HeaderPage::v1(0);
    p.put32(mm::SWAP_V1_VERSION_OFFSET, __builtin_bswap32(1));
    p.put32(mm::SWAP_V1_LAST_PAGE_OFFSET, __builtin_bswap32(99));
    EXPECT_EQ(parse(p, 100), -EINVAL);
}

TEST(SwapHeaderV1, EmptyAreasAreRejected)
{
    EXPECT_EQ(parse(HeaderPage::v1(0), 100), -EINVAL);                  /* last_page 0 */
    EXPECT_EQ(parse(HeaderPage::v1(3, { 1, 2, 3 }), 100), -EINVAL);     /* every page bad */
    EXPECT_EQ(parse(HeaderPage::v1(10, { 1, 2 }), 3), -EINVAL);        /* the rest is cut off */
    EXPECT_EQ(parse(HeaderPage::v1(10), 1), -EINVAL);                   /* only the header fits */
    EXPECT_EQ(parse(HeaderPage::v1(10), 0), -EINVAL);
}

TEST(SwapHeaderV1, ShortDeviceCutsTheArea)
{
    HeaderPage p = HeaderPage::v1(99, { 10, 70 });
    SwapHeader h;
    ASSERT_EQ(parse(p, 50, h), 0);
    EXPECT_EQ(h.nr_pages, 50u);
    EXPECT_EQ(h.nr_good_pages, 48u);                /* 70 lies past the device: ignored */
    EXPECT_EQ(h.highest_bit, 49u);
    EXPECT_EQ(bad_in(swap_map_of(p, h, 50)), (std::vector<u32> { 0, 10 }));
}

TEST(SwapHeaderV1, AreaEndsWhereSwapEntriesEnd)
{
    HeaderPage p = HeaderPage::v1(0xFFFFFFFE);
    SwapHeader h;
    ASSERT_EQ(parse(p, 0xFFFFFFFF, h), 0);
    EXPECT_EQ(h.nr_pages, mm::SWAP_MAX_PAGES);
    EXPECT_EQ(h.highest_bit, SwapEntry::MAX_OFFSET);
    EXPECT_TRUE(SwapEntry::fits(SwapEntry::MAX_TYPES - 1, h.highest_bit));
    EXPECT_EQ(mm::SWAP_MAX_PAGES, 1u << 24);
}

TEST(SwapHeader, UnknownSignaturesAreRejected)
{
    HeaderPage p = HeaderPage::v1(99);
    for (const char* s : { "SWAPSPACE3", "swapspace2", "S1SUSPEND\0", "SWAP_SPACE", "\0\0\0\0\0\0\0\0\0\0" }) {
        p.sign(s);
        EXPECT_EQ(parse(p, 100), -EINVAL) << s;
    }
    /* The right signature one byte early. */
    HeaderPage q = HeaderPage::v0_range(1, 9);
    q.sign("\0\0\0\0\0\0\0\0\0\0");
    std::memcpy(q.bytes + mm::SWAP_SIGNATURE_OFFSET - 1, "SWAP-SPACE", 10);
    EXPECT_EQ(parse(q, 100), -EINVAL);
}

TEST(SwapHeader, FillSwapMapHonoursTheCallersLength)
{
    HeaderPage p = HeaderPage::v1(9, { 3 });
    SwapHeader h;
    ASSERT_EQ(parse(p, 10, h), 0);
    /* Longer than the area: the rest is unusable. */
    EXPECT_EQ(bad_in(swap_map_of(p, h, 14)), (std::vector<u32> { 0, 3, 10, 11, 12, 13 }));
    /* Shorter: nothing past length is written. */
    std::vector<u8> map(8, 0x55);
    fill_swap_map(p.bytes, h, map.data(), 4);
    EXPECT_EQ(map, (std::vector<u8> { 128, 0, 0, 128, 0x55, 0x55, 0x55, 0x55 }));

    HeaderPage v0 = HeaderPage::v0({ 1, 2, 5 });
    ASSERT_EQ(parse(v0, 10, h), 0);
    map.assign(8, 0x55);
    fill_swap_map(v0.bytes, h, map.data(), 3);
    EXPECT_EQ(map, (std::vector<u8> { 128, 0, 0, 0x55, 0x55, 0x55, 0x55, 0x55 }));
}
