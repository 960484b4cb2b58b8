/*
 * heap_index: intrusive AVL tree keyed by address (see heap_index.h for the contract).
 *
 * AVL rather than red-black: deterministic, simplest to validate exactly (heights are
 * stored, so the check is "stored height == computed height and balance in [-1, 1]"), and its
 * depth bound (1.44 log2 n) keeps lookups short. Rebalancing walks up from the changed node
 * only while subtree heights change: O(log n) worst case, O(1) amortised rotations.
 */
#include "heap_index.h"

static int height(const heap_index_node *n)
{
    return n ? n->height : 0;
}

static void update_height(heap_index_node *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = (uint32_t)(1 + (l > r ? l : r)) & 0xff;
}

/* Make new take old's place under parent (or as root); new may be NULL. */
static void replace_child(heap_index *ix, heap_index_node *parent, heap_index_node *old,
                          heap_index_node *new)
{
    if (!parent)
        ix->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

static heap_index_node *rotate_left(heap_index *ix, heap_index_node *x)
{
    heap_index_node *y = x->right;
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(ix, x->parent, x, y);
    y->left = x;
    x->parent = y;
    update_height(x);
    update_height(y);
    return y;
}

static heap_index_node *rotate_right(heap_index *ix, heap_index_node *x)
{
    heap_index_node *y = x->left;
    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(ix, x->parent, x, y);
    y->right = x;
    x->parent = y;
    update_height(x);
    update_height(y);
    return y;
}

/* Restore the AVL balance at n (children already balanced); returns the subtree's new root. */
static heap_index_node *rebalance(heap_index *ix, heap_index_node *n)
{
    int balance = height(n->left) - height(n->right);
    if (balance > 1) {
        if (height(n->left->left) < height(n->left->right))
            rotate_left(ix, n->left);
        return rotate_right(ix, n);
    }
    if (balance < -1) {
        if (height(n->right->right) < height(n->right->left))
            rotate_right(ix, n->right);
        return rotate_left(ix, n);
    }
    update_height(n);
    return n;
}

/*
 * Rebalance from n up. Ancestors depend only on their children's heights, so once a subtree's
 * height is what it was before the change, nothing above it needs work and we stop: after an
 * insert that is at most one (double) rotation, after a remove usually a few levels.
 */
static void retrace(heap_index *ix, heap_index_node *n)
{
    while (n) {
        unsigned before = n->height;
        n = rebalance(ix, n);
        if (n->height == before)
            return;
        n = n->parent;
    }
}

static heap_index_node *leftmost(heap_index_node *n)
{
    while (n->left)
        n = n->left;
    return n;
}

static heap_index_node *rightmost(heap_index_node *n)
{
    while (n->right)
        n = n->right;
    return n;
}

void heap_index_init(heap_index *ix)
{
    ix->root = NULL;
    ix->count = 0;
}

int heap_index_insert(heap_index *ix, heap_index_node *n)
{
    heap_index_node *parent = NULL, **link = &ix->root;
    while (*link) {
        parent = *link;
        if (n->key == parent->key)
            return -1;
        link = n->key < parent->key ? &parent->left : &parent->right;
    }
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    ix->count++;
    retrace(ix, parent);
    return 0;
}

void heap_index_remove(heap_index *ix, heap_index_node *n)
{
    heap_index_node *retrace_from;
    if (n->left && n->right) {
        /* Splice the in-order successor s (which has no left child) into n's place. */
        heap_index_node *s = leftmost(n->right);
        if (s->parent == n) {
            retrace_from = s;
        } else {
            retrace_from = s->parent;
            s->parent->left = s->right;
            if (s->right)
                s->right->parent = s->parent;
            s->right = n->right;
            n->right->parent = s;
        }
        s->left = n->left;
        n->left->parent = s;
        s->height = n->height;
        replace_child(ix, n->parent, n, s);
    } else {
        retrace_from = n->parent;
        replace_child(ix, n->parent, n, n->left ? n->left : n->right);
    }
    n->left = n->right = n->parent = NULL;
    n->height = 0;
    ix->count--;
    retrace(ix, retrace_from);
}

heap_index_node *heap_index_find(const heap_index *ix, uintptr_t key)
{
    heap_index_node *x = ix->root;
    while (x && x->key != key)
        x = key < x->key ? x->left : x->right;
    return x;
}

heap_index_node *heap_index_find_le(const heap_index *ix, uintptr_t key)
{
    heap_index_node *x = ix->root, *best = NULL;
    while (x) {
        if (x->key <= key) {
            best = x;
            x = x->right;
        } else {
            x = x->left;
        }
    }
    return best;
}

heap_index_node *heap_index_first(const heap_index *ix)
{
    return ix->root ? leftmost(ix->root) : NULL;
}

heap_index_node *heap_index_next(const heap_index_node *n)
{
    if (n->right)
        return leftmost(n->right);
    while (n->parent && n->parent->right == n)
        n = n->parent;
    return n->parent;
}

heap_index_node *heap_index_prev(const heap_index_node *n)
{
    if (n->left)
        return rightmost(n->left);
    while (n->parent && n->parent->left == n)
        n = n->parent;
    return n->parent;
}

typedef struct check {
    size_t visited, limit;
    uintptr_t bad_key;
} check;

/* Returns the subtree height, or -1 after storing the problem in *why. Keys in (lo, hi). */
static int check_subtree(const heap_index_node *n, const heap_index_node *parent, int has_lo,
                         uintptr_t lo, int has_hi, uintptr_t hi, check *c, const char **why)
{
    if (!n)
        return 0;
    if (++c->visited > c->limit) {
        *why = "more nodes reachable than counted (cycle or wrong count)";
        c->bad_key = n->key;
        return -1;
    }
    c->bad_key = n->key;
    if (n->parent != parent) {
        *why = "parent link does not match";
        return -1;
    }
    if ((has_lo && n->key <= lo) || (has_hi && n->key >= hi)) {
        *why = "keys out of order";
        return -1;
    }
    int l = check_subtree(n->left, n, has_lo, lo, 1, n->key, c, why);
    if (l < 0)
        return -1;
    int r = check_subtree(n->right, n, 1, n->key, has_hi, hi, c, why);
    if (r < 0)
        return -1;
    c->bad_key = n->key;
    int h = 1 + (l > r ? l : r);
    if ((int)n->height != h) {
        *why = "stored height is wrong";
        return -1;
    }
    if (l - r > 1 || r - l > 1) {
        *why = "subtree out of balance";
        return -1;
    }
    return h;
}

const char *heap_index_validate(const heap_index *ix, uintptr_t *bad_key)
{
    const char *why = NULL;
    check c = {0, ix->count, 0};
    if (check_subtree(ix->root, NULL, 0, 0, 0, 0, &c, &why) >= 0 && c.visited != ix->count) {
        why = "fewer nodes reachable than counted";
        c.bad_key = 0;
    }
    if (bad_key)
        *bad_key = why ? c.bad_key : 0;
    return why;
}
