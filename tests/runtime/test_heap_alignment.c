/* test_heap_alignment: every power-of-two alignment 16..2^30 with odd sizes gives aligned,
 * in-range, non-overlapping blocks; huge and range-sized alignments work; 2 MiB-aligned
 * allocations waste nothing. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>
#include <stdlib.h>

#define BASE ((uintptr_t)1 << 40)
#define RANGE ((size_t)1 << 36)

typedef struct blk {
    uintptr_t addr;
    size_t size;
} blk;

static int by_addr(const void *a, const void *b)
{
    uintptr_t x = ((const blk *)a)->addr, y = ((const blk *)b)->addr;
    return (x > y) - (x < y);
}

static size_t round16(size_t s)
{
    return (s + 15) & ~(size_t)15;
}

static void all_alignments(void)
{
    static const size_t sizes[] = {1, 7, 17, 100, 4095, 65537, (3u << 20) + 5};
    enum { NS = sizeof sizes / sizeof sizes[0], MAXB = (30 - 4 + 1) * NS };
    blk blocks[MAXB];
    int n = 0;
    heap *h;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, RANGE), CLSVM_OK);
    for (unsigned k = 4; k <= 30; k++) {
        size_t align = (size_t)1 << k;
        for (int s = 0; s < NS; s++) {
            uintptr_t p = 0;
            int rc = heap_alloc(h, sizes[s], align, k, (void *)(uintptr_t)(n + 1), &p);
            CHECK_MSG(rc == CLSVM_OK, "align 2^%u size %zu: rc %d", k, sizes[s], rc);
            CHECK_MSG(p % align == 0, "align 2^%u size %zu: 0x%lx", k, sizes[s], (unsigned long)p);
            CHECK(p >= BASE && p + round16(sizes[s]) <= BASE + RANGE);
            heap_block_info info;
            CHECK_EQ(heap_lookup(h, p + sizes[s] - 1, &info), CLSVM_OK);
            CHECK_EQ(info.addr, p);
            CHECK_EQ(info.size, sizes[s]);
            CHECK_EQ(info.flags, k);
            CHECK(info.tag == (void *)(uintptr_t)(n + 1));
            blocks[n++] = (blk){p, sizes[s]};
            CHECK_EQ(heap_validate(h), CLSVM_OK);
        }
    }
    qsort(blocks, n, sizeof blocks[0], by_addr);
    for (int i = 1; i < n; i++)
        CHECK_MSG(blocks[i - 1].addr + round16(blocks[i - 1].size) <= blocks[i].addr,
                  "blocks %d and %d overlap", i - 1, i);
    heap_stats st;
    heap_get_stats(h, &st);
    CHECK_EQ(st.live, n);
    for (int i = 0; i < n; i++)
        CHECK_EQ(heap_free(h, blocks[i].addr, NULL), CLSVM_OK);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 1);
    CHECK_EQ(st.largest_free, RANGE);
    heap_destroy(h);
}

/* Alignment equal to the range size, and ranges whose base is not aligned. */
static void huge_alignments(void)
{
    heap *h;
    uintptr_t p;
    heap_stats st;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    /* A 1 GiB range at a 1 GiB-aligned base: 1 GiB aligned to 1 GiB is the whole range. */
    CHECK_EQ(heap_add_range(h, BASE, (size_t)1 << 30), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, (size_t)1 << 30, (size_t)1 << 30, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE);
    CHECK_EQ(heap_alloc(h, 16, 16, 0, NULL, &p), CLSVM_ERR_NOMEM);
    CHECK_EQ(heap_free(h, BASE, NULL), CLSVM_OK);
    /* A range starting half-way into a 1 GiB unit holds exactly one 1 GiB-aligned address. */
    uintptr_t b2 = BASE + ((uintptr_t)1 << 34) + ((uintptr_t)1 << 29);
    CHECK_EQ(heap_add_range(h, b2, (size_t)1 << 30), CLSVM_OK);
    /* Take the aligned range first so only the odd one can satisfy 1 GiB alignment. */
    uintptr_t whole;
    CHECK_EQ(heap_alloc(h, (size_t)1 << 30, (size_t)1 << 30, 0, NULL, &whole), CLSVM_OK);
    CHECK_EQ(whole, BASE);
    CHECK_EQ(heap_alloc(h, 100, (size_t)1 << 30, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, b2 + ((uintptr_t)1 << 29)); /* front gap of 512 MiB split off as free */
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 2); /* gap before and tail after */
    CHECK_EQ(heap_alloc(h, 100, (size_t)1 << 30, 0, NULL, &p), CLSVM_ERR_NOMEM);
    /* 2^31 alignment: no address in either range qualifies (BASE = 2^40 is, but is used). */
    CHECK_EQ(heap_alloc(h, 16, (size_t)1 << 31, 0, NULL, &p), CLSVM_ERR_NOMEM);
    CHECK_EQ(heap_free(h, whole, NULL), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 16, (size_t)1 << 40, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
}

/* 2 MiB-aligned 2 MiB buffers tile a range with no gaps; freed holes are reused. */
static void two_mib(void)
{
    enum { N = 1000 };
    const size_t mib2 = (size_t)2 << 20;
    static uintptr_t ps[N];
    heap *h;
    heap_stats st;
    CHECK_EQ(heap_create(128, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, N * mib2), CLSVM_OK);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(heap_alloc(h, mib2, mib2, 0, NULL, &ps[i]), CLSVM_OK);
        CHECK_EQ(ps[i], BASE + i * mib2);
    }
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 0);
    CHECK_EQ(st.free_bytes, 0);
    /* Free every other one: the holes are 2 MiB-aligned and exactly fit again. */
    for (int i = 0; i < N; i += 2)
        CHECK_EQ(heap_free(h, ps[i], NULL), CLSVM_OK);
    for (int i = 0; i < N; i += 2) {
        uintptr_t p;
        CHECK_EQ(heap_alloc(h, mib2 - 200, mib2, 0, NULL, &p), CLSVM_OK);
        CHECK(p % mib2 == 0 && p >= BASE && p < BASE + N * mib2);
    }
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks,
             N / 2); /* each hole keeps 128 bytes: mib2 - 200 rounds to mib2 - 128 */
    CHECK_EQ(st.free_bytes, (N / 2) * 128);
    heap_destroy(h);
}

/* min_align other than 16: sizes round to it, alignments below it are refused. */
static void min_align_128(void)
{
    heap *h;
    uintptr_t a, b;
    CHECK_EQ(heap_create(128, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, 1 << 20), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 1, 128, 0, NULL, &a), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 1, 128, 0, NULL, &b), CLSVM_OK);
    CHECK_EQ(b - a, 128);
    CHECK_EQ(heap_alloc(h, 1, 64, 0, NULL, &b), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
}

int main(void)
{
    all_alignments();
    huge_alignments();
    two_mib();
    min_align_128();
    return 0;
}
