/* The region set: a sorted list and an AVL tree over it, augmented with gaps (region.h). */
#include <mm/region.h>

namespace mm {

namespace {

u32 height(const Region* n) { return n ? n->height : 0; }
u32 max_gap(const Region* n) { return n ? n->max_gap : 0; }
u32 larger(u32 a, u32 b) { return a > b ? a : b; }

/* Recomputes what a node knows of its subtree from its children. */
void update(Region* n)
{
    n->height = 1 + larger(height(n->left), height(n->right));
    n->max_gap = larger(n->gap_before(), larger(max_gap(n->left), max_gap(n->right)));
}

Region* rotate_right(Region* y)
{
    Region* x = y->left;
    y->left = x->right;
    x->right = y;
    update(y);
    update(x);
    return x;
}

Region* rotate_left(Region* x)
{
    Region* y = x->right;
    x->right = y->left;
    y->left = x;
    update(x);
    update(y);
    return y;
}

/* Restores the AVL balance at n (children differ in height by at most one). */
Region* balance(Region* n)
{
    update(n);
    int skew = int(height(n->left)) - int(height(n->right));
    if (skew > 1) {
        if (height(n->left->left) < height(n->left->right))
            n->left = rotate_left(n->left);
        return rotate_right(n);
    }
    if (skew < -1) {
        if (height(n->right->right) < height(n->right->left))
            n->right = rotate_right(n->right);
        return rotate_left(n);
    }
    return n;
}

Region* tree_insert(Region* n, Region* r)
{
    if (!n) {
        update(r);
        return r;
    }
    if (r->start < n->start)
        n->left = tree_insert(n->left, r);
    else
        n->right = tree_insert(n->right, r);
    return balance(n);
}

Region* take_min(Region* n, Region*& min)
{
    if (!n->left) {
        min = n;
        return n->right;
    }
    n->left = take_min(n->left, min);
    return balance(n);
}

Region* tree_erase(Region* n, u32 key)
{
    if (key < n->start) {
        n->left = tree_erase(n->left, key);
    } else if (key > n->start) {
        n->right = tree_erase(n->right, key);
    } else {
        Region* left = n->left;
        Region* right = n->right;
        if (!right)
            return left;
        Region* min;
        right = take_min(right, min);
        min->left = left;
        min->right = right;
        n = min;
    }
    return balance(n);
}

/* Recomputes the path down to the node starting at key (its gap changed). */
void refresh(Region* n, u32 key)
{
    if (!n)
        return;
    if (key < n->start)
        refresh(n->left, key);
    else if (key > n->start)
        refresh(n->right, key);
    update(n);
}

/* The leftmost region starting above key with at least len free before it. */
Region* leftmost_fit(Region* n, u32 key, u32 len)
{
    if (!n || n->max_gap < len)
        return nullptr;
    if (n->start > key) {
        if (Region* l = leftmost_fit(n->left, key, len))
            return l;
        if (n->gap_before() >= len)
            return n;
    }
    return leftmost_fit(n->right, key, len);
}

bool subtree_valid(const Region* n, u32& count)
{
    if (!n)
        return true;
    count++;
    if (!subtree_valid(n->left, count) || !subtree_valid(n->right, count))
        return false;
    if ((n->left && n->left->start >= n->start) || (n->right && n->right->start <= n->start))
        return false;
    int skew = int(height(n->left)) - int(height(n->right));
    return skew >= -1 && skew <= 1 && n->height == 1 + larger(height(n->left), height(n->right))
        && n->max_gap == larger(n->gap_before(), larger(max_gap(n->left), max_gap(n->right)));
}

} // namespace

Region Region::unlinked() const
{
    Region r = *this;
    r.next = r.prev = r.left = r.right = nullptr;
    r.height = r.max_gap = 0;
    return r;
}

Region* RegionSet::find(u32 addr) const
{
    if (m_cache && m_cache->contains(addr))
        return m_cache;
    Region* n = m_root;
    while (n) {
        if (addr < n->start)
            n = n->left;
        else if (addr >= n->end)
            n = n->right;
        else
            return m_cache = n;
    }
    return nullptr;
}

Region* RegionSet::find_above(u32 addr) const
{
    Region* best = nullptr;
    for (Region* n = m_root; n;) {
        if (n->end > addr) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

void RegionSet::insert(Region* r)
{
    /* The list first: the gap of r, computed as it enters the tree, needs its prev. */
    Region* next = find_above(r->start);
    r->next = next;
    r->prev = next ? next->prev : m_last;
    (r->prev ? r->prev->next : m_first) = r;
    (next ? next->prev : m_last) = r;
    r->left = r->right = nullptr;
    /*
     * Only next's gap changed, and next, r's successor, is an ancestor of the new leaf:
     * the insertion path recomputes it on the way up.
     */
    m_root = tree_insert(m_root, r);
    m_count++;
}

void RegionSet::erase(Region* r)
{
    if (m_cache == r)
        m_cache = nullptr;
    (r->prev ? r->prev->next : m_first) = r->next;
    (r->next ? r->next->prev : m_last) = r->prev;
    /*
     * Only next's gap changed, and next is on the erase path: r's ancestor, or the least
     * node of r's right subtree, which take_min walks to and puts in r's place.
     */
    m_root = tree_erase(m_root, r->start);
    r->next = r->prev = r->left = r->right = nullptr;
    m_count--;
}

void RegionSet::changed(Region* r)
{
    refresh(m_root, r->start);
    if (r->next)
        refresh(m_root, r->next->start);
}

u32 RegionSet::find_gap(u32 len, u32 low, u32 high) const
{
    u32 candidate = low;
    Region* above = find_above(low);
    if (above) {
        u32 from = above->prev && above->prev->end > low ? above->prev->end : low;
        if (above->start >= from && above->start - from >= len) {
            candidate = from;
        } else if (Region* fit = leftmost_fit(m_root, above->start, len)) {
            candidate = fit->prev->end;
        } else {
            candidate = m_last->end;
        }
    } else if (m_last && m_last->end > low) {
        candidate = m_last->end;
    }
    return candidate + len > candidate && candidate + len <= high ? candidate : 0;
}

bool RegionSet::valid() const
{
    u32 in_tree = 0, in_list = 0;
    if (!subtree_valid(m_root, in_tree))
        return false;
    const Region* prev = nullptr;
    for (const Region* r = m_first; r; prev = r, r = r->next, in_list++)
        if (r->prev != prev || r->start >= r->end || (prev && prev->end > r->start) || find(r->start) != r)
            return false;
    return prev == m_last && in_tree == m_count && in_list == m_count;
}

} // namespace mm
