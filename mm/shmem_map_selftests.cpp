/*
 * Self-tests of shared mappings: mmap2(MAP_SHARED) of a file whose data is a ShmObject
 * (what a tmpfs file gives) maps that object, on a synthetic address space the idle task
 * borrows, so that kernel accesses to its user addresses take real page faults.
 */
#include <fs/file.h>
#include <kernel/ktest.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/memory.h>
#include <mm/selftest_support.h>
#include <mm/shmem.h>
#include <mm/vm.h>

namespace {

constexpr u32 buffer = 0x20000000;      /* a user page for shm_read and shm_write */
constexpr u32 MAP_SHARED = 0x01;

/* A regular file whose data lives in an object, as tmpfs's are; it does not own it. */
class ObjectFile final : public fs::File {
public:
    explicit ObjectFile(mm::ShmObject* obj) : m_obj(obj) { m_flags = fs::O_RDWR; }
    ErrorOr<void> stat(fs::FileStat& st) override
    {
        st = { };
        st.mode = fs::S_IFREG | 0644;
        st.ino = 42;
        st.size = mm::shm_size(m_obj);
        return {};
    }
    mm::ShmObject* shm_object() override { return m_obj; }

private:
    mm::ShmObject* m_obj;
};

volatile u32& at(u32 addr)
{
    return *reinterpret_cast<volatile u32*>(addr);
}

} // namespace

KTEST(shmem, shared_file_mapping_is_the_object)
{
    const u32 before = nr_free_pages();
    mm::ShmObject* obj = mm::shm_create(4 * PAGE_SIZE).value();
    mm::AddressSpace* as = mm::AddressSpace::create();
    ASSERT_TRUE(as != nullptr);
    ASSERT_EQ(to_syscall_result(as->map({ buffer, buffer + PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE,
                                          mm::RegionKind::Anonymous })), 0);
    int fd = 0;
    while (fd < NR_OPEN && current->files[fd])
        fd++;
    ASSERT_TRUE(fd < NR_OPEN);
    auto* file = new ObjectFile(obj);
    current->files[fd] = file;
    {
        BorrowedAddressSpace borrow(as);
        /* From the file's second page: object pages 1..3. */
        ErrorOr<u32> mapped = sys_mmap2(0, 3 * PAGE_SIZE, mm::PROT_READ | mm::PROT_WRITE, MAP_SHARED, fd, 1);
        ASSERT_FALSE(mapped.is_error());
        u32 p = mapped.value();
        mm::Region* r = as->find(p);
        ASSERT_TRUE(r != nullptr);
        EXPECT_TRUE(r->kind == mm::RegionKind::Shared && r->shm == obj);
        EXPECT_EQ(obj->attach_count(), 1u);

        /* A store through the mapping is what read returns... */
        at(p) = 0xC0FFEE;
        ErrorOr<size_t> got = mm::shm_read(obj, PAGE_SIZE, Userspace<void*>(buffer), 4);
        EXPECT_FALSE(got.is_error());
        EXPECT_EQ(at(buffer), 0xC0FFEEu);
        /* ...and write is what the mapping shows. */
        at(buffer) = 0xBEEF;
        got = mm::shm_write(obj, 2 * PAGE_SIZE + 8, Userspace<const void*>(buffer), 4);
        EXPECT_FALSE(got.is_error());
        EXPECT_EQ(at(p + PAGE_SIZE + 8), 0xBEEFu);

        /* A fork maps the same frames, and a store by either is the other's. */
        mm::AddressSpace* child = as->fork_copy();
        ASSERT_TRUE(child != nullptr);
        EXPECT_EQ(obj->attach_count(), 2u);
        borrow.use(child);
        EXPECT_EQ(at(p + PAGE_SIZE + 8), 0xBEEFu);
        at(p + 4) = 7;                          /* through a table the fork shared: no copy */
        borrow.use(as);
        EXPECT_EQ(at(p + 4), 7u);
        at(p + 8) = 9;
        EXPECT_EQ(child->pte(p)->frame(), as->pte(p)->frame());
        delete child;
        EXPECT_EQ(obj->attach_count(), 1u);

        /* Truncated under the mapping: pages past the end are unmapped and fault (SIGBUS). */
        EXPECT_FALSE(mm::shm_truncate(obj, 2 * PAGE_SIZE).is_error());
        EXPECT_READ_FAULTS(p + PAGE_SIZE);
        EXPECT_EQ(at(p + 8), 9u);
        current->files[fd] = nullptr;
        file->put();                            /* the region keeps its own reference */
        EXPECT_EQ(to_syscall_result(as->unmap(p, p + 3 * PAGE_SIZE)), 0);
        EXPECT_EQ(obj->attach_count(), 0u);
    }
    delete as;
    mm::shm_put(obj);
    EXPECT_EQ(nr_free_pages(), before);
}
