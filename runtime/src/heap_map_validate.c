/*
 * heap_map_validate.c: walking a lookup map: every start and cover (heap_map_foreach), and the
 * internal consistency of its tables (heap_map_validate), both for heap_validate.
 */
#include "heap_map_internal.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>

void heap_map_foreach(const heap_map *m, heap_map_visit_fn fn, void *user)
{
    for (uint64_t c = 0; c < m->nchunks; c++) {
        uintptr_t cbase = m->base + (uintptr_t)(c << m->cshift);
        if (!(c & (LEAF_CHUNKS - 1))) {
            struct heap_block *lc = atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
            if (lc && fn(0, cbase, lc, user))
                return;
            if (!atomic_load_explicit(&m->leaves[c >> LEAF_BITS], ACQ)) {
                c += LEAF_CHUNKS - 1; /* no leaf: nothing starts or is covered chunk-wise */
                continue;
            }
        }
        mchunk *ch = chunk_entry(m, c);
        struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
        if (cover && fn(0, cbase, cover, user))
            return;
        gtable *g = atomic_load_explicit(&ch->g, ACQ);
        for (unsigned w = 0; g && w < WORDS; w++)
            for (uint64_t word = atomic_load_explicit(&g->bits[w], ACQ); word; word &= word - 1) {
                unsigned gi = (w << 6) + (unsigned)__builtin_ctzll(word);
                uintptr_t start = cbase + ((uintptr_t)gi << m->gshift);
                if (fn(start, 0, record_at(g, gi), user))
                    return;
            }
    }
}

static const char *validate_table(const heap_map *m, uint64_t c, const gtable *g, uint64_t *starts)
{
    uint64_t n = 0;
    for (unsigned w = 0; w < WORDS; w++) {
        uint64_t word = atomic_load_explicit(&g->bits[w], ACQ);
        uint64_t big = atomic_load_explicit(&g->big[w], ACQ);
        if (big & ~word)
            return "a big-block bit without a start";
        for (unsigned k = 0; k < 64 / BIG_GRANULES; k++) {
            uint64_t group = big >> (k * BIG_GRANULES) & ((UINT64_C(1) << BIG_GRANULES) - 1);
            if ((group & (group - 1)) ||
                !group != !atomic_load_explicit(&g->bslot[(w << 6 >> BIG_SHIFT) + k], ACQ))
                return "a big-block slot disagrees with its group's start";
        }
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], ACQ);
        if (!!word != !!(s & (UINT64_C(1) << (w & 63))))
            return "a summary bit disagrees with its bit word";
        n += (uint64_t)__builtin_popcountll(word);
        /* Only slots under set bits are ever read, so only those are checked (a full slot
         * scan would make every validate cost 16384 loads per chunk). */
        for (; word; word &= word - 1) {
            unsigned gi = (w << 6) + (unsigned)__builtin_ctzll(word);
            if (((uint64_t)gi << m->gshift) + (c << m->cshift) >= m->size)
                return "a start beyond the range's end";
            const mentry *e = &g->ent[gi];
            bool in_entry = is_small(g, gi);
            /* A withdrawn entry keeps its old record (heap_map_remove): only the small bit
             * says which of entry and slot is current. */
            const heap_block *b = in_entry ? atomic_load_explicit(&e->rec, ACQ) : NULL;
            bool in_big = is_big(g, gi);
            const heap_block *sb = atomic_load_explicit(slot_of(g, gi), ACQ);
            if (!b && !sb)
                return "a start bit without a record";
            if (in_entry && (sb || in_big))
                return "a start published both in an entry and in a slot";
            if (in_big && atomic_load_explicit(&g->slot[gi], ACQ))
                return "a big block's start also has a slot";
            uintptr_t a = atomic_load_explicit(&(b ? b : sb)->addr, memory_order_relaxed);
            if (a != m->base + (c << m->cshift) + ((uintptr_t)gi << m->gshift))
                return "a start's record is elsewhere";
            const heap_block *n = atomic_load_explicit(&(b ? b : sb)->next, memory_order_relaxed);
            bool small = atomic_load_explicit(&n->addr, memory_order_relaxed) - a <=
                         (uint64_t)ENTRY_GRANULES << m->gshift;
            bool big = atomic_load_explicit(&n->addr, memory_order_relaxed) - a >=
                       (uint64_t)BIG_GRANULES << m->gshift;
            if (small != in_entry || big != in_big)
                return "a start published in the wrong place for its block's size";
            if (!b)
                continue;
            uint64_t size = atomic_load_explicit(&e->size, ACQ);
            bool shown = atomic_load_explicit(&b->state, memory_order_relaxed) & STATE_VISIBLE;
            if ((atomic_load_explicit(&e->seq, ACQ) & 1) ||
                atomic_load_explicit(&e->tag, ACQ) !=
                    atomic_load_explicit(&b->aux0, memory_order_relaxed) ||
                atomic_load_explicit(&e->flags, ACQ) !=
                    (uint32_t)atomic_load_explicit(&b->aux1, memory_order_relaxed) ||
                size != (shown ? requested_size(b) : 0))
                return "a start's entry disagrees with its record";
        }
    }
    if (n != g->starts)
        return "a chunk's start count differs from its bits";
    *starts += n;
    return NULL;
}

const char *heap_map_validate(const heap_map *m, uint64_t *starts, uint64_t *covers)
{
    *starts = *covers = 0;
    for (size_t l = 0; l < m->nleaves; l++) {
        mleaf *leaf = atomic_load_explicit(&m->leaves[l], ACQ);
        if (atomic_load_explicit(&m->lcover[l], ACQ)) {
            if (l == 0)
                return "the first leaf has a cover";
            ++*covers;
        }
        for (uint64_t i = 0; leaf && i < LEAF_CHUNKS; i++) {
            uint64_t c = ((uint64_t)l << LEAF_BITS) + i;
            const mchunk *ch = &leaf->c[i];
            struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
            const gtable *g = atomic_load_explicit(&ch->g, ACQ);
            if (c >= m->nchunks && (cover || g))
                return "a chunk entry beyond the range's end";
            if (c == 0 && cover)
                return "the first chunk has a cover";
            *covers += cover != NULL;
            const char *why = g ? validate_table(m, c, g, starts) : NULL;
            if (why)
                return why;
        }
    }
    return NULL;
}
