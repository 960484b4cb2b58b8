/*
 * window_validate.c: clsvm_window_validate: the window's invariants (design: window.c), checked
 * against the heap, the commit counts, the small slabs, the retained chunks and the purge marks.
 */
#include "window.h"

#include "clsvm/internal/log.h"

typedef struct check_state {
    const clsvm_window *w;
    uint64_t live, used, span_sum;
    int bad;
} check_state;

static int check_block(const heap_block_info *b, void *user)
{
    check_state *s = user;
    const clsvm_window *w = s->w;
    uintptr_t lim = (uintptr_t)1 << w->va_bits;
    if (b->size == 0 || b->addr < w->region.base ||
        b->size > w->region.base + w->region.size - b->addr || b->addr + b->size > lim) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: allocation %#lx+%zu outside the window",
                  (unsigned long)b->addr, b->size);
        s->bad = 1;
        return 1;
    }
    if (commit_map_covers(w->commits, b->addr, b->size) != CLSVM_OK) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: allocation %#lx+%zu is not committed",
                  (unsigned long)b->addr, b->size);
        s->bad = 1;
        return 1;
    }
    s->live++;
    s->used += b->size;
    s->span_sum += commit_map_span(w->commits, b->addr, b->size);
    return 0;
}

int clsvm_window_validate(clsvm_window *w)
{
    if (!w)
        return CLSVM_ERR_INVALID;
    pthread_mutex_lock(&w->lock);
    int rc = heap_validate_hidden(w->heap, w->inflight);
    check_state s = {w, 0, 0, 0, 0};
    heap_stats hs;
    if (!rc) {
        heap_foreach(w->heap, check_block, &s);
        heap_get_stats(w->heap, &hs);
        rc = s.bad ? CLSVM_ERR_INVALID : CLSVM_OK;
    }
    /* Blocks being committed by other threads are hidden from the walk and not yet counted. */
    if (!rc && (hs.live != s.live + w->inflight || hs.used_bytes != s.used + w->inflight_bytes ||
                hs.used_bytes != w->allocated + w->inflight_bytes ||
                hs.range_bytes != w->region.size || w->allocated > w->peak_allocated)) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: counters disagree (heap live %llu used %llu range %llu, "
                  "walked live %llu used %llu, window size %llu allocated %llu peak %llu)",
                  (unsigned long long)hs.live, (unsigned long long)hs.used_bytes,
                  (unsigned long long)hs.range_bytes, (unsigned long long)s.live,
                  (unsigned long long)s.used, (unsigned long long)w->region.size,
                  (unsigned long long)w->allocated, (unsigned long long)w->peak_allocated);
        rc = CLSVM_ERR_INVALID;
    }
    if (!rc)
        rc = small_validate(w);
    if (!rc)
        rc = retain_validate(w);
    if (!rc)
        rc = purge_validate(w, HEAP_GRANULE);
    if (!rc)
        rc = commit_map_validate(w->commits, s.span_sum + w->retained.count + w->inflight_span);
    pthread_mutex_unlock(&w->lock);
    return rc;
}
