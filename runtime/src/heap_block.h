/*
 * heap_block.h: the heap's block record (heap_tlsf.c) and its lock-free read, shared with the
 * lookup map (heap_map.c) so that a lookup is one call: find the candidate, read it. Private.
 */
#ifndef CLSVM_HEAP_BLOCK_H
#define CLSVM_HEAP_BLOCK_H

#include "heap.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdint.h>

#define STATE_USED UINT32_C(0x80000000)
#define STATE_VISIBLE UINT32_C(0x40000000) /* heap_lookup may report it (heap_show) */
#define STATE_SLACK UINT32_C(0x00ffffff)

/*
 * A block record. aux0/aux1 hold the tag and flags of a used block, or the class-list links
 * of a free one (free_prev, free_next; a spare record links the spare list through aux1).
 * Shared with lock-free readers (heap_lookup): every field but prev is an atomic written with
 * release stores (the rules are in the header comment); prev is read only under the lock.
 */
typedef struct heap_block {
    _Atomic uintptr_t addr;            /* base; a sentinel's is its range's end */
    _Atomic(struct heap_block *) next; /* physical successor; NULL only for a sentinel */
    struct heap_block *prev;           /* physical predecessor; NULL for a range's first */
    _Atomic uintptr_t aux0;            /* used: tag; free: previous in its class list */
    _Atomic uint64_t aux1;             /* used: flags; free/spare: next in its list */
    _Atomic uint32_t seq;              /* odd while the block turns used or free */
    _Atomic uint32_t state;            /* STATE_USED | slack (block size - requested size) */
} heap_block;

/*
 * Seqlock read of b (any thread, no lock): CLSVM_OK and *info if b was a used block containing
 * p at one instant during the call, else CLSVM_ERR_NOTFOUND. Loads are acquire loads, so the
 * second read of seq cannot move before the field reads; the writer's fields are release
 * stores after its odd seq store, so any field value written during the read changes seq.
 */
static inline int heap_block_read(const heap_block *b, uintptr_t p, heap_block_info *info)
{
    uint32_t s1 = atomic_load_explicit(&b->seq, memory_order_acquire);
    if (s1 & 1)
        return CLSVM_ERR_NOTFOUND; /* turning used or free right now */
    uint32_t st = atomic_load_explicit(&b->state, memory_order_acquire);
    uintptr_t a = atomic_load_explicit(&b->addr, memory_order_acquire);
    const heap_block *n = atomic_load_explicit(&b->next, memory_order_acquire);
    uintptr_t end =
        n ? atomic_load_explicit(&n->addr, memory_order_acquire) : 0; /* records are never freed */
    uintptr_t tag = atomic_load_explicit(&b->aux0, memory_order_acquire);
    uint64_t flags = atomic_load_explicit(&b->aux1, memory_order_acquire);
    if (atomic_load_explicit(&b->seq, memory_order_acquire) != s1 ||
        (~st & (STATE_USED | STATE_VISIBLE)) || end <= a)
        return CLSVM_ERR_NOTFOUND;
    uint64_t size = end - a, slack = st & STATE_SLACK;
    if (p < a || slack >= size || p - a >= size - slack)
        return CLSVM_ERR_NOTFOUND; /* p in a gap, the slack, or a block reused elsewhere */
    if (info)
        *info = (heap_block_info){a, (size_t)(size - slack), (uint32_t)flags, (void *)tag};
    return CLSVM_OK;
}

#endif
