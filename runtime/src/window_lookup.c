/*
 * window_lookup.c: clsvm_lookup and the small-allocation checks of the ICD (clsvm_small_view),
 * without a lock: the slab directory first, the heap's lookup map for anything else.
 */
#include "window.h"

#include "heap_map.h"
#include "clsvm/internal/lookup.h"

clsvm_small_view clsvm_lookup_small_view(const clsvm_window *w)
{
    return (clsvm_small_view){w->region.base, w->region.size, (const void *)w->small_dir};
}

int clsvm_lookup_small_in(const clsvm_small_view *v, const void *p, const void *tag,
                          uint32_t flags_below)
{
    uintptr_t off = (uintptr_t)p - v->base; /* one compare: below base wraps around */
    return off < v->size && small_is_in(v->dir, v->base, (uintptr_t)p, tag, flags_below);
}

int clsvm_lookup_small_is(const clsvm_window *w, const void *p, const void *tag,
                          uint32_t flags_below)
{
    clsvm_small_view v = clsvm_lookup_small_view(w);
    return clsvm_lookup_small_in(&v, p, tag, flags_below);
}

/* Out of line, with a result of its own: the small path stays short, and a caller that inlines
 * clsvm_lookup keeps its small result in registers. */
__attribute__((noinline)) static int lookup_heap(clsvm_window *w, uintptr_t a, heap_block_info *b)
{
    int rc = heap_map_lookup(w->map, a, b);
    if (!rc && small_is_slab_tag(w, b->tag))
        rc = CLSVM_ERR_NOTFOUND; /* a slab the directory no longer (or not yet) names */
    return rc;
}

int clsvm_lookup(clsvm_window *w, const void *p, clsvm_alloc_info *info)
{
    if (!w)
        return CLSVM_ERR_INVALID;
    uintptr_t a = (uintptr_t)p;
    if (!window_inside(w, a) || w->lost_in_fork)
        return CLSVM_ERR_NOTFOUND; /* cheap reject; nothing is here */
    heap_block_info b; /* no lock: both lookups are safe against concurrent alloc and free */
    int rc = small_lookup(w, a, &b);
    if (__builtin_expect(rc == SMALL_PASS, 0)) {
        heap_block_info hb;
        rc = lookup_heap(w, a, &hb);
        if (!rc && info)
            window_to_alloc_info(&hb, info);
        return rc;
    }
    if (!rc && info)
        window_to_alloc_info(&b, info);
    return rc;
}
