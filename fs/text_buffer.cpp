#include <fs/proc.h>
#include <kernel/format.h>
#include <kernel/string.h>

namespace fs {

void TextBuffer::write(const char* s, size_t n)
{
    size_t room = m_capacity - m_length;
    if (n > room) {
        n = room;
        m_overflow = true;
    }
    if (!m_pages) {
        memcpy(m_buf + m_length, s, n);
        m_length += n;
        if (m_length < m_capacity)
            m_buf[m_length] = '\0';
        return;
    }
    while (n) {
        size_t page = m_length / PAGE, offset = m_length % PAGE;
        if (offset == 0 && !(m_pages[page] = m_allocate())) {
            m_out_of_memory = m_overflow = true;
            m_capacity = m_length;
            return;
        }
        size_t k = n < PAGE - offset ? n : PAGE - offset;
        memcpy(m_pages[page] + offset, s, k);
        m_length += k;
        s += k;
        n -= k;
    }
}

void TextBuffer::printf(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kfmt::vformat([](void* self, const char* s, size_t n) { static_cast<TextBuffer*>(self)->write(s, n); },
                  this, fmt, ap);
    va_end(ap);
}

} // namespace fs
