/* test_window_exhaustion: a 64 MiB window fills up with CLSVM_ERR_NOMEM; the failure changes
 * nothing but failed_allocs; data survives; freeing makes room again; bad arguments fail. */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <string.h>

#define MiB ((uint64_t)1 << 20)
#define MAXN 256

static void same_except_failures(const clsvm_stats *a, const clsvm_stats *b)
{
    CHECK_EQ(a->reserved, b->reserved);
    CHECK_EQ(a->committed, b->committed);
    CHECK_EQ(a->allocated, b->allocated);
    CHECK_EQ(a->live_allocations, b->live_allocations);
    CHECK_EQ(a->free_bytes, b->free_bytes);
    CHECK_EQ(a->free_ranges, b->free_ranges);
    CHECK_EQ(a->largest_free, b->largest_free);
    CHECK_EQ(a->peak_allocated, b->peak_allocated);
    CHECK_EQ(a->commits, b->commits);
    CHECK_EQ(a->decommits, b->decommits);
}

static void check_fill(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i += 4096)
        CHECK_EQ(p[i], v);
    CHECK_EQ(p[n - 1], v);
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = 64 * MiB;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    CHECK_EQ(wi.size, 64 * MiB);

    static unsigned char *p[MAXN];
    int n = 0;
    clsvm_stats before, after;
    for (;;) {
        CHECK(n < MAXN);
        clsvm_window_get_stats(w, &before);
        int rc = clsvm_alloc(w, MiB, 0, 0, NULL, (void **)&p[n]);
        if (rc == CLSVM_ERR_NOMEM) {
            CHECK(p[n] == NULL);
            break;
        }
        CHECK_EQ(rc, CLSVM_OK);
        memset(p[n], n + 1, MiB);
        n++;
    }
    printf("%d MiB allocations fit\n", n);
    CHECK(n >= 63 && n <= 64);
    clsvm_window_get_stats(w, &after);
    same_except_failures(&before, &after);
    CHECK_EQ(after.failed_allocs, before.failed_allocs + 1);
    CHECK_EQ(after.live_allocations, n);
    CHECK_EQ(after.allocated, (uint64_t)n * MiB);

    /* A bigger request than the window, and invalid arguments, fail without side effects. */
    void *q = (void *)1;
    CHECK_EQ(clsvm_alloc(w, 128 * MiB, 0, 0, NULL, &q), CLSVM_ERR_NOMEM);
    CHECK(q == NULL);
    CHECK_EQ(clsvm_alloc(w, 0, 0, 0, NULL, &q), CLSVM_ERR_INVALID);
    CHECK_EQ(clsvm_alloc(w, 64, 3, 0, NULL, &q), CLSVM_ERR_INVALID);
    CHECK_EQ(clsvm_alloc(w, 64, (size_t)1 << 40, 0, NULL, &q), CLSVM_ERR_INVALID);
    CHECK_EQ(clsvm_alloc(w, SIZE_MAX, 0, 0, NULL, &q), CLSVM_ERR_NOMEM);
    CHECK_EQ(clsvm_alloc(w, 64, 0, 0, NULL, NULL), CLSVM_ERR_INVALID);
    CHECK_EQ(clsvm_alloc(NULL, 64, 0, 0, NULL, &q), CLSVM_ERR_INVALID);
    clsvm_window_get_stats(w, &before);
    same_except_failures(&before, &after);
    CHECK_EQ(before.failed_allocs, after.failed_allocs + 5);

    CHECK_EQ(clsvm_free(w, p[0] + 64), CLSVM_ERR_NOTFOUND); /* interior, not a base */
    CHECK_EQ(clsvm_free(w, (void *)(wi.base - 4096)), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(clsvm_free(w, NULL), CLSVM_OK);
    clsvm_alloc_info ai;
    CHECK_EQ(clsvm_lookup(w, (void *)(wi.base + wi.size), &ai), CLSVM_ERR_NOTFOUND);
    CHECK_EQ(clsvm_lookup(w, p[3] + MiB - 1, &ai), CLSVM_OK);
    CHECK(ai.base == p[3]);
    clsvm_window_get_stats(w, &before);
    same_except_failures(&before, &after);

    for (int i = 0; i < n; i++)
        check_fill(p[i], MiB, (unsigned char)(i + 1));
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);

    /* Free one in the middle: exactly that room comes back. */
    CHECK_EQ(clsvm_free(w, p[n / 2]), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, p[n / 2]), CLSVM_ERR_NOTFOUND); /* double free */
    CHECK_EQ(clsvm_alloc(w, MiB, 0, 0, NULL, (void **)&p[n / 2]), CLSVM_OK);
    memset(p[n / 2], 0xEE, MiB);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < n; i++)
        check_fill(p[i], MiB, i == n / 2 ? 0xEE : (unsigned char)(i + 1));

    for (int i = 0; i < n; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    clsvm_window_get_stats(w, &after);
    CHECK_EQ(after.live_allocations, 0);
    CHECK_EQ(after.committed, 0);
    CHECK_EQ(after.largest_free, 64 * MiB);
    CHECK_EQ(after.peak_allocated, (uint64_t)n * MiB);
    /* The whole window in one piece works once everything is free. */
    CHECK_EQ(clsvm_alloc(w, 64 * MiB, 0, 0, NULL, &q), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, q), CLSVM_OK);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
