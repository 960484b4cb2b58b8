/*
 * bench_enqueue.c: command figures of clsvm-bench — launch (empty kernel, one at a time and a
 * burst of 1,000 then one clFinish; clsvm/pocl is the ICD layer's overhead) and memcpy/fill
 * (clEnqueueSVMMemcpy / clEnqueueSVMMemFill bandwidth against memcpy/memset), and small SVM
 * commands against pocl's own (svm_small: the cost of the command mechanism).
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LAUNCH_BATCH = 100 };

static void launch_one(bench_cl *cl)
{
    size_t g = 1;
    bench_check(clEnqueueNDRangeKernel(cl->queue, cl->empty, 1, NULL, &g, NULL, 0, NULL, NULL),
                "clEnqueueNDRangeKernel");
}

void fig_launch(bench *b)
{
    size_t single = b->quick ? 100 : 500, burst = b->quick ? 100 : 1000;
    figure *lat = bench_figure("launch", "us/kernel", 0, "enqueue+clFinish");
    figure *thr = bench_figure("launch", "us/kernel", 0, "%zu enqueues, 1 finish", burst);
    /* Alternate the contenders in batches of LAUNCH_BATCH launches (and burst by burst) so
     * that a slow phase of this shared 2-core machine hits both. Not launch by launch: each
     * platform has its own pocl worker threads, and right after a switch the other
     * platform's workers still spin on both cores (measured: 65 us per launch instead of 8
     * for both contenders with batches of 20). */
    double vl[C_COUNT][MAX_REPS], vt[C_COUNT][MAX_REPS];
    for (int c = C_CLSVM; c <= C_POCL; c++) {
        launch_one(&b->cl[c]); /* warm-up: first launch compiles/loads the kernel */
        bench_check(clFinish(b->cl[c].queue), "clFinish");
    }
    for (int r = 0; r < b->reps; r++) {
        double sum[C_COUNT] = {0};
        for (size_t i = 0; i < single; i += LAUNCH_BATCH)
            for (int c = C_CLSVM; c <= C_POCL; c++) {
                double t0 = bench_now();
                for (size_t j = 0; j < LAUNCH_BATCH; j++) {
                    launch_one(&b->cl[c]);
                    bench_check(clFinish(b->cl[c].queue), "clFinish");
                }
                sum[c] += bench_now() - t0;
            }
        for (int c = C_CLSVM; c <= C_POCL; c++) {
            bench_cl *cl = &b->cl[c];
            double t1 = bench_now();
            for (size_t i = 0; i < burst; i++)
                launch_one(cl);
            bench_check(clFinish(cl->queue), "clFinish");
            vl[c][r] =
                sum[c] / (double)((single + LAUNCH_BATCH - 1) / LAUNCH_BATCH * LAUNCH_BATCH) * 1e6;
            vt[c][r] = (bench_now() - t1) / (double)burst * 1e6;
        }
    }
    for (int c = C_CLSVM; c <= C_POCL; c++) {
        lat->m[c] = bench_summarize(vl[c], b->reps);
        thr->m[c] = bench_summarize(vt[c], b->reps);
    }
}

static void *svm_alloc(bench_cl *cl, size_t size)
{
    void *p = clSVMAlloc(cl->ctx, CL_MEM_READ_WRITE, size, 0);
    if (!p) {
        fprintf(stderr, "clsvm-bench: %s clSVMAlloc(%zu) failed\n", cl->name, size);
        exit(1);
    }
    return p;
}

void fig_copy_fill(bench *b)
{
    size_t size = b->quick ? (size_t)8 << 20 : (size_t)256 << 20;
    figure *fc = bench_figure("memcpy", "GB/s", 1, "%zu MiB", size >> 20);
    figure *ff = bench_figure("fill", "GB/s", 1, "%zu MiB, 4 B pattern", size >> 20);
    /* A pattern of four different bytes cannot be a memset: the general path. */
    figure *fm = bench_figure("fill", "GB/s", 1, "%zu MiB, 4 B mixed pattern", size >> 20);
    const cl_uint pattern = 0x5a5a5a5a, mixed = 0x04030201;
    for (int c = 0; c < C_COUNT; c++) {
        double vc[MAX_REPS], vf[MAX_REPS], vm[MAX_REPS];
        if (c == C_HOST) {
            char *src = malloc(size), *dst = malloc(size);
            if (!src || !dst)
                exit(1);
            memset(src, 1, size); /* first touch outside the timing, as for SVM below */
            memset(dst, 2, size);
            for (int r = 0; r < b->reps; r++) {
                double t0 = bench_now();
                memcpy(dst, src, size);
                double t1 = bench_now();
                memset(dst, (int)(pattern & 0xff), size);
                double t2 = bench_now();
                vc[r] = (double)size / (t1 - t0) / 1e9;
                vf[r] = (double)size / (t2 - t1) / 1e9;
                vm[r] = vf[r]; /* the host baseline for both fills is memset */
            }
            /* Keep the compiler from dropping the copies: the result is observable. */
            if (dst[size / 2] != (char)(pattern & 0xff))
                fprintf(stderr, "clsvm-bench: memset check failed\n");
            free(src);
            free(dst);
        } else {
            bench_cl *cl = &b->cl[c];
            void *src = svm_alloc(cl, size), *dst = svm_alloc(cl, size);
            bench_check(
                clEnqueueSVMMemFill(cl->queue, src, &pattern, sizeof pattern, size, 0, NULL, NULL),
                "clEnqueueSVMMemFill");
            bench_check(
                clEnqueueSVMMemFill(cl->queue, dst, &pattern, sizeof pattern, size, 0, NULL, NULL),
                "clEnqueueSVMMemFill");
            bench_check(clFinish(cl->queue), "clFinish");
            for (int r = 0; r < b->reps; r++) {
                double t0 = bench_now();
                bench_check(clEnqueueSVMMemcpy(cl->queue, CL_TRUE, dst, src, size, 0, NULL, NULL),
                            "clEnqueueSVMMemcpy");
                double t1 = bench_now();
                bench_check(clEnqueueSVMMemFill(cl->queue, dst, &pattern, sizeof pattern, size, 0,
                                                NULL, NULL),
                            "clEnqueueSVMMemFill");
                bench_check(clFinish(cl->queue), "clFinish");
                double t2 = bench_now();
                bench_check(
                    clEnqueueSVMMemFill(cl->queue, dst, &mixed, sizeof mixed, size, 0, NULL, NULL),
                    "clEnqueueSVMMemFill");
                bench_check(clFinish(cl->queue), "clFinish");
                double t3 = bench_now();
                vc[r] = (double)size / (t1 - t0) / 1e9;
                vf[r] = (double)size / (t2 - t1) / 1e9;
                vm[r] = (double)size / (t3 - t2) / 1e9;
            }
            unsigned char *d = dst;
            if (d[size - 4] != 1 || d[size - 1] != 4)
                fprintf(stderr, "clsvm-bench: mixed fill check failed\n");
            clSVMFree(cl->ctx, src);
            clSVMFree(cl->ctx, dst);
        }
        fc->m[c] = bench_summarize(vc, b->reps);
        ff->m[c] = bench_summarize(vf, b->reps);
        fm->m[c] = bench_summarize(vm, b->reps);
    }
}

/* Small SVM commands, where the cost is the command mechanism, not the bytes: a 4 KiB blocking
 * map + host write + unmap + clFinish cycle, a 64-byte blocking memcpy, a 64-byte fill +
 * clFinish, the non-blocking forms with an event waited for, and a 64-byte fill without a wait
 * (one clFinish per batch). Contenders alternate in batches, as for launch. */
enum { SMALL_BATCH = 100, SMALL_KINDS = 6 };

/* Wait for ev and release it. */
static void wait_release(cl_event ev)
{
    bench_check(clWaitForEvents(1, &ev), "clWaitForEvents");
    bench_check(clReleaseEvent(ev), "clReleaseEvent");
}

static void small_cycle(bench_cl *cl, int kind, char *a, char *h, size_t i)
{
    int v = (int)i;
    cl_event ev;
    switch (kind) {
    case 0:
        bench_check(clEnqueueSVMMap(cl->queue, CL_TRUE, CL_MAP_WRITE, a, 4096, 0, NULL, NULL),
                    "clEnqueueSVMMap");
        a[i % 4096] = (char)i;
        bench_check(clEnqueueSVMUnmap(cl->queue, a, 0, NULL, NULL), "clEnqueueSVMUnmap");
        bench_check(clFinish(cl->queue), "clFinish");
        break;
    case 1:
        bench_check(clEnqueueSVMMemcpy(cl->queue, CL_TRUE, h, a, 64, 0, NULL, NULL),
                    "clEnqueueSVMMemcpy");
        break;
    case 2:
        bench_check(clEnqueueSVMMemFill(cl->queue, h, &v, sizeof v, 64, 0, NULL, NULL),
                    "clEnqueueSVMMemFill");
        bench_check(clFinish(cl->queue), "clFinish");
        break;
    case 3:
        bench_check(clEnqueueSVMMemcpy(cl->queue, CL_FALSE, h, a, 64, 0, NULL, &ev),
                    "clEnqueueSVMMemcpy");
        wait_release(ev);
        break;
    case 4:
        bench_check(clEnqueueSVMMemFill(cl->queue, h, &v, sizeof v, 64, 0, NULL, &ev),
                    "clEnqueueSVMMemFill");
        wait_release(ev);
        break;
    default:
        bench_check(clEnqueueSVMMemFill(cl->queue, h, &v, sizeof v, 64, 0, NULL, NULL),
                    "clEnqueueSVMMemFill");
        if (i % SMALL_BATCH == SMALL_BATCH - 1) /* the last of a batch */
            bench_check(clFinish(cl->queue), "clFinish");
        break;
    }
}

void fig_svm_small(bench *b)
{
    size_t n = b->quick ? 200 : 1000;
    figure *f[SMALL_KINDS] = {
        bench_figure("svm_small", "us/cycle", 0, "4 KiB map+write+unmap+finish"),
        bench_figure("svm_small", "us/copy", 0, "64 B blocking memcpy"),
        bench_figure("svm_small", "us/fill", 0, "64 B fill+finish"),
        bench_figure("svm_small", "us/copy", 0, "64 B non-blocking memcpy+event wait"),
        bench_figure("svm_small", "us/fill", 0, "64 B fill+event wait"),
        bench_figure("svm_small", "us/fill", 0, "64 B fill, 1 finish per %d", SMALL_BATCH)};
    char *a[C_COUNT], *h[C_COUNT];
    for (int c = C_CLSVM; c <= C_POCL; c++) {
        a[c] = svm_alloc(&b->cl[c], 4096);
        h[c] = svm_alloc(&b->cl[c], 4096);
    }
    for (int kind = 0; kind < SMALL_KINDS; kind++) {
        double v[C_COUNT][MAX_REPS];
        for (int r = 0; r < b->reps; r++) {
            double sum[C_COUNT] = {0};
            for (size_t i = 0; i < n; i += SMALL_BATCH)
                for (int c = C_CLSVM; c <= C_POCL; c++) {
                    double t0 = bench_now();
                    for (size_t j = 0; j < SMALL_BATCH; j++)
                        small_cycle(&b->cl[c], kind, a[c], h[c], i + j);
                    sum[c] += bench_now() - t0;
                }
            for (int c = C_CLSVM; c <= C_POCL; c++)
                v[c][r] =
                    sum[c] / (double)((n + SMALL_BATCH - 1) / SMALL_BATCH * SMALL_BATCH) * 1e6;
        }
        for (int c = C_CLSVM; c <= C_POCL; c++)
            f[kind]->m[c] = bench_summarize(v[c], b->reps);
    }
    for (int c = C_CLSVM; c <= C_POCL; c++) {
        clSVMFree(b->cl[c].ctx, a[c]);
        clSVMFree(b->cl[c].ctx, h[c]);
    }
}
