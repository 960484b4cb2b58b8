/* test_heap_validate: heap_validate really fails on each kind of corruption. The heap's
 * internals are private to heap_tlsf.c, so this test compiles that file in directly (the
 * linker then takes no heap_tlsf object from the static library) and breaks them one at a time. */
#include "check.h"
#include "heap_tlsf.c"

#define BASE ((uintptr_t)1 << 40)

/* A heap with used and free blocks in two ranges; a[] holds the live bases. */
static heap *make(uintptr_t a[4])
{
    heap *h;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, 1 << 20), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE + (2 << 20), 1 << 20), CLSVM_OK);
    for (int i = 0; i < 4; i++)
        CHECK_EQ(heap_alloc(h, 100 + i, 16, 0, NULL, &a[i]), CLSVM_OK);
    CHECK_EQ(heap_free(h, a[1], NULL), CLSVM_OK); /* free hole between a[0] and a[2] */
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    return h;
}

static heap_block *used(heap *h, uintptr_t addr)
{
    return block_of(heap_index_find(&h->index, addr));
}

enum { WRONG_FL = 40, WRONG_SL = 3 }; /* a class no block of these small ranges can be in */

static void misfile(heap *h, heap_block *b)
{
    free_list_remove(h, b);
    CHECK(h->free_lists[WRONG_FL][WRONG_SL] == NULL);
    b->free_prev = b->free_next = NULL;
    h->free_lists[WRONG_FL][WRONG_SL] = b;
    h->sl_bitmap[WRONG_FL] |= 1u << WRONG_SL;
    h->fl_bitmap |= UINT64_C(1) << WRONG_FL;
}

static void refile(heap *h, heap_block *b)
{
    h->free_lists[WRONG_FL][WRONG_SL] = NULL;
    h->sl_bitmap[WRONG_FL] = 0;
    h->fl_bitmap &= ~(UINT64_C(1) << WRONG_FL);
    free_list_insert(h, b);
}

#define EXPECT_BROKEN(what, mutate, restore)                                                       \
    do {                                                                                           \
        mutate;                                                                                    \
        CHECK_MSG(heap_validate(h) == CLSVM_ERR_INVALID, "validate missed: %s", what);             \
        restore;                                                                                   \
        CHECK_MSG(heap_validate(h) == CLSVM_OK, "not restored: %s", what);                         \
    } while (0)

int main(void)
{
    uintptr_t a[4];
    heap *h = make(a);
    heap_block *b0 = used(h, a[0]), *hole = b0->phys_next, *b2 = used(h, a[2]);
    CHECK(is_free(hole) && hole->phys_next == b2 && !is_free(b0) && !is_free(b2));
    heap_block *end1 = h->ranges[1].end;

    EXPECT_BROKEN("used counter", h->used_bytes++, h->used_bytes--);
    EXPECT_BROKEN("live counter", h->live++, h->live--);
    EXPECT_BROKEN("free bytes", h->free_bytes += 16, h->free_bytes -= 16);
    EXPECT_BROKEN("free blocks", h->free_blocks++, h->free_blocks--);
    EXPECT_BROKEN("physical link (tiling)", b0->phys_next = b2, b0->phys_next = hole);
    EXPECT_BROKEN("requested size (slack)", b0->node.owner_24 += 16, b0->node.owner_24 -= 16);
    EXPECT_BROKEN("slack within the counters", (b0->node.owner_24 += 16, h->used_bytes -= 16),
                  (b0->node.owner_24 -= 16, h->used_bytes += 16));
    EXPECT_BROKEN("range end sentinel", end1->node.key += 16, end1->node.key -= 16);
    EXPECT_BROKEN("sentinel link", end1->phys_next = b0, end1->phys_next = NULL);
    EXPECT_BROKEN("bitmap", h->fl_bitmap ^= 1u << 20, h->fl_bitmap ^= 1u << 20);
    EXPECT_BROKEN("index height", h->index.root->height++, h->index.root->height--);
    EXPECT_BROKEN("index key", b2->node.key++, b2->node.key--);
    EXPECT_BROKEN("index count", h->index.count++, h->index.count--);
    EXPECT_BROKEN("used block missing from index", heap_index_remove(&h->index, &b2->node),
                  heap_index_insert(&h->index, &b2->node));
    /* A used block dropped from the index reads as free: two adjacent free blocks. */
    EXPECT_BROKEN("adjacent free", heap_index_remove(&h->index, &b0->node),
                  heap_index_insert(&h->index, &b0->node));
    /* A free block missing from its class list. */
    EXPECT_BROKEN("unlisted free block", free_list_remove(h, hole), free_list_insert(h, hole));
    /* A free block filed in the wrong class list. */
    EXPECT_BROKEN("wrong class", misfile(h, hole), refile(h, hole));
    /* A record lost from the pool. */
    EXPECT_BROKEN("record count", h->records_total++, h->records_total--);
    heap_destroy(h);
    return 0;
}
