/*
 * window_small_stats.c: what the window's stats, retention and validate need of the small
 * allocations: their counts (summed over the thread caches), the peak, "nothing live", and
 * the check of every slab against the directory, the heap and the counters.
 */
#include "window_small_internal.h"

#include "clsvm/internal/log.h"

#include <stdatomic.h>
#include <stdbool.h>

void small_counts(const clsvm_window *w, small_counts_t *c)
{
    const small_state *ss = w->small;
    int64_t live = ss->retired_live, bytes = ss->retired_bytes;
    for (const small_tc *tc = ss->tcs; tc; tc = tc->w_next) {
        live += atomic_load_explicit(&tc->live, RLX);
        bytes += atomic_load_explicit(&tc->bytes, RLX);
    }
    c->live = live > 0 ? (uint64_t)live : 0;
    c->bytes = bytes > 0 ? (uint64_t)bytes : 0;
    c->slabs = ss->slabs;
    c->slab_bytes = ss->slabs * SLAB_SIZE;
}

bool small_nothing_live(const clsvm_window *w)
{
    small_counts_t c;
    small_counts(w, &c);
    return w->allocated == c.slab_bytes && c.live == 0;
}

void small_note_retained(clsvm_window *w)
{
    int many = w->retained.count > 1;
    if (atomic_load_explicit(&w->small->drop_pending, RLX) != many)
        atomic_store_explicit(&w->small->drop_pending, many, RLX);
}

uint64_t small_observe_peak(clsvm_window *w)
{
    small_counts_t c;
    small_counts(w, &c);
    uint64_t now = w->allocated - c.slab_bytes + c.bytes;
    if (now > w->small->peak)
        w->small->peak = now;
    return w->small->peak;
}

#define BAD(...)                                                                                   \
    do {                                                                                           \
        clsvm_log(CLSVM_LOG_ERROR, "window validate: " __VA_ARGS__);                               \
        return CLSVM_ERR_INVALID;                                                                  \
    } while (0)

int small_validate(clsvm_window *w)
{
    const small_state *ss = w->small;
    uint64_t slabs = 0, live = 0, bytes = 0;
    for (const small_slab *s = ss->all; s; s = s->all) {
        uintptr_t base = atomic_load_explicit(&s->base, RLX);
        if (!base)
            continue;
        slabs++;
        heap_block_info hb;
        if (dir_get(w, base) != s || heap_lookup(w->heap, base, &hb) || hb.addr != base ||
            hb.size != SLAB_SIZE || !small_is_slab_tag(w, hb.tag))
            BAD("slab %#lx is not a 64 KiB heap block the directory names", (unsigned long)base);
        bool owned = atomic_load_explicit(&s->owner, RLX) != NULL;
        unsigned nfree = 0;
        for (unsigned i = 0; i < s->nslots; i++) {
            uint64_t word = atomic_load_explicit(&s->slot[i].word, RLX);
            uint64_t bit = UINT64_C(1) << (i & 63);
            bool is_free = (atomic_load_explicit(&s->local[i / 64], RLX) |
                            atomic_load_explicit(&s->remote[i / 64], RLX)) &
                           bit;
            if (word & W_LIVE) {
                uint64_t size = word & W_SIZE;
                if (is_free || !size || size > ((uint64_t)1 << slot_shift(s)))
                    BAD("slot %#lx: live with size %llu, or also free",
                        (unsigned long)(base + ((uintptr_t)i << slot_shift(s))),
                        (unsigned long long)size);
                live++;
                bytes += size;
            } else if (!is_free) {
                BAD("slot %#lx: neither live nor free",
                    (unsigned long)(base + ((uintptr_t)i << slot_shift(s))));
            } else {
                nfree++;
            }
        }
        if (!owned && (nfree == s->nslots || s->listed != (nfree != 0)))
            BAD("unowned slab %#lx: %u of %u slots free, %slisted", (unsigned long)base, nfree,
                s->nslots, s->listed ? "" : "not ");
    }
    small_counts_t c;
    small_counts(w, &c);
    if (slabs != ss->slabs || live != c.live || bytes != c.bytes)
        BAD("small allocations: %llu slabs, %llu live, %llu bytes counted; %llu, %llu, %llu "
            "found",
            (unsigned long long)ss->slabs, (unsigned long long)c.live, (unsigned long long)c.bytes,
            (unsigned long long)slabs, (unsigned long long)live, (unsigned long long)bytes);
    return CLSVM_OK;
}
