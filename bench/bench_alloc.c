/*
 * bench_alloc.c: allocation figures of clsvm-bench — alloc_free (pair cost against the number
 * of other live allocations), lookup (clSetKernelArgSVMPointer with an interior pointer among
 * many live allocations) and threads (alloc/free throughput with 1, 2 and 4 threads). Every
 * figure runs clsvm, pocl and malloc in the same process so their ratios share the noise.
 */
#include "bench.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* pocl keeps SVM allocations in a list: past this many live ones a run takes minutes. */
#define POCL_MAX_LIVE 10000
#define FILLER_SIZE 64

static void *c_alloc(bench *b, int c, size_t size)
{
    void *p = c == C_HOST ? malloc(size) : clSVMAlloc(b->cl[c].ctx, CL_MEM_READ_WRITE, size, 0);
    if (!p) {
        fprintf(stderr, "clsvm-bench: %s allocation of %zu bytes failed\n",
                c == C_HOST ? "malloc" : b->cl[c].name, size);
        exit(1);
    }
    return p;
}

static void c_free(bench *b, int c, void *p)
{
    if (c == C_HOST)
        free(p);
    else
        clSVMFree(b->cl[c].ctx, p);
}

static void **alloc_fillers(bench *b, int c, size_t n)
{
    void **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        exit(1);
    for (size_t i = 0; i < n; i++)
        v[i] = c_alloc(b, c, FILLER_SIZE);
    return v;
}

/* Newest first: pocl's list then finds each at its head, so tearing down stays linear. */
static void free_fillers(bench *b, int c, void **v, size_t n)
{
    for (size_t i = n; i > 0; i--)
        c_free(b, c, v[i - 1]);
    free(v);
}

/* Nanoseconds per alloc+free pair: a batch of allocations, then frees in random order. CPU
 * time of the calling thread (user and system): all three contenders do the whole work there,
 * and on a shared machine wall time of a 10 ns call measures other jobs' preemptions. */
static double pair_cost(bench *b, int c, size_t size, size_t pairs, unsigned *seed)
{
    void **v = malloc(pairs * sizeof *v);
    if (!v)
        exit(1);
    double t0 = bench_cpu_now();
    for (size_t i = 0; i < pairs; i++)
        v[i] = c_alloc(b, c, size);
    /* The shuffle is cheap next to the frees but is not part of the cost: time it out. */
    double t1 = bench_cpu_now();
    bench_shuffle(v, pairs, seed);
    double t2 = bench_cpu_now();
    for (size_t i = 0; i < pairs; i++)
        c_free(b, c, v[i]);
    double t3 = bench_cpu_now();
    free(v);
    return ((t1 - t0) + (t3 - t2)) / (double)pairs * 1e9;
}

/* One buffer allocated and freed in a loop, nothing else live: the commit/decommit worst case
 * (CPU time, as pair_cost). */
static double immediate_pair_cost(bench *b, int c, size_t size, size_t pairs)
{
    double t0 = bench_cpu_now();
    for (size_t i = 0; i < pairs; i++)
        c_free(b, c, c_alloc(b, c, size));
    return (bench_cpu_now() - t0) / (double)pairs * 1e9;
}

void fig_alloc_free(bench *b)
{
    figure *imm = bench_figure("alloc_free", "ns/pair", 0, "64 B, alloc then free, 0 live");
    for (int c = 0; c < C_COUNT; c++) {
        double v[MAX_REPS];
        size_t pairs = b->quick ? 200 : 20000;
        immediate_pair_cost(b, c, 64, pairs);
        for (int r = 0; r < b->reps; r++)
            v[r] = immediate_pair_cost(b, c, 64, pairs);
        imm->m[c] = bench_summarize(v, b->reps);
    }

    static const size_t sizes[] = {64, 4096, 1 << 20};
    static const char *const size_names[] = {"64 B", "4 KiB", "1 MiB"};
    static const size_t lives[] = {0, 1000, 10000, 100000};
    unsigned seed = 12345;
    for (int s = 0; s < 3; s++) {
        for (int l = 0; l < 4; l++) {
            size_t live = b->quick ? lives[l] / 100 : lives[l];
            size_t pairs = sizes[s] >= (1 << 20) ? 64 : 1000;
            if (b->quick)
                pairs /= 8;
            figure *f =
                bench_figure("alloc_free", "ns/pair", 0, "%s, %zu live", size_names[s], live);
            for (int c = 0; c < C_COUNT; c++) {
                if (c == C_POCL && live > POCL_MAX_LIVE) {
                    snprintf(f->note, sizeof f->note, "pocl not run above %d live (linear cost)",
                             POCL_MAX_LIVE);
                    continue;
                }
                void **fill = alloc_fillers(b, c, live);
                double v[MAX_REPS];
                pair_cost(b, c, sizes[s], pairs, &seed); /* warm-up: first commits, caches */
                for (int r = 0; r < b->reps; r++)
                    v[r] = pair_cost(b, c, sizes[s], pairs, &seed);
                f->m[c] = bench_summarize(v, b->reps);
                free_fillers(b, c, fill, live);
            }
        }
    }
}

/* clSetKernelArgSVMPointer with an interior pointer among `live` 64-byte allocations: the
 * ICD validates the pointer (clsvm_lookup) before forwarding it; pocl only stores it. Timed in
 * CPU time of the calling thread (both contenders do all the work there): on a shared machine
 * wall time of a 10 ns call measures the other jobs' preemptions more than the call. `spread`
 * pointers taken at random from the live allocations are set in turn: 4096 (every call a
 * different allocation) or 4 (a kernel's buffers set again launch after launch). */
static void lookup_at(bench *b, size_t live, int spread)
{
    size_t calls = b->quick ? 10000 : 200000;
    figure *f = spread == 4 ? bench_figure("lookup", "ns/call", 0,
                                           "interior ptr, 4 buffers in turn, %zu live", live)
                            : bench_figure("lookup", "ns/call", 0, "interior ptr, %zu live", live);
    for (int c = C_CLSVM; c <= C_POCL; c++) {
        size_t n = c == C_POCL && live > POCL_MAX_LIVE ? POCL_MAX_LIVE : live;
        if (n != live)
            snprintf(f->note, sizeof f->note, "pocl at %zu live", n);
        void **fill = alloc_fillers(b, c, n);
        enum { NPTR = 4096 };
        static char *ptrs[NPTR];
        unsigned seed = 777;
        for (int i = 0; i < NPTR; i++)
            ptrs[i] = (char *)fill[(size_t)rand_r(&seed) % n] + 40;
        cl_kernel k = b->cl[c].ptr_arg;
        double v[MAX_REPS];
        for (int r = 0; r < b->reps; r++) {
            double t0 = bench_cpu_now();
            /* A wrapping index, not i % spread: a division per call would sit on the path from
             * the loop to the pointer that clsvm's lookup starts from. */
            for (size_t i = 0, j = 0; i < calls; i++, j = j + 1 == (size_t)spread ? 0 : j + 1)
                bench_check(clSetKernelArgSVMPointer(k, 0, ptrs[j]), "clSetKernelArgSVMPointer");
            v[r] = (bench_cpu_now() - t0) / (double)calls * 1e9;
        }
        f->m[c] = bench_summarize(v, b->reps);
        free_fillers(b, c, fill, n);
    }
}

void fig_lookup(bench *b)
{
    static const size_t lives[] = {1000, 10000, 100000};
    for (int i = 0; i < 3; i++)
        lookup_at(b, b->quick ? lives[i] / 10 : lives[i], 4096);
    lookup_at(b, b->quick ? lives[1] / 10 : lives[1], 4);
}

typedef struct thread_arg {
    bench *b;
    int c;
    size_t pairs;
    double cpu; /* seconds of the thread's own CPU time for its pairs */
} thread_arg;

static void *thread_body(void *p)
{
    thread_arg *a = p;
    enum { BATCH = 64 };
    void *v[BATCH];
    double t0 = bench_cpu_now();
    for (size_t done = 0; done < a->pairs; done += BATCH) {
        for (int i = 0; i < BATCH; i++)
            v[i] = c_alloc(a->b, a->c, FILLER_SIZE);
        for (int i = 0; i < BATCH; i++)
            c_free(a->b, a->c, v[i]);
    }
    a->cpu = bench_cpu_now() - t0;
    return NULL;
}

/* Two figures per thread count: the total wall-clock throughput, and the throughput per second
 * of the threads' own CPU time (pairs / summed thread CPU time). On a machine loaded by other
 * jobs the threads are not all running at once, so wall-clock scaling says little; the CPU-time
 * figure shows what contention (shared cache lines, locks) costs each thread: without any it
 * stays at the one-thread value whatever the thread count. */
void fig_threads(bench *b)
{
    size_t pairs = b->quick ? 6400 : 200000;
    static const int counts[] = {1, 2, 4};
    for (int k = 0; k < 3; k++) {
        int nt = counts[k];
        figure *f =
            bench_figure("threads", "Mpairs/s", 1, "64 B, %d thread%s", nt, nt > 1 ? "s" : "");
        figure *fc = bench_figure("threads", "Mpairs/cpu-s", 1, "64 B, %d thread%s, per CPU s", nt,
                                  nt > 1 ? "s" : "");
        for (int c = 0; c < C_COUNT; c++) {
            double v[MAX_REPS], vc[MAX_REPS];
            for (int r = 0; r < b->reps; r++) {
                pthread_t t[4];
                thread_arg a[4];
                double t0 = bench_now();
                for (int i = 0; i < nt; i++) {
                    a[i] = (thread_arg){b, c, pairs, 0};
                    if (pthread_create(&t[i], NULL, thread_body, &a[i]))
                        exit(1);
                }
                double cpu = 0;
                for (int i = 0; i < nt; i++) {
                    pthread_join(t[i], NULL);
                    cpu += a[i].cpu;
                }
                v[r] = (double)(pairs * (size_t)nt) / (bench_now() - t0) / 1e6;
                vc[r] = (double)(pairs * (size_t)nt) / (cpu > 0 ? cpu : 1e-9) / 1e6;
            }
            f->m[c] = bench_summarize(v, b->reps);
            fc->m[c] = bench_summarize(vc, b->reps);
        }
    }
}
