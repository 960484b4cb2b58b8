/* test_window_lookup_trim: the lookup tables of chunks that are decommitted give their pages
 * back. 20,000 4 KiB allocations write a record pointer every 256 bytes of their chunks'
 * tables (5 MiB of table pages over 40 chunks); once all are freed and the chunks
 * decommitted, RSS must return to within 3 MiB of where it started (the 20,000 block records,
 * about 1 MiB, stay for reuse). The allocations' own pages are never touched. */
#include "check.h"

#include "clsvm/runtime.h"

#include <stdio.h>
#include <unistd.h>

#define N 20000

static double rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (!f) {
        puts("SKIP: no /proc/self/statm");
        exit(77);
    }
    CHECK(fscanf(f, "%ld %ld", &pages, &resident) == 2);
    fclose(f);
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static void *p[N];

int main(void)
{
    clsvm_window *w;
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    double before = rss_mib();
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_alloc(w, 4096, 0, 0, NULL, &p[i]), CLSVM_OK);
    double full = rss_mib();
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st); /* releases the retained chunks: all decommitted */
    CHECK_EQ(st.committed, 0);
    double after = rss_mib();
    printf("RSS %.2f MiB, with %d allocations %.2f, after freeing %.2f\n", before, N, full, after);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    /* ASan's allocator keeps freed memory in quarantine, and TSan keeps the shadow of every page
     * the tables touched: RSS says nothing about the tables. */
    SKIP_PART("resident lookup tables: RSS is not measurable under a sanitizer");
#else
    CHECK_MSG(after - before < 3.0, "%.2f MiB of lookup tables stayed resident", after - before);
#endif
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_alloc_info ai;
    CHECK_EQ(clsvm_lookup(w, (char *)p[N / 2] + 10, &ai), CLSVM_ERR_NOTFOUND);
    void *q;
    CHECK_EQ(clsvm_alloc(w, 100, 0, 0, NULL, &q), CLSVM_OK); /* trimmed tables work again */
    CHECK_EQ(clsvm_lookup(w, (char *)q + 99, &ai), CLSVM_OK);
    CHECK(ai.base == q);
    CHECK_EQ(clsvm_free(w, q), CLSVM_OK);
    clsvm_window_close(w);
    return test_exit_code();
}
