/*
 * window_small_slab.c: the life of a small-allocation slab, under the window lock: a new slab
 * carved from the heap, a slab its owner gives up listed as partial or returned to the heap, and
 * a thread's refill from the partial list or a new slab (design: window_small.c).
 */
#include "window_small_internal.h"

#include <stdatomic.h>
#include <stdbool.h>

static void list_remove(small_state *ss, small_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        ss->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    s->listed = false;
}

static void release_slab(clsvm_window *w, small_slab *s)
{
    small_state *ss = w->small;
    if (s->listed)
        list_remove(ss, s);
    uintptr_t base = atomic_load_explicit(&s->base, RLX);
    atomic_store_explicit(dir_slot(w, base), 0, REL);
    atomic_fetch_add_explicit(&s->gen, 1, REL);
    atomic_store_explicit(&s->base, 0, REL);
    ss->slabs--; /* first: the free below asks whether anything is still live */
    window_free_locked(w, base);
    s->next = ss->pool[s->cls];
    ss->pool[s->cls] = s;
}

/* A slab no thread owns: list it for reuse, or give it back when all its slots are free. */
void slab_settle(clsvm_window *w, small_slab *s)
{
    unsigned n = slab_free_count(s);
    if (n == s->nslots) {
        release_slab(w, s);
    } else if (n && !s->listed) {
        small_state *ss = w->small;
        s->prev = NULL;
        s->next = ss->partial[s->cls];
        if (s->next)
            s->next->prev = s;
        ss->partial[s->cls] = s;
        s->listed = true;
    }
}

void slab_abandon(clsvm_window *w, small_slab *s)
{
    small_tc *tc = atomic_load_explicit(&s->owner, RLX);
    uint32_t m = atomic_load_explicit(&s->mode, RLX) & M_STATE;
    if (tc && (m == M_SHARING || m == M_SHARED))
        tc->no_fast = tc->backoff = tc->backoff < NO_FAST_MIN   ? NO_FAST_MIN
                                    : tc->backoff < NO_FAST_MAX ? 2 * tc->backoff
                                                                : NO_FAST_MAX;
    else if (tc && m == M_FAST)
        tc->backoff /= 2;
    /* A fork child's slabs of threads it has not: one may have been inside a fast free. */
    atomic_store_explicit(&s->busy, 0, REL);
    atomic_store_explicit(&s->owner, NULL, SEQ);
    slab_collect(s);
    slab_settle(w, s);
}

static small_slab *new_slab(clsvm_window *w, unsigned cls)
{
    small_state *ss = w->small;
    small_slab *s = ss->pool[cls];
    unsigned nslots = (unsigned)(SLAB_SIZE >> (CLASS_SHIFT + cls));
    if (!s) {
        s = small_zalloc_lines(sizeof *s + nslots * sizeof s->slot[0]);
        if (!s)
            return NULL;
        s->cls = cls;
        s->nslots = nslots;
        s->all = ss->all;
        ss->all = s;
    } else {
        ss->pool[cls] = s->next;
        s->next = NULL;
    }
    uintptr_t addr = 0;
    int rc = ss->dir_writable ? window_alloc_locked(w, SLAB_SIZE, SLAB_SIZE, 0, ss, &addr)
                              : CLSVM_ERR_HOSTMEM;
    if (rc) {
        s->next = ss->pool[cls];
        ss->pool[cls] = s;
        return NULL;
    }
    for (unsigned i = 0; i < WORDS; i++) {
        unsigned lo = i * 64;
        uint64_t bits = lo >= nslots        ? 0
                        : nslots - lo >= 64 ? ~UINT64_C(0)
                                            : (UINT64_C(1) << (nslots - lo)) - 1;
        atomic_store_explicit(&s->local[i], bits, RLX);
        atomic_store_explicit(&s->remote[i], 0, RLX);
    }
    atomic_store_explicit(&s->base, addr, REL);
    ss->slabs++;
    atomic_store_explicit(dir_slot(w, addr), dir_value(s), REL);
    return s;
}

/* This thread's slab of class cls has no free slot (or there is none yet): give it up and take
 * a partial slab or a new one (lock). */
small_slab *slab_refill(clsvm_window *w, small_tc *tc, unsigned cls)
{
    pthread_mutex_lock(&w->lock);
    small_slab *s = tc->cur[cls];
    if (s)
        slab_abandon(w, s);
    s = w->small->partial[cls];
    /* The mode before the owner: frees that find this owner find its mode. A slab from the
     * partial list may still see frees by a thread that read M_FAST and no owner: M_CAS. */
    if (s) {
        list_remove(w->small, s);
        atomic_store_explicit(&s->mode, (atomic_load_explicit(&s->mode, RLX) & ~M_STATE) | M_CAS,
                              RLX);
        atomic_store_explicit(&s->owner, tc, SEQ);
        slab_collect(s);
    } else if ((s = new_slab(w, cls)) != NULL) {
        bool fast = atomic_load_explicit(&small_fast_ok, RLX) && !tc->no_fast;
        if (tc->no_fast)
            tc->no_fast--;
        atomic_store_explicit(
            &s->mode, atomic_load_explicit(&s->gen, RLX) << 2 | (fast ? M_FAST : M_CAS), RLX);
        atomic_store_explicit(&s->owner, tc, SEQ);
    }
    tc->cur[cls] = s;
    small_observe_peak(w);
    window_unlock(w);
    return s;
}
