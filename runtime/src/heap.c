/*
 * heap.c: the heap's calls (heap.h): create, add ranges, alloc and free, hide and show, lookup,
 * foreach and stats, plus the hand-over of the lookup maps' syscalls. The TLSF core they run
 * on is heap_tlsf.c, which also explains the design.
 */
#include "heap_internal.h"
#include "clsvm/internal/log.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* ---- create / destroy / ranges ----------------------------------------------------------- */

static bool is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

int heap_create(size_t min_align, heap **out)
{
    if (!out)
        return CLSVM_ERR_INVALID;
    *out = NULL;
    if (min_align < 16 || min_align > MAX_MIN_ALIGN || !is_pow2(min_align))
        return CLSVM_ERR_INVALID;
    heap *h = calloc(1, sizeof *h);
    if (!h)
        return CLSVM_ERR_HOSTMEM;
    h->min_align = min_align;
    h->align_shift = floor_log2(min_align);
    *out = h;
    return CLSVM_OK;
}

void heap_destroy(heap *h)
{
    if (!h)
        return;
    while (h->slabs) {
        heap_slab *next = h->slabs->next;
        free(h->slabs);
        h->slabs = next;
    }
    for (size_t i = 0; i < h->range_count; i++)
        heap_map_destroy(h->ranges[i].map);
    free(h->ranges);
    free(h);
}

int heap_add_range(heap *h, uintptr_t base, size_t size)
{
    if (!h || base == 0 || size == 0 || (base | size) & (h->min_align - 1) ||
        size > UINTPTR_MAX - base)
        return CLSVM_ERR_INVALID;
    for (size_t i = 0; i < h->range_count; i++) {
        const heap_range *r = &h->ranges[i];
        if (base < r->base + r->size && r->base < base + size)
            return CLSVM_ERR_INVALID; /* overlaps an existing range */
    }
    if (h->range_count == UINT32_MAX)
        return CLSVM_ERR_INVALID;
    if (records_reserve(h, 2) != CLSVM_OK)
        return CLSVM_ERR_HOSTMEM;
    if (h->range_count == h->range_cap) {
        size_t cap = h->range_cap ? 2 * h->range_cap : 4;
        heap_range *ranges = realloc(h->ranges, cap * sizeof *ranges);
        if (!ranges)
            return CLSVM_ERR_HOSTMEM;
        h->ranges = ranges;
        h->range_cap = cap;
    }
    heap_map *map;
    if (heap_map_create(base, size, h->align_shift, &map) != CLSVM_OK)
        return CLSVM_ERR_HOSTMEM;
    if (h->queue_trim)
        heap_map_defer(map, h->queue_trim, h->queue_user);
    heap_block *b = record_take(h), *end = record_take(h);
    set_addr(b, base);
    set_next(b, end);
    set_addr(end, base + size);
    end->prev = b;
    free_list_insert(h, b);
    h->ranges[h->range_count++] = (heap_range){base, size, b, end, map};
    h->range_bytes += size;
    h->free_bytes += size;
    h->free_blocks++;
    return CLSVM_OK;
}

/* ---- alloc / free ------------------------------------------------------------------------ */

int heap_alloc(heap *h, size_t size, size_t align, uint32_t flags, void *tag, uintptr_t *out)
{
    if (out)
        *out = 0;
    if (!h || !out || size == 0 || !is_pow2(align) || align < h->min_align)
        return CLSVM_ERR_INVALID;
    if (size > UINT64_MAX - (h->min_align - 1))
        return CLSVM_ERR_NOMEM; /* rounding would wrap: larger than any range */
    uint64_t r = ((uint64_t)size + h->min_align - 1) & ~(h->min_align - 1);
    if (r > h->free_bytes)
        return CLSVM_ERR_NOMEM;
    /* Up to two new records (front gap, tail); get them first so nothing fails halfway. */
    if (records_reserve(h, 2) != CLSVM_OK)
        return CLSVM_ERR_HOSTMEM;

    uintptr_t at = 0;
    heap_block *b = find_free(h, r, align, &at);
    if (!b)
        return CLSVM_ERR_NOMEM;
    heap_map *map = range_of(h, at)->map;
    int rc = heap_map_prepare(map, at, r);
    if (rc == HEAP_MAP_NEED_TABLE || rc == HEAP_MAP_TRIMMING) {
        h->wants_table = map;
        return rc == HEAP_MAP_NEED_TABLE ? HEAP_NEED_TABLE : HEAP_TRIMMING;
    }
    if (rc != CLSVM_OK) {
        CLSVM_LOG_ONCE(CLSVM_LOG_ERROR, "heap: out of host memory for the lookup map");
        return CLSVM_ERR_HOSTMEM;
    }

    free_list_remove(h, b);
    h->free_blocks--;
    bool tail = size_of(b) - (at - addr_of(b)) > r;
    if (at != addr_of(b)) {
        /* b keeps the front gap (still free, now in a smaller class). */
        heap_block *gap = b;
        b = split_after(h, gap, at);
        free_list_insert(h, gap);
        h->free_blocks++;
    }
    if (tail) {
        heap_block *t = split_after(h, b, at + r);
        free_list_insert(h, t);
        h->free_blocks++;
    }
    seq_begin(b);
    atomic_store_explicit(&b->aux0, (uintptr_t)tag, REL);
    atomic_store_explicit(&b->aux1, flags, REL);
    /* slack < min_align <= 2^24 */
    atomic_store_explicit(
        &b->state, STATE_USED | (h->hide_new ? 0 : STATE_VISIBLE) | (uint32_t)(r - size), REL);
    seq_end(b);
    heap_map_insert(map, at, r, b);
    h->free_bytes -= r;
    h->used_bytes += size;
    h->live++;
    *out = at;
    return CLSVM_OK;
}

static void fill_info(const heap_block *b, heap_block_info *info)
{
    if (info)
        *info = (heap_block_info){addr_of(b), (size_t)req_size_of(b),
                                  (uint32_t)atomic_load_explicit(&b->aux1, RLX),
                                  (void *)atomic_load_explicit(&b->aux0, RLX)};
}

/* Return used block b to the free lists, merging with free neighbours. */
static void release_block(heap *h, heap_block *b)
{
    heap_map_remove(range_of(h, addr_of(b))->map, addr_of(b), size_of(b));
    heap_block *prev = b->prev;
    h->used_bytes -= req_size_of(b);
    h->live--;
    h->free_bytes += size_of(b);
    h->free_blocks++;
    seq_begin(b);
    atomic_store_explicit(&b->state, 0, REL);
    atomic_store_explicit(&b->aux0, 0, REL);
    atomic_store_explicit(&b->aux1, 0, REL);
    seq_end(b);
    if (prev && is_free(prev)) {
        b = prev;
        free_list_remove(h, b);
        merge_next(h, b);
        h->free_blocks--;
    }
    if (is_free(next_of(b))) {
        free_list_remove(h, next_of(b));
        merge_next(h, b);
        h->free_blocks--;
    }
    free_list_insert(h, b);
    h->last_free_lo = addr_of(b);
    h->last_free_hi = addr_of(next_of(b));
}

void heap_last_free(const heap *h, uintptr_t *lo, uintptr_t *hi)
{
    *lo = h->last_free_lo;
    *hi = h->last_free_hi;
}

void heap_trim(heap *h, uintptr_t addr, uint64_t len)
{
    for (size_t i = 0; i < h->range_count; i++)
        heap_map_trim(h->ranges[i].map, addr, len);
}

void heap_defer_syscalls(heap *h, int (*queue_trim)(void *user, void *addr, size_t len), void *user)
{
    h->queue_trim = queue_trim;
    h->queue_user = user;
    for (size_t i = 0; i < h->range_count; i++)
        heap_map_defer(h->ranges[i].map, queue_trim, user);
}

void *heap_table_new(void)
{
    return heap_map_table_new();
}

void heap_table_free(void *t)
{
    heap_map_table_free(t);
}

int heap_give_table(heap *h, void *t)
{
    heap_map *m = h->wants_table ? h->wants_table : h->range_count ? h->ranges[0].map : NULL;
    return m ? heap_map_give_table(m, t) : CLSVM_ERR_INVALID;
}

void heap_trim_done(heap *h, void *addr)
{
    for (size_t i = 0; i < h->range_count; i++)
        heap_map_trim_done(h->ranges[i].map, addr);
}

void heap_hide_new(heap *h)
{
    h->hide_new = true;
}

void heap_show(heap *h, uintptr_t addr)
{
    const heap_range *r = range_of(h, addr);
    heap_block *b = r ? heap_map_show(r->map, addr) : NULL;
    if (b) /* one word: a reader sees the block hidden or visible, all else is stable */
        atomic_store_explicit(&b->state, state_of(b) | STATE_VISIBLE, REL);
}

int heap_free(heap *h, uintptr_t addr, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    const heap_range *r = addr ? range_of(h, addr) : NULL;
    heap_block *b = r ? heap_map_at(r->map, addr) : NULL;
    if (!b || !is_used(b) || addr_of(b) != addr || (h->hide_new && !(state_of(b) & STATE_VISIBLE)))
        return CLSVM_ERR_NOTFOUND; /* a hidden block is not handed out yet: not the user's */
    fill_info(b, info);
    release_block(h, b);
    return CLSVM_OK;
}

int heap_free_or_hide(heap *h, uintptr_t addr, bool checked, const void *tag, heap_block_info *info,
                      bool (*hide_if)(void *, const heap_block_info *), void *user)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    const heap_range *r = addr ? range_of(h, addr) : NULL;
    heap_block *b;
    if (checked) {
        b = r ? heap_map_find(r->map, addr) : NULL;
        if (!b || heap_block_read(b, addr, info) != CLSVM_OK)
            return CLSVM_ERR_NOTFOUND;
        if (addr_of(b) != addr || (tag && (void *)atomic_load_explicit(&b->aux0, RLX) != tag))
            return CLSVM_ERR_MISMATCH;
    } else {
        b = r ? heap_map_at(r->map, addr) : NULL;
        if (!b || !is_used(b) || addr_of(b) != addr ||
            (h->hide_new && !(state_of(b) & STATE_VISIBLE)))
            return CLSVM_ERR_NOTFOUND;
        fill_info(b, info);
    }
    if (!hide_if || !hide_if(user, info)) {
        release_block(h, b);
        return CLSVM_OK;
    }
    heap_map_hide(r->map, addr); /* an entry first: one word, as heap_show */
    seq_begin(b);
    atomic_store_explicit(&b->state, state_of(b) & ~STATE_VISIBLE, REL);
    seq_end(b);
    return HEAP_HIDDEN;
}

int heap_unalloc(heap *h, uintptr_t addr)
{
    const heap_range *r = h && addr ? range_of(h, addr) : NULL;
    heap_block *b = r ? heap_map_at(r->map, addr) : NULL;
    if (!b || !is_used(b) || addr_of(b) != addr)
        return CLSVM_ERR_NOTFOUND;
    release_block(h, b);
    return CLSVM_OK;
}

int heap_free_checked(heap *h, uintptr_t addr, const void *tag, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    const heap_range *r = addr ? range_of(h, addr) : NULL;
    heap_block *b = r ? heap_map_find(r->map, addr) : NULL;
    if (!b || heap_block_read(b, addr, info) != CLSVM_OK)
        return CLSVM_ERR_NOTFOUND;
    if (addr_of(b) != addr || (tag && (void *)atomic_load_explicit(&b->aux0, RLX) != tag))
        return CLSVM_ERR_MISMATCH;
    release_block(h, b);
    return CLSVM_OK;
}

int heap_lookup(const heap *h, uintptr_t p, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    const heap_range *r = h->ranges; /* a window has one range: test it first */
    if (!r || p - r->base >= r->size)
        r = range_of(h, p);
    return r ? heap_map_lookup(r->map, p, info) : CLSVM_ERR_NOTFOUND;
}

struct heap_map *heap_range_map(const heap *h, uintptr_t addr)
{
    const heap_range *r = h ? range_of(h, addr) : NULL;
    return r ? r->map : NULL;
}

/* Ranges in address order (they are few; a window has one). */
static const heap_range *next_range(const heap *h, const heap_range *after)
{
    const heap_range *best = NULL;
    for (size_t i = 0; i < h->range_count; i++) {
        const heap_range *r = &h->ranges[i];
        if ((!after || r->base > after->base) && (!best || r->base < best->base))
            best = r;
    }
    return best;
}

void heap_foreach(const heap *h, int (*fn)(const heap_block_info *, void *), void *user)
{
    if (!h || !fn)
        return;
    for (const heap_range *r = next_range(h, NULL); r; r = next_range(h, r))
        for (const heap_block *b = r->first; b != r->end; b = next_of(b)) {
            if (!is_used(b) || (h->hide_new && !(state_of(b) & STATE_VISIBLE)))
                continue;
            heap_block_info info;
            fill_info(b, &info);
            if (fn(&info, user))
                return;
        }
}

void heap_get_stats(const heap *h, heap_stats *st)
{
    if (!st)
        return;
    *st = (heap_stats){0};
    if (!h)
        return;
    st->range_bytes = h->range_bytes;
    st->used_bytes = h->used_bytes;
    st->live = h->live;
    st->free_bytes = h->free_bytes;
    st->free_blocks = h->free_blocks;
    /* The largest free block is in the highest non-empty class; classes are not sorted. */
    if (h->fl_bitmap) {
        unsigned fl = floor_log2(h->fl_bitmap);
        unsigned sl = floor_log2(h->sl_bitmap[fl]);
        for (const heap_block *b = h->free_lists[fl][sl]; b; b = free_next(b))
            if (size_of(b) > st->largest_free)
                st->largest_free = size_of(b);
    }
}
