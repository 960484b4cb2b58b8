/*
 * bench_memory.c: memory figures of clsvm-bench — commit (first-touch cost per page of new
 * SVM memory against a fresh anonymous mapping) and overhead (host heap bytes per live
 * allocation, and RSS left behind once everything allocated has been freed).
 */
#include "bench.h"

#include <clsvm/runtime.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096

static void *new_memory(bench *b, int c, size_t size)
{
    void *p;
    if (c == C_HOST) {
        p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    return clSVMAlloc(b->cl[c].ctx, CL_MEM_READ_WRITE, size, 0);
}

static void drop_memory(bench *b, int c, void *p, size_t size)
{
    if (c == C_HOST)
        munmap(p, size);
    else
        clSVMFree(b->cl[c].ctx, p);
}

void fig_commit(bench *b)
{
    size_t size = b->quick ? (size_t)8 << 20 : (size_t)64 << 20;
    figure *f = bench_figure("commit", "ns/page", 0, "alloc + touch %zu MiB", size >> 20);
    for (int c = 0; c < C_COUNT; c++) {
        double v[MAX_REPS];
        for (int r = 0; r < b->reps; r++) {
            double t0 = bench_now();
            volatile char *p = new_memory(b, c, size);
            if (!p) {
                fprintf(stderr, "clsvm-bench: commit: allocation failed\n");
                exit(1);
            }
            for (size_t i = 0; i < size; i += PAGE)
                p[i] = 1;
            v[r] = (bench_now() - t0) / (double)(size / PAGE) * 1e9;
            drop_memory(b, c, (void *)p, size);
        }
        f->m[c] = bench_summarize(v, b->reps);
    }
}

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static double rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, rss = 0;
    if (!f || fscanf(f, "%lu %lu", &size, &rss) != 2)
        rss = 0;
    if (f)
        fclose(f);
    return (double)rss * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

/*
 * The runtime alone (clsvm_alloc in a private window, no ICD): host heap bytes per live
 * allocation are then the heap's block records plus the commit table, nothing else.
 */
static double runtime_metadata(size_t n, void **v)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    clsvm_window *w;
    if (clsvm_window_open(&cfg, &w) != CLSVM_OK)
        return 0;
    size_t h0 = heap_in_use();
    for (size_t i = 0; i < n; i++)
        if (clsvm_alloc(w, 64, 0, 0, NULL, &v[i]) != CLSVM_OK)
            exit(1);
    size_t h1 = heap_in_use();
    for (size_t i = 0; i < n; i++)
        clsvm_free(w, v[i]);
    clsvm_window_close(w);
    return ((double)h1 - (double)h0) / (double)n;
}

/*
 * Metadata: growth of the host malloc heap per live 64-byte allocation, minus the bytes the
 * application asked for when the contender keeps its data in that heap too (pocl, malloc).
 * For clsvm the data lives in the window, so every byte of growth is bookkeeping (heap
 * records, commit table, the ICD's per-allocation state).
 */
void fig_overhead(bench *b)
{
    size_t n = b->quick ? 10000 : 100000;
    figure *meta = bench_figure("overhead", "B/alloc", 0, "metadata, %zu live x 64 B", n);
    figure *rss = bench_figure("overhead", "MiB", 0, "RSS after free - before");
    rss->no_ratio = 1;
    void **v = malloc(n * sizeof *v);
    if (!v)
        exit(1);
    unsigned seed = 99;
    for (int c = 0; c < C_COUNT; c++) {
        size_t live = c == C_POCL && n > 10000 ? 10000 : n;
        double m[1], d[1];
        size_t h0 = heap_in_use();
        for (size_t i = 0; i < live; i++)
            v[i] = c == C_HOST ? malloc(64) : clSVMAlloc(b->cl[c].ctx, CL_MEM_READ_WRITE, 64, 0);
        size_t h1 = heap_in_use();
        double grown = (double)h1 - (double)h0 - (c == C_CLSVM ? 0.0 : 64.0 * (double)live);
        m[0] = grown / (double)live;
        for (size_t i = live; i > 0; i--)
            c == C_HOST ? free(v[i - 1]) : clSVMFree(b->cl[c].ctx, v[i - 1]);
        meta->m[c] = bench_summarize(m, 1);

        /* RSS: a mixed, touched working set (4 KiB and 1 MiB buffers), freed in random
         * order; what stays resident afterwards is memory the contender keeps. */
        size_t small = b->quick ? 2000 : 20000, big = b->quick ? 8 : 64;
        double r0 = rss_mib();
        for (size_t i = 0; i < small + big; i++) {
            size_t sz = i < small ? 4096 : (size_t)1 << 20;
            char *p = c == C_HOST ? malloc(sz) : clSVMAlloc(b->cl[c].ctx, CL_MEM_READ_WRITE, sz, 0);
            if (!p)
                exit(1);
            for (size_t o = 0; o < sz; o += PAGE)
                p[o] = 1;
            v[i] = p;
        }
        bench_shuffle(v, small + big, &seed);
        for (size_t i = 0; i < small + big; i++)
            c == C_HOST ? free(v[i]) : clSVMFree(b->cl[c].ctx, v[i]);
        d[0] = rss_mib() - r0;
        rss->m[c] = bench_summarize(d, 1);
    }
    if (n > 10000)
        snprintf(meta->note, sizeof meta->note, "pocl at 10000 live");
    figure *rt = bench_figure("overhead", "B/alloc", 0, "runtime only, %zu live x 64 B", n);
    double m[1] = {runtime_metadata(n, v)};
    rt->m[C_CLSVM] = bench_summarize(m, 1);
    rt->m[C_HOST] = meta->m[C_HOST]; /* malloc's own header, for scale */
    free(v);
}

/*
 * Purge: freed memory that stays resident next to live allocations. After each pattern,
 * resident memory minus the bytes still live (MiB): what the contender keeps of what was freed.
 * Every block is touched, so resident memory is what the OS really holds. Patterns:
 *   interleaved  N x (2 MiB + 64 B), all 2 MiB blocks freed (one live 64 B block per chunk);
 *   halves       N x 1 MiB, every other one freed;
 *   small        N x 4 KiB, 90% freed in random order.
 * malloc (glibc, which pocl's clSVMAlloc uses too) is trimmed between patterns so that none
 * starts on memory another left behind. Each pattern runs once more on the runtime alone. pocl's
 * SVM free costs O(live), so it runs the small pattern only up to 10,000 blocks.
 */
/* The runtime alone: a private window, no ICD (C_RUNTIME below). */
enum { C_RUNTIME = C_COUNT };
static clsvm_window *purge_window;

static void *purge_get(bench *b, int c, size_t size)
{
    char *p = NULL;
    if (c == C_RUNTIME) {
        void *q = NULL;
        clsvm_alloc(purge_window, size, 0, 0, NULL, &q);
        p = q;
    } else {
        p = c == C_HOST ? malloc(size) : clSVMAlloc(b->cl[c].ctx, CL_MEM_READ_WRITE, size, 0);
    }
    if (!p) {
        fprintf(stderr, "clsvm-bench: purge: allocation of %zu bytes failed\n", size);
        exit(1);
    }
    for (size_t o = 0; o < size; o += PAGE)
        p[o] = 1;
    p[size - 1] = 1;
    return p;
}

static void purge_put(bench *b, int c, void *p)
{
    if (c == C_RUNTIME)
        clsvm_free(purge_window, p);
    else
        c == C_HOST ? free(p) : clSVMFree(b->cl[c].ctx, p);
}

enum { P_INTERLEAVED, P_HALVES, P_SMALL };

/* Process RSS in MiB from an open /proc/self/statm: cheap enough to sample after every step. */
static double rss_fast(int fd)
{
    char buf[128];
    ssize_t len = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
    unsigned long size = 0, res = 0;
    if (len <= 0)
        return rss_mib();
    buf[len] = 0;
    if (sscanf(buf, "%lu %lu", &size, &res) != 2)
        return 0;
    return (double)res * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* Samples of a pattern's process RSS: before it, then after each allocation and each free. */
static size_t pattern_steps(int pattern, size_t n)
{
    return 1 + (pattern == P_INTERLEAVED ? 3 * n
                : pattern == P_HALVES    ? n + n / 2
                                         : 2 * n - n / 10);
}

/* Run one pattern; returns resident minus live in MiB, all memory freed again afterwards. With
 * series, the process RSS (MiB) after every step goes there (pattern_steps entries). */
static double purge_pattern(bench *b, int c, int pattern, size_t n, void **v, double *series)
{
    unsigned seed = 5;
    int fd = series ? open("/proc/self/statm", O_RDONLY) : -1;
    size_t step = 1;
    double r0 = rss_mib(), live = 0;
    if (series)
        series[0] = r0;
    size_t count = pattern == P_INTERLEAVED ? 2 * n : n;
    for (size_t i = 0; i < count; i++) {
        size_t size = pattern == P_INTERLEAVED ? (i & 1 ? 64 : (size_t)2 << 20)
                      : pattern == P_HALVES    ? (size_t)1 << 20
                                               : 4096;
        v[i] = purge_get(b, c, size);
        if (series)
            series[step++] = rss_fast(fd);
    }
    size_t freed = 0;
    if (pattern == P_SMALL) {
        bench_shuffle(v, count, &seed);
        freed = count - count / 10;
        for (size_t i = 0; i < freed; i++) {
            purge_put(b, c, v[i]);
            if (series)
                series[step++] = rss_fast(fd);
        }
        live = (double)(count - freed) * 4096 / (1 << 20);
    } else {
        for (size_t i = 0; i < count; i += 2) {
            purge_put(b, c, v[i]);
            if (series)
                series[step++] = rss_fast(fd);
        }
        live = pattern == P_INTERLEAVED ? (double)n * 64 / (1 << 20) : (double)(n / 2);
    }
    if (fd >= 0)
        close(fd);
    double kept = rss_mib() - r0 - live;
    for (size_t i = 0; i < count; i++)
        if (pattern == P_SMALL ? i >= freed : i & 1)
            purge_put(b, c, v[i]);
    malloc_trim(0);
    return kept;
}

/*
 * clsvm's RSS against pocl's after every step of the same pattern (same n, one process, so both
 * series include the same libraries and bench state). Two rows: the largest quotient of process
 * RSS (what "RSS" means to a user), and the largest quotient of RSS growth since the pattern
 * began, over the steps where pocl's growth is at least 8 MiB (below that a few pages of
 * metadata decide the quotient). The note says where the growth quotient peaked.
 */
static void purge_rss_ratio(int p, size_t n, const char *what, size_t steps, const double *cl,
                            const double *po)
{
    double abs_max = 0, grow_max = 0, r0c = cl[0], r0p = po[0];
    size_t at = 0;
    for (size_t t = 0; t < steps; t++) {
        if (po[t] > 0 && cl[t] / po[t] > abs_max)
            abs_max = cl[t] / po[t];
        double gp = po[t] - r0p, gc = cl[t] - r0c;
        if (gp >= 8 && gc / gp > grow_max) {
            grow_max = gc / gp;
            at = t;
        }
    }
    figure *a = bench_figure("purge", "x", 0, "RSS/pocl max, process, %zu x %.18s", n, what);
    a->no_ratio = 1;
    double one = 1; /* pocl against itself: the reference */
    a->m[C_CLSVM] = bench_summarize(&abs_max, 1);
    a->m[C_POCL] = bench_summarize(&one, 1);
    figure *g = bench_figure("purge", "x", 0, "RSS/pocl max, growth, %zu x %.18s", n, what);
    g->no_ratio = 1;
    g->m[C_CLSVM] = bench_summarize(&grow_max, 1);
    g->m[C_POCL] = bench_summarize(&one, 1);
    size_t allocs = p == P_INTERLEAVED ? 2 * n : n;
    snprintf(g->note, sizeof g->note, "at step %zu of %zu (%s), clsvm +%.1f MiB, pocl +%.1f MiB",
             at, steps - 1, at <= allocs ? "allocating" : "freeing", cl[at] - r0c, po[at] - r0p);
}

void fig_purge(bench *b)
{
    size_t n[3] = {500, 1000, 100000};
    static const char *const what[3] = {"(2 MiB + 64 B), 2 MiB freed", "1 MiB, every other freed",
                                        "4 KiB, 90% freed randomly"};
    void **v = malloc(2 * 100000 * sizeof *v);
    size_t most = 3 * 500; /* the longest series compared with pocl's */
    double *series[2] = {malloc(most * sizeof(double)), malloc(most * sizeof(double))};
    if (!v || !series[0] || !series[1])
        exit(1);
    memset(v, 0, 2 * 100000 * sizeof *v); /* resident before any pattern measures RSS */
    for (int p = 0; p < 3; p++) {
        if (b->quick)
            n[p] /= 10;
        figure *f = bench_figure("purge", "MiB", 0, "%zu x %s", n[p], what[p]);
        f->no_ratio = 1;
        size_t np = p == P_SMALL && n[p] > 10000 ? 10000 : n[p]; /* pocl's */
        size_t steps = pattern_steps(p, np);
        if (steps > most) {
            most = steps;
            for (int k = 0; k < 2; k++)
                if (!(series[k] = realloc(series[k], most * sizeof(double))))
                    exit(1);
        }
        for (int c = 0; c < C_COUNT; c++) {
            size_t nc = c == C_POCL ? np : n[p];
            double *sr = c == C_POCL ? series[1] : c == C_CLSVM && nc == np ? series[0] : NULL;
            double kept[1] = {purge_pattern(b, c, p, nc, v, sr)};
            f->m[c] = bench_summarize(kept, 1);
        }
        if (p == P_SMALL && n[p] > 10000) {
            snprintf(f->note, sizeof f->note, "pocl at 10000 (O(live) free)");
            purge_pattern(b, C_CLSVM, p, np, v, series[0]); /* the same n as pocl's, for RSS */
        }
        purge_rss_ratio(p, np, what[p], steps, series[0], series[1]);
        /* The same through clsvm_alloc in a window of its own: what the runtime keeps, without
         * the ICD and the process state the other figures left. malloc repeated for scale. */
        clsvm_config cfg;
        clsvm_config_init(&cfg);
        if (clsvm_window_open(&cfg, &purge_window) != CLSVM_OK)
            exit(1);
        figure *rt = bench_figure("purge", "MiB", 0, "runtime only, %zu x %.24s", n[p], what[p]);
        rt->no_ratio = 1;
        double kept[1] = {purge_pattern(b, C_RUNTIME, p, n[p], v, NULL)};
        rt->m[C_CLSVM] = bench_summarize(kept, 1);
        rt->m[C_HOST] = f->m[C_HOST];
        clsvm_window_close(purge_window);
        purge_window = NULL;
    }
    free(v);
    free(series[0]);
    free(series[1]);
}
