/* test_heap_errors: bad arguments are refused with exact codes and leave the heap unchanged. */
#include "check.h"
#include "heap.h"

#include <clsvm/runtime.h>

#include <stdint.h>
#include <string.h>

#define BASE ((uintptr_t)1 << 40)
#define RANGE ((size_t)1 << 30)

static heap_stats snapshot(const heap *h)
{
    heap_stats st;
    heap_get_stats(h, &st);
    CHECK_EQ(heap_validate(h), CLSVM_OK);
    return st;
}

static void same(const heap *h, const heap_stats *before)
{
    heap_stats now = snapshot(h);
    CHECK(memcmp(&now, before, sizeof now) == 0);
}

int main(void)
{
    heap *h = (heap *)1;
    /* min_align must be a power of two >= 16. */
    CHECK_EQ(heap_create(0, &h), CLSVM_ERR_INVALID);
    CHECK(h == NULL);
    CHECK_EQ(heap_create(8, &h), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_create(24, &h), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_create((size_t)1 << 25, &h), CLSVM_ERR_INVALID); /* slack field is 24 bits */
    CHECK_EQ(heap_create(16, NULL), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_create(16, &h), CLSVM_OK);

    /* Ranges: base 0, misaligned, empty, wrapping, overlapping. */
    CHECK_EQ(heap_add_range(h, 0, RANGE), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE + 8, RANGE), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE, RANGE + 8), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE, 0), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, UINTPTR_MAX - 15 - 4096, 8192), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE, RANGE), CLSVM_OK);
    CHECK_EQ(heap_add_range(h, BASE + RANGE - 16, 32), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE - 16, 32), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_add_range(h, BASE - 16, RANGE * 2), CLSVM_ERR_INVALID); /* covers it */
    CHECK_EQ(heap_add_range(h, BASE + 4096, 16), CLSVM_ERR_INVALID);      /* inside it */
    heap_stats st = snapshot(h);
    CHECK_EQ(st.range_bytes, RANGE);
    CHECK_EQ(st.free_blocks, 1);

    uintptr_t a, p;
    CHECK_EQ(heap_alloc(h, 64, 16, 5, &p, &a), CLSVM_OK);
    st = snapshot(h);

    /* Allocation arguments. */
    static const size_t bad_aligns[] = {0, 1, 3, 8, 24, 48, 100, (size_t)3 << 20, SIZE_MAX};
    p = 777;
    CHECK_EQ(heap_alloc(h, 0, 16, 0, NULL, &p), CLSVM_ERR_INVALID);
    CHECK_EQ(p, 0);
    same(h, &st);
    for (size_t i = 0; i < sizeof bad_aligns / sizeof bad_aligns[0]; i++) {
        p = 777;
        CHECK_EQ(heap_alloc(h, 64, bad_aligns[i], 0, NULL, &p), CLSVM_ERR_INVALID);
        CHECK_EQ(p, 0);
        same(h, &st);
    }
    CHECK_EQ(heap_alloc(h, 64, 16, 0, NULL, NULL), CLSVM_ERR_INVALID);
    CHECK_EQ(heap_alloc(NULL, 64, 16, 0, NULL, &p), CLSVM_ERR_INVALID);
    same(h, &st);

    /* Frees that do not name a live block's base. */
    heap_block_info info = {1, 2, 3, NULL};
    CHECK_EQ(heap_free(h, 0, &info), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(info.addr, 1);                                   /* untouched on error */
    CHECK_EQ(heap_free(h, a + 16, NULL), CLSVM_ERR_NOTFOUND); /* interior */
    CHECK_EQ(heap_free(h, a + 1, NULL), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(heap_free(h, a + 64, NULL), CLSVM_ERR_NOTFOUND);    /* free space after it */
    CHECK_EQ(heap_free(h, BASE - 64, NULL), CLSVM_ERR_NOTFOUND); /* outside every range */
    CHECK_EQ(heap_free(h, UINTPTR_MAX, NULL), CLSVM_ERR_NOTFOUND);
    same(h, &st);
    CHECK_EQ(heap_lookup(h, a + 63, &info), CLSVM_OK); /* still there */
    CHECK_EQ(info.addr, a);
    CHECK_EQ(info.flags, 5);
    CHECK(info.tag == &p);

    /* Double free. */
    CHECK_EQ(heap_free(h, a, &info), CLSVM_OK);
    CHECK_EQ(info.addr, a);
    CHECK_EQ(info.size, 64);
    st = snapshot(h);
    CHECK_EQ(st.live, 0);
    CHECK_EQ(heap_free(h, a, &info), CLSVM_ERR_NOTFOUND);
    same(h, &st);

    /* A heap without ranges has nothing to give. */
    heap *empty;
    CHECK_EQ(heap_create(16, &empty), CLSVM_OK);
    CHECK_EQ(heap_alloc(empty, 16, 16, 0, NULL, &p), CLSVM_ERR_NOMEM);
    CHECK_EQ(heap_lookup(empty, BASE, NULL), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(heap_validate(empty), CLSVM_OK);
    heap_destroy(empty);
    heap_destroy(NULL);
    heap_destroy(h);
    return 0;
}
