/*
 * heap_map_publish.c: the lookup map's writer side (serialised by the heap): prepare the tables
 * a block needs, publish it (entry or slot, start bit, covers), show and hide it, withdraw it.
 */
#include "heap_map_internal.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* Chunks (c0, c1] a block covers, in runs: a whole leaf (leaf >= 0, chunk unused) or one
 * chunk (leaf < 0). fn returns non-zero to stop (and that value is returned). */
static int cover_plan(heap_map *m, uintptr_t addr, uint64_t len,
                      int (*fn)(heap_map *, int64_t leaf, uint64_t chunk, void *), void *user)
{
    uint64_t c1 = chunk_of(m, addr + len - 1);
    for (uint64_t c = chunk_of(m, addr) + 1; c <= c1;) {
        int rc;
        if (!(c & (LEAF_CHUNKS - 1)) && c1 - c >= LEAF_CHUNKS - 1) {
            rc = fn(m, (int64_t)(c >> LEAF_BITS), 0, user);
            c += LEAF_CHUNKS;
        } else {
            rc = fn(m, -1, c, user);
            c++;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int ensure_leaf(heap_map *m, uint64_t l)
{
    if (atomic_load_explicit(&m->leaves[l], memory_order_relaxed))
        return CLSVM_OK;
    mleaf *leaf = calloc(1, sizeof *leaf);
    if (!leaf)
        return CLSVM_ERR_HOSTMEM;
    m->bytes += sizeof *leaf;
    atomic_store_explicit(&m->leaves[l], leaf, REL);
    return CLSVM_OK;
}

static int prepare_cover(heap_map *m, int64_t leaf, uint64_t c, void *user)
{
    (void)user;
    return leaf >= 0 ? CLSVM_OK : ensure_leaf(m, c >> LEAF_BITS);
}

int heap_map_prepare(heap_map *m, uintptr_t addr, uint64_t len)
{
    uint64_t c0 = chunk_of(m, addr);
    int rc = ensure_leaf(m, c0 >> LEAF_BITS);
    if (rc)
        return rc;
    mchunk *ch = chunk_entry(m, c0);
    gtable *g = atomic_load_explicit(&ch->g, memory_order_relaxed);
    if (g && m->ntrimming && is_trimming(m, g))
        return HEAP_MAP_TRIMMING;
    if (!g) {
        if (m->nspare)
            g = m->spare[--m->nspare];
        else if (m->deferred)
            return HEAP_MAP_NEED_TABLE;
        else if (!(g = table_new()))
            return CLSVM_ERR_HOSTMEM;
        m->bytes += sizeof *g;
        atomic_store_explicit(&ch->g, g, REL);
        if (m->flat)
            atomic_store_explicit(&m->flat[c0], g, REL);
    }
    return cover_plan(m, addr, len, prepare_cover, NULL);
}

static int store_cover(heap_map *m, int64_t leaf, uint64_t c, void *b)
{
    if (leaf >= 0)
        atomic_store_explicit(&m->lcover[leaf], b, REL);
    else
        atomic_store_explicit(&chunk_entry(m, c)->cover, b, REL);
    return 0;
}

static void set_covers(heap_map *m, uintptr_t addr, uint64_t len, struct heap_block *b)
{
    cover_plan(m, addr, len, store_cover, b);
}

static void touch(gtable *g, const void *at)
{
    uint64_t page = (uint64_t)((uintptr_t)at - (uintptr_t)g) >> 12;
    g->touched[page >> 6] |= UINT64_C(1) << (page & 63);
}

/* Write entry e as a copy of the lookup fields of used block b = [.., + len) (size 0 while b is
 * hidden). The sequence values come from one counter of the map, not from the entry:
 * heap_map_trim() zeroes a table's pages, and a per-entry counter restarting at 0 could come
 * back to the value a stalled reader saw before the trim, passing a mix of two blocks.
 * Withdrawing writes nothing here (heap_map_remove clears the start bit): a reader reaches an
 * entry only through a start bit it read, so one reading a withdrawn entry read the bit while
 * the block was live, during its call, and may report the block as it was. What must not
 * happen is reaching the stale entry through a new start there: a new small block rewrites
 * the entry under a new number, and a larger one voids it (size 0, small bit cleared) before
 * its slot and bit are set. The small bit thus means "the entry holds the last small block
 * started here" and, with the start bit set, "the current start is that block". */
static void entry_set(heap_map *m, mentry *e, const heap_block *b, uint64_t len)
{
    m->seq += 2;
    if (!m->seq) /* 0 means "never written or trimmed": readers treat it as empty */
        m->seq = 2;
    uint32_t st = atomic_load_explicit(&b->state, memory_order_relaxed);
    atomic_store_explicit(&e->seq, m->seq - 1, REL);
    atomic_store_explicit(&e->rec, (struct heap_block *)b, REL);
    atomic_store_explicit(&e->tag, atomic_load_explicit(&b->aux0, memory_order_relaxed), REL);
    atomic_store_explicit(&e->flags, (uint32_t)atomic_load_explicit(&b->aux1, memory_order_relaxed),
                          REL);
    atomic_store_explicit(&e->size, (st & STATE_VISIBLE) ? len - (st & STATE_SLACK) : 0, REL);
    atomic_store_explicit(&e->seq, m->seq, REL); /* even again: the entry is stable */
}

void heap_map_insert(heap_map *m, uintptr_t addr, uint64_t len, struct heap_block *b)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr), w = gi >> 6;
    /* Entry or slot before bit: a reader that sees the bit finds the block. */
    if (len <= (uint64_t)ENTRY_GRANULES << m->gshift) {
        entry_set(m, &g->ent[gi], b, len);
        touch(g, &g->ent[gi]);
        uint64_t sm = atomic_load_explicit(&g->small[w], memory_order_relaxed);
        atomic_store_explicit(&g->small[w], sm | (UINT64_C(1) << (gi & 63)), REL);
        touch(g, &g->small[w]);
    } else {
        uint64_t sm = atomic_load_explicit(&g->small[w], memory_order_relaxed);
        if (sm & (UINT64_C(1) << (gi & 63))) { /* a withdrawn small block's entry: void it */
            atomic_store_explicit(&g->ent[gi].size, 0, REL);
            atomic_store_explicit(&g->small[w], sm & ~(UINT64_C(1) << (gi & 63)), REL);
        }
        if (len >= (uint64_t)BIG_GRANULES << m->gshift) {
            /* One slot per group: 8 bytes per 4 KiB instead of 256 for 4 KiB blocks (most of
             * the table memory a heap of page-sized blocks kept). */
            atomic_store_explicit(&g->bslot[gi >> BIG_SHIFT], b, REL);
            touch(g, &g->bslot[gi >> BIG_SHIFT]);
            uint64_t bg = atomic_load_explicit(&g->big[w], memory_order_relaxed);
            atomic_store_explicit(&g->big[w], bg | (UINT64_C(1) << (gi & 63)), REL);
            touch(g, &g->big[w]);
        } else {
            atomic_store_explicit(&g->slot[gi], b, REL);
            touch(g, &g->slot[gi]);
        }
    }
    uint64_t old = atomic_load_explicit(&g->bits[w], memory_order_relaxed);
    atomic_store_explicit(&g->bits[w], old | (UINT64_C(1) << (gi & 63)), REL);
    if (!old) {
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], memory_order_relaxed);
        atomic_store_explicit(&g->summary[w >> 6], s | (UINT64_C(1) << (w & 63)), REL);
    }
    g->starts++;
    touch(g, &g->bits[w]);
    set_covers(m, addr, len, b);
}

struct heap_block *heap_map_show(heap_map *m, uintptr_t addr)
{
    struct heap_block *b = heap_map_at(m, addr);
    if (!b)
        return NULL;
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr);
    /* One word, as the record's visible bit: a reader sees the block hidden or shown. A larger
     * block's lookups read that bit in its record. */
    if (is_small(g, gi))
        atomic_store_explicit(&g->ent[gi].size, requested_size(b), REL);
    return b;
}

void heap_map_hide(heap_map *m, uintptr_t addr)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr);
    if (is_small(g, gi)) /* size 0: hidden, as before heap_map_show */
        atomic_store_explicit(&g->ent[gi].size, 0, REL);
}

void heap_map_remove(heap_map *m, uintptr_t addr, uint64_t len)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr), w = gi >> 6;
    uint64_t now =
        atomic_load_explicit(&g->bits[w], memory_order_relaxed) & ~(UINT64_C(1) << (gi & 63));
    atomic_store_explicit(&g->bits[w], now, REL);
    if (!now) {
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], memory_order_relaxed);
        atomic_store_explicit(&g->summary[w >> 6], s & ~(UINT64_C(1) << (w & 63)), REL);
    }
    /* A small block's entry stays as it was (see entry_set), so a free writes no line of the
     * table beyond the bit words. */
    if (is_big(g, gi)) { /* bit first: a reader then finds slot[gi], which is NULL */
        uint64_t bg = atomic_load_explicit(&g->big[w], memory_order_relaxed);
        atomic_store_explicit(&g->big[w], bg & ~(UINT64_C(1) << (gi & 63)), REL);
        atomic_store_explicit(&g->bslot[gi >> BIG_SHIFT], NULL, REL);
    } else if (!is_small(g, gi)) {
        atomic_store_explicit(&g->slot[gi], NULL, REL);
    }
    g->starts--;
    set_covers(m, addr, len, NULL);
}

static int count_cover(heap_map *m, int64_t leaf, uint64_t c, void *n)
{
    (void)m, (void)leaf, (void)c;
    ++*(uint64_t *)n;
    return 0;
}

uint64_t heap_map_covers_of(const heap_map *m, uintptr_t addr, uint64_t len)
{
    uint64_t n = 0;
    cover_plan((heap_map *)m, addr, len, count_cover, &n);
    return n;
}
