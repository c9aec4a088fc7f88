/* Userspace<T*>: user addresses that the kernel can neither dereference nor mix up. */
#include <kernel/userspace.h>

#include <gtest/gtest.h>

#include <type_traits>

namespace {

struct Record {
    u32 a, b, c;
};

template <typename P>
concept Dereferenceable = requires(P p) { *p; };

template <typename P>
concept HasArrow = requires(P p) { p.operator->(); };

} // namespace

/* Only an explicit construction from a register value makes one; no pointer converts. */
static_assert(std::is_constructible_v<Userspace<Record*>, u32>);
static_assert(!std::is_convertible_v<u32, Userspace<Record*>>);
static_assert(!std::is_constructible_v<Userspace<Record*>, Record*>);
static_assert(!std::is_constructible_v<Userspace<void*>, void*>);
static_assert(!std::is_convertible_v<Userspace<Record*>, u32>);
static_assert(!std::is_convertible_v<Userspace<Record*>, Record*>);
static_assert(!Dereferenceable<Userspace<Record*>>);
static_assert(!HasArrow<Userspace<Record*>>);
/* As with plain pointers: anything becomes a byte address, const is not dropped. */
static_assert(std::is_convertible_v<Userspace<Record*>, Userspace<void*>>);
static_assert(std::is_convertible_v<Userspace<Record*>, Userspace<const void*>>);
static_assert(std::is_convertible_v<Userspace<void*>, Userspace<const void*>>);
static_assert(!std::is_convertible_v<Userspace<const Record*>, Userspace<void*>>);
static_assert(!std::is_convertible_v<Userspace<const void*>, Userspace<void*>>);
static_assert(!std::is_convertible_v<Userspace<Record*>, Userspace<u32*>>);
static_assert(std::is_convertible_v<Userspace<Record*>, Userspace<const Record*>>);
static_assert(!std::is_convertible_v<Userspace<const Record*>, Userspace<Record*>>);

TEST(Userspace, Addresses)
{
    Userspace<Record*> r(0x1000);
    EXPECT_EQ(r.address(), 0x1000u);
    EXPECT_FALSE(r.is_null());
    EXPECT_TRUE(Userspace<Record*>().is_null());
    EXPECT_EQ(r.element(2).address(), 0x1000u + 2 * sizeof(Record));
    EXPECT_EQ(r.offset(4).address(), 0x1004u);
    Userspace<u32*> field = r.offset(8).as<u32>();
    EXPECT_EQ(field.address(), 0x1008u);
    Userspace<const void*> bytes = r;
    EXPECT_EQ(bytes.address(), 0x1000u);
}
