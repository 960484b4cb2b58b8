/*
 * heap_tlsf.c: the SVM heap (heap.h), a TLSF allocator of address ranges with out-of-band
 * metadata and a lock-free map of used blocks for interior-pointer lookup (heap_map.c).
 *
 * Why TLSF: allocation and free cost must not grow with the number of live allocations, and
 * fragmentation must stay low under mixed sizes. TLSF (Masmano et al., "TLSF: a new dynamic
 * memory allocator for real-time systems") gives O(1) alloc/free via two-level segregated free
 * lists indexed by bitmaps, with good-fit behaviour and immediate coalescing.
 *
 * Out-of-band metadata: the heap never reads or writes a managed address (ranges may be
 * uncommitted PROT_NONE memory or scribbled over by a device). Each block (free or used) is a
 * host record from a slab pool (records_reserve: RECORDS_PER_SLAB at a time, recycled through
 * a spare list, returned to malloc only by heap_destroy: records are type-stable, which is
 * what lets lookups read them without a lock). Records form, per range, a doubly linked list
 * in address order ("physical" list) ending in a sentinel record at the range's end address.
 * A split keeps the original record for the lowest-address part and a merge keeps the lower
 * record, so a range's first record never changes.
 *
 * A record is 48 bytes: the address, the physical successor and predecessor, two words that
 * hold the tag and flags of a used block or the class-list links of a free one, a sequence
 * counter and a state word (used and visible bits, rounding slack < min_align). A block's size is
 * its successor's address minus its own (hence the sentinel); it is free iff it is not used and not
 * a sentinel.
 *
 * Because a free block's size is derived from its successor's address, a free block leaves
 * its class list before anything changes its successor (split, merge) and re-enters after.
 *
 * Size classes, in granules (g = bytes / min_align, every block size a multiple of min_align):
 *   g < 16:  first level 0, second level g (exact classes);
 *   g >= 16: first level fl = floor(log2 g) - 3, second level = the next 4 bits of g, so each
 *            power-of-two interval is cut into 16 classes of equal width.
 * A free block sits in the list of the class containing its size (all blocks in class c are
 * >= lower_bound(c)). fl_bitmap has bit fl set iff sl_bitmap[fl] != 0; bit sl of
 * sl_bitmap[fl] is set iff that list is non-empty.
 *
 * Allocation (heap_alloc): the block needs r = round_up(size, min_align) bytes at an address
 * aligned to align. A free block at a min_align-aligned address of size >= need, where
 * need = r + (align - min_align), always has room for an aligned r (the gap to the next
 * aligned address is at most align - min_align). Good fit: round need up to the next class
 * lower bound and take the head of the first non-empty class at or above it (two bitmap
 * scans): every block there fits, so success is guaranteed whenever such a class is non-empty.
 * Only if all those classes are empty do we fall back (find_fallback) to scanning, in
 * ascending class order, the classes that may hold a fit: from the class of r up to the good-
 * fit start. The fallback is exact (NOMEM means no free block can hold the request), and its
 * cost is the number of free blocks in those lower classes; it only runs when the heap has
 * no block of size >= need in a higher class, i.e. near exhaustion or with large alignment.
 * The aligned block is carved from the chosen free block: the front gap (if any) stays a free
 * block, the tail (if any) becomes a new free block. Neither can be adjacent to another free
 * block, because the neighbours of a free block are used (immediate coalescing).
 *
 * Free (heap_free): find the exact base in the map, O(1); merge with a free physical
 * predecessor and successor, O(1), unlinking them from their class lists (doubly linked).
 * Ranges are separate physical lists, so blocks of different ranges never merge.
 *
 * Lookup without a lock (heap_lookup): the range's map (heap_map.c) names the only used block
 * that can contain p; its record is then read as a seqlock. Every store to a record field is
 * a release store of an atomic, every lookup load an acquire load (plain moves on x86), and
 * the rules are: a record changes between used and free only while its seq is odd (seq_begin
 * and seq_end bracket the change), and the fields a lookup reads (address, successor, the
 * successor's address, tag, flags, state) change only while the record is free, or while its
 * seq is odd. A used block's successor record and its address cannot change (the successor
 * would have to merge into a used block). So a reader that sees the same even seq before and
 * after reading, and the used bit, holds a consistent snapshot of a block that was live at
 * that moment; any other outcome is "not live". The lookup accepts p iff
 * base <= p < base + requested size: a pointer into the rounding slack is NOT inside
 * (CLSVM_ERR_NOTFOUND), so it behaves like the buffer the application asked for.
 *
 * Costs (n = live allocations, m = free blocks): alloc O(1) (fallback: see above) plus one
 * map write per 2 MiB the block spans; free O(1) likewise; lookup O(1), lock-free; foreach
 * O(n + m) (physical lists); get_stats O(size of the largest non-empty class list) for
 * largest_free; validate O(n + m + map size). Address 0 is never handed out (heap_add_range
 * rejects base 0), because 0 means NULL to callers.
 */
#include "heap.h"
#include "heap_block.h"
#include "heap_map.h"
#include "clsvm/internal/log.h"

#include <clsvm/runtime.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

_Static_assert(sizeof(size_t) <= sizeof(uint64_t), "size_t wider than 64 bits");
_Static_assert(sizeof(uintptr_t) <= sizeof(uint64_t), "uintptr_t wider than 64 bits");

enum {
    SL_LOG2 = 4,
    SL_COUNT = 1 << SL_LOG2, /* second-level classes per power of two */
    FL_COUNT = 64,           /* first levels: g < 2^60 (min_align >= 16) needs fl <= 56 */
    RECORDS_PER_SLAB = 256,
};

_Static_assert(sizeof(heap_block) <= 48, "a block record must stay within 48 bytes");

#define MAX_MIN_ALIGN ((uint64_t)1 << 24) /* the slack must fit STATE_SLACK */

#define RLX memory_order_relaxed
#define ACQ memory_order_acquire
#define REL memory_order_release

/* Under the lock a plain (relaxed) load is enough: the heap is the only writer. */
static uintptr_t addr_of(const heap_block *b)
{
    return atomic_load_explicit(&b->addr, RLX);
}

static heap_block *next_of(const heap_block *b)
{
    return atomic_load_explicit(&b->next, RLX);
}

static void set_addr(heap_block *b, uintptr_t a)
{
    atomic_store_explicit(&b->addr, a, REL);
}

static void set_next(heap_block *b, heap_block *n)
{
    atomic_store_explicit(&b->next, n, REL);
}

static heap_block *free_prev(const heap_block *b)
{
    return (heap_block *)atomic_load_explicit(&b->aux0, RLX);
}

static heap_block *free_next(const heap_block *b)
{
    return (heap_block *)(uintptr_t)atomic_load_explicit(&b->aux1, RLX);
}

static void set_free_prev(heap_block *b, heap_block *p)
{
    atomic_store_explicit(&b->aux0, (uintptr_t)p, REL);
}

static void set_free_next(heap_block *b, heap_block *n)
{
    atomic_store_explicit(&b->aux1, (uint64_t)(uintptr_t)n, REL);
}

static uint32_t state_of(const heap_block *b)
{
    return atomic_load_explicit(&b->state, RLX);
}

/* Bytes from b to its successor (b is not a sentinel). */
static uint64_t size_of(const heap_block *b)
{
    return addr_of(next_of(b)) - addr_of(b);
}

static bool is_used(const heap_block *b)
{
    return state_of(b) & STATE_USED;
}

static bool is_free(const heap_block *b)
{
    return !is_used(b) && next_of(b);
}

static uint64_t req_size_of(const heap_block *b)
{
    return size_of(b) - (state_of(b) & STATE_SLACK);
}

/* Bracket a change between used and free (seqlock writer side; the lock serialises writers). */
static void seq_begin(heap_block *b)
{
    atomic_store_explicit(&b->seq, atomic_load_explicit(&b->seq, RLX) + 1, REL);
}

static void seq_end(heap_block *b)
{
    atomic_store_explicit(&b->seq, atomic_load_explicit(&b->seq, RLX) + 1, REL);
}

typedef struct heap_range {
    uintptr_t base;
    uint64_t size;
    heap_block *first; /* lowest-address record; stable for the heap's lifetime */
    heap_block *end;   /* sentinel: address base + size, never free, never used */
    heap_map *map;     /* the used blocks starting in this range, for lock-free lookup */
} heap_range;

typedef struct heap_slab {
    struct heap_slab *next;
    heap_block records[RECORDS_PER_SLAB];
} heap_slab;

struct heap {
    uint64_t min_align;
    unsigned align_shift; /* log2(min_align) */

    uint64_t fl_bitmap;
    uint32_t sl_bitmap[FL_COUNT];
    heap_block *free_lists[FL_COUNT][SL_COUNT];

    /* Written only by heap_add_range, which must not race with anything (window setup). */
    heap_range *ranges;
    size_t range_count, range_cap;

    heap_slab *slabs;
    heap_block *spare; /* unused records, linked through aux1 */
    size_t spare_count, records_total;

    uint64_t range_bytes, used_bytes, live, free_bytes, free_blocks;
    bool hide_new; /* new blocks stay invisible to heap_lookup until heap_show */
    /* heap_defer_syscalls: the maps' trim queue, and the map that last asked for a table. */
    int (*queue_trim)(void *user, void *addr, size_t len);
    void *queue_user;
    heap_map *wants_table;
    uintptr_t last_free_lo, last_free_hi; /* the free block the last free ended up in */
};

/* ---- size classes ---------------------------------------------------------------------- */

static unsigned floor_log2(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* Class of a block of g >= 1 granules: the list it lives in. */
static void class_of(uint64_t g, unsigned *fl, unsigned *sl)
{
    if (g < SL_COUNT) {
        *fl = 0;
        *sl = (unsigned)g;
        return;
    }
    unsigned b = floor_log2(g);
    *fl = b - SL_LOG2 + 1;
    *sl = (unsigned)(g >> (b - SL_LOG2)) - SL_COUNT;
}

/* Smallest size (granules) a block in class (fl, sl) may have. */
static uint64_t class_lower_bound(unsigned fl, unsigned sl)
{
    return fl == 0 ? sl : (uint64_t)(SL_COUNT + sl) << (fl - 1);
}

/*
 * First class whose every block has >= g granules: the class of g if g is its lower bound,
 * else the next one. Returns false if that class would be past the last first level.
 */
static bool class_round_up(uint64_t g, unsigned *fl, unsigned *sl)
{
    class_of(g, fl, sl);
    if (class_lower_bound(*fl, *sl) == g)
        return true;
    if (++*sl == SL_COUNT) {
        *sl = 0;
        ++*fl;
    }
    return *fl < FL_COUNT;
}

/* First non-empty class at or after (fl, sl) in class order; false if none. */
static bool class_find_nonempty(const heap *h, unsigned *fl, unsigned *sl)
{
    uint32_t sl_map = h->sl_bitmap[*fl] & (~UINT32_C(0) << *sl);
    if (!sl_map) {
        if (*fl + 1 >= FL_COUNT)
            return false;
        uint64_t fl_map = h->fl_bitmap & (~UINT64_C(0) << (*fl + 1));
        if (!fl_map)
            return false;
        *fl = (unsigned)__builtin_ctzll(fl_map);
        sl_map = h->sl_bitmap[*fl];
    }
    *sl = (unsigned)__builtin_ctz(sl_map);
    return true;
}

/* ---- free lists -------------------------------------------------------------------------- */

static void free_list_insert(heap *h, heap_block *b)
{
    unsigned fl, sl;
    class_of(size_of(b) >> h->align_shift, &fl, &sl);
    heap_block *head = h->free_lists[fl][sl];
    set_free_prev(b, NULL);
    set_free_next(b, head);
    if (head)
        set_free_prev(head, b);
    h->free_lists[fl][sl] = b;
    h->sl_bitmap[fl] |= UINT32_C(1) << sl;
    h->fl_bitmap |= UINT64_C(1) << fl;
}

static void free_list_remove(heap *h, heap_block *b)
{
    unsigned fl, sl;
    class_of(size_of(b) >> h->align_shift, &fl, &sl);
    heap_block *prev = free_prev(b), *next = free_next(b);
    if (prev)
        set_free_next(prev, next);
    else
        h->free_lists[fl][sl] = next;
    if (next)
        set_free_prev(next, prev);
    set_free_prev(b, NULL);
    set_free_next(b, NULL);
    if (!h->free_lists[fl][sl]) {
        h->sl_bitmap[fl] &= ~(UINT32_C(1) << sl);
        if (!h->sl_bitmap[fl])
            h->fl_bitmap &= ~(UINT64_C(1) << fl);
    }
}

/* ---- block records ----------------------------------------------------------------------- */

/* Make sure at least n spare records exist, so a following split cannot fail halfway. */
static int records_reserve(heap *h, size_t n)
{
    if (h->spare_count >= n)
        return CLSVM_OK;
    heap_slab *slab = calloc(1, sizeof *slab); /* seq 0: even, stable */
    if (!slab) {
        CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                       "heap: out of host memory for block records; free some memory or "
                       "allocations");
        return CLSVM_ERR_HOSTMEM;
    }
    slab->next = h->slabs;
    h->slabs = slab;
    for (size_t i = 0; i < RECORDS_PER_SLAB; i++) {
        set_free_next(&slab->records[i], h->spare);
        h->spare = &slab->records[i];
    }
    h->spare_count += RECORDS_PER_SLAB;
    h->records_total += RECORDS_PER_SLAB;
    return CLSVM_OK;
}

/* Take a spare record; the caller reserved it with records_reserve. */
static heap_block *record_take(heap *h)
{
    heap_block *b = h->spare;
    h->spare = free_next(b);
    h->spare_count--;
    /* Field by field: seq survives reuse, so a reader holding a stale pointer notices. */
    set_addr(b, 0);
    set_next(b, NULL);
    b->prev = NULL;
    atomic_store_explicit(&b->aux0, 0, REL);
    atomic_store_explicit(&b->aux1, 0, REL);
    atomic_store_explicit(&b->state, 0, REL);
    return b;
}

static void record_release(heap *h, heap_block *b)
{
    set_free_next(b, h->spare);
    h->spare = b;
    h->spare_count++;
}

/* Cut b at addr (inside b): a new record for [addr, end of b) follows b, which shrinks. */
static heap_block *split_after(heap *h, heap_block *b, uintptr_t addr)
{
    heap_block *n = record_take(h), *after = next_of(b);
    set_addr(n, addr);
    set_next(n, after);
    n->prev = b;
    after->prev = n; /* b is not a sentinel: after exists */
    set_next(b, n);
    return n;
}

/* Absorb b's physical successor n into b and recycle n's record. */
static void merge_next(heap *h, heap_block *b)
{
    heap_block *n = next_of(b), *after = next_of(n); /* n is free: not a sentinel */
    set_next(b, after);
    after->prev = b;
    record_release(h, n);
}

/* The range holding addr (ranges are few: a window has one). */
static const heap_range *range_of(const heap *h, uintptr_t addr)
{
    for (size_t i = 0; i < h->range_count; i++)
        if (addr - h->ranges[i].base < h->ranges[i].size)
            return &h->ranges[i];
    return NULL;
}

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

/* Aligned start for r bytes inside free block b, or 0 if it does not fit (0 is never a base). */
static uintptr_t fit_in_block(const heap_block *b, uint64_t r, uint64_t align)
{
    uint64_t gap = (align - (addr_of(b) & (align - 1))) & (align - 1), size = size_of(b);
    if (gap > size || size - gap < r)
        return 0;
    return addr_of(b) + gap;
}

/*
 * Rare path: no class at or above the good-fit start is non-empty. Scan every non-empty class
 * from the class of r upward, lowest class first (best fit first), for a block that really
 * holds an aligned r. Exact: returns NULL only if no free block fits.
 */
static heap_block *find_fallback(const heap *h, uint64_t r, uint64_t align, uintptr_t *at)
{
    unsigned fl, sl;
    class_of(r >> h->align_shift, &fl, &sl);
    while (class_find_nonempty(h, &fl, &sl)) {
        for (heap_block *b = h->free_lists[fl][sl]; b; b = free_next(b)) {
            if ((*at = fit_in_block(b, r, align)) != 0)
                return b;
        }
        if (++sl == SL_COUNT) {
            sl = 0;
            if (++fl == FL_COUNT)
                break;
        }
    }
    return NULL;
}

/* A free block that holds r bytes aligned to align, and the aligned start in it. */
static heap_block *find_free(const heap *h, uint64_t r, uint64_t align, uintptr_t *at)
{
    uint64_t slack = align - h->min_align; /* align >= min_align */
    unsigned fl, sl;
    if (r <= UINT64_MAX - slack && class_round_up((r + slack) >> h->align_shift, &fl, &sl) &&
        class_find_nonempty(h, &fl, &sl)) {
        heap_block *b = h->free_lists[fl][sl];
        *at = fit_in_block(b, r, align); /* cannot fail: size_of(b) >= r + slack */
        return b;
    }
    return find_fallback(h, r, align, at);
}

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

/* ---- validate ---------------------------------------------------------------------------- */

/* Mixes an address so that sums over two walks agree only if they saw the same blocks. */
static uint64_t addr_hash(uintptr_t a)
{
    uint64_t x = (uint64_t)a + UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        clsvm_log(CLSVM_LOG_ERROR, "heap_validate: " __VA_ARGS__);                                 \
        return CLSVM_ERR_INVALID;                                                                  \
    } while (0)

/* A chunk cover must name a used block that starts before the chunk and reaches into it. */
static int check_cover(uintptr_t start, uintptr_t cover, const heap_block *b, void *user)
{
    if (start)
        return 0; /* starts are checked block by block in validate_ranges */
    if (!is_used(b) || addr_of(b) >= cover || cover - addr_of(b) >= size_of(b))
        *(uintptr_t *)user = cover;
    return *(uintptr_t *)user != 0;
}

/* The range's map publishes exactly its used blocks: each at its base, found from its first
 * and last byte (validate_used); counts and covers agree with the blocks walked. */
static int validate_map(const heap_range *r, uint64_t live, uint64_t covers)
{
    uint64_t starts, map_covers;
    const char *why = heap_map_validate(r->map, &starts, &map_covers);
    if (why)
        FAIL("lookup map of range 0x%" PRIxPTR ": %s", r->base, why);
    if (starts != live || map_covers != covers)
        FAIL("lookup map of range 0x%" PRIxPTR ": %" PRIu64 " starts and %" PRIu64
             " covers, blocks need %" PRIu64 " and %" PRIu64,
             r->base, starts, map_covers, live, covers);
    uintptr_t bad = 0;
    heap_map_foreach(r->map, check_cover, &bad);
    if (bad)
        FAIL("lookup map: chunk 0x%" PRIxPTR " covered by a block not reaching it", bad);
    return CLSVM_OK;
}

/* One used block: sane slack, published in the map at its base and found from its ends. */
/* hidden[0]: hidden used blocks allowed (the window's in flight), hidden[1]: seen so far. */
static int validate_used(const heap *h, const heap_range *r, const heap_block *b, uint64_t *hidden)
{
    uint32_t slack = state_of(b) & STATE_SLACK;
    if (!(state_of(b) & STATE_VISIBLE) && ++hidden[1] > hidden[0])
        FAIL("used block 0x%" PRIxPTR ": never shown to lookups", addr_of(b));
    if (slack >= h->min_align || slack >= size_of(b))
        FAIL("used block 0x%" PRIxPTR ": size 0x%" PRIx64 " with slack 0x%x", addr_of(b),
             size_of(b), (unsigned)slack);
    uintptr_t last = addr_of(b) + req_size_of(b) - 1;
    if (heap_map_at(r->map, addr_of(b)) != b || heap_map_find(r->map, last) != b)
        FAIL("used block 0x%" PRIxPTR ": not found through the lookup map", addr_of(b));
    bool shown = state_of(b) & STATE_VISIBLE; /* a hidden block reads as not live */
    if ((heap_block_read(b, last, NULL) == CLSVM_OK) != shown ||
        (slack && heap_block_read(b, last + 1, NULL) != CLSVM_ERR_NOTFOUND))
        FAIL("used block 0x%" PRIxPTR ": lookup disagrees with its requested size", addr_of(b));
    return CLSVM_OK;
}

/* Walk each range's physical list: tiling, links, alignment, coalescing, used blocks mapped. */
static int validate_ranges(const heap *h, uint64_t *free_seen, uint64_t *free_hash,
                           uint64_t *blocks_seen, uint64_t *hidden)
{
    uint64_t hash = 0, used = 0, live = 0, free_bytes = 0, free_blocks = 0, range_bytes = 0,
             steps = 0;
    for (size_t i = 0; i < h->range_count; i++) {
        const heap_range *r = &h->ranges[i];
        range_bytes += r->size;
        const heap_block *b = r->first, *prev = NULL;
        uintptr_t end = r->base + r->size;
        uint64_t range_live = 0, covers = 0;
        if (!b || addr_of(b) != r->base || b->prev || !r->end || addr_of(r->end) != end ||
            next_of(r->end) || state_of(r->end))
            FAIL("range %zu [0x%" PRIxPTR ", +0x%" PRIx64 ") lacks its first block or its end", i,
                 r->base, r->size);
        for (; b != r->end; prev = b, b = next_of(b)) {
            if (++steps > h->records_total)
                FAIL("range %zu: physical list longer than all records (cycle?)", i);
            if (!next_of(b))
                FAIL("block 0x%" PRIxPTR ": list ends before the range's end", addr_of(b));
            uintptr_t next = addr_of(next_of(b));
            if (next <= addr_of(b) || next > end)
                FAIL("block 0x%" PRIxPTR ": successor at 0x%" PRIxPTR " (overlap or outside)",
                     addr_of(b), next);
            if (b->prev != prev || next_of(b)->prev != b)
                FAIL("block 0x%" PRIxPTR ": predecessor link broken", addr_of(b));
            if (atomic_load_explicit(&b->seq, RLX) & 1)
                FAIL("block 0x%" PRIxPTR ": sequence counter left odd", addr_of(b));
            uint64_t size = size_of(b);
            if ((size | addr_of(b)) & (h->min_align - 1))
                FAIL("block 0x%" PRIxPTR ": size 0x%" PRIx64 " or address not min_align multiple",
                     addr_of(b), size);
            if (is_free(b)) {
                if (state_of(b))
                    FAIL("free block 0x%" PRIxPTR ": state 0x%x", addr_of(b),
                         (unsigned)state_of(b));
                if (prev && is_free(prev))
                    FAIL("free blocks 0x%" PRIxPTR " and 0x%" PRIxPTR " are adjacent",
                         addr_of(prev), addr_of(b));
                free_bytes += size;
                free_blocks++;
                hash += addr_hash(addr_of(b));
                continue;
            }
            int rc = validate_used(h, r, b, hidden);
            if (rc != CLSVM_OK)
                return rc;
            used += req_size_of(b);
            live++;
            range_live++;
            covers += heap_map_covers_of(r->map, addr_of(b), size);
        }
        steps++; /* the sentinel */
        int rc = validate_map(r, range_live, covers);
        if (rc != CLSVM_OK)
            return rc;
    }
    if (range_bytes != h->range_bytes || used != h->used_bytes || live != h->live ||
        free_bytes != h->free_bytes || free_blocks != h->free_blocks)
        FAIL("counters (range %" PRIu64 " used %" PRIu64 " live %" PRIu64 " free %" PRIu64
             " free_blocks %" PRIu64 ") differ from blocks (%" PRIu64 " %" PRIu64 " %" PRIu64
             " %" PRIu64 " %" PRIu64 ")",
             h->range_bytes, h->used_bytes, h->live, h->free_bytes, h->free_blocks, range_bytes,
             used, live, free_bytes, free_blocks);
    *free_seen = free_blocks;
    *free_hash = hash;
    *blocks_seen = steps;
    return CLSVM_OK;
}

/* Each free block is in the list of its class exactly once; bitmaps match the lists. */
static int validate_free_lists(const heap *h, uint64_t free_blocks, uint64_t free_hash)
{
    uint64_t listed = 0, hash = 0;
    for (unsigned fl = 0; fl < FL_COUNT; fl++) {
        if (!!(h->fl_bitmap & (UINT64_C(1) << fl)) != !!h->sl_bitmap[fl])
            FAIL("first-level bit %u disagrees with its second-level bitmap", fl);
        for (unsigned sl = 0; sl < SL_COUNT; sl++) {
            const heap_block *b = h->free_lists[fl][sl], *prev = NULL;
            if (!!(h->sl_bitmap[fl] & (UINT32_C(1) << sl)) != !!b)
                FAIL("bitmap bit (%u, %u) disagrees with its list", fl, sl);
            for (; b; prev = b, b = free_next(b)) {
                if (++listed > free_blocks)
                    FAIL("free lists hold more entries than free blocks (stale or cycle)");
                unsigned bfl, bsl;
                if (!is_free(b))
                    FAIL("used block 0x%" PRIxPTR " in free list (%u, %u)", addr_of(b), fl, sl);
                if (free_prev(b) != prev)
                    FAIL("free list (%u, %u): back link broken at 0x%" PRIxPTR, fl, sl, addr_of(b));
                class_of(size_of(b) >> h->align_shift, &bfl, &bsl);
                if (bfl != fl || bsl != sl)
                    FAIL("free block 0x%" PRIxPTR " size 0x%" PRIx64 " in list (%u, %u), "
                         "belongs in (%u, %u)",
                         addr_of(b), size_of(b), fl, sl, bfl, bsl);
                hash += addr_hash(addr_of(b));
            }
        }
    }
    /* Same count and same sum of address hashes: the lists hold exactly the free blocks of the
     * physical walk (a block listed twice and another missing would need a hash collision). */
    if (listed != free_blocks || hash != free_hash)
        FAIL("free lists hold %" PRIu64 " blocks, ranges %" PRIu64 " (or different ones)", listed,
             free_blocks);
    return CLSVM_OK;
}

int heap_validate(const heap *h)
{
    return heap_validate_hidden(h, 0);
}

int heap_validate_hidden(const heap *h, uint64_t hidden_blocks)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    uint64_t free_blocks = 0, free_hash = 0, blocks = 0, hidden[2] = {hidden_blocks, 0};
    int rc = validate_ranges(h, &free_blocks, &free_hash, &blocks, hidden);
    if (rc != CLSVM_OK)
        return rc;
    rc = validate_free_lists(h, free_blocks, free_hash);
    if (rc != CLSVM_OK)
        return rc;
    if (blocks + h->spare_count != h->records_total)
        FAIL("records: %" PRIu64 " in blocks + %zu spare != %zu allocated", blocks, h->spare_count,
             h->records_total);
    return CLSVM_OK;
}
