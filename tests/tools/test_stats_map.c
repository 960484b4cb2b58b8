/* test_stats_map: the "map" section of the stats JSON, read back with clsvm-stat's own reader.
 *   1. exact: a few allocations appear one range each, at their offsets and sizes;
 *   2. bounded: 6000 live allocations of random sizes among holes give at most 1024 ranges
 *      that still cover every allocation, count them all, and an exact largest gap; the
 *      committed runs cover every allocation and add up to the committed bytes;
 *   3. concurrent: two threads allocate and free while the map is dumped over and over; every
 *      dump parses and passes the reader's checks (sorted, inside the window). Run under TSan
 *      in sanitizer builds. */
#include "check.h"

#include "clsvm/runtime.h"
#include "json.h"
#include "stat_dump.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* One call into a buffer large enough for any map (two calls could see different windows
 * while other threads allocate). */
static char *dump(clsvm_window *w)
{
    size_t cap = 1 << 20;
    char *s = malloc(cap);
    CHECK(s);
    CHECK(clsvm_window_stats_json(w, s, cap) < cap);
    return s;
}

/* Parse a dump into d (root kept in *root for the strings); fails the test on any error. */
static void read_dump(const char *text, json **root, stat_dump *d)
{
    char err[256];
    *root = json_parse(text, err, sizeof err);
    CHECK_MSG(*root, "stats JSON does not parse: %s", err);
    CHECK_MSG(stat_dump_read(*root, d, err, sizeof err) == 0, "not a stats dump: %s", err);
    CHECK_EQ(d->n, 1);
    CHECK(d->windows[0].has_map && d->windows[0].has_numa);
}

typedef struct walk {
    uintptr_t base;
    const stat_list *ranges, *runs;
    uint64_t live, prev_end, gap_off, gap_len, size;
} walk;

/* Each live allocation lies inside an allocated range and a committed run; track gaps. */
static int visit(const clsvm_alloc_info *a, void *user)
{
    walk *k = user;
    uint64_t off = (uintptr_t)a->base - k->base, end = off + a->size;
    int in_range = 0, in_run = 0;
    for (size_t i = 0; i < k->ranges->n && !in_range; i++)
        in_range = k->ranges->r[i].off <= off && end <= k->ranges->r[i].off + k->ranges->r[i].len;
    for (size_t i = 0; i < k->runs->n && !in_run; i++)
        in_run = k->runs->r[i].off <= off && end <= k->runs->r[i].off + k->runs->r[i].len;
    CHECK_MSG(in_range, "allocation at +%llu not in any map range", (unsigned long long)off);
    CHECK_MSG(in_run, "allocation at +%llu not in any committed run", (unsigned long long)off);
    if (off - k->prev_end > k->gap_len) {
        k->gap_off = k->prev_end;
        k->gap_len = off - k->prev_end;
    }
    k->prev_end = end;
    k->live++;
    return 0;
}

static void check_map(clsvm_window *w, uint64_t want_live, int want_exact)
{
    char *text = dump(w);
    json *root;
    stat_dump d;
    read_dump(text, &root, &d);
    const stat_window *sw = &d.windows[0];
    clsvm_window_info wi;
    clsvm_window_get_info(w, &wi);
    walk k = {wi.base, &sw->allocated_ranges, &sw->committed_runs, 0, 0, 0, 0, wi.size};
    clsvm_window_foreach(w, visit, &k);
    if (wi.size - k.prev_end > k.gap_len) {
        k.gap_off = k.prev_end;
        k.gap_len = wi.size - k.prev_end;
    }
    CHECK_EQ(k.live, want_live);
    CHECK_EQ(sw->allocated_ranges.items, want_live);
    CHECK(sw->allocated_ranges.n <= 1024 && sw->committed_runs.n <= 1024);
    uint64_t counted = 0, run_bytes = 0;
    for (size_t i = 0; i < sw->allocated_ranges.n; i++)
        counted += sw->allocated_ranges.r[i].n;
    for (size_t i = 0; i < sw->committed_runs.n; i++)
        run_bytes += sw->committed_runs.r[i].len;
    CHECK_EQ(counted, want_live);
    CHECK_EQ(sw->gap_off, k.gap_off);
    CHECK_EQ(sw->gap_len, k.gap_len);
    if (sw->committed_runs.merged_gap == 0)
        CHECK_EQ(run_bytes, sw->committed);
    CHECK_EQ(sw->allocated_ranges.merged_gap == 0, want_exact);
    if (want_exact)
        CHECK_EQ(sw->allocated_ranges.n, want_live);
    printf("live %llu: %zu ranges (merged gap %llu), %zu runs, largest gap %llu, %zu bytes\n",
           (unsigned long long)want_live, sw->allocated_ranges.n,
           (unsigned long long)sw->allocated_ranges.merged_gap, sw->committed_runs.n,
           (unsigned long long)sw->gap_len, strlen(text));
    CHECK(strlen(text) < 120000);
    stat_dump_free(&d);
    json_free(root);
    free(text);
}

static atomic_int stop;

static void *churn(void *arg)
{
    clsvm_window *w = arg;
    unsigned long long seed = (unsigned long long)(uintptr_t)&seed | 1;
    void *p[64] = {0};
    while (!atomic_load(&stop)) {
        int i = (int)(test_rand(&seed) % 64);
        if (p[i]) {
            CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
            p[i] = NULL;
        } else if (clsvm_alloc(w, 1 + test_rand(&seed) % (3 << 20), 0, 0, NULL, &p[i])) {
            p[i] = NULL;
        }
    }
    for (int i = 0; i < 64; i++)
        clsvm_free(w, p[i]);
    return NULL;
}

int main(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);

    /* 1. exact */
    void *few[5];
    for (int i = 0; i < 5; i++)
        CHECK_EQ(clsvm_alloc(w, (size_t)(i + 1) * 100000, 0, 0, NULL, &few[i]), CLSVM_OK);
    CHECK_EQ(clsvm_free(w, few[2]), CLSVM_OK);
    check_map(w, 4, 1);

    /* 2. bounded: 12000 random sizes, every other one freed */
    enum { N = 12000 };
    static void *p[N];
    unsigned long long seed = 42;
    for (int i = 0; i < N; i++)
        CHECK_EQ(clsvm_alloc(w, 1 + test_rand(&seed) % 20000, 0, 0, NULL, &p[i]), CLSVM_OK);
    for (int i = 0; i < N; i += 2)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    check_map(w, 4 + N / 2, 0);
    for (int i = 1; i < N; i += 2)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    for (int i = 0; i < 5; i++)
        if (i != 2)
            CHECK_EQ(clsvm_free(w, few[i]), CLSVM_OK);
    check_map(w, 0, 1);

    /* 3. concurrent */
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK(pthread_create(&t[i], NULL, churn, w) == 0);
    for (int i = 0; i < 200; i++) {
        char *text = dump(w);
        json *root;
        stat_dump d;
        read_dump(text, &root, &d);
        CHECK(d.windows[0].allocated_ranges.n <= 64 * 2);
        stat_dump_free(&d);
        json_free(root);
        free(text);
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
    printf("test_stats_map: ok\n");
    return 0;
}
