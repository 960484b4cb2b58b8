/*
 * window_small_internal.h: what the small-allocation files share (window_small*.c): the slab,
 * slot, thread-cache and per-window structs, the constants of their encodings, the directory's
 * accessors, the bitmap helpers and the thread-cache lookups (static inline: they are on every
 * small alloc, free and lookup), and the hidden calls of one file the others use. Private to
 * window_small*.c.
 */
#ifndef CLSVM_WINDOW_SMALL_INTERNAL_H
#define CLSVM_WINDOW_SMALL_INTERNAL_H

#include "window.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLAB_SHIFT 16
#define SLAB_SIZE ((uint64_t)1 << SLAB_SHIFT)
#define CLASS_SHIFT 7 /* the smallest slot: the heap granule */
#define CLASSES 4     /* 128, 256, 512, 1024 */
#define SMALL_MAX ((size_t)1 << (CLASS_SHIFT + CLASSES - 1))
#define MAX_SLOTS (SLAB_SIZE >> CLASS_SHIFT)
#define WORDS (MAX_SLOTS / 64)
/* A directory entry's low bits: its slab's slot shift (slab structs are 64-byte aligned). */
#define E_SHIFT ((uintptr_t)15)

#define W_SIZE UINT64_C(0xffff)
#define W_LIVE (UINT64_C(1) << 16)

/* How a free claims a slot of a slab (the low two bits of its mode; the rest is the slab's gen,
 * so that a step meant for one life of the slab cannot land on the next):
 *  M_FAST: the owner by a plain store, inside its busy flag; any other thread first turns the
 *          slab M_SHARED (share(): a barrier on every thread, then it waits for busy to clear);
 *  M_SHARING: another thread is doing that; M_SHARED: done; M_CAS: set so from the start (a
 *          slab taken from the partial list, no membarrier, or an owner whose slabs other
 *          threads freed into lately). In all three every free claims with a compare-and-swap. */
enum { M_FAST, M_SHARING, M_SHARED, M_CAS };
#define M_STATE 3u
/* After another thread freed into one of its M_FAST slabs, an owner's next slabs start in M_CAS:
 * 64 of them, twice as many each time it happens again (up to 2^20), half as many after an
 * M_FAST slab nobody else freed into. So a thread whose allocations others free pays a barrier
 * about log2(slabs) times, not once per slab. */
#define NO_FAST_MIN 64u
#define NO_FAST_MAX (1u << 20)

#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release
#define SEQ memory_order_seq_cst

/* A slot's tag and flags in one word, so that a record is 16 bytes and never straddles a cache
 * line (lookups touch one line per slot): the tag in the low TF_SHIFT bits (user-space
 * pointers fit), the flags above. small_alloc passes anything else on to the heap. */
#define TF_SHIFT 48
#define TF_TAG ((UINT64_C(1) << TF_SHIFT) - 1)

typedef struct small_slot {
    _Alignas(16) _Atomic uint64_t word; /* generation << 32 | W_LIVE | requested size */
    _Atomic uint64_t tagflags;          /* flags << TF_SHIFT | tag */
} small_slot;
_Static_assert(sizeof(small_slot) == 16, "a slot record fills a quarter of a cache line");

/* Do tag and flags fit one tagflags word? */
static inline bool tf_fits(uint32_t flags, const void *tag)
{
    return !((uint64_t)(uintptr_t)tag >> TF_SHIFT | (uint64_t)flags >> (64 - TF_SHIFT));
}

static inline uint32_t tf_flags(uint64_t tf)
{
    return (uint32_t)(tf >> TF_SHIFT);
}

static inline void *tf_tag(uint64_t tf)
{
    return (void *)(uintptr_t)(tf & TF_TAG);
}

typedef struct small_tc small_tc;

typedef struct small_slab {
    _Atomic uintptr_t base;    /* 0 while pooled; set under the lock */
    unsigned cls, nslots;      /* fixed for the struct's life (pooled per class) */
    _Atomic uint32_t gen;      /* bumped when the slab goes back to the heap (mode, orphan frees) */
    _Atomic(small_tc *) owner; /* the cache allocating from it, or NULL */
    struct small_slab *prev, *next; /* partial list of its class, or the pool (lock) */
    struct small_slab *all;         /* every struct of the window, for close and validate */
    bool listed;                    /* on the partial list (lock) */
    _Atomic uint32_t mode;          /* gen << 2 | how frees claim slots (M_FAST, ...) */
    _Atomic uint32_t busy;          /* 1 while the owner frees with M_FAST (owner only) */
    _Atomic uint64_t local[WORDS];  /* free slots the owner may take (owner, or the lock) */
    _Alignas(64) _Atomic uint64_t remote[WORDS]; /* freed by others, not yet collected */
    _Alignas(64) small_slot slot[];
} small_slab;

struct small_tc {
    _Atomic(clsvm_window *) w; /* NULL once the window closed (the thread then frees it) */
    uint64_t id;               /* the window's small_state id: windows may reuse an address */
    pthread_t thread;
    small_tc *w_next; /* the window's list (lock) */
    small_tc *t_next; /* the thread's list (that thread only) */
    small_slab *cur[CLASSES];
    _Atomic int64_t live, bytes; /* this thread's small allocations minus its small frees */
    unsigned no_fast, backoff;   /* new slabs to start in M_CAS, and the next such count */
};

struct small_state {
    _Atomic uintptr_t *dir; /* one entry per slab-sized range of the window */
    size_t nslabs;
    bool dir_writable; /* false: mapped read-only, no slabs */
    uint64_t id;
    small_slab *partial[CLASSES];
    small_slab *pool[CLASSES];
    small_slab *all;
    small_tc *tcs;
    int64_t retired_live, retired_bytes; /* of exited threads and failed cache creations */
    uint64_t slabs;                      /* slabs holding a heap block */
    uint64_t peak;                       /* public peak_allocated */
    /* More than one chunk retained: an owner whose free empties its slab checks for "nothing
     * live". Read on every such free, so on a line of its own, written only on change. */
    _Alignas(64) _Atomic int drop_pending;
};

/* window_small_cache.c: close vs thread exit; this thread's caches (initial-exec: see there). */
extern pthread_mutex_t small_reg;
extern _Thread_local small_tc *small_tl_caches __attribute__((tls_model("initial-exec")));
/* window_small.c: membarrier works: slabs may start in M_FAST. */
extern atomic_bool small_fast_ok;

/* ---- directory ---------------------------------------------------------------------------- */

/* The entry of slab index i (0: no slab there). */
static inline uintptr_t dir_entry(const clsvm_window *w, uint64_t i)
{
    return atomic_load_explicit(&w->small_dir[i], ACQ);
}

static inline small_slab *dir_get(const clsvm_window *w, uintptr_t a)
{
    return (small_slab *)(dir_entry(w, (a - w->region.base) >> SLAB_SHIFT) & ~E_SHIFT);
}

static inline uintptr_t dir_value(const small_slab *s)
{
    return (uintptr_t)s | (CLASS_SHIFT + s->cls);
}

/* The directory entry of a (lock held); NULL when the directory is read-only. */
static inline _Atomic uintptr_t *dir_slot(clsvm_window *w, uintptr_t a)
{
    small_state *ss = w->small;
    return ss->dir_writable ? &ss->dir[(a - w->region.base) >> SLAB_SHIFT] : NULL;
}

static inline unsigned slot_shift(const small_slab *s)
{
    return CLASS_SHIFT + s->cls;
}

/* ---- a slab's bitmaps (the owner, or the lock) ------------------------------------------ */

/* Free slots in the owner's bitmap. */
static inline unsigned slab_free_count(const small_slab *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < WORDS; i++)
        n += (unsigned)__builtin_popcountll(atomic_load_explicit(&s->local[i], RLX));
    return n;
}

/* Move the slots other threads freed into local. */
static inline bool slab_collect(small_slab *s)
{
    bool any = false;
    for (unsigned i = 0; i < WORDS; i++)
        if (atomic_load_explicit(&s->remote[i], RLX)) {
            uint64_t v = atomic_exchange_explicit(&s->remote[i], 0, SEQ);
            atomic_store_explicit(&s->local[i], atomic_load_explicit(&s->local[i], RLX) | v, RLX);
            any |= v != 0;
        }
    return any;
}

/* ---- thread caches (window_small_cache.c) ---------------------------------------------- */

small_tc *tc_find_slow(clsvm_window *w, bool create);

/* This thread's cache for w when it heads the thread's list (every call but the first after
 * switching windows), else NULL. */
static inline small_tc *cached_tc(const clsvm_window *w)
{
    small_tc *tc = small_tl_caches;
    return tc && atomic_load_explicit(&tc->w, RLX) == w && tc->id == w->small->id ? tc : NULL;
}

static inline small_tc *find_tc(clsvm_window *w, bool create)
{
    small_tc *tc = cached_tc(w);
    return __builtin_expect(tc != NULL, 1) ? tc : tc_find_slow(w, create);
}

static inline void tc_count(small_tc *tc, int64_t n, int64_t bytes)
{
    atomic_store_explicit(&tc->live, atomic_load_explicit(&tc->live, RLX) + n, RLX);
    atomic_store_explicit(&tc->bytes, atomic_load_explicit(&tc->bytes, RLX) + bytes, RLX);
}

/* ---- shared calls ------------------------------------------------------------------------ */

/* window_small.c: zeroed memory on cache lines of its own (slab structs, thread caches). */
void *small_zalloc_lines(size_t size);

/* window_small_slab.c. Lock held: list a slab no thread owns as partial, or give it back when all
 * slots are free; its owner gives it up (then it is settled). */
void slab_settle(clsvm_window *w, small_slab *s);
void slab_abandon(clsvm_window *w, small_slab *s);
/* Takes the lock: tc's slab of class cls is full (or missing): a partial or new one, or NULL. */
small_slab *slab_refill(clsvm_window *w, small_tc *tc, unsigned cls);

#endif
