/*
 * window_small_lookup.c: lock-free reads of the small-allocation slabs through the directory:
 * clsvm_lookup's small path, the ICD's tag check of a pointer (small_is_in) and the walk of a
 * slab's live slots for foreach (design: window_small.c, "Lookups").
 */
#include "window_small_internal.h"

#include <stdatomic.h>
#include <stdbool.h>

/* Seqlock read of slot i of s (base base): CLSVM_OK and *info when live. */
static int read_slot(const small_slab *s, uintptr_t base, unsigned i, uint64_t *word,
                     heap_block_info *info)
{
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    if (!(w0 & W_LIVE))
        return CLSVM_ERR_NOTFOUND;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    if (atomic_load_explicit(&s->base, ACQ) != base || atomic_load_explicit(&sl->word, ACQ) != w0)
        return CLSVM_ERR_NOTFOUND; /* freed or reused during the read */
    *word = w0;
    *info = (heap_block_info){base + ((uintptr_t)i << slot_shift(s)), (size_t)(w0 & W_SIZE),
                              tf_flags(tf), tf_tag(tf)};
    return CLSVM_OK;
}

int small_lookup(clsvm_window *w, uintptr_t a, heap_block_info *info)
{
    uint64_t off = a - w->region.base;
    uintptr_t e = dir_entry(w, off >> SLAB_SHIFT);
    if (!e)
        return SMALL_PASS;
    /* The slot's address comes from the entry and a: the struct's base is only checked, in
     * parallel with the slot's loads rather than before them. */
    const small_slab *s = (const small_slab *)(e & ~E_SHIFT);
    unsigned shift = (unsigned)(e & E_SHIFT);
    uintptr_t in_slab = (uintptr_t)(off & (SLAB_SIZE - 1)), i = in_slab >> shift;
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    if (!(w0 & W_LIVE))
        return CLSVM_ERR_NOTFOUND;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    uintptr_t in_slot = in_slab - (i << shift);
    if (atomic_load_explicit(&s->base, ACQ) != a - in_slab ||
        atomic_load_explicit(&sl->word, ACQ) != w0 || in_slot >= (w0 & W_SIZE))
        return CLSVM_ERR_NOTFOUND; /* freed, reused or released during the read; or slack */
    if (info)
        *info = (heap_block_info){a - in_slot, (size_t)(w0 & W_SIZE), tf_flags(tf), tf_tag(tf)};
    return CLSVM_OK;
}

bool small_is_in(const void *dir, uintptr_t wbase, uintptr_t a, const void *tag,
                 uint32_t flags_below)
{
    uint64_t off = a - wbase;
    uintptr_t e = atomic_load_explicit((const _Atomic uintptr_t *)dir + (off >> SLAB_SHIFT), ACQ);
    if (!e)
        return false;
    const small_slab *s = (const small_slab *)(e & ~E_SHIFT);
    unsigned shift = (unsigned)(e & E_SHIFT);
    uintptr_t in_slab = (uintptr_t)(off & (SLAB_SIZE - 1)), i = in_slab >> shift;
    const small_slot *sl = &s->slot[i];
    uint64_t w0 = atomic_load_explicit(&sl->word, ACQ);
    /* Each answer is checked as soon as it is read: fewer values live at once. A tag that does
     * not fit a tagflags word matches no slot (none holds one). */
    if (!(w0 & W_LIVE) || in_slab - (i << shift) >= (w0 & W_SIZE))
        return false;
    uint64_t tf = atomic_load_explicit(&sl->tagflags, ACQ);
    if ((tf & TF_TAG) != (uintptr_t)tag || tf_flags(tf) >= flags_below)
        return false;
    return atomic_load_explicit(&s->base, ACQ) == a - in_slab &&
           atomic_load_explicit(&sl->word, ACQ) == w0;
}

int small_foreach_slab(const clsvm_window *w, uintptr_t base,
                       int (*fn)(const heap_block_info *, void *), void *user)
{
    const small_slab *s = dir_get(w, base);
    if (!s)
        return 0;
    for (unsigned i = 0; i < s->nslots; i++) {
        uint64_t word;
        heap_block_info bi;
        if (read_slot(s, base, i, &word, &bi) == CLSVM_OK && fn(&bi, user))
            return 1;
    }
    return 0;
}
