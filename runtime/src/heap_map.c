/*
 * heap_map.c: the lock-free lookup structure of a heap range (heap_map.h): for an interior
 * pointer p, the one used block that can contain it, in O(1) and without a lock, so that
 * clsvm_lookup() (every SVM kernel argument, exec-info pointer and enqueue range check) does
 * not wait on the window mutex or descend a tree.
 *
 * Layout: the range is cut into chunks of 16384 granules (2 MiB with the window's 128-byte
 * granule). A two-level table (leaves of 4096 chunk entries, 8 GiB of window each at 2 MiB)
 * gives each chunk two words:
 *  - cover: the used block that starts in an earlier chunk and reaches into this one (at most
 *    one can: blocks do not overlap). A block spanning a whole leaf's chunks sets the leaf's
 *    cover instead (lcover, next to the leaf pointer; the leaf itself need not exist), so a
 *    block costs at most 2 x 4096 chunk writes plus one per 8 GiB: a 1 MiB block at most one
 *    write, a 64 GiB one 8, not one per page.
 *  - g: the chunk's start table, allocated when a block first starts in the chunk: one bit per
 *    granule (set where a used block starts), a 256-bit summary (bit w set iff bit word w is
 *    non-zero) and, per granule, where the block starting there is published: a block of at
 *    most ENTRY_GRANULES granules in a 32-byte entry (its size, tag and flags, with a sequence
 *    number of its own, and its record), a block of at least BIG_GRANULES granules (4 KiB) in
 *    the 8-byte slot of its 32-granule group (bslot; a bit per granule says so), one in
 *    between in an 8-byte slot per granule (its record).
 * find(p): the highest set bit at or below p's granule in p's chunk (one masked word, else one
 * of four summary words and one more bit word) names the only block that can contain p; with
 * no start below p in its chunk, the chunk's cover, else the leaf's, is the candidate. Cost:
 * at most seven dependent loads, no lock, no loop over live blocks. A lookup reaches the start
 * table through flat (one pointer per chunk, mmap'd address space) rather than leaf and chunk
 * entry when the kernel granted that array.
 * lookup(p) = find(p) + reading the candidate: for a small block its entry, one cache line
 * beside nothing else (the record and its successor's address, which give the size, are two
 * or three more lines at random addresses: at 100,000 live blocks they made a lookup miss the
 * L2 cache twice); for a larger block or a cover, the record (heap_block_read).
 *
 * Concurrency: the heap serialises writers (the window mutex); readers take no lock. Every
 * shared word is a C11 atomic (release stores, acquire loads: plain moves on x86), so a reader
 * sees each word either before or after a write, never torn. Tables and leaves are never freed
 * before the map is destroyed, so a reader holding a stale pointer reads valid memory. The map
 * only names a candidate, read under a sequence counter: the entry's (entry_set, entry_read) or
 * the record's (heap_tlsf.c), so a racing free makes a lookup report "not live", never a
 * wrong block or a mix of two.
 * A block live for the whole lookup is always found: while it lives no other block starts
 * between its start and p, its bit, slot and summary bit stay set, and a summary bit found
 * stale (word already cleared by a racing free) only makes the search continue lower.
 *
 * Memory: 64 KiB per leaf (one per 8 GiB of window that ever held a block) and 642 KiB of
 * address space per chunk that ever held a block start, kept until the heap is destroyed;
 * mmap'd, so only pages written cost memory, whatever state the malloc heap is in: the slots
 * are 8 bytes per 128-byte granule (6.3% of the span of the blocks of 640 bytes to 4 KiB that
 * use them), the group slots 8 bytes per 4 KiB (0.2%: a table of page-sized blocks is 3 pages
 * instead of 35), the entries 32 (25% of the span of blocks of up to 512 bytes: 32 bytes per
 * 64-byte allocation, none for a 4 KiB one). heap_map_trim() returns the pages of tables left
 * without starts that dirtied at least 4 pages (the window calls it when it decommits a chunk): at
 * most 12 KiB stays resident per empty table.
 *
 * Syscalls without the writer's lock (heap_map_defer, the window's choice): the map then never
 * calls mmap or madvise itself. A chunk that needs a start table takes a spare one (mapped by the
 * caller without its lock: heap_map_table_new, heap_map_give_table), else prepare returns
 * HEAP_MAP_NEED_TABLE. A trim is handed to the caller's queue and run later without the lock;
 * until heap_map_trim_done the table is *trimming*: prepare for a block starting in its chunk
 * returns HEAP_MAP_TRIMMING (the writer waits and tries again), since madvise would zero what
 * the insert wrote. Nothing else writes a table without starts, and readers may read it
 * meanwhile as before (they find no start). A spare table has never been attached, so it may
 * serve any chunk; an attached one stays with its chunk (a stalled reader may still read it).
 */
#include "heap_map.h"

#include "heap_block.h"

#include <clsvm/runtime.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum {
    GRAN_BITS = 14,
    CHUNK_GRANULES = 1 << GRAN_BITS,
    WORDS = CHUNK_GRANULES / 64,
    SUMMARY_WORDS = WORDS / 64,
    LEAF_BITS = 12,
    TRIM_MIN_PAGES = 4, /* trim a table only when it dirtied this many pages (see trim) */
    ENTRY_GRANULES = 4, /* blocks of at most this many granules are published in an entry */
    BIG_SHIFT = 5,      /* blocks of at least 32 granules: one slot per 32-granule group */
    BIG_GRANULES = 1 << BIG_SHIFT,
    LEAF_CHUNKS = 1 << LEAF_BITS,
};

/* What a lookup needs of the used block starting at a granule, next to where the search ends,
 * so that a lookup reads one cache line of it instead of the heap's record and its successor's
 * (three lines at random addresses). Its own seqlock: seq is odd while the writer changes it. */
typedef struct mentry {
    _Atomic uint32_t seq;
    _Atomic uint32_t flags;
    _Atomic uint64_t size; /* bytes as requested; 0 while the block is hidden (heap_map_show) */
    _Atomic uintptr_t tag;
    _Atomic(struct heap_block *) rec; /* the heap's record (free, heap_map_at, validate) */
} mentry;

_Static_assert(sizeof(mentry) == 32, "two entries per cache line, none straddling two");

enum { TOUCH_WORDS = 3 }; /* one bit per 4 KiB page of a gtable */

typedef struct gtable {
    _Atomic uint64_t summary[SUMMARY_WORDS];
    _Atomic uint64_t bits[WORDS];
    _Atomic uint64_t small[WORDS]; /* bit set: the start's block is published in its entry */
    _Atomic uint64_t big[WORDS];   /* bit set: the start's block is published in its bslot */
    uint32_t starts;               /* set bits; writer only */
    uint64_t touched[TOUCH_WORDS]; /* pages written since the last trim; writer only */
    /* Record of a big block (>= BIG_GRANULES) starting in a 32-granule group: a group holds
     * at most one such start while it lives (a block starting earlier in the group is shorter
     * than the group, and one starting after it begins beyond the group). */
    _Atomic(struct heap_block *) bslot[CHUNK_GRANULES / BIG_GRANULES];
    _Atomic(struct heap_block *) slot[CHUNK_GRANULES]; /* record of a mid-sized block's start */
    _Alignas(64) mentry ent[CHUNK_GRANULES];           /* a small block's start */
} gtable;

_Static_assert(sizeof(gtable) <= TOUCH_WORDS * 64 * 4096, "one touched bit per 4 KiB page");

typedef struct mchunk {
    _Atomic(struct heap_block *) cover;
    _Atomic(gtable *) g;
} mchunk;

typedef struct mleaf {
    mchunk c[LEAF_CHUNKS];
} mleaf;

enum { SPARES = 4 }; /* spare tables a map keeps at most (one per thread racing to map one) */

struct heap_map {
    uintptr_t base;
    uint64_t size;
    unsigned gshift, cshift; /* log2 of granule and chunk bytes */
    uint64_t nchunks;
    size_t nleaves;
    _Atomic(mleaf *) *leaves;
    _Atomic(struct heap_block *) *lcover; /* per leaf: a block covering all its chunks */
    _Atomic(gtable *) *flat; /* per chunk: its start table, as in its leaf; NULL if no room */
    uint64_t bytes;          /* writer only */
    uint32_t seq;            /* last entry sequence value written; writer only */
    /* heap_map_defer: the queue for trims, tables mapped by the caller, trims in flight. */
    int (*queue_trim)(void *user, void *addr, size_t len);
    void *queue_user;
    bool deferred;
    gtable *spare[SPARES];
    unsigned nspare;
    gtable **trimming;
    size_t ntrimming, trimming_cap;
};

#define ACQ memory_order_acquire
#define REL memory_order_release

int heap_map_create(uintptr_t base, uint64_t size, unsigned gshift, heap_map **out)
{
    *out = NULL;
    heap_map *m = calloc(1, sizeof *m);
    if (!m)
        return CLSVM_ERR_HOSTMEM;
    m->base = base;
    m->size = size;
    m->gshift = gshift;
    m->cshift = gshift + GRAN_BITS;
    m->nchunks = ((size - 1) >> m->cshift) + 1;
    m->nleaves = (size_t)(((m->nchunks - 1) >> LEAF_BITS) + 1);
    m->leaves = calloc(m->nleaves, sizeof *m->leaves);
    m->lcover = calloc(m->nleaves, sizeof *m->lcover);
    if (!m->leaves || !m->lcover) {
        free(m->leaves);
        free(m->lcover);
        free(m);
        return CLSVM_ERR_HOSTMEM;
    }
    m->bytes = sizeof *m + m->nleaves * (sizeof *m->leaves + sizeof *m->lcover);
    /* The start tables again, one pointer per chunk, so that a lookup reaches p's table in
     * one load instead of two (leaf, then chunk entry). Address space only, touched where
     * tables exist (256 KiB for the default 64 GiB window, 512 MiB for a 128 TiB one); where
     * the kernel refuses it the lookup walks the leaves. */
    void *flat = mmap(NULL, m->nchunks * sizeof *m->flat, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    m->flat = flat == MAP_FAILED ? NULL : flat;
    *out = m;
    return CLSVM_OK;
}

/* Start tables come straight from mmap: zero pages that cost nothing until written. calloc
 * would serve 130 KiB from a free chunk of the malloc heap when its mmap threshold has grown
 * (it does after large frees) and clear it with memset, making the whole table resident. */
static void *sys_map(size_t len)
{
    void *g = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return g == MAP_FAILED ? NULL : g;
}

static void sys_trim(void *addr, size_t len)
{
    madvise(addr, len, MADV_DONTNEED);
}

heap_map_sys heap_map_syscalls = {sys_map, sys_trim};

static gtable *table_new(void)
{
    return heap_map_syscalls.map(sizeof(gtable));
}

static void table_free(gtable *g)
{
    if (g)
        munmap(g, sizeof *g);
}

void *heap_map_table_new(void)
{
    return table_new();
}

void heap_map_table_free(void *t)
{
    table_free(t);
}

void heap_map_defer(heap_map *m, int (*queue_trim)(void *user, void *addr, size_t len), void *user)
{
    m->deferred = true;
    m->queue_trim = queue_trim;
    m->queue_user = user;
}

int heap_map_give_table(heap_map *m, void *t)
{
    if (m->nspare == SPARES)
        return CLSVM_ERR_HOSTMEM; /* enough in stock: the caller unmaps it */
    m->spare[m->nspare++] = t;
    return CLSVM_OK;
}

static bool is_trimming(const heap_map *m, const gtable *g)
{
    for (size_t i = 0; i < m->ntrimming; i++)
        if (m->trimming[i] == g)
            return true;
    return false;
}

void heap_map_trim_done(heap_map *m, void *addr)
{
    for (size_t i = 0; i < m->ntrimming; i++)
        if ((void *)m->trimming[i] == addr) {
            m->trimming[i] = m->trimming[--m->ntrimming];
            return;
        }
}

void heap_map_destroy(heap_map *m)
{
    if (!m)
        return;
    for (size_t l = 0; l < m->nleaves; l++) {
        mleaf *leaf = atomic_load_explicit(&m->leaves[l], memory_order_relaxed);
        if (!leaf)
            continue;
        for (size_t i = 0; i < LEAF_CHUNKS; i++)
            table_free(atomic_load_explicit(&leaf->c[i].g, memory_order_relaxed));
        free(leaf);
    }
    for (unsigned i = 0; i < m->nspare; i++)
        table_free(m->spare[i]);
    free(m->trimming);
    if (m->flat)
        munmap(m->flat, m->nchunks * sizeof *m->flat);
    free(m->leaves);
    free(m->lcover);
    free(m);
}

static uint64_t chunk_of(const heap_map *m, uintptr_t a)
{
    return (uint64_t)(a - m->base) >> m->cshift;
}

static unsigned granule_of(const heap_map *m, uintptr_t a)
{
    return (unsigned)((uint64_t)(a - m->base) >> m->gshift) & (CHUNK_GRANULES - 1);
}

static mchunk *chunk_entry(const heap_map *m, uint64_t c)
{
    mleaf *leaf = atomic_load_explicit(&m->leaves[c >> LEAF_BITS], ACQ);
    return leaf ? &leaf->c[c & (LEAF_CHUNKS - 1)] : NULL;
}

/* Chunks (c0, c1] a block covers, in runs: a whole leaf (leaf >= 0, chunk unused) or one
 * chunk (leaf < 0). fn returns non-zero to stop (and that value is returned). */
static int cover_plan(heap_map *m, uintptr_t addr, uint64_t len,
                      int (*fn)(heap_map *, int64_t leaf, uint64_t chunk, void *), void *user)
{
    uint64_t c1 = chunk_of(m, addr + len - 1);
    for (uint64_t c = chunk_of(m, addr) + 1; c <= c1;) {
        int rc;
        if (!(c & (LEAF_CHUNKS - 1)) && c1 - c >= LEAF_CHUNKS - 1) {
            rc = fn(m, (int64_t)(c >> LEAF_BITS), 0, user);
            c += LEAF_CHUNKS;
        } else {
            rc = fn(m, -1, c, user);
            c++;
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int ensure_leaf(heap_map *m, uint64_t l)
{
    if (atomic_load_explicit(&m->leaves[l], memory_order_relaxed))
        return CLSVM_OK;
    mleaf *leaf = calloc(1, sizeof *leaf);
    if (!leaf)
        return CLSVM_ERR_HOSTMEM;
    m->bytes += sizeof *leaf;
    atomic_store_explicit(&m->leaves[l], leaf, REL);
    return CLSVM_OK;
}

static int prepare_cover(heap_map *m, int64_t leaf, uint64_t c, void *user)
{
    (void)user;
    return leaf >= 0 ? CLSVM_OK : ensure_leaf(m, c >> LEAF_BITS);
}

int heap_map_prepare(heap_map *m, uintptr_t addr, uint64_t len)
{
    uint64_t c0 = chunk_of(m, addr);
    int rc = ensure_leaf(m, c0 >> LEAF_BITS);
    if (rc)
        return rc;
    mchunk *ch = chunk_entry(m, c0);
    gtable *g = atomic_load_explicit(&ch->g, memory_order_relaxed);
    if (g && m->ntrimming && is_trimming(m, g))
        return HEAP_MAP_TRIMMING;
    if (!g) {
        if (m->nspare)
            g = m->spare[--m->nspare];
        else if (m->deferred)
            return HEAP_MAP_NEED_TABLE;
        else if (!(g = table_new()))
            return CLSVM_ERR_HOSTMEM;
        m->bytes += sizeof *g;
        atomic_store_explicit(&ch->g, g, REL);
        if (m->flat)
            atomic_store_explicit(&m->flat[c0], g, REL);
    }
    return cover_plan(m, addr, len, prepare_cover, NULL);
}

static int store_cover(heap_map *m, int64_t leaf, uint64_t c, void *b)
{
    if (leaf >= 0)
        atomic_store_explicit(&m->lcover[leaf], b, REL);
    else
        atomic_store_explicit(&chunk_entry(m, c)->cover, b, REL);
    return 0;
}

static void set_covers(heap_map *m, uintptr_t addr, uint64_t len, struct heap_block *b)
{
    cover_plan(m, addr, len, store_cover, b);
}

/* Is the block starting at granule gi (its start bit set) published in its entry, else in its
 * slot? (Without a start bit: does the entry hold a withdrawn small block?) */
static bool is_small(const gtable *g, unsigned gi)
{
    return atomic_load_explicit(&g->small[gi >> 6], ACQ) >> (gi & 63) & 1;
}

/* Is the (non-small) block starting at gi published in its group's bslot, else in slot[gi]? */
static bool is_big(const gtable *g, unsigned gi)
{
    return atomic_load_explicit(&g->big[gi >> 6], ACQ) >> (gi & 63) & 1;
}

/* Where the record of a non-small start at gi is published. */
static _Atomic(struct heap_block *) const *slot_of(const gtable *g, unsigned gi)
{
    return is_big(g, gi) ? &g->bslot[gi >> BIG_SHIFT] : &g->slot[gi];
}

static void touch(gtable *g, const void *at)
{
    uint64_t page = (uint64_t)((uintptr_t)at - (uintptr_t)g) >> 12;
    g->touched[page >> 6] |= UINT64_C(1) << (page & 63);
}

/* Bytes block b was asked for (writer side: b is used and stable under the heap's lock). */
static uint64_t requested_size(const heap_block *b)
{
    uintptr_t a = atomic_load_explicit(&b->addr, memory_order_relaxed);
    const heap_block *n = atomic_load_explicit(&b->next, memory_order_relaxed);
    uint32_t st = atomic_load_explicit(&b->state, memory_order_relaxed);
    return atomic_load_explicit(&n->addr, memory_order_relaxed) - a - (st & STATE_SLACK);
}

/* Write entry e as a copy of the lookup fields of used block b = [.., + len) (size 0 while b is
 * hidden). The sequence values come from one counter of the map, not from the entry:
 * heap_map_trim() zeroes a table's pages, and a per-entry counter restarting at 0 could come
 * back to the value a stalled reader saw before the trim, passing a mix of two blocks.
 * Withdrawing writes nothing here (heap_map_remove clears the start bit): a reader reaches an
 * entry only through a start bit it read, so one reading a withdrawn entry read the bit while
 * the block was live, during its call, and may report the block as it was. What must not
 * happen is reaching the stale entry through a new start there: a new small block rewrites
 * the entry under a new number, and a larger one voids it (size 0, small bit cleared) before
 * its slot and bit are set. The small bit thus means "the entry holds the last small block
 * started here" and, with the start bit set, "the current start is that block". */
static void entry_set(heap_map *m, mentry *e, const heap_block *b, uint64_t len)
{
    m->seq += 2;
    if (!m->seq) /* 0 means "never written or trimmed": readers treat it as empty */
        m->seq = 2;
    uint32_t st = atomic_load_explicit(&b->state, memory_order_relaxed);
    atomic_store_explicit(&e->seq, m->seq - 1, REL);
    atomic_store_explicit(&e->rec, (struct heap_block *)b, REL);
    atomic_store_explicit(&e->tag, atomic_load_explicit(&b->aux0, memory_order_relaxed), REL);
    atomic_store_explicit(&e->flags, (uint32_t)atomic_load_explicit(&b->aux1, memory_order_relaxed),
                          REL);
    atomic_store_explicit(&e->size, (st & STATE_VISIBLE) ? len - (st & STATE_SLACK) : 0, REL);
    atomic_store_explicit(&e->seq, m->seq, REL); /* even again: the entry is stable */
}

void heap_map_insert(heap_map *m, uintptr_t addr, uint64_t len, struct heap_block *b)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr), w = gi >> 6;
    /* Entry or slot before bit: a reader that sees the bit finds the block. */
    if (len <= (uint64_t)ENTRY_GRANULES << m->gshift) {
        entry_set(m, &g->ent[gi], b, len);
        touch(g, &g->ent[gi]);
        uint64_t sm = atomic_load_explicit(&g->small[w], memory_order_relaxed);
        atomic_store_explicit(&g->small[w], sm | (UINT64_C(1) << (gi & 63)), REL);
        touch(g, &g->small[w]);
    } else {
        uint64_t sm = atomic_load_explicit(&g->small[w], memory_order_relaxed);
        if (sm & (UINT64_C(1) << (gi & 63))) { /* a withdrawn small block's entry: void it */
            atomic_store_explicit(&g->ent[gi].size, 0, REL);
            atomic_store_explicit(&g->small[w], sm & ~(UINT64_C(1) << (gi & 63)), REL);
        }
        if (len >= (uint64_t)BIG_GRANULES << m->gshift) {
            /* One slot per group: 8 bytes per 4 KiB instead of 256 for 4 KiB blocks (most of
             * the table memory a heap of page-sized blocks kept). */
            atomic_store_explicit(&g->bslot[gi >> BIG_SHIFT], b, REL);
            touch(g, &g->bslot[gi >> BIG_SHIFT]);
            uint64_t bg = atomic_load_explicit(&g->big[w], memory_order_relaxed);
            atomic_store_explicit(&g->big[w], bg | (UINT64_C(1) << (gi & 63)), REL);
            touch(g, &g->big[w]);
        } else {
            atomic_store_explicit(&g->slot[gi], b, REL);
            touch(g, &g->slot[gi]);
        }
    }
    uint64_t old = atomic_load_explicit(&g->bits[w], memory_order_relaxed);
    atomic_store_explicit(&g->bits[w], old | (UINT64_C(1) << (gi & 63)), REL);
    if (!old) {
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], memory_order_relaxed);
        atomic_store_explicit(&g->summary[w >> 6], s | (UINT64_C(1) << (w & 63)), REL);
    }
    g->starts++;
    touch(g, &g->bits[w]);
    set_covers(m, addr, len, b);
}

struct heap_block *heap_map_show(heap_map *m, uintptr_t addr)
{
    struct heap_block *b = heap_map_at(m, addr);
    if (!b)
        return NULL;
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr);
    /* One word, as the record's visible bit: a reader sees the block hidden or shown. A larger
     * block's lookups read that bit in its record. */
    if (is_small(g, gi))
        atomic_store_explicit(&g->ent[gi].size, requested_size(b), REL);
    return b;
}

void heap_map_hide(heap_map *m, uintptr_t addr)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr);
    if (is_small(g, gi)) /* size 0: hidden, as before heap_map_show */
        atomic_store_explicit(&g->ent[gi].size, 0, REL);
}

void heap_map_remove(heap_map *m, uintptr_t addr, uint64_t len)
{
    gtable *g = atomic_load_explicit(&chunk_entry(m, chunk_of(m, addr))->g, memory_order_relaxed);
    unsigned gi = granule_of(m, addr), w = gi >> 6;
    uint64_t now =
        atomic_load_explicit(&g->bits[w], memory_order_relaxed) & ~(UINT64_C(1) << (gi & 63));
    atomic_store_explicit(&g->bits[w], now, REL);
    if (!now) {
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], memory_order_relaxed);
        atomic_store_explicit(&g->summary[w >> 6], s & ~(UINT64_C(1) << (w & 63)), REL);
    }
    /* A small block's entry stays as it was (see entry_set), so a free writes no line of the
     * table beyond the bit words. */
    if (is_big(g, gi)) { /* bit first: a reader then finds slot[gi], which is NULL */
        uint64_t bg = atomic_load_explicit(&g->big[w], memory_order_relaxed);
        atomic_store_explicit(&g->big[w], bg & ~(UINT64_C(1) << (gi & 63)), REL);
        atomic_store_explicit(&g->bslot[gi >> BIG_SHIFT], NULL, REL);
    } else if (!is_small(g, gi)) {
        atomic_store_explicit(&g->slot[gi], NULL, REL);
    }
    g->starts--;
    set_covers(m, addr, len, NULL);
}

/* The record of the block published at granule gi (entry or slot), or NULL. */
static struct heap_block *record_at(const gtable *g, unsigned gi)
{
    /* Asked, not tried: reading the entry of a larger block's start would touch a page its
     * block never writes (after a trim, a zero-page fault: with 4 KiB blocks one per 4 frees,
     * twice the cost of an alloc/free batch that empties its chunks), and reading the slot of
     * a small block's one more line per free. */
    return is_small(g, gi) ? atomic_load_explicit(&g->ent[gi].rec, ACQ)
                           : atomic_load_explicit(slot_of(g, gi), ACQ);
}

static unsigned top_bit(uint64_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

/* Highest set granule at or below gi, or -1. */
static inline __attribute__((always_inline)) int pred_start(const gtable *g, unsigned gi)
{
    unsigned w = gi >> 6, b = gi & 63;
    uint64_t mask = b == 63 ? ~UINT64_C(0) : (UINT64_C(2) << b) - 1;
    uint64_t word = atomic_load_explicit(&g->bits[w], ACQ) & mask;
    if (word)
        return (int)((w << 6) + top_bit(word));
    unsigned sw = w >> 6;
    uint64_t s = atomic_load_explicit(&g->summary[sw], ACQ) & ((UINT64_C(1) << (w & 63)) - 1);
    for (;;) {
        while (!s) {
            if (sw == 0)
                return -1;
            s = atomic_load_explicit(&g->summary[--sw], ACQ);
        }
        unsigned w2 = (sw << 6) + top_bit(s);
        word = atomic_load_explicit(&g->bits[w2], ACQ);
        if (word)
            return (int)((w2 << 6) + top_bit(word));
        s &= ~(UINT64_C(1) << (w2 & 63)); /* emptied by a racing free: look lower */
    }
}

struct heap_block *heap_map_find(const heap_map *m, uintptr_t p)
{
    if (p < m->base || p - m->base >= m->size)
        return NULL;
    uint64_t c = chunk_of(m, p);
    mchunk *ch = chunk_entry(m, c);
    if (ch) {
        gtable *g = atomic_load_explicit(&ch->g, ACQ);
        int gi = g ? pred_start(g, granule_of(m, p)) : -1;
        if (gi >= 0)
            return record_at(g, (unsigned)gi);
        struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
        if (cover)
            return cover;
    }
    return atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
}

enum { NO_ENTRY = 1 }; /* entry_read: the entry describes no visible block */

/* Seqlock read of entry e of the start a: as heap_block_read, from one line. NO_ENTRY when
 * the entry holds no visible block (never written, trimmed, cleared, or its block hidden):
 * the start is then a larger block's, published in the slot. */
static int entry_read(const mentry *e, uintptr_t a, uintptr_t p, heap_block_info *info)
{
    uint32_t s1 = atomic_load_explicit(&e->seq, ACQ);
    uint64_t size = atomic_load_explicit(&e->size, ACQ);
    uintptr_t tag = atomic_load_explicit(&e->tag, ACQ);
    uint32_t flags = atomic_load_explicit(&e->flags, ACQ);
    if ((s1 & 1) || atomic_load_explicit(&e->seq, ACQ) != s1)
        return CLSVM_ERR_NOTFOUND; /* published or withdrawn during the call */
    if (!s1 || !size)
        return NO_ENTRY;
    if (p - a >= size)
        return CLSVM_ERR_NOTFOUND; /* p in the block's slack or past it */
    if (info)
        *info = (heap_block_info){a, (size_t)size, flags, (void *)tag};
    return CLSVM_OK;
}

int heap_map_lookup(const heap_map *m, uintptr_t p, heap_block_info *info)
{
    if (p < m->base || p - m->base >= m->size)
        return CLSVM_ERR_NOTFOUND;
    uint64_t c = chunk_of(m, p);
    mchunk *ch = NULL;
    gtable *g;
    if (m->flat) {
        g = atomic_load_explicit(&m->flat[c], ACQ);
    } else {
        ch = chunk_entry(m, c);
        g = ch ? atomic_load_explicit(&ch->g, ACQ) : NULL;
    }
    int gi = g ? pred_start(g, granule_of(m, p)) : -1;
    if (gi >= 0) {
        int rc = entry_read(&g->ent[gi], m->base + (c << m->cshift) + ((uintptr_t)gi << m->gshift),
                            p, info);
        if (rc != NO_ENTRY)
            return rc;
        const struct heap_block *b = atomic_load_explicit(slot_of(g, (unsigned)gi), ACQ);
        return b ? heap_block_read(b, p, info) : CLSVM_ERR_NOTFOUND;
    }
    /* No start at or below p in its chunk: a block reaching p from an earlier chunk, read from
     * its record. */
    if (!ch)
        ch = chunk_entry(m, c);
    const struct heap_block *b = ch ? atomic_load_explicit(&ch->cover, ACQ) : NULL;
    if (!b)
        b = atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
    return b ? heap_block_read(b, p, info) : CLSVM_ERR_NOTFOUND;
}

struct heap_block *heap_map_at(const heap_map *m, uintptr_t addr)
{
    if (addr < m->base || addr - m->base >= m->size ||
        (addr - m->base) & (((uintptr_t)1 << m->gshift) - 1))
        return NULL;
    mchunk *ch = chunk_entry(m, chunk_of(m, addr));
    gtable *g = ch ? atomic_load_explicit(&ch->g, ACQ) : NULL;
    if (!g)
        return NULL;
    unsigned gi = granule_of(m, addr);
    if (!(atomic_load_explicit(&g->bits[gi >> 6], ACQ) & (UINT64_C(1) << (gi & 63))))
        return NULL;
    return record_at(g, gi);
}

void heap_map_foreach(const heap_map *m, heap_map_visit_fn fn, void *user)
{
    for (uint64_t c = 0; c < m->nchunks; c++) {
        uintptr_t cbase = m->base + (uintptr_t)(c << m->cshift);
        if (!(c & (LEAF_CHUNKS - 1))) {
            struct heap_block *lc = atomic_load_explicit(&m->lcover[c >> LEAF_BITS], ACQ);
            if (lc && fn(0, cbase, lc, user))
                return;
            if (!atomic_load_explicit(&m->leaves[c >> LEAF_BITS], ACQ)) {
                c += LEAF_CHUNKS - 1; /* no leaf: nothing starts or is covered chunk-wise */
                continue;
            }
        }
        mchunk *ch = chunk_entry(m, c);
        struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
        if (cover && fn(0, cbase, cover, user))
            return;
        gtable *g = atomic_load_explicit(&ch->g, ACQ);
        for (unsigned w = 0; g && w < WORDS; w++)
            for (uint64_t word = atomic_load_explicit(&g->bits[w], ACQ); word; word &= word - 1) {
                unsigned gi = (w << 6) + (unsigned)__builtin_ctzll(word);
                uintptr_t start = cbase + ((uintptr_t)gi << m->gshift);
                if (fn(start, 0, record_at(g, gi), user))
                    return;
            }
    }
}

static const char *validate_table(const heap_map *m, uint64_t c, const gtable *g, uint64_t *starts)
{
    uint64_t n = 0;
    for (unsigned w = 0; w < WORDS; w++) {
        uint64_t word = atomic_load_explicit(&g->bits[w], ACQ);
        uint64_t big = atomic_load_explicit(&g->big[w], ACQ);
        if (big & ~word)
            return "a big-block bit without a start";
        for (unsigned k = 0; k < 64 / BIG_GRANULES; k++) {
            uint64_t group = big >> (k * BIG_GRANULES) & ((UINT64_C(1) << BIG_GRANULES) - 1);
            if ((group & (group - 1)) ||
                !group != !atomic_load_explicit(&g->bslot[(w << 6 >> BIG_SHIFT) + k], ACQ))
                return "a big-block slot disagrees with its group's start";
        }
        uint64_t s = atomic_load_explicit(&g->summary[w >> 6], ACQ);
        if (!!word != !!(s & (UINT64_C(1) << (w & 63))))
            return "a summary bit disagrees with its bit word";
        n += (uint64_t)__builtin_popcountll(word);
        /* Only slots under set bits are ever read, so only those are checked (a full slot
         * scan would make every validate cost 16384 loads per chunk). */
        for (; word; word &= word - 1) {
            unsigned gi = (w << 6) + (unsigned)__builtin_ctzll(word);
            if (((uint64_t)gi << m->gshift) + (c << m->cshift) >= m->size)
                return "a start beyond the range's end";
            const mentry *e = &g->ent[gi];
            bool in_entry = is_small(g, gi);
            /* A withdrawn entry keeps its old record (heap_map_remove): only the small bit
             * says which of entry and slot is current. */
            const heap_block *b = in_entry ? atomic_load_explicit(&e->rec, ACQ) : NULL;
            bool in_big = is_big(g, gi);
            const heap_block *sb = atomic_load_explicit(slot_of(g, gi), ACQ);
            if (!b && !sb)
                return "a start bit without a record";
            if (in_entry && (sb || in_big))
                return "a start published both in an entry and in a slot";
            if (in_big && atomic_load_explicit(&g->slot[gi], ACQ))
                return "a big block's start also has a slot";
            uintptr_t a = atomic_load_explicit(&(b ? b : sb)->addr, memory_order_relaxed);
            if (a != m->base + (c << m->cshift) + ((uintptr_t)gi << m->gshift))
                return "a start's record is elsewhere";
            const heap_block *n = atomic_load_explicit(&(b ? b : sb)->next, memory_order_relaxed);
            bool small = atomic_load_explicit(&n->addr, memory_order_relaxed) - a <=
                         (uint64_t)ENTRY_GRANULES << m->gshift;
            bool big = atomic_load_explicit(&n->addr, memory_order_relaxed) - a >=
                       (uint64_t)BIG_GRANULES << m->gshift;
            if (small != in_entry || big != in_big)
                return "a start published in the wrong place for its block's size";
            if (!b)
                continue;
            uint64_t size = atomic_load_explicit(&e->size, ACQ);
            bool shown = atomic_load_explicit(&b->state, memory_order_relaxed) & STATE_VISIBLE;
            if ((atomic_load_explicit(&e->seq, ACQ) & 1) ||
                atomic_load_explicit(&e->tag, ACQ) !=
                    atomic_load_explicit(&b->aux0, memory_order_relaxed) ||
                atomic_load_explicit(&e->flags, ACQ) !=
                    (uint32_t)atomic_load_explicit(&b->aux1, memory_order_relaxed) ||
                size != (shown ? requested_size(b) : 0))
                return "a start's entry disagrees with its record";
        }
    }
    if (n != g->starts)
        return "a chunk's start count differs from its bits";
    *starts += n;
    return NULL;
}

const char *heap_map_validate(const heap_map *m, uint64_t *starts, uint64_t *covers)
{
    *starts = *covers = 0;
    for (size_t l = 0; l < m->nleaves; l++) {
        mleaf *leaf = atomic_load_explicit(&m->leaves[l], ACQ);
        if (atomic_load_explicit(&m->lcover[l], ACQ)) {
            if (l == 0)
                return "the first leaf has a cover";
            ++*covers;
        }
        for (uint64_t i = 0; leaf && i < LEAF_CHUNKS; i++) {
            uint64_t c = ((uint64_t)l << LEAF_BITS) + i;
            const mchunk *ch = &leaf->c[i];
            struct heap_block *cover = atomic_load_explicit(&ch->cover, ACQ);
            const gtable *g = atomic_load_explicit(&ch->g, ACQ);
            if (c >= m->nchunks && (cover || g))
                return "a chunk entry beyond the range's end";
            if (c == 0 && cover)
                return "the first chunk has a cover";
            *covers += cover != NULL;
            const char *why = g ? validate_table(m, c, g, starts) : NULL;
            if (why)
                return why;
        }
    }
    return NULL;
}

static int count_cover(heap_map *m, int64_t leaf, uint64_t c, void *n)
{
    (void)m, (void)leaf, (void)c;
    ++*(uint64_t *)n;
    return 0;
}

uint64_t heap_map_covers_of(const heap_map *m, uintptr_t addr, uint64_t len)
{
    uint64_t n = 0;
    cover_plan((heap_map *)m, addr, len, count_cover, &n);
    return n;
}

static int trimming_add(heap_map *m, gtable *g)
{
    if (m->ntrimming == m->trimming_cap) {
        size_t cap = m->trimming_cap ? 2 * m->trimming_cap : 8;
        gtable **t = realloc(m->trimming, cap * sizeof *t);
        if (!t)
            return CLSVM_ERR_HOSTMEM;
        m->trimming = t;
        m->trimming_cap = cap;
    }
    m->trimming[m->ntrimming++] = g;
    return CLSVM_OK;
}

void heap_map_trim(heap_map *m, uintptr_t addr, uint64_t len)
{
    uintptr_t end = addr + len;
    if (addr < m->base)
        addr = m->base;
    if (end > m->base + m->size)
        end = m->base + m->size;
    if (addr >= end)
        return;
    long page = sysconf(_SC_PAGESIZE);
    for (uint64_t c = chunk_of(m, addr); c <= chunk_of(m, end - 1); c++) {
        mchunk *ch = chunk_entry(m, c);
        gtable *g = ch ? atomic_load_explicit(&ch->g, memory_order_relaxed) : NULL;
        /* A table that dirtied only a few pages (blocks of a MiB or more start once or twice
         * per chunk) keeps them: trimming would cost a madvise and page faults on every
         * alloc/free cycle of such blocks (7x the CPU time of 1 MiB pairs), for at most 12 KiB. */
        int touched = 0;
        for (int i = 0; g && i < TOUCH_WORDS; i++)
            touched += __builtin_popcountll(g->touched[i]);
        if (!g || g->starts || page <= 0 || touched < TRIM_MIN_PAGES)
            continue;
        memset(g->touched, 0, sizeof g->touched);
        /* With no start the summary, bits, count and slots are zero; entries and small bits
         * may still hold withdrawn small blocks, which no reader reaches without a stale start
         * bit. All read as zero after MADV_DONTNEED (anonymous memory comes back zero-filled):
         * an entry with sequence 0 holds no block, and a reader that read an entry's number
         * before the trim cannot see it again (entry_set draws them from the map's counter). */
        uintptr_t lo = ((uintptr_t)g + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        uintptr_t hi = (uintptr_t)(g + 1) & ~((uintptr_t)page - 1);
        if (hi <= lo || is_trimming(m, g))
            continue;
        if (m->queue_trim && trimming_add(m, g) == CLSVM_OK) {
            if (m->queue_trim(m->queue_user, (void *)lo, hi - lo) == CLSVM_OK)
                continue; /* run without the lock; heap_map_trim_done(lo) after */
            m->ntrimming--;
        }
        heap_map_syscalls.trim((void *)lo, hi - lo);
    }
}

uint64_t heap_map_bytes(const heap_map *m)
{
    return m->bytes;
}
