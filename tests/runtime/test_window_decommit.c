/* test_window_decommit: freeing returns pages to the OS (RSS drops), keeps the range reserved,
 * and memory committed again reads as zero; shared chunks stay committed while used. */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)

/* Big enough that the RSS drop stands far above noise, small enough that touching and zeroing
 * it twice stays in seconds on a loaded machine (1 GiB took minutes beside parallel builds);
 * TSan shadows every touched page, so its build uses less. */
#if defined(__SANITIZE_THREAD__)
#define BIG (128 * MiB)
#else
#define BIG (256 * MiB)
#endif

static uint64_t rss_bytes(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    CHECK(f != NULL);
    CHECK(fscanf(f, "%lu %lu", &size, &resident) == 2);
    fclose(f);
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int all_zero(const unsigned char *p, size_t n)
{
    const uint64_t *q = (const uint64_t *)p;
    for (size_t i = 0; i < n / 8; i++)
        if (q[i])
            return 0;
    return 1;
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.va_bits = 47; /* plenty of room even under sanitizers' shadow mappings */
    cfg.window_size = 4 * BIG;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);

    clsvm_stats st;
    uint64_t rss0 = rss_bytes();
    unsigned char *p;
    CHECK_EQ(clsvm_alloc(w, BIG, 0, 0, NULL, (void **)&p), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK(st.committed >= BIG && st.committed <= BIG + 2 * MiB);
    CHECK(st.commits >= 1);
    memset(p, 0xA5, BIG);
    uint64_t rss1 = rss_bytes();
    printf("rss before %llu MiB, touched %llu MiB\n", (unsigned long long)(rss0 >> 20),
           (unsigned long long)(rss1 >> 20));
    CHECK_MSG(rss1 >= rss0 + BIG / 10 * 9, "RSS grew by only %llu MiB",
              (unsigned long long)((rss1 - rss0) >> 20));

    uint64_t decommits0 = st.decommits;
    CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    uint64_t rss2 = rss_bytes();
    printf("rss after free %llu MiB\n", (unsigned long long)(rss2 >> 20));
    CHECK_MSG(rss1 - rss2 >= BIG / 10 * 9, "only %llu MiB returned",
              (unsigned long long)((rss1 > rss2 ? rss1 - rss2 : 0) >> 20));
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 0);
    CHECK(st.decommits > decommits0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);

    /* Re-allocated pages come back zero-filled. */
    CHECK_EQ(clsvm_alloc(w, BIG, 0, 0, NULL, (void **)&p), CLSVM_OK);
    CHECK_MSG(all_zero(p, BIG), "re-committed memory is not zero");
    CHECK_EQ(clsvm_free(w, p), CLSVM_OK);

    /* Two allocations in one chunk: the chunk stays committed until the last one goes. */
    unsigned char *a, *b;
    CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, NULL, (void **)&a), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, NULL, (void **)&b), CLSVM_OK);
    CHECK(((uintptr_t)a >> 21) == ((uintptr_t)b >> 21)); /* neighbours in a fresh window */
    memset(a, 1, 4096);
    memset(b, 2, 4096);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 2 * MiB);
    CHECK_EQ(clsvm_free(w, a), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 2 * MiB);
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(b[i], 2);
    CHECK_EQ(clsvm_free(w, b), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 0);

    /* An allocation straddling a chunk boundary commits both chunks. */
    CHECK_EQ(clsvm_alloc(w, 2 * MiB, 1 * MiB, 0, NULL, (void **)&a), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, ((uintptr_t)a % (2 * MiB)) ? 4 * MiB : 2 * MiB);
    a[0] = a[2 * MiB - 1] = 9;
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, a), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    puts("ok");
    return 0;
}
