/* test_window_purge: free pages of chunks that still hold allocations go back to the OS once
 * more than retain_limit bytes of them are freed, checked page by page with mincore():
 *  1. N x (2 MiB touched + 64 B) interleaved, the 2 MiB blocks freed: at most the limit of the
 *     freed memory stays resident (before purging existed, all of it did), and the 64-byte
 *     blocks next to the purged pages keep their contents;
 *  2. purged memory allocated again reads and writes correctly;
 *  3. 4 KiB blocks, 90% freed in random order: the same bound;
 *  4. alloc/free loops (64 B, 1 MiB, next to live allocations) never purge, and a stream of
 *     frees purges in batches of at least an eighth of the limit;
 *  5. the default limit is 64 MiB and holds at that scale; after a long stream of frees that
 *     nothing reuses (40,000 x 4 KiB, 90% freed in random order) at most a quarter of it stays,
 *     in the window's pages and in the process's RSS, and a buffer set allocated and freed in
 *     turn afterwards stops purging once its reuse is seen;
 *  6. reusing part of a freed block leaves exactly the pages around it retained;
 *  7. two threads purging while the other's blocks live (also run under TSan).
 * The window validates (marks included) after every phase. Uses clsvm_window_open, so it runs on
 * whichever provider CLSVM_WINDOW selects (ctest reruns it on the devsvm shim). */
#include "check.h"

#include <clsvm/runtime.h>

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MiB ((uint64_t)1 << 20)

static size_t page;

/* Resident bytes of the whole pages inside [p, p + len). */
static uint64_t resident(const void *p, size_t len)
{
    uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1), e = ((uintptr_t)p + len) & ~(page - 1);
    if (e <= a)
        return 0;
    size_t n = (e - a) / page;
    unsigned char *v = malloc(n);
    CHECK(v);
    CHECK_EQ(mincore((void *)a, e - a, v), 0);
    uint64_t r = 0;
    for (size_t i = 0; i < n; i++)
        r += v[i] & 1;
    free(v);
    return r * page;
}

static clsvm_window *open_window(uint64_t limit)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    cfg.window_size = (uint64_t)1 << 30;
    cfg.min_window_size = cfg.window_size;
    cfg.retain_limit = limit;
    clsvm_window *w;
    CHECK_EQ(clsvm_window_open(&cfg, &w), CLSVM_OK);
    return w;
}

static void *get(clsvm_window *w, size_t size, int fill)
{
    void *p;
    CHECK_EQ(clsvm_alloc(w, size, 0, 0, NULL, &p), CLSVM_OK);
    memset(p, fill, size);
    return p;
}

/* A purge loses whole pages, so large buffers are checked at a stride below the page size
 * (and at their last byte): fast enough under TSan. */
static void check_fill(const void *p, size_t size, int fill)
{
    const unsigned char *c = p;
    size_t step = size > 65536 ? 509 : 1;
    for (size_t i = 0; i < size; i += step)
        CHECK_MSG(c[i] == (unsigned char)fill, "byte %zu of %p is %d, want %d", i, p, c[i], fill);
    CHECK_MSG(c[size - 1] == (unsigned char)fill, "last byte of %p is %d, want %d", p, c[size - 1],
              fill);
}

/* Phases 1 and 2 (and 5 with the default limit). */
static void interleaved(uint64_t limit, int n)
{
    clsvm_window *w = open_window(limit);
    clsvm_stats st;
    void **big = calloc((size_t)n, sizeof *big), **small = calloc((size_t)n, sizeof *small);
    CHECK(big && small);
    for (int i = 0; i < n; i++) {
        big[i] = get(w, 2 * MiB, 0x5a);
        small[i] = get(w, 64, i & 0xff);
    }
    uint64_t touched = (uint64_t)n * 2 * MiB;
    for (int i = 0; i < n; i++)
        CHECK_EQ(clsvm_free(w, big[i]), CLSVM_OK);
    clsvm_window_get_stats(w, &st); /* also decommits the chunk only big[0] used */
    uint64_t kept = 0;
    for (int i = 0; i < n; i++)
        kept += resident(big[i], 2 * MiB);
    CHECK_MSG(kept <= limit, "%llu of %llu freed bytes still resident, limit %llu",
              (unsigned long long)kept, (unsigned long long)touched, (unsigned long long)limit);
    for (int i = 0; i < n; i++)
        check_fill(small[i], 64, i & 0xff); /* next to purged pages, untouched */
    CHECK_MSG(st.retained <= limit && st.retained >= kept,
              "stats: %llu bytes retained, %llu resident, limit %llu",
              (unsigned long long)st.retained, (unsigned long long)kept, (unsigned long long)limit);
    CHECK(st.purges > 0 && st.purged >= touched - limit - 2 * MiB - (uint64_t)n * page);
    CHECK(st.committed >= st.allocated + st.retained);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);

    /* 2: the purged memory again, read and written through. */
    for (int i = 0; i < n; i++) {
        big[i] = get(w, 2 * MiB, 0x33 + i);
        check_fill(big[i], 2 * MiB, 0x33 + i);
    }
    for (int i = 0; i < n; i++) {
        check_fill(big[i], 2 * MiB, 0x33 + i);
        check_fill(small[i], 64, i & 0xff);
    }
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < n; i++) {
        CHECK_EQ(clsvm_free(w, big[i]), CLSVM_OK);
        CHECK_EQ(clsvm_free(w, small[i]), CLSVM_OK);
    }
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(st.retained, 0);
    free(big);
    free(small);
    clsvm_window_close(w);
}

/* n 4 KiB blocks into p, then p shuffled (seed): freeing p[live..n) frees blocks in random
 * order. [*lo, *hi) is the span of all the blocks. */
static void fill_shuffled(clsvm_window *w, void **p, int n, unsigned seed, uintptr_t *lo,
                          uintptr_t *hi)
{
    for (int i = 0; i < n; i++)
        p[i] = get(w, 4096, 1 + i % 200);
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(rand_r(&seed) % (unsigned)(i + 1));
        void *t = p[i];
        p[i] = p[j];
        p[j] = t;
    }
    *lo = UINTPTR_MAX;
    *hi = 0;
    for (int i = 0; i < n; i++) {
        uintptr_t a = (uintptr_t)p[i];
        *lo = a < *lo ? a : *lo;
        *hi = a + 4096 > *hi ? a + 4096 : *hi;
    }
}

/* Phase 3: many small blocks, most freed in random order. */
static void small_random(uint64_t limit, int n)
{
    clsvm_window *w = open_window(limit);
    void **p = calloc((size_t)n, sizeof *p);
    CHECK(p);
    uintptr_t lo, hi;
    fill_shuffled(w, p, n, 7, &lo, &hi);
    int live = n / 10;
    for (int i = live; i < n; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    uint64_t res = resident((void *)lo, hi - lo), need = (uint64_t)live * 2 * page;
    CHECK_MSG(res <= need + limit,
              "%llu bytes resident over the blocks' span, %d live 4 KiB blocks, limit %llu",
              (unsigned long long)res, live, (unsigned long long)limit);
    for (int i = 0; i < live; i++)
        check_fill(p[i], 4096, *(unsigned char *)p[i]); /* uniform, whatever value it was */
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK(st.retained <= limit && st.purges > 0);
    for (int i = 0; i < live; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    free(p);
    clsvm_window_close(w);
}

/* Resident bytes of the process (/proc/self/statm). */
static uint64_t process_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    CHECK(f);
    CHECK_EQ(fscanf(f, "%lu %lu", &size, &res), 2);
    fclose(f);
    return (uint64_t)res * page;
}

/* Phase 5, second part: the default limit lowers itself during a stream of frees, and comes
 * back once a buffer set is allocated and freed in turn. */
static void stream_then_loop(int n)
{
    clsvm_window *w = open_window(64 * MiB);
    clsvm_stats st;
    void **p = calloc((size_t)n, sizeof *p);
    CHECK(p);
    memset(p, 0, (size_t)n * sizeof *p); /* resident before the baseline */
    uint64_t r0 = process_rss();
    uintptr_t lo, hi;
    fill_shuffled(w, p, n, 11, &lo, &hi);
    int live = n / 10;
    for (int i = live; i < n; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    /* The window's pages: those the live blocks touch and a quarter of the limit. Before the
     * threshold adapted, 32..64 MiB stayed, wherever the last purge left them. */
    uint64_t res = resident((void *)lo, hi - lo), need = 0;
    for (int i = 0; i < live; i++)
        need += (((uintptr_t)p[i] + 4095) / page - (uintptr_t)p[i] / page + 1) * page;
    CHECK_MSG(res <= need + 16 * MiB,
              "%llu KiB resident over the blocks' span, %d live 4 KiB blocks (%llu KiB)",
              (unsigned long long)(res >> 10), live, (unsigned long long)(need >> 10));
    /* The process: also the block records and lookup tables of the peak (about 3 MiB here).
     * Not under a sanitizer, whose shadow memory grows with every page touched. */
#if !defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
    uint64_t grown = process_rss() - r0, live_bytes = (uint64_t)live * 4096;
    CHECK_MSG(grown <= live_bytes + 16 * MiB + 8 * MiB,
              "process RSS grew by %llu KiB with %llu KiB live", (unsigned long long)(grown >> 10),
              (unsigned long long)(live_bytes >> 10));
#else
    (void)r0;
#endif
    clsvm_window_get_stats(w, &st);
    CHECK_MSG(st.retained <= 16 * MiB && st.purge_threshold == 16 * MiB,
              "%llu KiB retained, threshold %llu KiB", (unsigned long long)(st.retained >> 10),
              (unsigned long long)(st.purge_threshold >> 10));
    for (int i = 0; i < live; i++)
        check_fill(p[i], 4096, *(unsigned char *)p[i]);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < live; i++) /* the heap empty again, the threshold still low */
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    free(p);

    /* 40 x 1 MiB allocated and freed in turn: the first rounds purge (the threshold is low),
     * the reuse they show puts it back at the limit, and then rounds cost no purge. An 8 KiB
     * block after each keeps its chunks in use (an empty chunk would be retained whole, and
     * released by get_stats). */
    enum { SET = 40, ROUNDS = 6 };
    void *b[SET], *anchor[SET];
    uint64_t purges_after[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < SET; i++) {
            b[i] = get(w, (size_t)MiB, r + i);
            if (!r)
                anchor[i] = get(w, 8192, 0x77);
        }
        for (int i = 0; i < SET; i++)
            check_fill(b[i], (size_t)MiB, (r + i) & 0xff);
        for (int i = 0; i < SET; i++)
            CHECK_EQ(clsvm_free(w, b[i]), CLSVM_OK);
        clsvm_window_get_stats(w, &st);
        purges_after[r] = st.purges;
    }
    CHECK_MSG(purges_after[ROUNDS - 1] == purges_after[2] && st.purge_threshold == 64 * MiB,
              "%llu purges in the last %d rounds of a 40 MiB set, threshold %llu KiB",
              (unsigned long long)(purges_after[ROUNDS - 1] - purges_after[2]), ROUNDS - 3,
              (unsigned long long)(st.purge_threshold >> 10));
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    for (int i = 0; i < SET; i++) {
        check_fill(anchor[i], 8192, 0x77);
        CHECK_EQ(clsvm_free(w, anchor[i]), CLSVM_OK);
    }
    clsvm_window_close(w);
}

/* Phase 6: a freed block's pages are counted when an allocation then reuses part of it: only
 * the pages it leaves free stay retained, in front of and behind the new block. */
static void carve(size_t size, size_t align)
{
    clsvm_window *w = open_window(64 * MiB);
    void *a = get(w, 64, 1), *x, *y, *b;
    CHECK_EQ(clsvm_alloc(w, (size_t)MiB, 4096, 0, NULL, &x), CLSVM_OK);
    memset(x, 2, (size_t)MiB);
    b = get(w, 64, 3);
    CHECK_EQ(clsvm_free(w, x), CLSVM_OK);
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK_EQ(st.retained, MiB);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    CHECK_EQ(clsvm_alloc(w, size, align, 0, NULL, &y), CLSVM_OK);
    memset(y, 4, size);
    uintptr_t xs = (uintptr_t)x, ys = (uintptr_t)y;
    CHECK_MSG(ys + size > xs && ys < xs + MiB, "the %zu-byte block did not reuse the freed MiB",
              size);
    /* Whole pages of [x, x + 1 MiB) outside the new block's pages. */
    uintptr_t lo = ys & ~(page - 1), hi = (ys + size + page - 1) & ~(page - 1);
    uint64_t want = MiB - ((hi < xs + MiB ? hi : xs + MiB) - (lo > xs ? lo : xs));
    clsvm_window_get_stats(w, &st);
    CHECK_MSG(st.retained == want,
              "%llu bytes retained after reusing part of the freed MiB, want "
              "%llu",
              (unsigned long long)st.retained, (unsigned long long)want);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    check_fill(a, 64, 1);
    check_fill(b, 64, 3);
    check_fill(y, size, 4);
    clsvm_window_close(w);
}

/* Phase 7: threads allocating, filling, checking and freeing blocks of many sizes in one
 * window with a 1 MiB limit, so purges run while the other thread's blocks are live. */
typedef struct worker {
    clsvm_window *w;
    unsigned seed;
    int bad;
} worker;

static void *work(void *arg)
{
    worker *k = arg;
    enum { SLOTS = 32 };
    unsigned char *p[SLOTS] = {0};
    size_t n[SLOTS] = {0};
    for (int it = 0; it < 2000 && !k->bad; it++) {
        int i = (int)(rand_r(&k->seed) % SLOTS);
        if (p[i]) {
            for (size_t j = 0; j < n[i]; j += 511)
                k->bad |= p[i][j] != (unsigned char)(i + j);
            k->bad |= p[i][n[i] - 1] != (unsigned char)(i + n[i] - 1);
            k->bad |= clsvm_free(k->w, p[i]) != CLSVM_OK;
            p[i] = NULL;
            continue;
        }
        n[i] = (size_t)1 << (6 + rand_r(&k->seed) % 15); /* 64 B .. 1 MiB */
        n[i] += rand_r(&k->seed) % n[i];
        if (clsvm_alloc(k->w, n[i], 0, 0, NULL, (void **)&p[i]) != CLSVM_OK) {
            k->bad = 1;
            break;
        }
        for (size_t j = 0; j < n[i]; j++)
            p[i][j] = (unsigned char)(i + j);
    }
    for (int i = 0; i < SLOTS; i++)
        if (p[i])
            k->bad |= clsvm_free(k->w, p[i]) != CLSVM_OK;
    return NULL;
}

static void threads(void)
{
    clsvm_window *w = open_window(MiB);
    worker k[2] = {{w, 1, 0}, {w, 2, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, work, &k[i]), 0);
    for (int i = 0; i < 2; i++)
        CHECK_EQ(pthread_join(t[i], NULL), 0);
    CHECK_MSG(!k[0].bad && !k[1].bad, "a block lost its contents or a call failed");
    clsvm_stats st;
    clsvm_window_get_stats(w, &st);
    CHECK(st.purges > 0);
    CHECK_EQ(st.committed, 0);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    clsvm_window_close(w);
}

/* Phase 4: loops stay below the limit and cost no purge; a stream purges in batches. */
static void loops(uint64_t limit)
{
    clsvm_window *w = open_window(limit);
    clsvm_stats st0, st;
    void *anchor = get(w, 64, 1), *mid = get(w, 4096, 2);
    (void)mid;
    clsvm_window_get_stats(w, &st0);
    for (int i = 0; i < 20000; i++) {
        void *p = get(w, 64, i & 0xff);
        CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    }
    for (int i = 0; i < 2000; i++) {
        void *p = get(w, (size_t)MiB, i & 0xff);
        CHECK_EQ(clsvm_free(w, p), CLSVM_OK);
    }
    clsvm_window_get_stats(w, &st);
    CHECK_MSG(st.purges == st0.purges, "%llu purges for 22000 alloc/free pairs",
              (unsigned long long)(st.purges - st0.purges));

    /* 40 x limit of 1 MiB buffers freed while all of them live: purges come in batches of at
     * least limit / 8 (half the lowest threshold), adjacent pages in one call. */
    int n = (int)(40 * limit / MiB);
    void **p = calloc((size_t)n, sizeof *p);
    CHECK(p);
    for (int i = 0; i < n; i++)
        p[i] = get(w, (size_t)MiB - 4096, 3); /* odd size: blocks straddle pages and chunks */
    for (int i = 0; i < n; i++)
        CHECK_EQ(clsvm_free(w, p[i]), CLSVM_OK);
    clsvm_window_get_stats(w, &st0);
    uint64_t calls = st0.purges - st.purges, bytes = st0.purged - st.purged;
    CHECK_MSG(calls >= 1 && bytes / calls >= limit / 8,
              "%llu purge calls for %llu bytes (limit %llu)", (unsigned long long)calls,
              (unsigned long long)bytes, (unsigned long long)limit);
    CHECK_EQ(clsvm_window_validate(w), CLSVM_OK);
    check_fill(anchor, 64, 1);
    free(p);
    clsvm_window_close(w);
}

int main(void)
{
    page = (size_t)sysconf(_SC_PAGESIZE);
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    CHECK_EQ(cfg.retain_limit, 64 * MiB);

    interleaved(8 * MiB, 32);
    small_random(4 * MiB, 20000);
    loops(4 * MiB);
    carve(8192, 0);             /* at the front of the freed block: the pages behind it stay */
    carve(64 << 10, 256 << 10); /* aligned into its middle: pages on both sides stay */
    threads();
    interleaved(64 * MiB, 48); /* the default: 64 MiB of 96 MiB freed may stay */
    stream_then_loop(40000);
    puts("ok");
    return 0;
}
