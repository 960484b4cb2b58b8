/*
 * window_commit.c: commit on demand in CLSVM_COMMIT_CHUNK (2 MiB) chunks. Each chunk counts
 * the live allocations that overlap it; the first allocation commits the chunk, the last one
 * to go decommits it (the provider returns its pages and keeps the range reserved).
 * Adjacent chunks changing state together go to the provider in one call, so a large
 * allocation is one mprotect and the window stays a few VMAs (vm.max_map_count is 65530).
 *
 * This table keeps no cache of empty committed chunks: the decommit is what makes a freed
 * gigabyte show up as free memory again and a fresh multi-chunk allocation read as zero. The
 * one bounded exception is policy, not mechanism: the window holds an extra count on a few
 * chunks frees emptied (window_retain.c) so alloc/free loops cost no syscalls.
 * Cost: acquire/release O(chunks spanned); the table walk is two array lookups per chunk.
 */
#include "window.h"

#include "fault.h"
#include "clsvm/internal/log.h"
#include "numa.h"

#include <stdlib.h>

#define LEAF_BITS 12 /* 4096 chunks = 8 GiB of window, 16 KiB of counts per leaf */
#define LEAF_CHUNKS ((uint64_t)1 << LEAF_BITS)
#define CHUNK_SHIFT 21

typedef struct leaf {
    uint32_t nonzero;            /* chunks of this leaf with count > 0 */
    uint32_t busy_chunks;        /* chunks of this leaf with busy > 0 */
    uint32_t count[LEAF_CHUNKS]; /* allocations overlapping each chunk */
    uint16_t busy[LEAF_CHUNKS];  /* syscalls in flight on the chunk, without the lock */
} leaf;

struct commit_map {
    const provider *prov;
    provider_region *region;
    uint64_t nchunks;
    size_t nleaves;
    leaf **leaves; /* NULL entries: every chunk of that leaf has count 0 */
    uint64_t committed_chunks;
    uint64_t commits, decommits;
    void (*on_decommit)(void *user, uintptr_t addr, size_t len);
    void *on_decommit_user;
    int (*queue)(void *user, uintptr_t addr, size_t len); /* decommit later, without the lock */
    uint64_t busy_total;                                  /* chunks with busy > 0 */
};

_Static_assert(((uint64_t)1 << CHUNK_SHIFT) == CLSVM_COMMIT_CHUNK, "chunk shift");

static void chunk_range(const commit_map *cm, uintptr_t addr, size_t len, uint64_t *c0,
                        uint64_t *c1);

int commit_map_create(const provider *prov, provider_region *region, commit_map **out)
{
    *out = NULL;
    commit_map *cm = calloc(1, sizeof *cm);
    if (!cm)
        return CLSVM_ERR_HOSTMEM;
    cm->prov = prov;
    cm->region = region;
    cm->nchunks = region->size >> CHUNK_SHIFT;
    cm->nleaves = (size_t)((cm->nchunks + LEAF_CHUNKS - 1) >> LEAF_BITS);
    cm->leaves = calloc(cm->nleaves ? cm->nleaves : 1, sizeof *cm->leaves);
    if (!cm->leaves) {
        free(cm);
        return CLSVM_ERR_HOSTMEM;
    }
    *out = cm;
    return CLSVM_OK;
}

void commit_map_destroy(commit_map *cm)
{
    if (!cm)
        return;
    for (size_t i = 0; i < cm->nleaves; i++)
        free(cm->leaves[i]);
    free(cm->leaves);
    free(cm);
}

/* Only valid while the chunk's leaf exists. */
static uint32_t *count_of(const commit_map *cm, uint64_t c)
{
    return &cm->leaves[c >> LEAF_BITS]->count[c & (LEAF_CHUNKS - 1)];
}

static uint32_t count_or_zero(const commit_map *cm, uint64_t c)
{
    const leaf *l = cm->leaves[c >> LEAF_BITS];
    return l ? l->count[c & (LEAF_CHUNKS - 1)] : 0;
}

static uintptr_t chunk_addr(const commit_map *cm, uint64_t c)
{
    return cm->region->base + (uintptr_t)(c << CHUNK_SHIFT);
}

static void free_empty_leaves(commit_map *cm, uint64_t c0, uint64_t c1)
{
    for (uint64_t l = c0 >> LEAF_BITS; l <= c1 >> LEAF_BITS; l++)
        if (cm->leaves[l] && cm->leaves[l]->nonzero == 0 && cm->leaves[l]->busy_chunks == 0) {
            free(cm->leaves[l]);
            cm->leaves[l] = NULL;
        }
}

void commit_map_decommit_now(commit_map *cm, uintptr_t addr, size_t len)
{
    if (clsvm_fault_hit(CLSVM_FAULT_DECOMMIT) ||
        cm->prov->decommit(cm->region, addr, len) != CLSVM_OK)
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "window: %zu bytes at %#lx could not be decommitted: they stay resident "
                       "and are not zero-filled when reused (logged once)",
                       len, (unsigned long)addr);
}

/* Chunks [first, first + n) went to count 0: decommit them, later without the lock when the
 * window can queue it (they are busy until then), else now. */
static void decommit_run(commit_map *cm, uint64_t first, uint64_t n)
{
    size_t len = (size_t)(n << CHUNK_SHIFT);
    cm->decommits++;
    cm->committed_chunks -= n;
    if (cm->queue && cm->queue(cm->on_decommit_user, chunk_addr(cm, first), len) == CLSVM_OK)
        return;
    commit_map_decommit_now(cm, chunk_addr(cm, first), len);
    if (cm->on_decommit)
        cm->on_decommit(cm->on_decommit_user, chunk_addr(cm, first), len);
}

/* Chunk c is to be decommitted: extend the pending run [*first, *first + *len) when c follows
 * it, else decommit that run and start a new one (one syscall per contiguous run). */
static void decommit_later(commit_map *cm, uint64_t *first, uint64_t *len, uint64_t c)
{
    if (*len && *first + *len == c) {
        ++*len;
        return;
    }
    if (*len)
        decommit_run(cm, *first, *len);
    *first = c;
    *len = 1;
}

void commit_map_on_decommit(commit_map *cm, void (*fn)(void *user, uintptr_t addr, size_t len),
                            int (*queue)(void *user, uintptr_t addr, size_t len), void *user)
{
    cm->on_decommit = fn;
    cm->queue = queue;
    cm->on_decommit_user = user;
}

void commit_map_busy_add(commit_map *cm, uintptr_t addr, size_t len, int delta)
{
    uint64_t c0, c1;
    chunk_range(cm, addr, len, &c0, &c1);
    for (uint64_t c = c0; c <= c1; c++) {
        leaf *l = cm->leaves[c >> LEAF_BITS];
        uint16_t *b = &l->busy[c & (LEAF_CHUNKS - 1)];
        if (delta > 0 && (*b)++ == 0) {
            l->busy_chunks++;
            cm->busy_total++;
        } else if (delta < 0 && --*b == 0) {
            l->busy_chunks--;
            cm->busy_total--;
        }
    }
    if (delta < 0)
        free_empty_leaves(cm, c0, c1);
}

bool commit_map_busy(const commit_map *cm, uintptr_t addr, size_t len)
{
    uint64_t c0, c1;
    if (!cm->busy_total || len == 0 || addr < cm->region->base)
        return false;
    chunk_range(cm, addr, len, &c0, &c1);
    for (uint64_t c = c0; c <= c1 && c < cm->nchunks; c++) {
        const leaf *l = cm->leaves[c >> LEAF_BITS];
        if (l && l->busy[c & (LEAF_CHUNKS - 1)])
            return true;
    }
    return false;
}

uint64_t commit_map_busy_total(const commit_map *cm)
{
    return cm->busy_total;
}

static void chunk_range(const commit_map *cm, uintptr_t addr, size_t len, uint64_t *c0,
                        uint64_t *c1)
{
    uintptr_t off = addr - cm->region->base;
    *c0 = off >> CHUNK_SHIFT;
    *c1 = (off + len - 1) >> CHUNK_SHIFT;
}

uint64_t commit_map_span(const commit_map *cm, uintptr_t addr, size_t len)
{
    uint64_t c0, c1;
    chunk_range(cm, addr, len, &c0, &c1);
    return c1 - c0 + 1;
}

bool commit_map_last_user(const commit_map *cm, uintptr_t addr, size_t len)
{
    uint64_t c0, c1;
    chunk_range(cm, addr, len, &c0, &c1);
    for (uint64_t c = c0; c <= c1; c++)
        if (count_or_zero(cm, c) == 1)
            return true;
    return false;
}

uint32_t commit_map_count(const commit_map *cm, uintptr_t addr)
{
    uint64_t c0, c1;
    if (addr < cm->region->base)
        return 0;
    chunk_range(cm, addr, 1, &c0, &c1);
    return c0 < cm->nchunks ? count_or_zero(cm, c0) : 0;
}

static int runs_push(chunk_runs *t, uintptr_t addr, size_t len)
{
    if (t->n == t->cap) {
        size_t cap = t->cap * 2;
        chunk_run *r = malloc(cap * sizeof *r);
        if (!r)
            return CLSVM_ERR_HOSTMEM;
        for (size_t i = 0; i < t->n; i++)
            r[i] = t->run[i];
        if (t->run != t->inline_run)
            free(t->run);
        t->run = r;
        t->cap = cap;
    }
    t->run[t->n++] = (chunk_run){addr, len};
    return CLSVM_OK;
}

int commit_map_claim(commit_map *cm, uintptr_t addr, size_t len, chunk_runs *todo)
{
    uint64_t c0, c1;
    if (len == 0 || addr < cm->region->base)
        return CLSVM_ERR_INVALID;
    chunk_range(cm, addr, len, &c0, &c1);
    if (c1 >= cm->nchunks)
        return CLSVM_ERR_INVALID;

    for (uint64_t l = c0 >> LEAF_BITS; l <= c1 >> LEAF_BITS; l++)
        if (!cm->leaves[l] && !(cm->leaves[l] = calloc(1, sizeof(leaf)))) {
            free_empty_leaves(cm, c0, c1);
            return CLSVM_ERR_HOSTMEM;
        }
    /* The runs of empty chunks first, so that running out of memory changes nothing. */
    for (uint64_t c = c0; c <= c1;) {
        if (*count_of(cm, c)) {
            c++;
            continue;
        }
        uint64_t first = c;
        while (c <= c1 && *count_of(cm, c) == 0)
            c++;
        if (runs_push(todo, chunk_addr(cm, first), (size_t)((c - first) << CHUNK_SHIFT))) {
            todo->n = 0;
            free_empty_leaves(cm, c0, c1);
            return CLSVM_ERR_HOSTMEM;
        }
    }
    for (uint64_t c = c0; c <= c1; c++) {
        uint32_t *n = count_of(cm, c);
        if ((*n)++ == 0) {
            cm->leaves[c >> LEAF_BITS]->nonzero++;
            cm->committed_chunks++; /* counted now, so counts and total agree meanwhile */
        }
    }
    for (size_t i = 0; i < todo->n; i++)
        commit_map_busy_add(cm, todo->run[i].addr, todo->run[i].len, 1);
    return CLSVM_OK;
}

size_t commit_map_commit_runs(const commit_map *cm, const chunk_runs *todo)
{
    for (size_t i = 0; i < todo->n; i++) {
        const chunk_run *r = &todo->run[i];
        if (clsvm_fault_hit(CLSVM_FAULT_COMMIT) ||
            cm->prov->commit(cm->region, r->addr, r->len) != CLSVM_OK)
            return i;
        clsvm_numa_place(r->addr, r->len);
    }
    return todo->n;
}

int commit_map_claimed(commit_map *cm, uintptr_t addr, size_t len, const chunk_runs *todo,
                       size_t ok)
{
    uint64_t c0, c1;
    chunk_range(cm, addr, len, &c0, &c1);
    cm->commits += ok;
    for (size_t i = 0; i < todo->n; i++)
        commit_map_busy_add(cm, todo->run[i].addr, todo->run[i].len, -1);
    if (ok == todo->n)
        return CLSVM_OK;
    /* Undo the claim: chunks of the runs from the failed one on were never committed; any
     * other chunk left empty is (a run committed here, or a chunk whose other allocations
     * went meanwhile) and is decommitted. */
    uint64_t run_first = 0, run_len = 0;
    size_t j = ok;
    for (uint64_t c = c0; c <= c1; c++) {
        uintptr_t a = chunk_addr(cm, c);
        while (j < todo->n && a >= todo->run[j].addr + todo->run[j].len)
            j++;
        bool never = j < todo->n && a >= todo->run[j].addr;
        uint32_t *n = count_of(cm, c);
        if (--*n)
            continue;
        cm->leaves[c >> LEAF_BITS]->nonzero--;
        if (never) {
            cm->committed_chunks--;
            continue;
        }
        decommit_later(cm, &run_first, &run_len, c);
    }
    if (run_len)
        decommit_run(cm, run_first, run_len);
    free_empty_leaves(cm, c0, c1);
    return CLSVM_ERR_COMMIT;
}

int commit_map_acquire(commit_map *cm, uintptr_t addr, size_t len)
{
    chunk_runs todo;
    chunk_runs_init(&todo);
    int rc = commit_map_claim(cm, addr, len, &todo);
    if (!rc)
        rc = commit_map_claimed(cm, addr, len, &todo, commit_map_commit_runs(cm, &todo));
    chunk_runs_fini(&todo);
    return rc;
}

void commit_map_release(commit_map *cm, uintptr_t addr, size_t len)
{
    uint64_t c0, c1;
    if (len == 0 || addr < cm->region->base)
        return;
    chunk_range(cm, addr, len, &c0, &c1);
    if (c1 >= cm->nchunks)
        return;
    uint64_t run_first = 0, run_len = 0;
    for (uint64_t c = c0; c <= c1; c++) {
        leaf *l = cm->leaves[c >> LEAF_BITS];
        uint32_t *n = l ? count_of(cm, c) : NULL;
        if (!n || *n == 0) {
            clsvm_log(CLSVM_LOG_ERROR, "window: chunk %llu released more often than acquired",
                      (unsigned long long)c);
            continue;
        }
        if (--*n == 0) {
            l->nonzero--;
            decommit_later(cm, &run_first, &run_len, c);
        }
    }
    if (run_len)
        decommit_run(cm, run_first, run_len);
    free_empty_leaves(cm, c0, c1);
}

void commit_map_get_stats(const commit_map *cm, commit_stats *st)
{
    st->committed = cm->committed_chunks << CHUNK_SHIFT;
    st->commits = cm->commits;
    st->decommits = cm->decommits;
}

int commit_map_covers(const commit_map *cm, uintptr_t addr, size_t len)
{
    uint64_t c0, c1;
    if (len == 0 || addr < cm->region->base)
        return CLSVM_ERR_INVALID;
    chunk_range(cm, addr, len, &c0, &c1);
    if (c1 >= cm->nchunks)
        return CLSVM_ERR_INVALID;
    for (uint64_t c = c0; c <= c1; c++)
        if (count_or_zero(cm, c) == 0)
            return CLSVM_ERR_INVALID;
    return CLSVM_OK;
}

int commit_map_validate(const commit_map *cm, uint64_t expected_sum)
{
    uint64_t sum = 0, nonzero_total = 0;
    for (size_t i = 0; i < cm->nleaves; i++) {
        const leaf *l = cm->leaves[i];
        if (!l)
            continue;
        uint32_t nonzero = 0;
        for (uint64_t j = 0; j < LEAF_CHUNKS; j++) {
            if (l->count[j] && ((uint64_t)i << LEAF_BITS) + j >= cm->nchunks) {
                clsvm_log(CLSVM_LOG_ERROR, "window validate: count beyond the window end");
                return CLSVM_ERR_INVALID;
            }
            nonzero += l->count[j] != 0;
            sum += l->count[j];
        }
        if (nonzero != l->nonzero || nonzero == 0) {
            clsvm_log(CLSVM_LOG_ERROR, "window validate: leaf %zu says %u committed chunks, has %u",
                      i, l->nonzero, nonzero);
            return CLSVM_ERR_INVALID;
        }
        nonzero_total += nonzero;
    }
    if (nonzero_total != cm->committed_chunks) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: %llu chunks in use but %llu committed",
                  (unsigned long long)nonzero_total, (unsigned long long)cm->committed_chunks);
        return CLSVM_ERR_INVALID;
    }
    if (sum != expected_sum) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: chunk counts sum to %llu, allocations span %llu",
                  (unsigned long long)sum, (unsigned long long)expected_sum);
        return CLSVM_ERR_INVALID;
    }
    return CLSVM_OK;
}

/* Runs of committed chunks (count > 0) in address order, for the stats map. Empty leaves are
 * skipped, so the walk costs O(leaves + 4096 * present leaves). */
void commit_map_foreach_run(const commit_map *cm, commit_run_fn fn, void *user)
{
    uint64_t run_first = 0, run_len = 0;
    for (size_t i = 0; i < cm->nleaves; i++) {
        const leaf *l = cm->leaves[i];
        if (!l)
            continue;
        for (uint64_t j = 0; j < LEAF_CHUNKS; j++) {
            uint64_t c = ((uint64_t)i << LEAF_BITS) + j;
            if (!l->count[j])
                continue;
            if (run_len && run_first + run_len == c) {
                run_len++;
                continue;
            }
            if (run_len && fn(chunk_addr(cm, run_first), run_len << CHUNK_SHIFT, user))
                return;
            run_first = c;
            run_len = 1;
        }
    }
    if (run_len)
        fn(chunk_addr(cm, run_first), run_len << CHUNK_SHIFT, user);
}
