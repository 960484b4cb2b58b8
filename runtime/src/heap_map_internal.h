/*
 * heap_map_internal.h: the layout of a heap range's lookup map (chunks, leaves, start tables,
 * entries) and the small helpers every part of it uses, static inline because lookups, inserts
 * and removes run them on every call. Private to heap_map*.c; the design is in heap_map.c.
 */
#ifndef CLSVM_HEAP_MAP_INTERNAL_H
#define CLSVM_HEAP_MAP_INTERNAL_H

#include "heap_map.h"

#include "heap_block.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

enum {
    GRAN_BITS = 14,
    CHUNK_GRANULES = 1 << GRAN_BITS,
    WORDS = CHUNK_GRANULES / 64,
    SUMMARY_WORDS = WORDS / 64,
    LEAF_BITS = 12,
    TRIM_MIN_PAGES = 4, /* trim a table only when it dirtied this many pages (see trim) */
    ENTRY_GRANULES = 4, /* blocks of at most this many granules are published in an entry */
    BIG_SHIFT = 5,      /* blocks of at least 32 granules: one slot per 32-granule group */
    BIG_GRANULES = 1 << BIG_SHIFT,
    LEAF_CHUNKS = 1 << LEAF_BITS,
};

/* What a lookup needs of the used block starting at a granule, next to where the search ends,
 * so that a lookup reads one cache line of it instead of the heap's record and its successor's
 * (three lines at random addresses). Its own seqlock: seq is odd while the writer changes it. */
typedef struct mentry {
    _Atomic uint32_t seq;
    _Atomic uint32_t flags;
    _Atomic uint64_t size; /* bytes as requested; 0 while the block is hidden (heap_map_show) */
    _Atomic uintptr_t tag;
    _Atomic(struct heap_block *) rec; /* the heap's record (free, heap_map_at, validate) */
} mentry;

_Static_assert(sizeof(mentry) == 32, "two entries per cache line, none straddling two");

enum { TOUCH_WORDS = 3 }; /* one bit per 4 KiB page of a gtable */

typedef struct gtable {
    _Atomic uint64_t summary[SUMMARY_WORDS];
    _Atomic uint64_t bits[WORDS];
    _Atomic uint64_t small[WORDS]; /* bit set: the start's block is published in its entry */
    _Atomic uint64_t big[WORDS];   /* bit set: the start's block is published in its bslot */
    uint32_t starts;               /* set bits; writer only */
    uint64_t touched[TOUCH_WORDS]; /* pages written since the last trim; writer only */
    /* Record of a big block (>= BIG_GRANULES) starting in a 32-granule group: a group holds
     * at most one such start while it lives (a block starting earlier in the group is shorter
     * than the group, and one starting after it begins beyond the group). */
    _Atomic(struct heap_block *) bslot[CHUNK_GRANULES / BIG_GRANULES];
    _Atomic(struct heap_block *) slot[CHUNK_GRANULES]; /* record of a mid-sized block's start */
    _Alignas(64) mentry ent[CHUNK_GRANULES];           /* a small block's start */
} gtable;

_Static_assert(sizeof(gtable) <= TOUCH_WORDS * 64 * 4096, "one touched bit per 4 KiB page");

typedef struct mchunk {
    _Atomic(struct heap_block *) cover;
    _Atomic(gtable *) g;
} mchunk;

typedef struct mleaf {
    mchunk c[LEAF_CHUNKS];
} mleaf;

enum { SPARES = 4 }; /* spare tables a map keeps at most (one per thread racing to map one) */

struct heap_map {
    uintptr_t base;
    uint64_t size;
    unsigned gshift, cshift; /* log2 of granule and chunk bytes */
    uint64_t nchunks;
    size_t nleaves;
    _Atomic(mleaf *) *leaves;
    _Atomic(struct heap_block *) *lcover; /* per leaf: a block covering all its chunks */
    _Atomic(gtable *) *flat; /* per chunk: its start table, as in its leaf; NULL if no room */
    uint64_t bytes;          /* writer only */
    uint32_t seq;            /* last entry sequence value written; writer only */
    /* heap_map_defer: the queue for trims, tables mapped by the caller, trims in flight. */
    int (*queue_trim)(void *user, void *addr, size_t len);
    void *queue_user;
    bool deferred;
    gtable *spare[SPARES];
    unsigned nspare;
    gtable **trimming;
    size_t ntrimming, trimming_cap;
};

#define ACQ memory_order_acquire
#define REL memory_order_release

static inline gtable *table_new(void)
{
    return heap_map_syscalls.map(sizeof(gtable));
}

static inline void table_free(gtable *g)
{
    if (g)
        munmap(g, sizeof *g);
}

static inline bool is_trimming(const heap_map *m, const gtable *g)
{
    for (size_t i = 0; i < m->ntrimming; i++)
        if (m->trimming[i] == g)
            return true;
    return false;
}

static inline uint64_t chunk_of(const heap_map *m, uintptr_t a)
{
    return (uint64_t)(a - m->base) >> m->cshift;
}

static inline unsigned granule_of(const heap_map *m, uintptr_t a)
{
    return (unsigned)((uint64_t)(a - m->base) >> m->gshift) & (CHUNK_GRANULES - 1);
}

static inline mchunk *chunk_entry(const heap_map *m, uint64_t c)
{
    mleaf *leaf = atomic_load_explicit(&m->leaves[c >> LEAF_BITS], ACQ);
    return leaf ? &leaf->c[c & (LEAF_CHUNKS - 1)] : NULL;
}

/* Is the block starting at granule gi (its start bit set) published in its entry, else in its
 * slot? (Without a start bit: does the entry hold a withdrawn small block?) */
static inline bool is_small(const gtable *g, unsigned gi)
{
    return atomic_load_explicit(&g->small[gi >> 6], ACQ) >> (gi & 63) & 1;
}

/* Is the (non-small) block starting at gi published in its group's bslot, else in slot[gi]? */
static inline bool is_big(const gtable *g, unsigned gi)
{
    return atomic_load_explicit(&g->big[gi >> 6], ACQ) >> (gi & 63) & 1;
}

/* Where the record of a non-small start at gi is published. */
static inline _Atomic(struct heap_block *) const *slot_of(const gtable *g, unsigned gi)
{
    return is_big(g, gi) ? &g->bslot[gi >> BIG_SHIFT] : &g->slot[gi];
}

/* Bytes block b was asked for (writer side: b is used and stable under the heap's lock). */
static inline uint64_t requested_size(const heap_block *b)
{
    uintptr_t a = atomic_load_explicit(&b->addr, memory_order_relaxed);
    const heap_block *n = atomic_load_explicit(&b->next, memory_order_relaxed);
    uint32_t st = atomic_load_explicit(&b->state, memory_order_relaxed);
    return atomic_load_explicit(&n->addr, memory_order_relaxed) - a - (st & STATE_SLACK);
}

/* The record of the block published at granule gi (entry or slot), or NULL. */
static inline struct heap_block *record_at(const gtable *g, unsigned gi)
{
    /* Asked, not tried: reading the entry of a larger block's start would touch a page its
     * block never writes (after a trim, a zero-page fault: with 4 KiB blocks one per 4 frees,
     * twice the cost of an alloc/free batch that empties its chunks), and reading the slot of
     * a small block's one more line per free. */
    return is_small(g, gi) ? atomic_load_explicit(&g->ent[gi].rec, ACQ)
                           : atomic_load_explicit(slot_of(g, gi), ACQ);
}

#endif
