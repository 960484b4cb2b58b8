/* test_heap_model: ~200k random operations (fixed seed) checked against a trivially correct
 * model: a sorted array of live blocks. Every alloc is aligned, inside a range and overlaps
 * nothing; NOMEM happens only when no free gap can hold the request; lookups and frees agree
 * with the model; counters match; heap_validate passes every N operations. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { OPS = 200000, VALIDATE_EVERY = 2000, MAX_LIVE = 1 << 14, TARGET_LIVE = 3000 };

typedef struct live {
    uintptr_t addr;
    uint64_t size, rsize; /* requested, rounded to min_align */
    uint32_t flags;
} live;

static const struct {
    uintptr_t base;
    uint64_t size;
} ranges[2] = {
    {(uintptr_t)1 << 40, (uint64_t)1 << 26},                          /* 64 MiB */
    {((uintptr_t)1 << 40) + ((uintptr_t)1 << 27), (uint64_t)3 << 24}, /* 48 MiB, touches nothing */
};

static live model[MAX_LIVE];
static size_t nlive;
static uint64_t used_bytes, used_rounded;

/* Index of the first live block with addr > p. */
static size_t upper(uintptr_t p)
{
    size_t lo = 0, hi = nlive;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (model[mid].addr <= p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int model_range_of(uintptr_t p)
{
    for (int r = 0; r < 2; r++)
        if (p >= ranges[r].base && p - ranges[r].base < ranges[r].size)
            return r;
    return -1;
}

/* Visit the model's free gaps (maximal, per range). Returns how many; fills largest. */
static uint64_t gaps(uint64_t rsize, uint64_t align, int *fits, uint64_t *largest)
{
    uint64_t count = 0;
    *largest = 0;
    if (fits)
        *fits = 0;
    for (int r = 0; r < 2; r++) {
        uintptr_t cur = ranges[r].base, end = ranges[r].base + ranges[r].size;
        size_t i = upper(cur - 1);
        for (;; i++) {
            uintptr_t next = (i < nlive && model[i].addr < end) ? model[i].addr : end;
            if (next > cur) {
                count++;
                if (next - cur > *largest)
                    *largest = next - cur;
                uintptr_t a = (cur + align - 1) & ~(uintptr_t)(align - 1);
                if (fits && a >= cur && a < next && next - a >= rsize)
                    *fits = 1;
            }
            if (next == end)
                break;
            cur = model[i].addr + model[i].rsize;
        }
    }
    return count;
}

static void check_counters(const heap *h, int full)
{
    heap_stats st;
    heap_get_stats(h, &st);
    uint64_t total = ranges[0].size + ranges[1].size;
    CHECK_EQ(st.live, nlive);
    CHECK_EQ(st.used_bytes, used_bytes);
    CHECK_EQ(st.free_bytes, total - used_rounded);
    CHECK_EQ(st.range_bytes, total);
    if (full) {
        uint64_t largest;
        CHECK_EQ(st.free_blocks, gaps(0, 16, NULL, &largest));
        CHECK_EQ(st.largest_free, largest);
        CHECK_EQ(heap_validate(h), CLSVM_OK);
    }
}

static uint64_t pick_size(unsigned long long *rng)
{
    unsigned kind = test_rand(rng) % 100;
    if (kind < 70)
        return 1 + test_rand(rng) % 4096;
    if (kind < 95)
        return 1 + test_rand(rng) % (256 << 10);
    return 1 + test_rand(rng) % (8 << 20);
}

static uint64_t pick_align(unsigned long long *rng)
{
    unsigned kind = test_rand(rng) % 100;
    if (kind < 70)
        return 16;
    if (kind < 97)
        return (uint64_t)1 << (4 + test_rand(rng) % 18); /* up to 2 MiB */
    return (uint64_t)1 << (22 + test_rand(rng) % 5);     /* 4..64 MiB */
}

static void do_alloc(heap *h, unsigned long long *rng, unsigned op)
{
    uint64_t size = pick_size(rng), align = pick_align(rng);
    uint64_t rsize = (size + 15) & ~(uint64_t)15;
    uintptr_t p;
    int rc = heap_alloc(h, size, align, op, (void *)(uintptr_t)op, &p);
    if (rc == CLSVM_ERR_NOMEM) {
        uint64_t largest;
        int fits;
        gaps(rsize, align, &fits, &largest);
        CHECK_MSG(!fits, "op %u: NOMEM for size %llu align %llu but a gap fits", op,
                  (unsigned long long)size, (unsigned long long)align);
        return;
    }
    CHECK_EQ(rc, CLSVM_OK);
    CHECK(nlive < MAX_LIVE);
    CHECK_MSG(p % align == 0, "op %u: 0x%lx not aligned to %llu", op, (unsigned long)p,
              (unsigned long long)align);
    int r = model_range_of(p);
    CHECK_MSG(r >= 0 && p + rsize <= ranges[r].base + ranges[r].size, "op %u: outside", op);
    size_t i = upper(p);
    CHECK_MSG(i == 0 || model[i - 1].addr + model[i - 1].rsize <= p, "op %u: overlaps left", op);
    CHECK_MSG(i == nlive || p + rsize <= model[i].addr, "op %u: overlaps right", op);
    memmove(&model[i + 1], &model[i], (nlive - i) * sizeof model[0]);
    model[i] = (live){p, size, rsize, op};
    nlive++;
    used_bytes += size;
    used_rounded += rsize;
}

static void do_free(heap *h, unsigned long long *rng)
{
    unsigned kind = test_rand(rng) % 10;
    if (kind == 0 || nlive == 0) {
        /* Not a base: interior of a live block, or any address. Must change nothing. */
        uintptr_t p = ranges[0].base + test_rand(rng) % (ranges[1].base + ranges[1].size);
        if (nlive && kind == 0) {
            const live *l = &model[test_rand(rng) % nlive];
            p = l->addr + 1 + test_rand(rng) % l->size;
        }
        size_t i = upper(p);
        if (i > 0 && model[i - 1].addr == p)
            return; /* happened to hit a base; skip */
        CHECK_EQ(heap_free(h, p, NULL), CLSVM_ERR_NOTFOUND);
        return;
    }
    size_t i = test_rand(rng) % nlive;
    heap_block_info info;
    CHECK_EQ(heap_free(h, model[i].addr, &info), CLSVM_OK);
    CHECK_EQ(info.addr, model[i].addr);
    CHECK_EQ(info.size, model[i].size);
    CHECK_EQ(info.flags, model[i].flags);
    CHECK(info.tag == (void *)(uintptr_t)model[i].flags);
    used_bytes -= model[i].size;
    used_rounded -= model[i].rsize;
    memmove(&model[i], &model[i + 1], (nlive - i - 1) * sizeof model[0]);
    nlive--;
}

static void do_lookup(const heap *h, unsigned long long *rng)
{
    uintptr_t p;
    unsigned kind = test_rand(rng) % 4;
    if (kind == 0 && nlive) {
        const live *l = &model[test_rand(rng) % nlive];
        p = l->addr + test_rand(rng) % l->rsize; /* inside, or in its rounding slack */
    } else if (kind == 1) {
        p = test_rand(rng); /* anywhere at all */
    } else {
        int r = test_rand(rng) % 2;
        p = ranges[r].base + test_rand(rng) % ranges[r].size;
    }
    size_t i = upper(p);
    int inside = i > 0 && p - model[i - 1].addr < model[i - 1].size;
    heap_block_info info;
    int rc = heap_lookup(h, p, &info);
    if (!inside) {
        CHECK_MSG(rc == CLSVM_ERR_NOTFOUND, "lookup 0x%lx found 0x%lx", (unsigned long)p,
                  (unsigned long)info.addr);
        return;
    }
    CHECK_EQ(rc, CLSVM_OK);
    CHECK_EQ(info.addr, model[i - 1].addr);
    CHECK_EQ(info.size, model[i - 1].size);
    CHECK_EQ(info.flags, model[i - 1].flags);
}

int main(void)
{
    heap *h;
    unsigned long long rng = 0x5eed;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    for (int r = 0; r < 2; r++)
        CHECK_EQ(heap_add_range(h, ranges[r].base, ranges[r].size), CLSVM_OK);
    unsigned nomem_checks = 0;
    for (unsigned op = 1; op <= OPS; op++) {
        unsigned kind = test_rand(&rng) % 100;
        /* Drift around TARGET_LIVE so the heap is sometimes nearly full, sometimes empty. */
        unsigned alloc_pct = nlive < TARGET_LIVE ? 45 : 25;
        if (kind < alloc_pct) {
            heap_stats before;
            heap_get_stats(h, &before);
            size_t n = nlive;
            do_alloc(h, &rng, op);
            if (nlive == n) { /* NOMEM: nothing changed */
                heap_stats after;
                heap_get_stats(h, &after);
                CHECK(memcmp(&before, &after, sizeof before) == 0);
                nomem_checks++;
            }
        } else if (kind < 70) {
            do_free(h, &rng);
        } else {
            do_lookup(h, &rng);
        }
        check_counters(h, op % VALIDATE_EVERY == 0);
    }
    check_counters(h, 1);
    CHECK_MSG(nomem_checks > 100, "only %u NOMEM results: the test does not reach exhaustion",
              nomem_checks);
    while (nlive) {
        CHECK_EQ(heap_free(h, model[nlive - 1].addr, NULL), CLSVM_OK);
        nlive--;
    }
    heap_stats st;
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 2);
    CHECK_EQ(st.largest_free, ranges[0].size);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    printf("model: %u ops, %u NOMEM checked against the model\n", OPS, nomem_checks);
    heap_destroy(h);
    return 0;
}
