/*
 * heap_map_find.c: the lookup map's lock-free reads: the only used block that can contain a
 * pointer (heap_map_find), its lookup fields read from the entry or record (heap_map_lookup),
 * and the block starting exactly at an address (heap_map_at).
 */
#include "heap_map_internal.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>

static unsigned top_bit(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* Highest set granule at or below gi, or -1. */
static inline __attribute__((always_inline)) int pred_start(const gtable *g, unsigned gi)
{
    unsigned w = gi >> 6, b = gi & 63;
    uint64_t mask = b == 63 ? ~UINT64_C(0) : (UINT64_C(2) << b) - 1;
    uint64_t word = atomic_load_explicit(&g->bits[w], ACQ) & mask;
    if (word)
        return (int)((w << 6) + top_bit(word));
    unsigned sw = w >> 6;
    uint64_t s = atomic_load_explicit(&g->summary[sw], ACQ) & ((UINT64_C(1) << (w & 63)) - 1);
    for (;;) {
        while (!s) {
            if (sw == 0)
                return -1;
            s = atomic_load_explicit(&g->summary[--sw], ACQ);
        }
        unsigned w2 = (sw << 6) + top_bit(s);
        word = atomic_load_explicit(&g->bits[w2], ACQ);
        if (word)
            return (int)((w2 << 6) + top_bit(word));
        s &= ~(UINT64_C(1) << (w2 & 63)); /* emptied by a racing free: look lower */
    }
}

struct heap_block *heap_map_find(const heap_map *m, uintptr_t p)
{
    if (p < m->base || p - m->base >= m->size)
        return NULL;
    uint64_t c = chunk_of(m, p);
    mchunk *ch = chunk_entry(m, c);
    if (ch) {
        gtable *g = atomic_load_explicit(&ch->g, ACQ);
        int gi = g ? pred_start(g, granule_of(m, p)) : -1;
        if (gi >= 0)
            return record_at(g, (unsigned)gi);
        struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
        if (cover)
            return cover;
    }
    return atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
}

enum { NO_ENTRY = 1 }; /* entry_read: the entry describes no visible block */

/* Seqlock read of entry e of the start a: as heap_block_read, from one line. NO_ENTRY when
 * the entry holds no visible block (never written, trimmed, cleared, or its block hidden):
 * the start is then a larger block's, published in the slot. */
static int entry_read(const mentry *e, uintptr_t a, uintptr_t p, heap_block_info *info)
{
    uint32_t s1 = atomic_load_explicit(&e->seq, ACQ);
    uint64_t size = atomic_load_explicit(&e->size, ACQ);
    uintptr_t tag = atomic_load_explicit(&e->tag, ACQ);
    uint32_t flags = atomic_load_explicit(&e->flags, ACQ);
    if ((s1 & 1) || atomic_load_explicit(&e->seq, ACQ) != s1)
        return CLSVM_ERR_NOTFOUND; /* published or withdrawn during the call */
    if (!s1 || !size)
        return NO_ENTRY;
    if (p - a >= size)
        return CLSVM_ERR_NOTFOUND; /* p in the block's slack or past it */
    if (info)
        *info = (heap_block_info){a, (size_t)size, flags, (void *)tag};
    return CLSVM_OK;
}

int heap_map_lookup(const heap_map *m, uintptr_t p, heap_block_info *info)
{
    if (p < m->base || p - m->base >= m->size)
        return CLSVM_ERR_NOTFOUND;
    uint64_t c = chunk_of(m, p);
    mchunk *ch = NULL;
    gtable *g;
    if (m->flat) {
        g = atomic_load_explicit(&m->flat[c], ACQ);
    } else {
        ch = chunk_entry(m, c);
        g = ch ? atomic_load_explicit(&ch->g, ACQ) : NULL;
    }
    int gi = g ? pred_start(g, granule_of(m, p)) : -1;
    if (gi >= 0) {
        int rc = entry_read(&g->ent[gi], m->base + (c << m->cshift) + ((uintptr_t)gi << m->gshift),
                            p, info);
        if (rc != NO_ENTRY)
            return rc;
        const struct heap_block *b = atomic_load_explicit(slot_of(g, (unsigned)gi), ACQ);
        return b ? heap_block_read(b, p, info) : CLSVM_ERR_NOTFOUND;
    }
    /* No start at or below p in its chunk: a block reaching p from an earlier chunk, read from
     * its record. */
    if (!ch)
        ch = chunk_entry(m, c);
    const struct heap_block *b = ch ? atomic_load_explicit(&ch->cover, ACQ) : NULL;
    if (!b)
        b = atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
    return b ? heap_block_read(b, p, info) : CLSVM_ERR_NOTFOUND;
}

struct heap_block *heap_map_at(const heap_map *m, uintptr_t addr)
{
    if (addr < m->base || addr - m->base >= m->size ||
        (addr - m->base) & (((uintptr_t)1 << m->gshift) - 1))
        return NULL;
    mchunk *ch = chunk_entry(m, chunk_of(m, addr));
    gtable *g = ch ? atomic_load_explicit(&ch->g, ACQ) : NULL;
    if (!g)
        return NULL;
    unsigned gi = granule_of(m, addr);
    if (!(atomic_load_explicit(&g->bits[gi >> 6], ACQ) & (UINT64_C(1) << (gi & 63))))
        return NULL;
    return record_at(g, gi);
}
