/* test_heap_validate: heap_validate really fails on each kind of corruption. The heap's
 * internals are private to the runtime (heap_internal.h), so this test includes that header
 * and breaks them one at a time. */
#include "check.h"
#include "heap_internal.h"

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
    return heap_map_at(range_of(h, addr)->map, addr);
}

enum { WRONG_FL = 40, WRONG_SL = 3 }; /* a class no block of these small ranges can be in */

static void misfile(heap *h, heap_block *b)
{
    free_list_remove(h, b);
    CHECK(h->free_lists[WRONG_FL][WRONG_SL] == NULL);
    set_free_prev(b, NULL);
    set_free_next(b, NULL);
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
    heap_block *b0 = used(h, a[0]), *hole = next_of(b0), *b2 = used(h, a[2]);
    CHECK(is_free(hole) && next_of(hole) == b2 && !is_free(b0) && !is_free(b2));
    heap_block *end1 = h->ranges[1].end;
    heap_map *map = range_of(h, a[0])->map;

    EXPECT_BROKEN("used counter", h->used_bytes++, h->used_bytes--);
    EXPECT_BROKEN("live counter", h->live++, h->live--);
    EXPECT_BROKEN("free bytes", h->free_bytes += 16, h->free_bytes -= 16);
    EXPECT_BROKEN("free blocks", h->free_blocks++, h->free_blocks--);
    EXPECT_BROKEN("physical link (tiling)", set_next(b0, b2), set_next(b0, hole));
    EXPECT_BROKEN("predecessor link", b2->prev = b0, b2->prev = hole);
    EXPECT_BROKEN("requested size (slack)", b0->state += 16, b0->state -= 16);
    EXPECT_BROKEN(
        "slack within the counters",
        {
            b0->state += 16;
            h->used_bytes -= 16;
        },
        {
            b0->state -= 16;
            h->used_bytes += 16;
        });
    EXPECT_BROKEN("range end sentinel", end1->addr += 16, end1->addr -= 16);
    EXPECT_BROKEN("sentinel link", set_next(end1, b0), set_next(end1, NULL));
    EXPECT_BROKEN("bitmap", h->fl_bitmap ^= 1u << 20, h->fl_bitmap ^= 1u << 20);
    EXPECT_BROKEN("sequence counter left odd", b2->seq++, b2->seq--);
    EXPECT_BROKEN("used block missing from the map", heap_map_remove(map, a[2], size_of(b2)),
                  heap_map_insert(map, a[2], size_of(b2), b2));
    EXPECT_BROKEN(
        "free block published in the map",
        {
            CHECK_EQ(heap_map_prepare(map, addr_of(hole), size_of(hole)), CLSVM_OK);
            heap_map_insert(map, addr_of(hole), size_of(hole), hole);
        },
        heap_map_remove(map, addr_of(hole), size_of(hole)));
    /* A used block marked free: a free block with stale state, next to the free hole. */
    EXPECT_BROKEN("used bit", b0->state ^= STATE_USED, b0->state ^= STATE_USED);
    /* A free block missing from its class list. */
    EXPECT_BROKEN("unlisted free block", free_list_remove(h, hole), free_list_insert(h, hole));
    /* A free block filed in the wrong class list. */
    EXPECT_BROKEN("wrong class", misfile(h, hole), refile(h, hole));
    /* A record lost from the pool. */
    EXPECT_BROKEN("record count", h->records_total++, h->records_total--);
    heap_destroy(h);

    /* A block spanning chunks (256 KiB with a 16-byte granule) whose covers go missing. */
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, 4 << 20), CLSVM_OK);
    uintptr_t big;
    CHECK_EQ(heap_alloc(h, 3 << 20, 16, 0, NULL, &big), CLSVM_OK);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    map = range_of(h, big)->map;
    heap_block *bb = used(h, big);
    EXPECT_BROKEN(
        "missing chunk covers",
        {
            heap_map_remove(map, big, 3 << 20);
            heap_map_insert(map, big, 16, bb);
        },
        {
            heap_map_remove(map, big, 16);
            heap_map_insert(map, big, 3 << 20, bb);
        });
    heap_destroy(h);
    return 0;
}
