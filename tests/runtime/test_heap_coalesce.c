/* test_heap_coalesce: fill ranges completely with mixed sizes, free everything in a random
 * order, and the heap is one free block per range again; adjacent ranges never merge. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>
#include <stdlib.h>

#define BASE ((uintptr_t)1 << 40)

/* Fill every range of h completely; returns the number of blocks, stored in ps. */
static size_t fill(heap *h, uintptr_t *ps, size_t cap, unsigned long long *rng)
{
    size_t n = 0;
    heap_stats st;
    for (;;) {
        heap_get_stats(h, &st);
        if (st.free_bytes == 0)
            break;
        CHECK(n < cap);
        /* Mixed sizes (odd ones too); when nothing that big fits, take the largest hole. */
        size_t size = 1 + test_rand(rng) % (test_rand(rng) % 4 == 0 ? 65536 : 512);
        int rc = heap_alloc(h, size, 16, 0, NULL, &ps[n]);
        if (rc == CLSVM_ERR_NOMEM)
            rc = heap_alloc(h, st.largest_free, 16, 0, NULL, &ps[n]);
        CHECK_EQ(rc, CLSVM_OK);
        n++;
    }
    CHECK_EQ(st.free_blocks, 0);
    CHECK_EQ(st.largest_free, 0);
    uintptr_t p;
    CHECK_EQ(heap_alloc(h, 1, 16, 0, NULL, &p), CLSVM_ERR_NOMEM);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    return n;
}

static void free_shuffled(heap *h, uintptr_t *ps, size_t n, unsigned long long *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = test_rand(rng) % i;
        uintptr_t t = ps[i - 1];
        ps[i - 1] = ps[j];
        ps[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(heap_free(h, ps[i], NULL), CLSVM_OK);
        if (i % 512 == 0)
            CHECK_EQ(heap_validate(h), CLSVM_OK);
    }
    CHECK_EQ(heap_validate(h), CLSVM_OK);
}

int main(void)
{
    enum { CAP = 1 << 16 };
    static uintptr_t ps[CAP];
    unsigned long long rng = 12345;
    heap *h;
    heap_stats st;

    /* One range. */
    const size_t r1 = (size_t)32 << 20;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, r1), CLSVM_OK);
    for (int round = 0; round < 2; round++) { /* twice: the reused records must behave too */
        size_t n = fill(h, ps, CAP, &rng);
        CHECK(n > 1000);
        free_shuffled(h, ps, n, &rng);
        heap_get_stats(h, &st);
        CHECK_EQ(st.free_blocks, 1);
        CHECK_EQ(st.largest_free, r1);
        CHECK_EQ(st.free_bytes, r1);
        CHECK_EQ(st.live, 0);
        CHECK_EQ(st.used_bytes, 0);
    }
    heap_destroy(h);

    /* Two ranges that touch: [BASE, BASE + r1) and [BASE + r1, BASE + r1 + r2). */
    const size_t r2 = (size_t)24 << 20;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE + r1, r2), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, r1), CLSVM_OK);
    size_t n = fill(h, ps, CAP, &rng);
    free_shuffled(h, ps, n, &rng);
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 2);
    CHECK_EQ(st.largest_free, r1);
    CHECK_EQ(st.free_bytes, r1 + r2);
    CHECK_EQ(st.range_bytes, r1 + r2);
    /* A block spanning both ranges would need them merged. */
    uintptr_t p;
    CHECK_EQ(heap_alloc(h, r1 + 16, 16, 0, NULL, &p), CLSVM_ERR_NOMEM);
    CHECK_EQ(heap_alloc(h, r1, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE);
    CHECK_EQ(heap_alloc(h, r2, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE + r1);
    CHECK_EQ(heap_validate(h), CLSVM_OK);

    /* Free order patterns: merge with the left, the right, and both neighbours. */
    CHECK_EQ(heap_free(h, BASE, NULL), CLSVM_OK);
    uintptr_t a, b, c;
    CHECK_EQ(heap_alloc(h, 100, 16, 0, NULL, &a), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 100, 16, 0, NULL, &b), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 100, 16, 0, NULL, &c), CLSVM_OK);
    CHECK(a == BASE && b == a + 112 && c == b + 112);
    CHECK_EQ(heap_free(h, a, NULL), CLSVM_OK); /* free | b | c | tail-free */
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 2);
    CHECK_EQ(heap_free(h, c, NULL), CLSVM_OK); /* merges right with the tail */
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 2);
    CHECK_EQ(heap_free(h, b, NULL), CLSVM_OK); /* merges both sides */
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_blocks, 1); /* range 2 is still one used block */
    CHECK_EQ(st.largest_free, r1);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
    return 0;
}
