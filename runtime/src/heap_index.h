/*
 * heap_index: an intrusive, address-ordered AVL tree of the heap's used blocks, so that an
 * interior pointer finds its block in O(log n). The node lives inside the block record (no
 * allocation here, nothing can fail for lack of memory); the tree never dereferences keys,
 * which are plain addresses. Not thread-safe: the heap's caller serialises writers; the
 * read-only functions do not modify the tree, so concurrent readers are fine.
 *
 * Invariants (checked by heap_index_validate): binary-search order on strictly increasing
 * keys, parent links consistent, stored heights exact, |height(left) - height(right)| <= 1,
 * count equals the number of reachable nodes.
 * Cost: insert, remove, find, find_le O(log n); first O(log n); next/prev O(1) amortised.
 */
#ifndef CLSVM_HEAP_INDEX_H
#define CLSVM_HEAP_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct heap_index_node {
    struct heap_index_node *left, *right, *parent;
    uintptr_t key;          /* set by the caller before insert; must not change while inserted */
    uint32_t height : 8;    /* leaf = 1; 0 when not in a tree (AVL depth < 1.45 log2 n < 256) */
    uint32_t owner_24 : 24; /* never read or written by the index: the embedding record's */
    uint32_t owner_32;      /* likewise (the record packs its fields into the node's padding) */
} heap_index_node;

typedef struct heap_index {
    heap_index_node *root;
    size_t count;
} heap_index;

void heap_index_init(heap_index *ix);

/* Insert n (n->key set). Returns 0, or -1 without change if a node with that key exists. */
int heap_index_insert(heap_index *ix, heap_index_node *n);

/* Remove n, which must be in ix (the caller found it through ix). */
void heap_index_remove(heap_index *ix, heap_index_node *n);

/* The node whose key equals key, or NULL. */
heap_index_node *heap_index_find(const heap_index *ix, uintptr_t key);

/* The node with the greatest key <= key, or NULL. */
heap_index_node *heap_index_find_le(const heap_index *ix, uintptr_t key);

/* In-order iteration: smallest key, then the next larger; NULL at the end. */
heap_index_node *heap_index_first(const heap_index *ix);
heap_index_node *heap_index_next(const heap_index_node *n);
/* The next smaller key's node, or NULL. O(1) amortised. */
heap_index_node *heap_index_prev(const heap_index_node *n);

/*
 * Check every invariant. Returns NULL when the tree is sound, otherwise a short description of
 * the first problem found and, in *bad_key, the key of the node where it was found (0 if none).
 * Visits at most count + 1 nodes, so a corrupted (cyclic) tree cannot make it loop forever.
 */
const char *heap_index_validate(const heap_index *ix, uintptr_t *bad_key);

#endif
