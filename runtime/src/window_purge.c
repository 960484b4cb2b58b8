/*
 * window_purge.c: free pages inside chunks that stay committed go back to the OS, in batches
 * (docs/runtime.md, "Purge").
 *
 * The commit map decommits a chunk only when its last allocation goes, so without this a chunk
 * holding one 64-byte allocation keeps every page freed around it resident. Here each page of
 * the window that lies wholly inside a free heap block and may still hold memory (it was part
 * of a freed block and has not been purged since) is *marked*: one bit per page, 512 per 2 MiB
 * chunk. Allocation clears the marks of the pages it covers (reused memory is live, not
 * retained), decommit clears those of its chunks (the pages are gone anyway). When the marked
 * pages exceed the purge threshold after a free, the chunks marked longest ago are purged
 * (provider->purge: MADV_DONTNEED or SVM_IOC_RELEASE) until half the threshold is left.
 *
 * The threshold adapts to whether freed pages are reused. It starts at the window's limit
 * (clsvm_config.retain_limit, 64 MiB by default). Each time the marks pass it, the pages
 * allocations took back since the previous time are compared with the pages freed since then:
 * under a quarter reused (a stream of frees nothing reuses: a working set shrinking) halves it,
 * down to a quarter of the limit; more puts it back at the limit (a buffer set freed and
 * allocated again in turn). So:
 *  - at most `limit` bytes of freed memory stay resident, whatever the pattern (whole empty
 *    chunks retained by window_retain.c are marked too: their pages count against it), and at
 *    most limit / 4 once frees have gone on for a while without reuse;
 *  - a buffer set of up to `limit` bytes allocated and freed in a loop never passes the limit,
 *    so it costs no syscall (after the one purge that finds its reuse, if a stream of frees had
 *    lowered the threshold), and each purge returns at least limit / 8 bytes: syscalls are
 *    amortised over that much freed memory, adjacent runs in one call;
 *  - purged pages stay committed (readable and writable); their next touch reads zero.
 * The pages of the last freed block wait unmarked ("pending", counted) until the next free,
 * decommit or purge; an allocation that reuses all of them drops them, so an alloc/free loop of
 * one buffer touches no bits. Marks over-approximate residency (a freed page may never have
 * been touched); that only makes a purge come a little early.
 *
 * Storage: a two-level table like the commit map's, one leaf (256 KiB of bits, calloc'd when a
 * page of its 8 GiB is first marked, kept until the window closes) per 8 GiB; a FIFO of chunks
 * holding marks, in the order they got their first one (a chunk is queued at most once).
 * Cost: marking and clearing O(chunks spanned) word operations; a purge O(chunks purged).
 * Caller holds the window lock for every function here; the purge syscalls themselves are
 * queued and run by the window without it (window_unlock).
 */
#include "window.h"

#include "clsvm/internal/log.h"

#include <stdlib.h>
#include <unistd.h>

#define LEAF_BITS 12 /* 4096 chunks = 8 GiB per leaf, as in window_commit.c */
#define LEAF_CHUNKS ((uint64_t)1 << LEAF_BITS)
#define CHUNK_SHIFT 21
#define WORDS 8 /* 512 page bits: 2 MiB of 4 KiB pages (larger pages use fewer) */

typedef struct purge_leaf {
    uint64_t queued[LEAF_CHUNKS / 64]; /* chunk is in the FIFO */
    uint64_t bits[LEAF_CHUNKS][WORDS]; /* marked pages */
} purge_leaf;

struct purge_map {
    const provider *prov;
    provider_region *region;
    unsigned page_shift;
    uint64_t nchunks;
    size_t nleaves;
    purge_leaf **leaves;
    uint64_t *fifo; /* ring of chunk indices, oldest at head */
    size_t head, len, cap;
    uint64_t pages;          /* marked */
    uint64_t limit;          /* bytes */
    uint64_t threshold;      /* bytes, limit / 4 .. limit: marks beyond it are purged */
    uint64_t marked, reused; /* pages marked, and unmarked by allocations, since the last check */
    uint64_t purges, purged;
    uintptr_t run_addr; /* pending purge run (adjacent runs go in one call) */
    size_t run_len;
    /* The whole free pages of the last freed block, not marked yet, and the free block
     * [pend_block_lo, pend_block_hi) they lie in: marked at the next free, decommit or purge,
     * or dropped when an allocation reuses them. */
    uintptr_t pend_lo, pend_hi, pend_block_lo, pend_block_hi;
    int (*queue)(void *user, uintptr_t addr, size_t len); /* purge later, without the lock */
    void *queue_user;
};

_Static_assert(((uint64_t)1 << CHUNK_SHIFT) == CLSVM_COMMIT_CHUNK, "chunk shift");

int purge_map_create(const provider *prov, provider_region *region, uint64_t limit,
                     int (*queue)(void *user, uintptr_t addr, size_t len), void *user,
                     purge_map **out)
{
    *out = NULL;
    long page = sysconf(_SC_PAGESIZE);
    if (!prov->purge || page < 4096 || (page & (page - 1)) || (uint64_t)page > CLSVM_COMMIT_CHUNK)
        return CLSVM_OK; /* nothing to purge with: pages stay until their chunk is decommitted */
    purge_map *pm = calloc(1, sizeof *pm);
    if (!pm)
        return CLSVM_ERR_HOSTMEM;
    pm->prov = prov;
    pm->region = region;
    pm->page_shift = (unsigned)__builtin_ctzl((unsigned long)page);
    pm->nchunks = region->size >> CHUNK_SHIFT;
    pm->nleaves = (size_t)((pm->nchunks + LEAF_CHUNKS - 1) >> LEAF_BITS);
    pm->leaves = calloc(pm->nleaves ? pm->nleaves : 1, sizeof *pm->leaves);
    pm->limit = limit;
    pm->threshold = limit;
    pm->queue = queue;
    pm->queue_user = user;
    if (!pm->leaves) {
        free(pm);
        return CLSVM_ERR_HOSTMEM;
    }
    *out = pm;
    return CLSVM_OK;
}

void purge_map_destroy(purge_map *pm)
{
    if (!pm)
        return;
    for (size_t i = 0; i < pm->nleaves; i++)
        free(pm->leaves[i]);
    free(pm->leaves);
    free(pm->fifo);
    free(pm);
}

static uint64_t *bits_of(const purge_map *pm, uint64_t c)
{
    return pm->leaves[c >> LEAF_BITS]->bits[c & (LEAF_CHUNKS - 1)];
}

static int is_queued(const purge_map *pm, uint64_t c)
{
    const purge_leaf *l = pm->leaves[c >> LEAF_BITS];
    uint64_t j = c & (LEAF_CHUNKS - 1);
    return l && (l->queued[j >> 6] >> (j & 63) & 1);
}

static void set_queued(purge_map *pm, uint64_t c, int on)
{
    uint64_t j = c & (LEAF_CHUNKS - 1), bit = (uint64_t)1 << (j & 63);
    uint64_t *q = &pm->leaves[c >> LEAF_BITS]->queued[j >> 6];
    *q = on ? *q | bit : *q & ~bit;
}

/* Without -mpopcnt __builtin_popcountll is a libgcc call; this is on every alloc and free. */
static unsigned popcount64(uint64_t x)
{
    x -= (x >> 1) & UINT64_C(0x5555555555555555);
    x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
    x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
    return (unsigned)((x * UINT64_C(0x0101010101010101)) >> 56);
}

/* Set (on) or clear bits [from, to) (from < to) of a chunk's words; returns how many changed.
 * Branch-light: this runs twice per alloc/free pair of a buffer spanning whole pages. */
static uint64_t bits_apply(uint64_t *w, unsigned from, unsigned to, int on)
{
    unsigned first = from >> 6, last = (to - 1) >> 6;
    uint64_t head = ~(uint64_t)0 << (from & 63), tail = ~(uint64_t)0 >> (63 - ((to - 1) & 63));
    uint64_t invert = on ? ~(uint64_t)0 : 0, changed = 0;
    for (unsigned i = first; i <= last; i++) {
        uint64_t mask = (i == first ? head : ~(uint64_t)0) & (i == last ? tail : ~(uint64_t)0);
        uint64_t flip = (w[i] ^ invert) & mask; /* the bits that change */
        w[i] ^= flip;
        changed += popcount64(flip);
    }
    return changed;
}

static int fifo_push(purge_map *pm, uint64_t c)
{
    if (pm->len == pm->cap) {
        size_t cap = pm->cap ? 2 * pm->cap : 64;
        uint64_t *f = malloc(cap * sizeof *f);
        if (!f)
            return CLSVM_ERR_HOSTMEM;
        for (size_t i = 0; i < pm->len; i++)
            f[i] = pm->fifo[(pm->head + i) % pm->cap];
        free(pm->fifo);
        pm->fifo = f;
        pm->cap = cap;
        pm->head = 0;
    }
    pm->fifo[(pm->head + pm->len++) % pm->cap] = c;
    return CLSVM_OK;
}

static void run_flush(purge_map *pm)
{
    if (!pm->run_len)
        return;
    /* Queued: the window runs it once its lock is dropped, allocations over these chunks
     * waiting until it has (their pages are no longer marked, so nothing else purges them). */
    if (!pm->queue || pm->queue(pm->queue_user, pm->run_addr, pm->run_len))
        pm->prov->purge(pm->region, pm->run_addr, pm->run_len); /* a failure is logged there */
    pm->purges++;
    pm->purged += pm->run_len;
    pm->run_len = 0;
}

static void run_add(purge_map *pm, uintptr_t addr, size_t len)
{
    if (pm->run_len && pm->run_addr + pm->run_len == addr) {
        pm->run_len += len;
        return;
    }
    run_flush(pm);
    pm->run_addr = addr;
    pm->run_len = len;
}

/* Purge every marked page of chunk c (which leaves the FIFO's bookkeeping to the caller). */
static void purge_chunk(purge_map *pm, uint64_t c)
{
    uint64_t *w = bits_of(pm, c);
    unsigned n = 1u << (CHUNK_SHIFT - pm->page_shift);
    uintptr_t base = pm->region->base + (uintptr_t)(c << CHUNK_SHIFT);
    for (unsigned p = 0; p < n;) {
        if (!(w[p >> 6] >> (p & 63) & 1)) {
            p++;
            continue;
        }
        unsigned first = p;
        while (p < n && (w[p >> 6] >> (p & 63) & 1))
            p++;
        run_add(pm, base + ((uintptr_t)first << pm->page_shift),
                (size_t)(p - first) << pm->page_shift);
        pm->pages -= p - first;
    }
    for (unsigned i = 0; i < WORDS; i++)
        w[i] = 0;
}

/* Apply to the pages [lo, hi) (page aligned, inside the window) chunk by chunk; returns how many
 * pages changed. */
static uint64_t pages_apply(purge_map *pm, uintptr_t lo, uintptr_t hi, int on)
{
    uint64_t changed = 0;
    uint64_t off = lo - pm->region->base, end = hi - pm->region->base;
    while (off < end) {
        uint64_t c = off >> CHUNK_SHIFT, chunk_end = (c + 1) << CHUNK_SHIFT;
        uint64_t stop = end < chunk_end ? end : chunk_end;
        unsigned from = (unsigned)((off & (CLSVM_COMMIT_CHUNK - 1)) >> pm->page_shift);
        unsigned to = from + (unsigned)((stop - off) >> pm->page_shift);
        purge_leaf **l = &pm->leaves[c >> LEAF_BITS];
        if (on) {
            if (!*l && !(*l = calloc(1, sizeof **l))) {
                CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "window: out of host memory for the purge "
                                               "table; freed pages are returned at once");
                run_add(pm, pm->region->base + off, (size_t)(stop - off));
                run_flush(pm);
                off = stop;
                continue;
            }
            uint64_t n = bits_apply(bits_of(pm, c), from, to, 1);
            pm->pages += n;
            changed += n;
            if (!is_queued(pm, c)) {
                if (fifo_push(pm, c) == CLSVM_OK) {
                    set_queued(pm, c, 1);
                } else { /* cannot remember it: return its pages now */
                    purge_chunk(pm, c);
                    run_flush(pm);
                }
            }
        } else if (is_queued(pm, c)) {
            uint64_t n = bits_apply(bits_of(pm, c), from, to, 0);
            pm->pages -= n;
            changed += n;
        }
        off = stop;
    }
    return changed;
}

/* Mark the pending pages (the last freed block's) for real. */
static void pending_flush(purge_map *pm)
{
    if (pm->pend_lo < pm->pend_hi)
        pm->marked += pages_apply(pm, pm->pend_lo, pm->pend_hi, 1);
    pm->pend_lo = pm->pend_hi = 0;
}

static uint64_t pending_pages(const purge_map *pm)
{
    return (pm->pend_hi - pm->pend_lo) >> pm->page_shift;
}

void purge_mark_freed(purge_map *pm, uintptr_t addr, uint64_t len, uintptr_t lo, uintptr_t hi)
{
    if (!pm)
        return;
    pending_flush(pm);
    uintptr_t mask = ((uintptr_t)1 << pm->page_shift) - 1;
    /* Whole pages of the free block [lo, hi) that the freed block [addr, addr + len) touches. */
    uintptr_t first = (addr & ~mask) > ((lo + mask) & ~mask) ? addr & ~mask : (lo + mask) & ~mask;
    uintptr_t last =
        ((addr + len + mask) & ~mask) < (hi & ~mask) ? (addr + len + mask) & ~mask : hi & ~mask;
    if (first < last) {
        pm->pend_lo = first;
        pm->pend_hi = last;
        pm->pend_block_lo = lo;
        pm->pend_block_hi = hi;
    }
}

void purge_allocated(purge_map *pm, uintptr_t addr, uint64_t len)
{
    if (!pm)
        return;
    uintptr_t mask = ((uintptr_t)1 << pm->page_shift) - 1;
    if (pm->pend_lo < pm->pend_hi && addr >= pm->pend_block_lo && addr < pm->pend_block_hi) {
        /* Carved from the free block the last free went to (nothing else changed it since).
         * Reusing all the freed pages (an alloc/free loop) marks nothing; otherwise mark them
         * and let the unmarking below take back those the new block covers. */
        if ((addr & ~mask) <= pm->pend_lo && pm->pend_hi <= ((addr + len + mask) & ~mask))
            pm->pend_lo = pm->pend_hi = 0;
        else
            pending_flush(pm);
    }
    if (len && pm->pages) /* nothing marked anywhere: the common case */
        pm->reused += pages_apply(pm, addr & ~mask, (addr + len + mask) & ~mask, 0);
}

void purge_forget(purge_map *pm, uintptr_t addr, uint64_t len)
{
    if (!pm || !len)
        return;
    pending_flush(pm); /* so the pages of a decommitted chunk are unmarked like the rest */
    if (!pm->pages)
        return;
    uintptr_t mask = ((uintptr_t)1 << pm->page_shift) - 1;
    pages_apply(pm, addr & ~mask, (addr + len + mask) & ~mask, 0);
}

/* The marks passed the threshold: lower it while frees are not reused, else back to the limit. */
static void adapt(purge_map *pm)
{
    if (pm->reused * 4 < pm->marked)
        pm->threshold = pm->threshold / 2 > pm->limit / 4 ? pm->threshold / 2 : pm->limit / 4;
    else
        pm->threshold = pm->limit;
    pm->marked = pm->reused = 0;
}

void purge_maybe(purge_map *pm)
{
    if (!pm || ((pm->pages + pending_pages(pm)) << pm->page_shift) <= pm->threshold)
        return;
    pending_flush(pm);
    adapt(pm);
    if ((pm->pages << pm->page_shift) <= pm->threshold)
        return; /* reuse put the threshold back up */
    while (pm->len && (pm->pages << pm->page_shift) > pm->threshold / 2) {
        uint64_t c = pm->fifo[pm->head];
        pm->head = (pm->head + 1) % pm->cap;
        pm->len--;
        set_queued(pm, c, 0);
        purge_chunk(pm, c);
    }
    run_flush(pm);
}

void purge_get_stats(const purge_map *pm, purge_stats *st)
{
    *st = (purge_stats){0};
    if (!pm)
        return;
    st->retained = (pm->pages + pending_pages(pm)) << pm->page_shift;
    st->purges = pm->purges;
    st->purged = pm->purged;
    st->threshold = pm->threshold;
}

typedef struct used_check {
    const purge_map *pm;
    uint64_t granule;
    uintptr_t bad;
} used_check;

/* No page a used block overlaps (up to its granule-rounded end) is marked. */
static int check_used(const heap_block_info *b, void *user)
{
    used_check *u = user;
    const purge_map *pm = u->pm;
    uintptr_t mask = ((uintptr_t)1 << pm->page_shift) - 1;
    uint64_t end = (b->addr + b->size + u->granule - 1) & ~(u->granule - 1);
    uint64_t off = (b->addr & ~mask) - pm->region->base,
             stop = ((end + mask) & ~mask) - pm->region->base;
    if (pm->region->base + off < pm->pend_hi && pm->pend_lo < pm->region->base + stop) {
        u->bad = b->addr; /* a live block on pages still pending as freed */
        return 1;
    }
    for (uint64_t p = off; p < stop; p += (uint64_t)1 << pm->page_shift) {
        uint64_t c = p >> CHUNK_SHIFT;
        if (!is_queued(pm, c)) {
            p = ((c + 1) << CHUNK_SHIFT) - ((uint64_t)1 << pm->page_shift); /* next chunk */
            continue;
        }
        unsigned i = (unsigned)((p & (CLSVM_COMMIT_CHUNK - 1)) >> pm->page_shift);
        if (bits_of(pm, c)[i >> 6] >> (i & 63) & 1) {
            u->bad = pm->region->base + p;
            return 1;
        }
    }
    return 0;
}

int purge_validate(clsvm_window *w, uint64_t granule)
{
    const purge_map *pm = w->purge;
    if (!pm)
        return CLSVM_OK;
    uint64_t pages = 0, queued = 0;
    for (size_t i = 0; i < pm->nleaves; i++) {
        const purge_leaf *l = pm->leaves[i];
        for (uint64_t j = 0; l && j < LEAF_CHUNKS; j++) {
            uint64_t c = ((uint64_t)i << LEAF_BITS) + j, n = 0;
            for (unsigned k = 0; k < WORDS; k++)
                n += popcount64(l->bits[j][k]);
            queued += is_queued(pm, c);
            pages += n;
            uintptr_t a = pm->region->base + (uintptr_t)(c << CHUNK_SHIFT);
            if (n &&
                (!is_queued(pm, c) || c >= pm->nchunks || commit_map_count(w->commits, a) == 0)) {
                clsvm_log(CLSVM_LOG_ERROR,
                          "window validate: chunk %#lx has %llu pages to purge but is not "
                          "queued or not committed",
                          (unsigned long)a, (unsigned long long)n);
                return CLSVM_ERR_INVALID;
            }
        }
    }
    for (size_t i = 0; i < pm->len; i++)
        if (!is_queued(pm, pm->fifo[(pm->head + i) % pm->cap]))
            queued = UINT64_MAX; /* a FIFO entry without its flag */
    if (pages != pm->pages || queued != pm->len) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: %llu pages marked to purge, counter says %llu; %llu chunks "
                  "flagged, FIFO holds %zu",
                  (unsigned long long)pages, (unsigned long long)pm->pages,
                  (unsigned long long)queued, pm->len);
        return CLSVM_ERR_INVALID;
    }
    if (pm->pend_lo < pm->pend_hi &&
        commit_map_covers(w->commits, pm->pend_lo, pm->pend_hi - pm->pend_lo) != CLSVM_OK) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: freed pages at %#lx are not committed",
                  (unsigned long)pm->pend_lo);
        return CLSVM_ERR_INVALID;
    }
    if (pm->pend_lo < pm->pend_hi &&
        (pm->pend_lo < pm->pend_block_lo || pm->pend_hi > pm->pend_block_hi)) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: freed pages [%#lx, %#lx) outside their free "
                  "block",
                  (unsigned long)pm->pend_lo, (unsigned long)pm->pend_hi);
        return CLSVM_ERR_INVALID;
    }
    used_check u = {pm, granule, 0};
    heap_foreach(w->heap, check_used, &u);
    if (u.bad) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: page %#lx is marked free but holds an "
                  "allocation",
                  (unsigned long)u.bad);
        return CLSVM_ERR_INVALID;
    }
    return CLSVM_OK;
}
