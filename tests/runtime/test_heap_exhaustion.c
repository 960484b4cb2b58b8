/* test_heap_exhaustion: allocate until NOMEM; NOMEM changes nothing; a freed block is reused;
 * too-big, whole-range and overflowing requests behave. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>
#include <string.h>

#define BASE ((uintptr_t)1 << 40)

static void expect_nomem_unchanged(heap *h, size_t size, size_t align)
{
    heap_stats before, after;
    heap_get_stats(h, &before);
    uintptr_t p = 12345;
    int rc = heap_alloc(h, size, align, 0, NULL, &p);
    CHECK_MSG(rc == CLSVM_ERR_NOMEM, "size %zu align %zu: rc %d", size, align, rc);
    CHECK_EQ(p, 0);
    heap_get_stats(h, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
}

static void until_nomem(void)
{
    enum { RANGE = 1 << 20, SIZE = 1000, ROUNDED = 1008, N = RANGE / ROUNDED };
    static uintptr_t ps[N];
    heap *h;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, RANGE), CLSVM_OK);
    for (int i = 0; i < N; i++) {
        CHECK_EQ(heap_alloc(h, SIZE, 16, 0, NULL, &ps[i]), CLSVM_OK);
        CHECK_EQ(ps[i], BASE + (uintptr_t)i * ROUNDED);
    }
    heap_stats st;
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_bytes, RANGE - N * ROUNDED);
    CHECK_EQ(st.used_bytes, N * SIZE);
    expect_nomem_unchanged(h, SIZE, 16);
    /* The tail fits exactly this much and no more. */
    expect_nomem_unchanged(h, RANGE - N * ROUNDED + 1, 16);

    /* Free one in the middle: the same request fits there again, exactly once. */
    CHECK_EQ(heap_free(h, ps[N / 2], NULL), CLSVM_OK);
    uintptr_t p;
    CHECK_EQ(heap_alloc(h, SIZE, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, ps[N / 2]);
    expect_nomem_unchanged(h, SIZE, 16);
    /* Free one and ask for a stricter alignment than the hole offers. */
    CHECK_EQ(heap_free(h, ps[1], NULL), CLSVM_OK); /* hole at BASE + 1008, 1008 bytes */
    expect_nomem_unchanged(h, 16, 2048);           /* 1024 would fit at BASE + 1024 */
    CHECK_EQ(heap_alloc(h, 16, 512, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE + 1024);
    CHECK_EQ(heap_validate(h), CLSVM_OK);

    /* Too big, and sizes that would wrap when rounded or padded for alignment. */
    expect_nomem_unchanged(h, RANGE + 1, 16);
    expect_nomem_unchanged(h, SIZE_MAX, 16);
    expect_nomem_unchanged(h, SIZE_MAX - 15, 16);
    expect_nomem_unchanged(h, SIZE_MAX / 2, (size_t)1 << 63);
    expect_nomem_unchanged(h, 16, (size_t)1 << 63);
    heap_destroy(h);
}

/* A request as big as the range works even when its size is not a size-class boundary. */
static void whole_range(size_t range)
{
    heap *h;
    uintptr_t p;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, range), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, range, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE);
    expect_nomem_unchanged(h, 1, 16);
    CHECK_EQ(heap_free(h, p, NULL), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, range - 5, 16, 0, NULL, &p), CLSVM_OK); /* rounds to the range */
    CHECK_EQ(p, BASE);
    heap_block_info info;
    CHECK_EQ(heap_lookup(h, BASE + range - 6, &info), CLSVM_OK);
    CHECK_EQ(info.size, range - 5);
    expect_nomem_unchanged(h, 1, 16);
    CHECK_EQ(heap_free(h, p, NULL), CLSVM_OK);
    expect_nomem_unchanged(h, range + 1, 16);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
}

/* Aligned requests near exhaustion: a hole big enough but badly aligned is not used. */
static void aligned_exhaustion(void)
{
    const size_t mib2 = (size_t)2 << 20;
    heap *h;
    uintptr_t p, q;
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE, 2 * mib2), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, 16, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(heap_alloc(h, mib2, mib2, 0, NULL, &q), CLSVM_OK);
    CHECK_EQ(q, BASE + mib2);
    expect_nomem_unchanged(h, mib2 - 16, mib2); /* the hole is 2 MiB - 16 at BASE + 16 */
    CHECK_EQ(heap_alloc(h, mib2 - 16, 16, 0, NULL, &p), CLSVM_OK);
    CHECK_EQ(p, BASE + 16);
    heap_stats st;
    heap_get_stats(h, &st);
    CHECK_EQ(st.free_bytes, 0);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    heap_destroy(h);
}

int main(void)
{
    until_nomem();
    whole_range((size_t)1 << 20);
    whole_range(((size_t)3 << 40) + 48); /* not a class boundary */
    whole_range((size_t)1 << 47);
    aligned_exhaustion();
    return 0;
}
