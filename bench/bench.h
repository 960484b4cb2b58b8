/*
 * bench.h: shared pieces of clsvm-bench — the contenders (clsvm and pocl platforms loaded
 * side by side through the ICD loader), timing, and the result table every figure writes to,
 * so that report.c can print one human table and one JSON file from the same numbers.
 */
#ifndef CLSVM_BENCH_H
#define CLSVM_BENCH_H

#define CL_TARGET_OPENCL_VERSION 200
#include <CL/cl.h>

#include <stddef.h>

enum { C_CLSVM, C_POCL, C_HOST, C_COUNT }; /* host = malloc/memcpy/memset/mmap */
enum { MAX_REPS = 15 };

/* One OpenCL platform under test: everything a figure needs, created once. */
typedef struct bench_cl {
    const char *name; /* "clsvm" or "pocl" */
    cl_platform_id platform;
    cl_device_id device;
    cl_context ctx;
    cl_command_queue queue;
    cl_program program;
    cl_kernel empty;   /* kernel void empty(void) */
    cl_kernel ptr_arg; /* kernel void ptr_arg(global int *p) */
} bench_cl;

typedef struct bench {
    int quick;
    int reps;
    bench_cl cl[2]; /* indexed by C_CLSVM, C_POCL */
} bench;

/* A measured value: median and spread over the repetitions; n == 0 means "not measured". */
typedef struct measure {
    int n;
    double median, min, max;
} measure;

/* Lower is better ("ns per pair") unless higher_better ("GB/s", "pairs/s"). */
typedef struct figure {
    const char *name; /* alloc_free, lookup, launch, ... */
    char detail[64];  /* "64 B, 10000 live" */
    const char *unit;
    int higher_better;
    int no_ratio; /* differences such as RSS deltas: a quotient would mean nothing */
    measure m[C_COUNT];
    char note[96];
} figure;

double bench_now(void);     /* seconds, CLOCK_MONOTONIC */
double bench_cpu_now(void); /* seconds of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID) */
measure bench_summarize(const double *v, int n);
figure *bench_figure(const char *name, const char *unit, int higher_better, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void bench_shuffle(void **v, size_t n, unsigned *seed);
void bench_check(cl_int err, const char *what); /* exits with a message on error */

void bench_print_table(void);
int bench_write_json(const char *path);
int bench_write_plot_data(const char *path); /* alloc_free cost vs live, for gnuplot */

/* Figures (bench_alloc.c, bench_enqueue.c, bench_memory.c). */
void fig_alloc_free(bench *b);
void fig_lookup(bench *b);
void fig_threads(bench *b);
void fig_launch(bench *b);
void fig_copy_fill(bench *b);
void fig_svm_small(bench *b);
void fig_commit(bench *b);
void fig_overhead(bench *b);
void fig_purge(bench *b);

#endif
