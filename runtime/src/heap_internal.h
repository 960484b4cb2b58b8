/*
 * heap_internal.h: what the heap's files share: its state (struct heap, ranges, record slabs),
 * the block record's accessors and the size-class arithmetic (static inline: they are on every
 * alloc, free and lookup path), and the TLSF core's calls (heap_tlsf.c). Private to heap.c,
 * heap_tlsf.c, heap_validate.c and white-box tests.
 */
#ifndef CLSVM_HEAP_INTERNAL_H
#define CLSVM_HEAP_INTERNAL_H

#include "heap.h"
#include "heap_block.h"
#include "heap_map.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(sizeof(size_t) <= sizeof(uint64_t), "size_t wider than 64 bits");
_Static_assert(sizeof(uintptr_t) <= sizeof(uint64_t), "uintptr_t wider than 64 bits");

enum {
    SL_LOG2 = 4,
    SL_COUNT = 1 << SL_LOG2, /* second-level classes per power of two */
    FL_COUNT = 64,           /* first levels: g < 2^60 (min_align >= 16) needs fl <= 56 */
    RECORDS_PER_SLAB = 256,
};

_Static_assert(sizeof(heap_block) <= 48, "a block record must stay within 48 bytes");

#define MAX_MIN_ALIGN ((uint64_t)1 << 24) /* the slack must fit STATE_SLACK */

#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release

/* Under the lock a plain (relaxed) load is enough: the heap is the only writer. */
static inline uintptr_t addr_of(const heap_block *b)
{
    return atomic_load_explicit(&b->addr, RLX);
}

static inline heap_block *next_of(const heap_block *b)
{
    return atomic_load_explicit(&b->next, RLX);
}

static inline void set_addr(heap_block *b, uintptr_t a)
{
    atomic_store_explicit(&b->addr, a, REL);
}

static inline void set_next(heap_block *b, heap_block *n)
{
    atomic_store_explicit(&b->next, n, REL);
}

static inline heap_block *free_prev(const heap_block *b)
{
    return (heap_block *)atomic_load_explicit(&b->aux0, RLX);
}

static inline heap_block *free_next(const heap_block *b)
{
    return (heap_block *)(uintptr_t)atomic_load_explicit(&b->aux1, RLX);
}

static inline void set_free_prev(heap_block *b, heap_block *p)
{
    atomic_store_explicit(&b->aux0, (uintptr_t)p, REL);
}

static inline void set_free_next(heap_block *b, heap_block *n)
{
    atomic_store_explicit(&b->aux1, (uint64_t)(uintptr_t)n, REL);
}

static inline uint32_t state_of(const heap_block *b)
{
    return atomic_load_explicit(&b->state, RLX);
}

/* Bytes from b to its successor (b is not a sentinel). */
static inline uint64_t size_of(const heap_block *b)
{
    return addr_of(next_of(b)) - addr_of(b);
}

static inline bool is_used(const heap_block *b)
{
    return state_of(b) & STATE_USED;
}

static inline bool is_free(const heap_block *b)
{
    return !is_used(b) && next_of(b);
}

static inline uint64_t req_size_of(const heap_block *b)
{
    return size_of(b) - (state_of(b) & STATE_SLACK);
}

/* Bracket a change between used and free (seqlock writer side; the lock serialises writers). */
static inline void seq_begin(heap_block *b)
{
    atomic_store_explicit(&b->seq, atomic_load_explicit(&b->seq, RLX) + 1, REL);
}

static inline void seq_end(heap_block *b)
{
    atomic_store_explicit(&b->seq, atomic_load_explicit(&b->seq, RLX) + 1, REL);
}

typedef struct heap_range {
    uintptr_t base;
    uint64_t size;
    heap_block *first; /* lowest-address record; stable for the heap's lifetime */
    heap_block *end;   /* sentinel: address base + size, never free, never used */
    heap_map *map;     /* the used blocks starting in this range, for lock-free lookup */
} heap_range;

typedef struct heap_slab {
    struct heap_slab *next;
    heap_block records[RECORDS_PER_SLAB];
} heap_slab;

struct heap {
    uint64_t min_align;
    unsigned align_shift; /* log2(min_align) */

    uint64_t fl_bitmap;
    uint32_t sl_bitmap[FL_COUNT];
    heap_block *free_lists[FL_COUNT][SL_COUNT];

    /* Written only by heap_add_range, which must not race with anything (window setup). */
    heap_range *ranges;
    size_t range_count, range_cap;

    heap_slab *slabs;
    heap_block *spare; /* unused records, linked through aux1 */
    size_t spare_count, records_total;

    uint64_t range_bytes, used_bytes, live, free_bytes, free_blocks;
    bool hide_new; /* new blocks stay invisible to heap_lookup until heap_show */
    /* heap_defer_syscalls: the maps' trim queue, and the map that last asked for a table. */
    int (*queue_trim)(void *user, void *addr, size_t len);
    void *queue_user;
    heap_map *wants_table;
    uintptr_t last_free_lo, last_free_hi; /* the free block the last free ended up in */
};

/* ---- size classes (heap_tlsf.c has the rest) --------------------------------------------- */

static inline unsigned floor_log2(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* Class of a block of g >= 1 granules: the list it lives in. */
static inline void class_of(uint64_t g, unsigned *fl, unsigned *sl)
{
    if (g < SL_COUNT) {
        *fl = 0;
        *sl = (unsigned)g;
        return;
    }
    unsigned b = floor_log2(g);
    *fl = b - SL_LOG2 + 1;
    *sl = (unsigned)(g >> (b - SL_LOG2)) - SL_COUNT;
}

/* The range holding addr (ranges are few: a window has one). */
static inline const heap_range *range_of(const heap *h, uintptr_t addr)
{
    for (size_t i = 0; i < h->range_count; i++)
        if (addr - h->ranges[i].base < h->ranges[i].size)
            return &h->ranges[i];
    return NULL;
}

/* heap_tlsf.c: free lists, block records and the search for a fit (comments there). */
void free_list_insert(heap *h, heap_block *b);
void free_list_remove(heap *h, heap_block *b);
int records_reserve(heap *h, size_t n);
heap_block *record_take(heap *h);
heap_block *split_after(heap *h, heap_block *b, uintptr_t addr);
void merge_next(heap *h, heap_block *b);
heap_block *find_free(const heap *h, uint64_t r, uint64_t align, uintptr_t *at);

#endif
