/*
 * window_small.c: small allocations (up to 1 KiB, alignment up to their size class) served
 * from per-thread slabs without the window lock in the common case (docs/runtime.md "Small
 * allocations").
 *
 * A slab is one 64 KiB heap block (tag: the window's small_state, so the window recognises
 * it) cut into slots of one size class: 128, 256, 512 or 1024 bytes. All its metadata is
 * host memory outside the window, like the heap's records: per slot 16 bytes, a state word
 * (generation, live bit, requested size) and the tag and flags packed in one word (an
 * allocation whose tag or flags do not fit goes to the heap); per slab two free bitmaps. A
 * directory maps an address to its slab without a lock: one entry per 64 KiB of window, the slab
 * struct's address with its slot shift in the low bits, so a lookup computes the slot's address
 * from the entry alone. It is one flat array of address space (MAP_NORESERVE, 8 MiB for a 64 GiB
 * window; pages are touched only where slabs are), mapped when the window opens, so no
 * syscall runs for it under the window lock. Where the kernel refuses that much writable
 * address space (strict overcommit and a huge window), it is mapped read-only, all zero:
 * there are no slabs then, and small allocations come from the heap.
 *
 * Who does what:
 *  - A slab is owned by at most one thread cache (one per thread and window). Only the owner
 *    allocates from it: it takes a bit of `local` (its private free bitmap) and publishes the
 *    slot by storing the tag-and-flags word and then the live state word (release stores).
 *  - Any thread frees a slot: one compare-and-swap of the state word from live to free claims
 *    it, so of two racing frees exactly one wins and a double free, an interior pointer or a
 *    slot reused in between never frees anything else. The owner of a slab no other thread has
 *    freed into (M_FAST) claims with a plain store inside its `busy` flag instead; the first
 *    other thread to free into it makes every thread execute a barrier and waits out `busy`
 *    before its compare-and-swap (share()), after which the owner uses one too. The owner then
 *    sets its `local` bit; any other thread sets the bit in `remote` (atomic OR), which the
 *    owner collects when `local` runs dry.
 *  - A slab no thread owns (its owner moved on to a fresh slab, or exited) is settled under the
 *    window lock by whoever frees into it: listed as partial for the next thread that needs a
 *    slab of its class, or returned to the heap once all its slots are free. The free's OR of
 *    `remote` and the abandoning owner's store of `owner` are both sequentially consistent, so
 *    at least one of the two sees the other (the slot is never forgotten).
 *  - Lookups read the slot word as a seqlock (word, tag-and-flags, the slab's base, word
 *    again): a slot is live iff its word has the live bit, and the generation in the word
 *    changes on every alloc and free (slot words are never reset, not even when the struct is
 *    pooled and reused), so a lookup never mixes two allocations. A freed slot reads "not live"
 *    as soon as clsvm_free returns. A word unchanged across the base also pins the base: a slab
 *    goes back to the heap only once every slot is free, so one slot live throughout means the
 *    slab sat at one base throughout, the one read (however stale the directory entry was, the
 *    struct's slot shift never changes). The free's claim relies on the same argument.
 * Slab structs are type-stable (pooled per class, freed at window close), so lock-free readers
 * holding a stale pointer read a free slot or a different base, never freed memory.
 *
 * Thread caches live in a thread-local list and in their window's list (window lock). A thread
 * that exits gives its slabs up (pthread key destructor); window close marks its caches dead
 * (the thread frees them); a fork child gives up the slabs of every thread but the forking one.
 * Counters: each cache counts the small allocations and bytes its thread made minus those it
 * freed (it may go negative); the window sums them (plus those of exited threads) for stats.
 *
 * Files: this one creates and destroys a window's small state and allocates;
 * window_small_slab.c makes, settles and refills slabs (lock held); window_small_cache.c keeps
 * the thread caches; window_small_free.c frees; window_small_lookup.c reads without a lock;
 * window_small_stats.c counts and validates; window_small_internal.h is what they share.
 */
#include "window_small_internal.h"

#include "clsvm/internal/barrier.h"
#include "clsvm/internal/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static _Atomic uint64_t next_id = 1;
atomic_bool small_fast_ok; /* membarrier works: slabs may start in M_FAST */

/* Zeroed memory on its own cache lines: a thread's cache or slab header never shares a line
 * with another thread's (their counters and bitmaps are written on every call). */
void *small_zalloc_lines(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* ---- create / destroy ---------------------------------------------------------------------- */

int small_create(clsvm_window *w)
{
    small_state *ss = small_zalloc_lines(sizeof *ss);
    if (!ss)
        return CLSVM_ERR_HOSTMEM;
    ss->nslabs = (size_t)((w->region.size + SLAB_SIZE - 1) >> SLAB_SHIFT);
    size_t bytes = ss->nslabs * sizeof *ss->dir;
    void *dir = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ss->dir_writable = dir != MAP_FAILED;
    if (dir == MAP_FAILED) {
        /* Read-only private memory is not committed: lookups read zeros, slabs are off. */
        dir = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (dir == MAP_FAILED) {
            free(ss);
            return CLSVM_ERR_HOSTMEM;
        }
        clsvm_log(CLSVM_LOG_INFO,
                  "window: no writable address space for the small-allocation directory "
                  "(%zu MiB): allocations of up to 1 KiB come from the heap",
                  bytes >> 20);
    }
    ss->dir = dir;
    w->small_dir = dir;
    ss->id = atomic_fetch_add(&next_id, 1);
    atomic_store(&small_fast_ok, clsvm_barrier_ok());
    w->small = ss;
    return CLSVM_OK;
}

void small_destroy(clsvm_window *w)
{
    small_state *ss = w->small;
    if (!ss)
        return;
    pthread_mutex_lock(&small_reg);
    for (small_tc *tc = ss->tcs; tc; tc = tc->w_next)
        atomic_store_explicit(&tc->w, NULL, REL); /* its thread frees it */
    pthread_mutex_unlock(&small_reg);
    while (ss->all) {
        small_slab *next = ss->all->all;
        free(ss->all);
        ss->all = next;
    }
    munmap((void *)ss->dir, ss->nslabs * sizeof *ss->dir);
    free(ss);
    w->small = NULL;
    w->small_dir = NULL;
}

/* ---- alloc --------------------------------------------------------------------------- */

/* A free slot of s from the owner's own bitmap, or -1. */
static inline int take_local(small_slab *s)
{
    for (unsigned i = 0; i < WORDS; i++) {
        uint64_t v = atomic_load_explicit(&s->local[i], RLX);
        if (v) {
            atomic_store_explicit(&s->local[i], v & (v - 1), RLX);
            return (int)(i * 64 + (unsigned)__builtin_ctzll(v));
        }
    }
    return -1;
}

/* The same, collecting what other threads freed when the owner's bitmap runs dry. */
static int take_slot(small_slab *s)
{
    int i = take_local(s);
    while (i < 0 && slab_collect(s))
        i = take_local(s);
    return i;
}

static unsigned size_class(size_t need)
{
    return need <= ((size_t)1 << CLASS_SHIFT)
               ? 0
               : (unsigned)(64 - __builtin_clzll((uint64_t)need - 1)) - CLASS_SHIFT;
}

/* Hand out slot i of s, which this thread took: tag and flags first, then the live word (both
 * fit: tf_fits). */
static inline void *publish(small_tc *tc, small_slab *s, int i, size_t size, uint32_t flags,
                            void *tag)
{
    small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, RLX);
    atomic_store_explicit(&sl->tagflags, (uint64_t)flags << TF_SHIFT | (uintptr_t)tag, REL);
    atomic_store_explicit(&sl->word, ((w0 >> 32) + 1) << 32 | W_LIVE | size, REL);
    tc_count(tc, 1, (int64_t)size);
    return (void *)(atomic_load_explicit(&s->base, RLX) + ((uintptr_t)i << slot_shift(s)));
}

int small_alloc_cached(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                       void **out)
{
    size_t need = size > align ? size : align;
    if (need > SMALL_MAX || !tf_fits(flags, tag))
        return SMALL_PASS;
    small_tc *tc = cached_tc(w);
    small_slab *s = tc ? tc->cur[size_class(need)] : NULL;
    int i = s ? take_local(s) : -1;
    if (i < 0)
        return SMALL_PASS;
    *out = publish(tc, s, i, size, flags, tag);
    return CLSVM_OK;
}

int small_alloc(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag, void **out)
{
    size_t need = size > align ? size : align;
    if (need > SMALL_MAX || !tf_fits(flags, tag))
        return SMALL_PASS;
    unsigned cls = size_class(need);
    small_tc *tc = find_tc(w, true);
    if (!tc)
        return SMALL_PASS;
    small_slab *s = tc->cur[cls];
    int i = s ? take_slot(s) : -1;
    if (i < 0) {
        if (!(s = slab_refill(w, tc, cls)))
            return SMALL_PASS; /* no room for a slab: the heap may still fit the block */
        i = take_slot(s);
    }
    *out = publish(tc, s, i, size, flags, tag);
    return CLSVM_OK;
}

/* ---- window hooks (lock held) -------------------------------------------------------- */

int small_owns(const clsvm_window *w, uintptr_t a)
{
    return dir_get(w, a) != NULL;
}

int small_is_slab_tag(const clsvm_window *w, const void *tag)
{
    return tag == (const void *)w->small;
}
