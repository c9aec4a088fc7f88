/* Pipes: one page of buffer between a reading and a writing File. */
#include <arch/interrupts.h>
#include <fs/file.h>
#include <kernel/errno.h>
#include <kernel/poll.h>
#include <kernel/syscall.h>
#include <kernel/task.h>
#include <mm/page_holder.h>

#include <new>

namespace {

struct Pipe {
    mm::PageHolder buffer;              /* freed with the pipe */
    u32 head = 0, tail = 0;             /* bytes written and read, modulo nothing: head - tail */
    int readers = 1, writers = 1;
    WaitQueue wait;                     /* both sides sleep here */

    u32 used() const { return head - tail; }
    char* data() const { return buffer.as_ptr<char>(); }
};

class PipeEnd final : public fs::File {
public:
    PipeEnd(Pipe* pipe, bool writer) : m_pipe(pipe), m_writer(writer)
    {
        m_flags = writer ? fs::O_WRONLY : fs::O_RDONLY;
    }

    ~PipeEnd() override
    {
        arch::InterruptDisabler guard;
        if (m_writer)
            m_pipe->writers--;
        else
            m_pipe->readers--;
        wake_up(m_pipe->wait);
        if (!m_pipe->readers && !m_pipe->writers)
            delete m_pipe;
    }

    ErrorOr<size_t> read(void* buf, size_t n) override
    {
        if (m_writer)
            return Error::from_errno(EBADF);
        Pipe& p = *m_pipe;
        for (;;) {
            arch::InterruptDisabler guard;
            if (p.used()) {
                size_t k = n < p.used() ? n : p.used();
                for (size_t i = 0; i < k; i++)
                    static_cast<char*>(buf)[i] = p.data()[(p.tail + i) % PAGE_SIZE];
                p.tail += u32(k);
                wake_up(p.wait);
                return k;
            }
            if (!p.writers || !n)
                return 0u;
            if (m_flags & fs::O_NONBLOCK)
                return Error::from_errno(EAGAIN);
            if (wait_event(p.wait, Interruptible::Yes, [&p] { return p.used() || !p.writers; })
                == WaitResult::Interrupted)
                return Error::from_errno(EINTR);
        }
    }

    ErrorOr<size_t> write(const void* buf, size_t n) override
    {
        if (!m_writer)
            return Error::from_errno(EBADF);
        Pipe& p = *m_pipe;
        size_t done = 0;
        while (done < n) {
            arch::InterruptDisabler guard;
            if (!p.readers) {
                send_signal(*current, SIGPIPE);
                return bytes_or_error(done, Error::from_errno(EPIPE));
            }
            size_t room = PAGE_SIZE - p.used();
            if (room) {
                size_t k = n - done < room ? n - done : room;
                for (size_t i = 0; i < k; i++)
                    p.data()[(p.head + i) % PAGE_SIZE] = static_cast<const char*>(buf)[done + i];
                p.head += u32(k);
                done += k;
                wake_up(p.wait);
                continue;
            }
            if (m_flags & fs::O_NONBLOCK)
                return bytes_or_error(done, Error::from_errno(EAGAIN));
            if (wait_event(p.wait, Interruptible::Yes, [&p] { return p.used() < PAGE_SIZE || !p.readers; })
                == WaitResult::Interrupted)
                return bytes_or_error(done, Error::from_errno(EINTR));
        }
        return done;
    }

    ErrorOr<i64> lseek(i64, int) override { return Error::from_errno(ESPIPE); }

    /* Readable with data or once every writer is gone (POLLHUP); writable with room. */
    u32 poll(PollTable* table) override
    {
        Pipe& p = *m_pipe;
        if (table)
            table->watch(p.wait);
        arch::InterruptDisabler guard;
        if (m_writer)
            return (p.used() < PAGE_SIZE ? POLLOUT | POLLWRNORM : 0) | (p.readers ? 0 : POLLERR);
        return (p.used() ? POLLIN | POLLRDNORM : 0) | (p.writers ? 0 : POLLHUP);
    }

    ErrorOr<void> stat(fs::FileStat& st) override
    {
        st = { };
        st.dev = 0x0C;                  /* pipefs, as Linux numbers it in its own way */
        st.ino = u32(uintptr_t(m_pipe) >> 4);
        st.mode = fs::S_IFIFO | 0600;
        st.nlink = 1;
        return {};
    }

private:

    Pipe* m_pipe;
    bool m_writer;
};

} // namespace

ErrorOr<void> make_pipe(fs::File* ends[2])
{
    Pipe* pipe = new (std::nothrow) Pipe;
    if (!pipe)
        return Error::from_errno(ENFILE);
    pipe->buffer = mm::PageHolder(__get_free_page(Gfp::Kernel));
    ends[0] = pipe->buffer ? new (std::nothrow) PipeEnd(pipe, false) : nullptr;
    ends[1] = ends[0] ? new (std::nothrow) PipeEnd(pipe, true) : nullptr;
    if (!ends[1]) {
        if (ends[0]) {
            pipe->writers = 0;          /* the reader's destructor then frees the pipe */
            delete static_cast<PipeEnd*>(ends[0]);
        } else {
            delete pipe;
        }
        return Error::from_errno(ENFILE);
    }
    return {};
}
