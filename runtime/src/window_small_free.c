/*
 * window_small_free.c: the free of a small allocation, from any thread and without the window
 * lock in the common case: claiming the slot (the owner's plain store while its slab is M_FAST,
 * else a compare-and-swap, after share() for the first other thread), then giving the slot back
 * to the owner's bitmap or the slab's remote one (design: window_small.c).
 */
#include "window_small_internal.h"

#include "clsvm/internal/barrier.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

static bool slab_empty(small_slab *s)
{
    slab_collect(s);
    return slab_free_count(s) == s->nslots;
}

/* The owner's free emptied its slab while chunks are retained: if that was the last live
 * allocation, drop the retained chunks as a heap free would. */
static void owner_emptied(clsvm_window *w)
{
    pthread_mutex_lock(&w->lock);
    if (small_nothing_live(w))
        retain_drop(w, 1);
    small_note_retained(w);
    window_unlock(w);
}

static void orphan_freed(clsvm_window *w, small_slab *s, uint32_t gen)
{
    pthread_mutex_lock(&w->lock);
    if (atomic_load_explicit(&s->gen, RLX) == gen && !atomic_load_explicit(&s->owner, SEQ) &&
        atomic_load_explicit(&s->base, RLX)) {
        slab_collect(s);
        slab_settle(w, s);
    }
    window_unlock(w);
}

/* After the claim of slot i of s (size bytes): count it and give the slot back to the owner's
 * bitmap, or to the slab's remote one (and settle a slab no thread owns). */
static __attribute__((noinline)) void freed(clsvm_window *w, small_slab *s, unsigned i, size_t size)
{
    /* Counted first, so that a slab release below sees whether anything is still live. */
    small_tc *tc = find_tc(w, true);
    if (tc) {
        tc_count(tc, -1, -(int64_t)size);
    } else {
        pthread_mutex_lock(&w->lock);
        w->small->retired_live--;
        w->small->retired_bytes -= (int64_t)size;
        pthread_mutex_unlock(&w->lock);
    }
    uint64_t bit = UINT64_C(1) << (i & 63);
    if (tc && atomic_load_explicit(&s->owner, RLX) == tc) {
        atomic_store_explicit(&s->local[i / 64], atomic_load_explicit(&s->local[i / 64], RLX) | bit,
                              RLX);
        if (atomic_load_explicit(&w->small->drop_pending, RLX) && slab_empty(s))
            owner_emptied(w);
    } else {
        /* Read before the bit is set: the slab cannot go back to the heap before that. */
        uint32_t gen = atomic_load_explicit(&s->gen, RLX);
        atomic_fetch_or_explicit(&s->remote[i / 64], bit, SEQ);
        if (!atomic_load_explicit(&s->owner, SEQ))
            orphan_freed(w, s, gen);
    }
}

/* Another thread is about to claim a slot of s with a compare-and-swap, after reading the
 * slot's word: if s has an owner that may free with M_FAST, turn it M_SHARED first. The owner
 * stores busy, then reads the mode, ordered for the compiler only; the barrier on every thread
 * here pairs with that: either the owner reads M_SHARING, or its busy is seen below and waited
 * out (its free's store of the word comes before busy clears). Once per slab and life. */
static __attribute__((noinline)) void share(small_slab *s, const small_tc *self)
{
    const small_tc *owner = atomic_load_explicit(&s->owner, ACQ);
    if (!owner || owner == self)
        return; /* no owner: a thread that takes it starts in M_CAS */
    uint32_t m = atomic_load_explicit(&s->mode, ACQ);
    while ((m & M_STATE) == M_FAST && !atomic_compare_exchange_weak_explicit(
                                          &s->mode, &m, (m & ~M_STATE) | M_SHARING, SEQ, ACQ))
        ;
    if ((m & M_STATE) != M_FAST && (m & M_STATE) != M_SHARING)
        return;
    m = (m & ~M_STATE) | M_SHARING;
    clsvm_barrier_all();
    for (unsigned spins = 0; atomic_load_explicit(&s->busy, ACQ); spins++)
        if (spins > 64)
            sched_yield(); /* the owner was preempted inside its free: a few instructions left */
    atomic_compare_exchange_strong_explicit(&s->mode, &m, (m & ~M_STATE) | M_SHARED, REL, RLX);
}

/* The owner's claim of slot i while s is M_FAST: no other thread claims a slot of s meanwhile
 * (share() waits for busy), so plain loads and a store do. SMALL_PASS when s is not M_FAST;
 * CLSVM_ERR_MISMATCH (and *bi) for an interior pointer or another tag. */
static inline int owner_claim(small_slab *s, unsigned i, uintptr_t a, uintptr_t base, bool checked,
                              const void *tag, heap_block_info *bi)
{
    atomic_store_explicit(&s->busy, 1, RLX);
    atomic_signal_fence(SEQ); /* share()'s barrier orders the processor */
    if (__builtin_expect((atomic_load_explicit(&s->mode, RLX) & M_STATE) != M_FAST, 0)) {
        atomic_store_explicit(&s->busy, 0, RLX);
        return SMALL_PASS;
    }
    small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, RLX);
    uint64_t tf = atomic_load_explicit(&sl->tagflags, RLX);
    *bi = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                            tf_flags(tf), tf_tag(tf)};
    int rc = CLSVM_OK;
    if (!(w0 & W_LIVE) || a - bi->addr >= bi->size)
        rc = CLSVM_ERR_NOTFOUND;
    else if (a != bi->addr || (checked && tag && bi->tag != tag))
        rc = CLSVM_ERR_MISMATCH; /* with *bi, as the caller's unchecked free wants it too */
    else
        atomic_store_explicit(&sl->word, ((w0 >> 32) + 1) << 32, REL);
    atomic_store_explicit(&s->busy, 0, REL);
    return rc;
}

int small_free(clsvm_window *w, uintptr_t a, bool checked, const void *tag, heap_block_info *info)
{
    small_slab *s = dir_get(w, a);
    if (!s)
        return SMALL_PASS;
    uintptr_t base = atomic_load_explicit(&s->base, ACQ);
    if (a - base >= SLAB_SIZE)
        return CLSVM_ERR_NOTFOUND;
    unsigned i = (unsigned)((a - base) >> slot_shift(s));
    small_slot *sl = &s->slot[i];
    heap_block_info bi;
    small_tc *tc = cached_tc(w);
    /* The owner's base cannot change under it: only its owner gives a slab up. */
    int rc = tc && atomic_load_explicit(&s->owner, RLX) == tc
                 ? owner_claim(s, i, a, base, checked, tag, &bi)
                 : SMALL_PASS;
    if (__builtin_expect(rc != SMALL_PASS, 1)) {
        if (rc == CLSVM_ERR_NOTFOUND)
            return rc;
        if (info)
            *info = bi;
        if (rc)
            return checked ? CLSVM_ERR_MISMATCH : CLSVM_ERR_NOTFOUND;
    } else {
        /* No seqlock retry here: the compare-and-swap reads the word again, and a word it
         * finds unchanged (the generation moves on every alloc and free) was live, with the tag
         * and flags read here, all along. A failed one loads the word anew. */
        uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
        for (;;) {
            if (!(w0 & W_LIVE))
                return CLSVM_ERR_NOTFOUND;
            uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
            bi = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                                   tf_flags(tf), tf_tag(tf)};
            /* Read after the word: a slab released and reused elsewhere meanwhile (its slot
             * words belong to another address) is seen here, or its slot's word has moved on. */
            if (atomic_load_explicit(&s->base, ACQ) != base || a - bi.addr >= bi.size)
                return CLSVM_ERR_NOTFOUND; /* or in the rounding slack: in no allocation */
            if (a != bi.addr || (checked && tag && bi.tag != tag)) {
                if (info)
                    *info = bi;
                return checked ? CLSVM_ERR_MISMATCH : CLSVM_ERR_NOTFOUND;
            }
            if (__builtin_expect((atomic_load_explicit(&s->mode, ACQ) & M_STATE) < M_SHARED, 0))
                share(s, tc);
            if (atomic_compare_exchange_weak_explicit(&sl->word, &w0, ((w0 >> 32) + 1) << 32, ACQ,
                                                      ACQ))
                break;
        }
        if (info)
            *info = bi;
    }
    /* The common case: the thread that allocates from the slab frees into it. */
    if (__builtin_expect(tc && atomic_load_explicit(&s->owner, RLX) == tc &&
                             !atomic_load_explicit(&w->small->drop_pending, RLX),
                         1)) {
        tc_count(tc, -1, -(int64_t)bi.size);
        atomic_store_explicit(
            &s->local[i / 64],
            atomic_load_explicit(&s->local[i / 64], RLX) | UINT64_C(1) << (i & 63), RLX);
        return CLSVM_OK;
    }
    freed(w, s, i, bi.size);
    return CLSVM_OK;
}
