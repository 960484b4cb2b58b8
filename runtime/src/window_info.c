/*
 * window_info.c: what a window reports: its info (immutable), its stats and the walk of its
 * live allocations (clsvm_window_foreach, on a snapshot taken under the lock).
 */
#include "window.h"

#include "clsvm/internal/log.h"

#include <stdlib.h>
#include <string.h>

void clsvm_window_get_info(const clsvm_window *w, clsvm_window_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (!w)
        return;
    /* Immutable after open: no lock needed. */
    info->base = w->region.base;
    info->size = w->region.size;
    info->va_bits = w->va_bits;
    info->commit_chunk = CLSVM_COMMIT_CHUNK;
    info->max_align = CLSVM_MAX_ALIGN;
    info->provider = w->prov->name;
}

typedef struct live_walk {
    const clsvm_window *w;
    int (*fn)(const heap_block_info *, void *);
    void *user;
} live_walk;

static int walk_block(const heap_block_info *b, void *user)
{
    live_walk *lw = user;
    if (small_is_slab_tag(lw->w, b->tag))
        return small_foreach_slab(lw->w, b->addr, lw->fn, lw->user);
    return lw->fn(b, lw->user);
}

/* heap_foreach over live allocations: a slab's live slots instead of the slab (lock held). */
static void foreach_live(const clsvm_window *w, int (*fn)(const heap_block_info *, void *),
                         void *user)
{
    live_walk lw = {w, fn, user};
    heap_foreach(w->heap, walk_block, &lw);
}

typedef struct snapshot {
    clsvm_alloc_info *items;
    size_t n, cap;
} snapshot;

static int snapshot_add(const heap_block_info *b, void *user)
{
    snapshot *s = user;
    if (s->n == s->cap)
        return 1;
    window_to_alloc_info(b, &s->items[s->n++]);
    return 0;
}

typedef struct direct_visit {
    clsvm_visit_fn fn;
    void *user;
} direct_visit;

static int visit_direct(const heap_block_info *b, void *user)
{
    direct_visit *d = user;
    clsvm_alloc_info info;
    window_to_alloc_info(b, &info);
    return d->fn(&info, d->user);
}

/* Live allocations: the heap's blocks, slabs replaced by their live slots (lock held). */
static uint64_t live_count(const clsvm_window *w, const heap_stats *hs)
{
    small_counts_t c;
    small_counts(w, &c);
    return hs->live - c.slabs + c.live;
}

/* The callback runs on a snapshot, without the lock, so it may call back into the window
 * (lookup, even free). Only if the snapshot cannot be allocated does it run under the lock. */
void clsvm_window_foreach(clsvm_window *w, clsvm_visit_fn fn, void *user)
{
    if (!w || !fn)
        return;
    pthread_mutex_lock(&w->lock);
    heap_stats hs;
    heap_get_stats(w->heap, &hs);
    /* Room for small allocations other threads make during the walk (they take no lock). */
    snapshot s = {NULL, 0, (size_t)live_count(w, &hs)};
    s.cap += s.cap ? 64 : 0;
    s.items = s.cap ? malloc(s.cap * sizeof *s.items) : NULL;
    if (s.cap && !s.items) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "window: foreach without a snapshot (out of memory); "
                                       "the callback runs under the window lock");
        direct_visit d = {fn, user};
        foreach_live(w, visit_direct, &d);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    if (s.cap)
        foreach_live(w, snapshot_add, &s);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < s.n; i++)
        if (fn(&s.items[i], user))
            break;
    free(s.items);
}

void clsvm_window_get_stats(clsvm_window *w, clsvm_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    if (!w)
        return;
    heap_stats hs;
    commit_stats cs;
    purge_stats ps;
    small_counts_t sc;
    pthread_mutex_lock(&w->lock);
    if (!w->lost_in_fork) {
        small_flush_self(w); /* this thread's empty slabs go back to the heap */
        retain_drop(w, 0);   /* so `committed` reports exactly what live allocations need */
        small_note_retained(w);
    }
    heap_get_stats(w->heap, &hs);
    commit_map_get_stats(w->commits, &cs);
    purge_get_stats(w->purge, &ps);
    small_counts(w, &sc);
    st->peak_allocated = small_observe_peak(w);
    st->failed_allocs = w->failed_allocs;
    window_unlock(w);
    st->reserved = w->region.size;
    st->committed = cs.committed;
    st->allocated = hs.used_bytes - sc.slab_bytes + sc.bytes;
    st->live_allocations = hs.live - sc.slabs + sc.live;
    st->free_bytes = hs.free_bytes;
    st->free_ranges = hs.free_blocks;
    st->largest_free = hs.largest_free;
    st->commits = cs.commits;
    st->decommits = cs.decommits;
    st->retained = ps.retained;
    st->purges = ps.purges;
    st->purged = ps.purged;
    st->purge_threshold = ps.threshold;
}
