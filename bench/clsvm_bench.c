/*
 * clsvm_bench.c: clsvm-bench's entry point. Loads clsvm and pocl through the ICD loader in
 * the same process (OCL_ICD_VENDORS defaults to the build's bench vendors directory), picks
 * each platform by name, runs every figure for both (and for malloc/memcpy where it applies),
 * then prints the table and writes the JSON and gnuplot data files.
 *
 * Usage: clsvm-bench [--quick] [--reps N] [--json FILE] [--plot-data FILE] [--only FIGURES]
 * (--only: a comma-separated subset of overhead,alloc_free,lookup,launch,copy_fill,svm_small,
 * commit,threads,purge)
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_VENDORS_DIR
#define BENCH_VENDORS_DIR ""
#endif

static const char program_src[] = "kernel void empty(void) {}\n"
                                  "kernel void ptr_arg(global int *p) { (void)p; }\n";

static int is_wanted(const char *want, const char *name)
{
    if (!strcmp(want, "clsvm"))
        return !strcmp(name, "clsvm");
    return strstr(name, "Portable Computing Language") || strstr(name, "pocl");
}

static void open_platform(bench_cl *cl, const char *want)
{
    cl_platform_id ps[16];
    cl_uint np = 0;
    bench_check(clGetPlatformIDs(16, ps, &np), "clGetPlatformIDs");
    cl->name = want;
    for (cl_uint i = 0; i < np && i < 16; i++) {
        char name[256] = "";
        clGetPlatformInfo(ps[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (is_wanted(want, name)) {
            cl->platform = ps[i];
            break;
        }
    }
    if (!cl->platform) {
        fprintf(stderr,
                "clsvm-bench: no %s platform among %u (OCL_ICD_VENDORS=%s must list clsvm.icd "
                "and pocl.icd)\n",
                want, np, getenv("OCL_ICD_VENDORS") ? getenv("OCL_ICD_VENDORS") : "");
        exit(1);
    }
    cl_int err;
    bench_check(clGetDeviceIDs(cl->platform, CL_DEVICE_TYPE_ALL, 1, &cl->device, NULL),
                "clGetDeviceIDs");
    cl->ctx = clCreateContext(NULL, 1, &cl->device, NULL, NULL, &err);
    bench_check(err, "clCreateContext");
    cl->queue = clCreateCommandQueueWithProperties(cl->ctx, cl->device, NULL, &err);
    bench_check(err, "clCreateCommandQueueWithProperties");
    const char *src = program_src;
    cl->program = clCreateProgramWithSource(cl->ctx, 1, &src, NULL, &err);
    bench_check(err, "clCreateProgramWithSource");
    bench_check(clBuildProgram(cl->program, 1, &cl->device, "-cl-std=CL2.0", NULL, NULL),
                "clBuildProgram");
    cl->empty = clCreateKernel(cl->program, "empty", &err);
    bench_check(err, "clCreateKernel(empty)");
    cl->ptr_arg = clCreateKernel(cl->program, "ptr_arg", &err);
    bench_check(err, "clCreateKernel(ptr_arg)");
}

static void close_platform(bench_cl *cl)
{
    clReleaseKernel(cl->empty);
    clReleaseKernel(cl->ptr_arg);
    clReleaseProgram(cl->program);
    clReleaseCommandQueue(cl->queue);
    clReleaseContext(cl->ctx);
}

static int usage(void)
{
    fprintf(stderr, "usage: clsvm-bench [--quick] [--reps N] [--json FILE] [--plot-data FILE] "
                    "[--only FIGURE[,FIGURE...]]\n");
    return 2;
}

int main(int argc, char **argv)
{
    bench b = {0};
    const char *json = NULL, *plot = NULL, *only = NULL;
    int reps = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            b.quick = 1;
        else if (!strcmp(argv[i], "--json") && i + 1 < argc)
            json = argv[++i];
        else if (!strcmp(argv[i], "--plot-data") && i + 1 < argc)
            plot = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else
            return usage();
    }
    b.reps = reps > 0 ? reps : b.quick ? 3 : 7;
    if (b.reps > MAX_REPS)
        b.reps = MAX_REPS;
    /* The loader reads OCL_ICD_VENDORS once, at the first OpenCL call. */
    if (!getenv("OCL_ICD_VENDORS") && BENCH_VENDORS_DIR[0])
        setenv("OCL_ICD_VENDORS", BENCH_VENDORS_DIR, 1);

    open_platform(&b.cl[C_CLSVM], "clsvm");
    open_platform(&b.cl[C_POCL], "pocl");

    /* overhead first: heap records are recycled, never returned to malloc before the window
     * closes, so after another figure's 100,000 allocations the heap would not grow at all. */
    static void (*const figs[])(bench *) = {fig_overhead, fig_alloc_free, fig_lookup,
                                            fig_launch,   fig_copy_fill,  fig_svm_small,
                                            fig_commit,   fig_threads,    fig_purge};
    static const char *const names[] = {"overhead",  "alloc_free", "lookup",  "launch", "copy_fill",
                                        "svm_small", "commit",     "threads", "purge"};
    for (size_t i = 0; i < sizeof figs / sizeof figs[0]; i++)
        if (!only || strstr(only, names[i]))
            figs[i](&b);

    printf("clsvm-bench: %d repetitions per figure%s; median [min-max]; ratio = clsvm / "
           "baseline\n",
           b.reps, b.quick ? " (--quick sizes)" : "");
    bench_print_table();
    int rc = 0;
    if (json && bench_write_json(json))
        rc = 1;
    if (plot && bench_write_plot_data(plot))
        rc = 1;
    close_platform(&b.cl[C_CLSVM]);
    close_platform(&b.cl[C_POCL]);
    return rc;
}
