/*
 * heap_tlsf.c: the TLSF core of the SVM heap (heap.h): size classes, free lists, block records
 * and the search for a free block that fits. The heap's calls are in heap.c, its invariant
 * checks in heap_validate.c; heap_internal.h holds what the three share. The design of the
 * whole heap follows: a TLSF allocator of address ranges with out-of-band metadata and a
 * lock-free map of used blocks for interior-pointer lookup (heap_map.c).
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
#include "heap_internal.h"
#include "clsvm/internal/log.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* ---- size classes ---------------------------------------------------------------------- */

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

void free_list_insert(heap *h, heap_block *b)
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

void free_list_remove(heap *h, heap_block *b)
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
int records_reserve(heap *h, size_t n)
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
heap_block *record_take(heap *h)
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
heap_block *split_after(heap *h, heap_block *b, uintptr_t addr)
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
void merge_next(heap *h, heap_block *b)
{
    heap_block *n = next_of(b), *after = next_of(n); /* n is free: not a sentinel */
    set_next(b, after);
    after->prev = b;
    record_release(h, n);
}

/* ---- finding a free block ---------------------------------------------------------------- */

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
heap_block *find_free(const heap *h, uint64_t r, uint64_t align, uintptr_t *at)
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
