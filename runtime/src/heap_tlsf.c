/*
 * heap_tlsf.c: the SVM heap (heap.h), a TLSF allocator of address ranges with out-of-band
 * metadata and an address-ordered index of used blocks for interior-pointer lookup.
 *
 * Why TLSF: allocation and free cost must not grow with the number of live allocations, and
 * fragmentation must stay low under mixed sizes. TLSF (Masmano et al., "TLSF: a new dynamic
 * memory allocator for real-time systems") gives O(1) alloc/free via two-level segregated free
 * lists indexed by bitmaps, with good-fit behaviour and immediate coalescing.
 *
 * Out-of-band metadata: the heap never reads or writes a managed address (ranges may be
 * uncommitted PROT_NONE memory or scribbled over by a device). Each block (free or used) is a
 * host record from a slab pool (records_grow: RECORDS_PER_SLAB at a time, recycled through a
 * spare list, returned to malloc only by heap_destroy), so the common path does no malloc.
 * Records form, per range, a singly linked list in address order ("physical" list) ending in
 * a sentinel record at the range's end address. A split keeps the original record for the
 * lowest-address part and a merge keeps the lower record, so a range's first record never
 * changes.
 *
 * A record is 56 bytes (issue 7: metadata <= 64 bytes per allocation), because it stores
 * only what cannot be derived: the address (the index key), the physical successor, the tag,
 * and, in the index node's padding, the flags and the slack (block size minus requested size,
 * < min_align). A block's size is its successor's address minus its own (hence the sentinel);
 * it is free iff it is not in the index (height 0) and not a sentinel. The physical
 * predecessor, needed only to coalesce on free, is found through the index: the used block
 * before b in address order is u, and between u and b lies at most one free block
 * (coalescing), u's successor (phys_prev_of_used).
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
 * Free (heap_free): find the exact base in the index, O(log n); merge with a free physical
 * predecessor and successor, O(1), unlinking them from their class lists (doubly linked).
 * Ranges are separate physical lists, so blocks of different ranges never merge.
 *
 * Lookup: heap_index.c, an intrusive AVL tree over used blocks keyed by address, O(log n).
 * heap_lookup(p) takes the greatest base <= p and accepts it iff p < base + requested size;
 * a pointer into the rounding slack past the requested size is NOT inside (CLSVM_ERR_NOTFOUND),
 * so it behaves like the buffer the application asked for.
 *
 * Costs (n = live allocations, m = free blocks): alloc O(log n) for the index insert plus O(1)
 * for the class search (fallback: see above); free O(log n); lookup O(log n); get_stats O(size
 * of the largest non-empty class list) for largest_free; validate O(n + m). Address 0 is never
 * handed out (heap_add_range rejects base 0), because 0 means NULL to callers.
 */
#include "heap.h"
#include "heap_index.h"
#include "log.h"

#include <clsvm/runtime.h>

#include <inttypes.h>
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

/*
 * A block is used (in the index) or free/spare (in a class list or the spare list), never
 * both, so the list links share storage with the tree links (16 bytes less per record):
 * heap_index_remove clears the node before the block joins a list, free_list_remove clears
 * the links before the block is inserted into the index, which re-initialises the node.
 */
typedef struct heap_block {
    union {
        /* node.key is the block's address, for every record; node.owner_32 holds the flags and
         * node.owner_24 the slack of a used block. In h->index iff used (node.height > 0). */
        heap_index_node node;
        struct {
            struct heap_block *free_prev, *free_next; /* free: class list; spare: next spare */
        };
    };
    struct heap_block *phys_next; /* next record of the range; NULL only for its sentinel */
    void *tag;                    /* used: the caller's */
} heap_block;

_Static_assert(offsetof(heap_block, free_next) + sizeof(heap_block *) <=
                   offsetof(heap_block, node.parent),
               "free-list links may overlay only the tree's child links");
_Static_assert(sizeof(heap_block) <= 64, "a block record must stay within 64 bytes");

#define MAX_MIN_ALIGN ((uint64_t)1 << 24) /* the slack must fit node.owner_24 */

static uintptr_t addr_of(const heap_block *b)
{
    return b->node.key;
}

/* Bytes from b to its successor (b is not a sentinel). */
static uint64_t size_of(const heap_block *b)
{
    return b->phys_next->node.key - b->node.key;
}

static bool is_used(const heap_block *b)
{
    return b->node.height != 0;
}

static bool is_free(const heap_block *b)
{
    return !is_used(b) && b->phys_next;
}

static uint64_t req_size_of(const heap_block *b)
{
    return size_of(b) - b->node.owner_24;
}

typedef struct heap_range {
    uintptr_t base;
    uint64_t size;
    heap_block *first; /* lowest-address record; stable for the heap's lifetime */
    heap_block *end;   /* sentinel: address base + size, never free, never in the index */
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

    heap_index index; /* used blocks */

    heap_range *ranges;
    size_t range_count, range_cap;

    heap_slab *slabs;
    heap_block *spare; /* unused records, linked through free_next */
    size_t spare_count, records_total;

    uint64_t range_bytes, used_bytes, live, free_bytes, free_blocks;
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
    b->free_prev = NULL;
    b->free_next = head;
    if (head)
        head->free_prev = b;
    h->free_lists[fl][sl] = b;
    h->sl_bitmap[fl] |= UINT32_C(1) << sl;
    h->fl_bitmap |= UINT64_C(1) << fl;
}

static void free_list_remove(heap *h, heap_block *b)
{
    unsigned fl, sl;
    class_of(size_of(b) >> h->align_shift, &fl, &sl);
    if (b->free_prev)
        b->free_prev->free_next = b->free_next;
    else
        h->free_lists[fl][sl] = b->free_next;
    if (b->free_next)
        b->free_next->free_prev = b->free_prev;
    b->free_prev = b->free_next = NULL;
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
    heap_slab *slab = malloc(sizeof *slab);
    if (!slab) {
        CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                       "heap: out of host memory for block records; free some memory or "
                       "allocations");
        return CLSVM_ERR_HOSTMEM;
    }
    slab->next = h->slabs;
    h->slabs = slab;
    for (size_t i = 0; i < RECORDS_PER_SLAB; i++) {
        slab->records[i].free_next = h->spare;
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
    h->spare = b->free_next;
    h->spare_count--;
    *b = (heap_block){0};
    return b;
}

static void record_release(heap *h, heap_block *b)
{
    b->free_next = h->spare;
    h->spare = b;
    h->spare_count++;
}

/* Cut b at addr (inside b): a new record for [addr, end of b) follows b, which shrinks. */
static heap_block *split_after(heap *h, heap_block *b, uintptr_t addr)
{
    heap_block *n = record_take(h);
    n->node.key = addr;
    n->phys_next = b->phys_next;
    b->phys_next = n;
    return n;
}

/* Absorb b's physical successor n into b and recycle n's record. */
static void merge_next(heap *h, heap_block *b)
{
    heap_block *n = b->phys_next;
    b->phys_next = n->phys_next;
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

/* The record physically before used block b (still in the index), or NULL if b is first. */
static heap_block *phys_prev_of_used(const heap *h, heap_block *b)
{
    heap_index_node *pn = heap_index_prev(&b->node);
    if (pn) {
        heap_block *u = (heap_block *)((char *)pn - offsetof(heap_block, node));
        heap_block *c = u->phys_next; /* b, or the one free block between u and b */
        if (c == b)
            return u;
        if (c->phys_next == b)
            return c;
        /* u lies in a lower range: b's predecessor, if any, is its range's first block. */
    }
    heap_block *f = range_of(h, addr_of(b))->first;
    return f == b ? NULL : f;
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
    heap_index_init(&h->index);
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
    heap_block *b = record_take(h), *end = record_take(h);
    b->node.key = base;
    b->phys_next = end;
    end->node.key = base + size;
    free_list_insert(h, b);
    h->ranges[h->range_count++] = (heap_range){base, size, b, end};
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
        for (heap_block *b = h->free_lists[fl][sl]; b; b = b->free_next) {
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
    b->node.owner_24 = (uint32_t)(r - size) & 0xffffff; /* < min_align <= 2^24 */
    b->node.owner_32 = flags;
    b->tag = tag;
    heap_index_insert(&h->index, &b->node); /* cannot collide: at was free */
    h->free_bytes -= r;
    h->used_bytes += size;
    h->live++;
    *out = at;
    return CLSVM_OK;
}

static heap_block *block_of(heap_index_node *n)
{
    return (heap_block *)((char *)n - offsetof(heap_block, node));
}

static void fill_info(const heap_block *b, heap_block_info *info)
{
    if (info)
        *info = (heap_block_info){addr_of(b), (size_t)req_size_of(b), b->node.owner_32, b->tag};
}

/* Return used block b to the free lists, merging with free neighbours. */
static void release_block(heap *h, heap_block *b)
{
    heap_block *prev = phys_prev_of_used(h, b); /* while b is still in the index */
    h->used_bytes -= req_size_of(b);
    h->live--;
    h->free_bytes += size_of(b);
    h->free_blocks++;
    heap_index_remove(&h->index, &b->node); /* height 0: b is free from here on */
    b->node.owner_24 = 0;
    b->node.owner_32 = 0;
    b->tag = NULL;
    if (prev && is_free(prev)) {
        b = prev;
        free_list_remove(h, b);
        merge_next(h, b);
        h->free_blocks--;
    }
    if (is_free(b->phys_next)) {
        free_list_remove(h, b->phys_next);
        merge_next(h, b);
        h->free_blocks--;
    }
    free_list_insert(h, b);
}

int heap_free(heap *h, uintptr_t addr, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    heap_index_node *n = addr ? heap_index_find(&h->index, addr) : NULL;
    if (!n)
        return CLSVM_ERR_NOTFOUND;
    heap_block *b = block_of(n);
    fill_info(b, info);
    release_block(h, b);
    return CLSVM_OK;
}

int heap_free_checked(heap *h, uintptr_t addr, const void *tag, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    heap_index_node *n = addr ? heap_index_find_le(&h->index, addr) : NULL;
    if (!n)
        return CLSVM_ERR_NOTFOUND;
    heap_block *b = block_of(n);
    if (addr - addr_of(b) >= req_size_of(b))
        return CLSVM_ERR_NOTFOUND;
    fill_info(b, info);
    if (addr_of(b) != addr || (tag && b->tag != tag))
        return CLSVM_ERR_MISMATCH;
    release_block(h, b);
    return CLSVM_OK;
}

int heap_lookup(const heap *h, uintptr_t p, heap_block_info *info)
{
    if (!h)
        return CLSVM_ERR_INVALID;
    heap_index_node *n = heap_index_find_le(&h->index, p);
    if (!n)
        return CLSVM_ERR_NOTFOUND;
    const heap_block *b = block_of(n);
    if (p - addr_of(b) >= req_size_of(b)) /* p >= addr here */
        return CLSVM_ERR_NOTFOUND;
    fill_info(b, info);
    return CLSVM_OK;
}

void heap_foreach(const heap *h, int (*fn)(const heap_block_info *, void *), void *user)
{
    if (!h || !fn)
        return;
    for (heap_index_node *n = heap_index_first(&h->index); n; n = heap_index_next(n)) {
        heap_block_info info;
        fill_info(block_of(n), &info);
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
        for (const heap_block *b = h->free_lists[fl][sl]; b; b = b->free_next)
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

/* Walk each range's physical list: tiling, alignment, coalescing, used blocks indexed. */
static int validate_ranges(const heap *h, uint64_t *free_seen, uint64_t *free_hash,
                           uint64_t *blocks_seen)
{
    uint64_t hash = 0, used = 0, live = 0, free_bytes = 0, free_blocks = 0, range_bytes = 0,
             steps = 0;
    for (size_t i = 0; i < h->range_count; i++) {
        const heap_range *r = &h->ranges[i];
        range_bytes += r->size;
        const heap_block *b = r->first, *prev = NULL;
        uintptr_t end = r->base + r->size;
        if (!b || addr_of(b) != r->base || !r->end || addr_of(r->end) != end || r->end->phys_next ||
            is_used(r->end))
            FAIL("range %zu [0x%" PRIxPTR ", +0x%" PRIx64 ") lacks its first block or its end", i,
                 r->base, r->size);
        for (; b != r->end; prev = b, b = b->phys_next) {
            if (++steps > h->records_total)
                FAIL("range %zu: physical list longer than all records (cycle?)", i);
            if (!b->phys_next)
                FAIL("block 0x%" PRIxPTR ": list ends before the range's end", addr_of(b));
            uintptr_t next = addr_of(b->phys_next);
            if (next <= addr_of(b) || next > end)
                FAIL("block 0x%" PRIxPTR ": successor at 0x%" PRIxPTR " (overlap or outside)",
                     addr_of(b), next);
            uint64_t size = size_of(b);
            if ((size | addr_of(b)) & (h->min_align - 1))
                FAIL("block 0x%" PRIxPTR ": size 0x%" PRIx64 " or address not min_align multiple",
                     addr_of(b), size);
            if (is_free(b)) {
                if (prev && is_free(prev))
                    FAIL("free blocks 0x%" PRIxPTR " and 0x%" PRIxPTR " are adjacent",
                         addr_of(prev), addr_of(b));
                free_bytes += size;
                free_blocks++;
                hash += addr_hash(addr_of(b));
                continue;
            }
            if (b->node.owner_24 >= h->min_align)
                FAIL("used block 0x%" PRIxPTR ": size 0x%" PRIx64 " with slack 0x%x", addr_of(b),
                     size, (unsigned)b->node.owner_24);
            if (heap_index_find(&h->index, addr_of(b)) != &b->node)
                FAIL("used block 0x%" PRIxPTR ": not in the lookup index", addr_of(b));
            if (phys_prev_of_used(h, (heap_block *)b) != prev)
                FAIL("used block 0x%" PRIxPTR ": predecessor through the index is wrong",
                     addr_of(b));
            used += req_size_of(b);
            live++;
        }
        steps++; /* the sentinel */
    }
    if (range_bytes != h->range_bytes || used != h->used_bytes || live != h->live ||
        free_bytes != h->free_bytes || free_blocks != h->free_blocks)
        FAIL("counters (range %" PRIu64 " used %" PRIu64 " live %" PRIu64 " free %" PRIu64
             " free_blocks %" PRIu64 ") differ from blocks (%" PRIu64 " %" PRIu64 " %" PRIu64
             " %" PRIu64 " %" PRIu64 ")",
             h->range_bytes, h->used_bytes, h->live, h->free_bytes, h->free_blocks, range_bytes,
             used, live, free_bytes, free_blocks);
    if (live != h->index.count)
        FAIL("index holds %zu nodes, %" PRIu64 " used blocks", h->index.count, live);
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
            for (; b; prev = b, b = b->free_next) {
                if (++listed > free_blocks)
                    FAIL("free lists hold more entries than free blocks (stale or cycle)");
                unsigned bfl, bsl;
                if (!is_free(b))
                    FAIL("used block 0x%" PRIxPTR " in free list (%u, %u)", addr_of(b), fl, sl);
                if (b->free_prev != prev)
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
    if (!h)
        return CLSVM_ERR_INVALID;
    uintptr_t bad_key;
    const char *why = heap_index_validate(&h->index, &bad_key);
    if (why)
        FAIL("lookup index: %s (at 0x%" PRIxPTR ")", why, bad_key);
    uint64_t free_blocks = 0, free_hash = 0, blocks = 0;
    int rc = validate_ranges(h, &free_blocks, &free_hash, &blocks);
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
