/*
 * heap_validate.c: heap_validate, which walks every range, free list and lookup map and fails
 * loudly on the first broken guarantee listed in heap.h (clsvm_window_validate and the tests
 * call it).
 */
#include "heap_internal.h"
#include "clsvm/internal/log.h"

#include <clsvm/runtime.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>

/* Mixes an address so that sums over two walks agree only if they saw the same blocks. */
static uint64_t addr_hash(uintptr_t a)
{
    uint64_t x = (uint64_t)a + UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        clsvm_log(CLSVM_LOG_ERROR, "heap_validate: " __VA_ARGS__);                                 \
        return CLSVM_ERR_INVALID;                                                                  \
    } while (0)

/* A chunk cover must name a used block that starts before the chunk and reaches into it. */
static int check_cover(uintptr_t start, uintptr_t cover, const heap_block *b, void *user)
{
    if (start)
        return 0; /* starts are checked block by block in validate_ranges */
    if (!is_used(b) || addr_of(b) >= cover || cover - addr_of(b) >= size_of(b))
        *(uintptr_t *)user = cover;
    return *(uintptr_t *)user != 0;
}

/* The range's map publishes exactly its used blocks: each at its base, found from its first
 * and last byte (validate_used); counts and covers agree with the blocks walked. */
static int validate_map(const heap_range *r, uint64_t live, uint64_t covers)
{
    uint64_t starts, map_covers;
    const char *why = heap_map_validate(r->map, &starts, &map_covers);
    if (why)
        FAIL("lookup map of range 0x%" PRIxPTR ": %s", r->base, why);
    if (starts != live || map_covers != covers)
        FAIL("lookup map of range 0x%" PRIxPTR ": %" PRIu64 " starts and %" PRIu64
             " covers, blocks need %" PRIu64 " and %" PRIu64,
             r->base, starts, map_covers, live, covers);
    uintptr_t bad = 0;
    heap_map_foreach(r->map, check_cover, &bad);
    if (bad)
        FAIL("lookup map: chunk 0x%" PRIxPTR " covered by a block not reaching it", bad);
    return CLSVM_OK;
}

/* One used block: sane slack, published in the map at its base and found from its ends. */
/* hidden[0]: hidden used blocks allowed (the window's in flight), hidden[1]: seen so far. */
static int validate_used(const heap *h, const heap_range *r, const heap_block *b, uint64_t *hidden)
{
    uint32_t slack = state_of(b) & STATE_SLACK;
    if (!(state_of(b) & STATE_VISIBLE) && ++hidden[1] > hidden[0])
        FAIL("used block 0x%" PRIxPTR ": never shown to lookups", addr_of(b));
    if (slack >= h->min_align || slack >= size_of(b))
        FAIL("used block 0x%" PRIxPTR ": size 0x%" PRIx64 " with slack 0x%x", addr_of(b),
             size_of(b), (unsigned)slack);
    uintptr_t last = addr_of(b) + req_size_of(b) - 1;
    if (heap_map_at(r->map, addr_of(b)) != b || heap_map_find(r->map, last) != b)
        FAIL("used block 0x%" PRIxPTR ": not found through the lookup map", addr_of(b));
    bool shown = state_of(b) & STATE_VISIBLE; /* a hidden block reads as not live */
    if ((heap_block_read(b, last, NULL) == CLSVM_OK) != shown ||
        (slack && heap_block_read(b, last + 1, NULL) != CLSVM_ERR_NOTFOUND))
        FAIL("used block 0x%" PRIxPTR ": lookup disagrees with its requested size", addr_of(b));
    return CLSVM_OK;
}

/* Walk each range's physical list: tiling, links, alignment, coalescing, used blocks mapped. */
static int validate_ranges(const heap *h, uint64_t *free_seen, uint64_t *free_hash,
                           uint64_t *blocks_seen, uint64_t *hidden)
{
    uint64_t hash = 0, used = 0, live = 0, free_bytes = 0, free_blocks = 0, range_bytes = 0,
             steps = 0;
    for (size_t i = 0; i < h->range_count; i++) {
        const heap_range *r = &h->ranges[i];
        range_bytes += r->size;
        const heap_block *b = r->first, *prev = NULL;
        uintptr_t end = r->base + r->size;
        uint64_t range_live = 0, covers = 0;
        if (!b || addr_of(b) != r->base || b->prev || !r->end || addr_of(r->end) != end ||
            next_of(r->end) || state_of(r->end))
            FAIL("range %zu [0x%" PRIxPTR ", +0x%" PRIx64 ") lacks its first block or its end", i,
                 r->base, r->size);
        for (; b != r->end; prev = b, b = next_of(b)) {
            if (++steps > h->records_total)
                FAIL("range %zu: physical list longer than all records (cycle?)", i);
            if (!next_of(b))
                FAIL("block 0x%" PRIxPTR ": list ends before the range's end", addr_of(b));
            uintptr_t next = addr_of(next_of(b));
            if (next <= addr_of(b) || next > end)
                FAIL("block 0x%" PRIxPTR ": successor at 0x%" PRIxPTR " (overlap or outside)",
                     addr_of(b), next);
            if (b->prev != prev || next_of(b)->prev != b)
                FAIL("block 0x%" PRIxPTR ": predecessor link broken", addr_of(b));
            if (atomic_load_explicit(&b->seq, RLX) & 1)
                FAIL("block 0x%" PRIxPTR ": sequence counter left odd", addr_of(b));
            uint64_t size = size_of(b);
            if ((size | addr_of(b)) & (h->min_align - 1))
                FAIL("block 0x%" PRIxPTR ": size 0x%" PRIx64 " or address not min_align multiple",
                     addr_of(b), size);
            if (is_free(b)) {
                if (state_of(b))
                    FAIL("free block 0x%" PRIxPTR ": state 0x%x", addr_of(b),
                         (unsigned)state_of(b));
                if (prev && is_free(prev))
                    FAIL("free blocks 0x%" PRIxPTR " and 0x%" PRIxPTR " are adjacent",
                         addr_of(prev), addr_of(b));
                free_bytes += size;
                free_blocks++;
                hash += addr_hash(addr_of(b));
                continue;
            }
            int rc = validate_used(h, r, b, hidden);
            if (rc != CLSVM_OK)
                return rc;
            used += req_size_of(b);
            live++;
            range_live++;
            covers += heap_map_covers_of(r->map, addr_of(b), size);
        }
        steps++; /* the sentinel */
        int rc = validate_map(r, range_live, covers);
        if (rc != CLSVM_OK)
            return rc;
    }
    if (range_bytes != h->range_bytes || used != h->used_bytes || live != h->live ||
        free_bytes != h->free_bytes || free_blocks != h->free_blocks)
        FAIL("counters (range %" PRIu64 " used %" PRIu64 " live %" PRIu64 " free %" PRIu64
             " free_blocks %" PRIu64 ") differ from blocks (%" PRIu64 " %" PRIu64 " %" PRIu64
             " %" PRIu64 " %" PRIu64 ")",
             h->range_bytes, h->used_bytes, h->live, h->free_bytes, h->free_blocks, range_bytes,
             used, live, free_bytes, free_blocks);
    *free_seen = free_blocks;
    *free_hash = hash;
    *blocks_seen = steps;
    return CLSVM_OK;
}

/* Each free block is in the list of its class exactly once; bitmaps match the lists. */
static int validate_free_lists(const heap *h, uint64_t free_blocks, uint64_t free_hash)
{
    uint64_t listed = 0, hash = 0;
    for (unsigned fl = 0; fl < FL_COUNT; fl++) {
        if (!!(h->fl_bitmap & (UINT64_C(1) << fl)) != !!h->sl_bitmap[fl])
            FAIL("first-level bit %u disagrees with its second-level bitmap", fl);
        for (unsigned sl = 0; sl < SL_COUNT; sl++) {
            const heap_block *b = h->free_lists[fl][sl], *prev = NULL;
            if (!!(h->sl_bitmap[fl] & (UINT32_C(1) << sl)) != !!b)
                FAIL("bitmap bit (%u, %u) disagrees with its list", fl, sl);
            for (; b; prev = b, b = free_next(b)) {
                if (++listed > free_blocks)
                    FAIL("free lists hold more entries than free blocks (stale or cycle)");
                unsigned bfl, bsl;
                if (!is_free(b))
                    FAIL("used block 0x%" PRIxPTR " in free list (%u, %u)", addr_of(b), fl, sl);
                if (free_prev(b) != prev)
                    FAIL("free list (%u, %u): back link broken at 0x%" PRIxPTR, fl, sl, addr_of(b));
                class_of(size_of(b) >> h->align_shift, &bfl, &bsl);
                if (bfl != fl || bsl != sl)
                    FAIL("free block 0x%" PRIxPTR " size 0x%" PRIx64 " in list (%u, %u), "
                         "belongs in (%u, %u)",
                         addr_of(b), size_of(b), fl, sl, bfl, bsl);
                hash += addr_hash(addr_of(b));
            }
        }
    }
    /* Same count and same sum of address hashes: the lists hold exactly the free blocks of the
     * physical walk (a block listed twice and another missing would need a hash collision). */
    if (listed != free_blocks || hash != free_hash)
        FAIL("free lists hold %" PRIu64 " blocks, ranges %" PRIu64 " (or different ones)", listed,
             free_blocks);
    return CLSVM_OK;
}

int heap_validate(const heap *h)
{
    return heap_validate_hidden(h, 0);
}

int heap_validate_hidden(const heap *h, uint64_t hidden_blocks)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    uint64_t free_blocks = 0, free_hash = 0, blocks = 0, hidden[2] = {hidden_blocks, 0};
    int rc = validate_ranges(h, &free_blocks, &free_hash, &blocks, hidden);
    if (rc != CLSVM_OK)
        return rc;
    rc = validate_free_lists(h, free_blocks, free_hash);
    if (rc != CLSVM_OK)
        return rc;
    if (blocks + h->spare_count != h->records_total)
        FAIL("records: %" PRIu64 " in blocks + %zu spare != %zu allocated", blocks, h->spare_count,
             h->records_total);
    return CLSVM_OK;
}
