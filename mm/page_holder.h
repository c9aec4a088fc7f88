/*
 * PageHolder: the owner of one page from get_free_page or __get_free_page. The page is
 * freed when the holder dies, unless release() has handed it over first. Move-only: a
 * copy would free the page twice.
 */
#pragma once

#include <mm/memory.h>

namespace mm {

class PageHolder {
public:
    PageHolder() = default;
    /* Takes over `page`, which may be null (an allocation that failed): then it holds nothing. */
    explicit PageHolder(VirtAddr page) : m_page(page) { }
    PageHolder(PageHolder&& other) : m_page(other.release()) { }
    PageHolder& operator=(PageHolder&& other)
    {
        if (this != &other) {
            reset();
            m_page = other.release();
        }
        return *this;
    }
    PageHolder(const PageHolder&) = delete;
    PageHolder& operator=(const PageHolder&) = delete;
    ~PageHolder() { reset(); }

    explicit operator bool() const { return bool(m_page); }
    VirtAddr addr() const { return m_page; }
    template<typename T = void>
    T* as_ptr() const { return m_page.as_ptr<T>(); }

    /* The page is the caller's from now on; the holder is empty. */
    VirtAddr release()
    {
        VirtAddr page = m_page;
        m_page = VirtAddr();
        return page;
    }

    /* Frees the page held, if any. */
    void reset()
    {
        if (m_page)
            free_page(release());
    }

private:
    VirtAddr m_page;
};

} // namespace mm
