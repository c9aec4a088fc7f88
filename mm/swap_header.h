/*
 * Page 0 of a swap area: the two on-disk formats of docs/swap.md (CONTRACT §8).
 *
 * swapon reads page 0 into a buffer, calls parse_swap_header, allocates a swap_map of
 * header.nr_pages bytes and has fill_swap_map set it up from the same buffer. Pure code
 * with no allocation: it also builds for the host tests.
 */
#pragma once

#include <kernel/error.h>
#include <mm/swap_entry.h>
#include <mm/types.h>

namespace mm {

/* swap_map values before any page is in use: a count of 0, or "never hand this out". */
constexpr u8 SWAP_MAP_FREE = 0;
constexpr u8 SWAP_MAP_BAD = 128;

/* The signature sits in the last 10 bytes of page 0 in both formats. */
constexpr u32 SWAP_SIGNATURE_LENGTH = 10;
constexpr u32 SWAP_SIGNATURE_OFFSET = PAGE_SIZE - SWAP_SIGNATURE_LENGTH;

/* Version 0: everything before the signature is the bitmap. */
constexpr u32 SWAP_V0_MAX_PAGES = SWAP_SIGNATURE_OFFSET * 8;                         /* 32688 */

/* Version 1: Linux's union swap_header, little-endian fields. */
constexpr u32 SWAP_V1_VERSION_OFFSET = 1024;
constexpr u32 SWAP_V1_LAST_PAGE_OFFSET = 1028;
constexpr u32 SWAP_V1_NR_BADPAGES_OFFSET = 1032;
constexpr u32 SWAP_V1_UUID_OFFSET = 1036;                  /* 16 bytes */
constexpr u32 SWAP_V1_LABEL_OFFSET = 1052;                 /* 16 bytes */
constexpr u32 SWAP_V1_BADPAGES_OFFSET = 1536;
constexpr u32 SWAP_V1_MAX_BADPAGES = (SWAP_SIGNATURE_OFFSET - SWAP_V1_BADPAGES_OFFSET) / 4;  /* 637 */
static_assert(SWAP_V0_MAX_PAGES == 32688 && SWAP_V1_MAX_BADPAGES == 637);

/* A larger area is used only up to the last page a swap entry can name. */
constexpr u32 SWAP_MAX_PAGES = SwapEntry::MAX_OFFSET + 1;

enum class SwapVersion : u8 { V0 = 0, V1 = 1 };

/* What swapon needs to know about an area, as parse_swap_header found it. */
struct SwapHeader {
    SwapVersion version = SwapVersion::V0;
    u32 nr_pages = 0;           /* pages the area spans, page 0 included: swap_map's length */
    u32 nr_good_pages = 0;      /* usable pages, at least 1 */
    u32 lowest_bit = 0;         /* the first usable page, >= 1 */
    u32 highest_bit = 0;        /* the last usable page, < nr_pages */
};

/*
 * Parses page 0 (PAGE_SIZE bytes) of an area on a device of device_pages pages. Fills
 * header, or gives EINVAL: no known signature, a version 1 header whose version is
 * not 1 (a byte-swapped header included), last_page 0, more than 637 bad pages, a bad page
 * 0 or past last_page, or no usable page left. Pages at or past device_pages (or
 * SWAP_MAX_PAGES) are cut off, not an error: a bitmap bit or bad page entry there is
 * ignored.
 */
ErrorOr<void> parse_swap_header(const u8* page, u32 device_pages, SwapHeader& header);

/*
 * Sets swap_map[0..length) from the page header came from: SWAP_MAP_FREE for a usable
 * page, SWAP_MAP_BAD for page 0, bad pages and anything at or past header.nr_pages.
 */
void fill_swap_map(const u8* page, const SwapHeader& header, u8* swap_map, u32 length);

} // namespace mm
