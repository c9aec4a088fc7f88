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

bool subtree_valid(const Region* n, const Region* parent, u32& count)
{
    if (!n)
        return true;
    count++;
    if (n->parent != parent || !subtree_valid(n->left, n, count) || !subtree_valid(n->right, n, count))
        return false;
    if ((n->left && n->left->start >= n->start) || (n->right && n->right->start <= n->start))
        return false;
    int skew = int(height(n->left)) - int(height(n->right));
    return skew >= -1 && skew <= 1 && n->height == 1 + larger(height(n->left), height(n->right))
        && n->max_gap == larger(n->gap_before(), larger(max_gap(n->left), max_gap(n->right)));
}

} // namespace

/* Puts `to` where `from` hangs (its parent's child link, or the root). */
void RegionSet::replace_child(Region* parent, Region* from, Region* to)
{
    if (!parent)
        m_root = to;
    else if (parent->left == from)
        parent->left = to;
    else
        parent->right = to;
    if (to)
        to->parent = parent;
}

/* The rotations: y's left child x takes y's place (right), and the mirror. */
Region* RegionSet::rotate_right(Region* y)
{
    Region* x = y->left;
    replace_child(y->parent, y, x);
    y->left = x->right;
    if (y->left)
        y->left->parent = y;
    x->right = y;
    y->parent = x;
    update(y);
    update(x);
    return x;
}

Region* RegionSet::rotate_left(Region* x)
{
    Region* y = x->right;
    replace_child(x->parent, x, y);
    x->right = y->left;
    if (x->right)
        x->right->parent = x;
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

/*
 * Walks up from n, recomputing each node and restoring the AVL balance, until a node
 * comes out as it was (same height and gap, no rotation): above it nothing changed.
 * An insertion or a removal costs the descent and, on average, a few steps of this.
 */
void RegionSet::fix_up(Region* n)
{
    while (n) {
        u32 old_height = n->height, old_gap = n->max_gap;
        update(n);
        int skew = int(height(n->left)) - int(height(n->right));
        bool rotated = skew > 1 || skew < -1;
        if (skew > 1) {
            if (height(n->left->left) < height(n->left->right))
                rotate_left(n->left);
            n = rotate_right(n);
        } else if (skew < -1) {
            if (height(n->right->right) < height(n->right->left))
                rotate_right(n->right);
            n = rotate_left(n);
        }
        if (!rotated && n->height == old_height && n->max_gap == old_gap)
            return;
        n = n->parent;
    }
}

Region Region::unlinked() const
{
    Region r = *this;
    r.next = r.prev = r.left = r.right = r.parent = nullptr;
    r.shm_next = r.shm_prev = nullptr;      /* the object's list, too, is the original's */
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
    /* The list first: the gap of r, and of its successor, come from the list. */
    Region* next = find_above(r->start);
    r->next = next;
    r->prev = next ? next->prev : m_last;
    (r->prev ? r->prev->next : m_first) = r;
    (next ? next->prev : m_last) = r;

    Region* parent = nullptr;
    Region** link = &m_root;
    while (*link) {
        parent = *link;
        link = r->start < parent->start ? &parent->left : &parent->right;
    }
    *link = r;
    r->parent = parent;
    r->left = r->right = nullptr;
    update(r);
    fix_up(parent);
    if (next)
        fix_up(next);                   /* its gap shrank */
    m_count++;
}

void RegionSet::erase(Region* r)
{
    if (m_cache == r)
        m_cache = nullptr;
    Region* next = r->next;
    (r->prev ? r->prev->next : m_first) = r->next;
    (r->next ? r->next->prev : m_last) = r->prev;

    /* A node with two children trades places with its successor, which has no left child. */
    Region* from;                       /* where the tree changed: fix up from there */
    Region* moved = nullptr;            /* the successor, now in r's place */
    if (r->left && r->right) {
        Region* s = r->right;
        while (s->left)
            s = s->left;
        from = s->parent == r ? s : s->parent;
        if (s->parent != r) {
            replace_child(s->parent, s, s->right);
            s->right = r->right;
            s->right->parent = s;
        }
        replace_child(r->parent, r, s);
        s->left = r->left;
        s->left->parent = s;
        /* What r's parent last saw of its child, so that the walk compares against it. */
        s->height = r->height;
        s->max_gap = r->max_gap;
        moved = s;
    } else {
        from = r->parent;
        replace_child(r->parent, r, r->left ? r->left : r->right);
    }
    /* The walk from below may stop short of the moved node, whose children are new. */
    fix_up(from);
    if (moved)
        fix_up(moved);
    if (next)
        fix_up(next);                   /* its gap grew */
    r->next = r->prev = r->left = r->right = r->parent = nullptr;
    m_count--;
}

/* A balanced tree of the next `count` regions of the list at cursor, in order. */
Region* RegionSet::build(Region*& cursor, u32 count, Region* parent)
{
    if (!count)
        return nullptr;
    u32 left_count = (count - 1) / 2;
    Region* left = build(cursor, left_count, nullptr);
    Region* n = cursor;
    cursor = cursor->next;
    n->parent = parent;
    n->left = left;
    if (left)
        left->parent = n;
    n->right = build(cursor, count - 1 - left_count, n);
    update(n);
    return n;
}

void RegionSet::adopt_sorted(Region* first, u32 count)
{
    Region* prev = nullptr;
    for (Region* r = first; r; prev = r, r = r->next)
        r->prev = prev;
    m_first = first;
    m_last = prev;
    m_count = count;
    Region* cursor = first;
    m_root = build(cursor, count, nullptr);
}

Region* RegionSet::take_all()
{
    Region* first = m_first;
    m_root = m_first = m_last = m_cache = nullptr;
    m_count = 0;
    return first;
}

void RegionSet::changed(Region* r)
{
    fix_up(r);
    if (r->next)
        fix_up(r->next);
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
    if (!subtree_valid(m_root, nullptr, in_tree))
        return false;
    const Region* prev = nullptr;
    for (const Region* r = m_first; r; prev = r, r = r->next, in_list++)
        if (r->prev != prev || r->start >= r->end || (prev && prev->end > r->start) || find(r->start) != r)
            return false;
    return prev == m_last && in_tree == m_count && in_list == m_count;
}

} // namespace mm
