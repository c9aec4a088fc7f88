#include <fs/proc.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

using fs::TextBuffer;

namespace {

std::vector<char*> allocated;
size_t allocations_left;

char* test_page()
{
    if (!allocations_left)
        return nullptr;
    allocations_left--;
    allocated.push_back(static_cast<char*>(std::malloc(TextBuffer::PAGE)));
    return allocated.back();
}

std::string gather(char** pages, size_t length)
{
    std::string out;
    for (size_t at = 0; at < length; at += TextBuffer::PAGE)
        out.append(pages[at / TextBuffer::PAGE], std::min(TextBuffer::PAGE, length - at));
    return out;
}

class PagedText : public ::testing::Test {
protected:
    void TearDown() override
    {
        for (char* p : allocated)
            std::free(p);
        allocated.clear();
    }
};

} // namespace

TEST(TextBuffer, FormatsAndStaysTerminated)
{
    char buf[32];
    TextBuffer out(buf, sizeof buf);
    out.printf("%-15s %8lu kB\n", "MemTotal:", 123456ul);
    EXPECT_STREQ(buf, "MemTotal:         123456 kB\n");
    EXPECT_EQ(out.length(), 28u);
    EXPECT_FALSE(out.overflowed());
    out.printf("%s", "abcdefgh");
    EXPECT_TRUE(out.overflowed());
    EXPECT_EQ(out.length(), 32u);
    EXPECT_EQ(std::string(buf, 32), "MemTotal:         123456 kB\nabcd");
    out.printf("more");
    EXPECT_EQ(out.length(), 32u);
}

TEST_F(PagedText, GrowsAPageAtATime)
{
    char* pages[4] = {};
    allocations_left = 4;
    TextBuffer out(pages, 4, test_page);
    EXPECT_EQ(allocated.size(), 0u);            /* nothing until there is text */
    std::string expected;
    for (int i = 0; i < 1000; i++) {
        out.printf("line %d\n", i);
        expected += "line " + std::to_string(i) + "\n";
    }
    EXPECT_FALSE(out.overflowed());
    EXPECT_EQ(out.length(), expected.size());
    EXPECT_EQ(allocated.size(), (expected.size() + 4095) / 4096);
    EXPECT_EQ(gather(pages, out.length()), expected);
}

TEST_F(PagedText, StopsAtItsLastPage)
{
    char* pages[2] = {};
    allocations_left = 10;
    TextBuffer out(pages, 2, test_page);
    std::string chunk(3000, 'z');
    for (int i = 0; i < 4; i++)
        out.write(chunk.data(), chunk.size());
    EXPECT_TRUE(out.overflowed());
    EXPECT_FALSE(out.out_of_memory());
    EXPECT_EQ(out.length(), 8192u);
    EXPECT_EQ(allocated.size(), 2u);
}

TEST_F(PagedText, AFailedPageEndsTheText)
{
    char* pages[4] = {};
    allocations_left = 1;
    TextBuffer out(pages, 4, test_page);
    std::string chunk(5000, 'y');
    out.write(chunk.data(), chunk.size());
    EXPECT_TRUE(out.out_of_memory());
    EXPECT_TRUE(out.overflowed());
    EXPECT_EQ(out.length(), 4096u);
    out.printf("x");
    EXPECT_EQ(out.length(), 4096u);
    EXPECT_EQ(pages[1], nullptr);
}
