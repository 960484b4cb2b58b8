/*
 * test_stress_icd [--seconds N | --minutes N] [--threads T]: threads share one clsvm context and,
 * for a bounded time, at once allocate SVM buffers (coarse and fine grain, 64 B to 1 MiB), fill
 * them (host writes or clEnqueueSVMMemFill), run a kernel on them, copy between them with
 * clEnqueueSVMMemcpy, map/unmap, and free them (clSVMFree or clEnqueueSVMFree). Each thread keeps
 * up to 16 buffers whose expected contents it knows; every buffer is checked before it is freed
 * and all are checked at the end. ctest runs it for 10 s; --minutes N is the soak mode.
 * Prints the figures (operations, allocations, kernels, bytes) for docs/reliability.md.
 */
#include "svm/svm_test.h"

#include <pthread.h>

#define MAXT 16
#define SLOTS 16

static const char *src = "kernel void bump(global uint *a, uint add)\n"
                         "{ size_t i = get_global_id(0); a[i] = a[i] * 3u + add; }\n";

typedef struct buf {
    cl_uint *p;
    size_t n; /* elements */
    int fine;
    cl_uint seed; /* a[i] == expect(seed, i, steps) */
    int steps;    /* kernel applications so far */
    cl_uint add;
} buf;

typedef struct worker {
    const svm_env *e;
    cl_program prog;
    cl_uint id;
    double seconds;
    buf b[SLOTS];
    unsigned long long ops, allocs, frees, kernels, copies, fills, maps, bytes;
} worker;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static cl_uint expect(const buf *b, size_t i)
{
    cl_uint v = b->seed + (cl_uint)i * 2654435761u;
    for (int s = 0; s < b->steps; s++)
        v = v * 3u + b->add;
    return v;
}

/* Read access for the host: fine-grain directly, coarse-grain under a map. */
static void host_begin(cl_command_queue q, const buf *b, cl_map_flags f)
{
    if (!b->fine)
        CHECK_CL(clEnqueueSVMMap(q, CL_TRUE, f, b->p, b->n * 4, 0, NULL, NULL));
}

static void host_end(cl_command_queue q, const buf *b)
{
    if (!b->fine) {
        CHECK_CL(clEnqueueSVMUnmap(q, b->p, 0, NULL, NULL));
        CHECK_CL(clFinish(q));
    }
}

static void verify(worker *w, cl_command_queue q, const buf *b)
{
    host_begin(q, b, CL_MAP_READ);
    for (size_t i = 0; i < b->n; i++)
        CHECK_MSG(b->p[i] == expect(b, i), "thread %u: buffer %p element %zu is %u, expected %u",
                  w->id, (void *)b->p, i, b->p[i], expect(b, i));
    host_end(q, b);
}

static void release(worker *w, cl_command_queue q, buf *b, unsigned long long r)
{
    verify(w, q, b);
    if (r & 1) {
        clSVMFree(w->e->context, b->p);
    } else {
        void *list[1] = {b->p};
        cl_event ev;
        CHECK_CL(clEnqueueSVMFree(q, 1, list, NULL, NULL, 0, NULL, &ev));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_CL(clReleaseEvent(ev));
    }
    b->p = NULL;
    w->frees++;
}

static void *run(void *arg)
{
    worker *w = arg;
    const svm_env *e = w->e;
    cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
    cl_kernel k = icd_test_kernel(w->prog, "bump");
    unsigned long long r = 0x9e3779b97f4a7c15ull * (w->id + 1);
    double end = now() + w->seconds;
    while (now() < end) {
        unsigned long long x = test_rand(&r);
        buf *b = &w->b[x % SLOTS];
        unsigned action = (unsigned)(x >> 8) % 6;
        w->ops++;
        if (!b->p) { /* allocate and fill */
            b->n = 16 + (size_t)(test_rand(&r) % (262144 - 16));
            b->fine = (int)(test_rand(&r) & 1);
            b->p = svm_alloc(e, CL_MEM_READ_WRITE | (b->fine ? CL_MEM_SVM_FINE_GRAIN_BUFFER : 0),
                             b->n * 4, 0);
            b->seed = (cl_uint)test_rand(&r);
            b->steps = 0;
            b->add = w->id + 1;
            w->allocs++;
            w->bytes += b->n * 4;
            if (action & 1) {
                host_begin(q, b, CL_MAP_WRITE_INVALIDATE_REGION);
                for (size_t i = 0; i < b->n; i++)
                    b->p[i] = expect(b, i);
                host_end(q, b);
                w->maps += !b->fine;
            } else { /* a fill then a host fix-up would need a second pattern; use a copy */
                cl_uint *tmp = malloc(b->n * 4);
                CHECK(tmp != NULL);
                for (size_t i = 0; i < b->n; i++)
                    tmp[i] = expect(b, i);
                cl_uint zero = 0;
                CHECK_CL(clEnqueueSVMMemFill(q, b->p, &zero, sizeof zero, b->n * 4, 0, NULL, NULL));
                CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, b->p, tmp, b->n * 4, 0, NULL, NULL));
                free(tmp);
                w->fills++;
                w->copies++;
            }
            continue;
        }
        switch (action) {
        case 0:
        case 1: { /* kernel on the buffer */
            CHECK_CL(clSetKernelArgSVMPointer(k, 0, b->p));
            CHECK_CL(clSetKernelArg(k, 1, sizeof b->add, &b->add));
            size_t gws = b->n;
            CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
            CHECK_CL(clFinish(q));
            b->steps++;
            w->kernels++;
            break;
        }
        case 2: { /* copy this buffer into another live one of at least its size */
            buf *d = &w->b[(x >> 20) % SLOTS];
            if (d == b || !d->p || d->n < b->n)
                break;
            CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, d->p, b->p, b->n * 4, 0, NULL, NULL));
            CHECK_CL(clFinish(q));
            /* d's first b->n elements are now b's: rebuild d's expectation by making it b's
             * shape (truncate d's view to b's length). */
            cl_uint *dp = d->p;
            size_t dn = d->n;
            int dfine = d->fine;
            *d = *b;
            d->p = dp;
            d->fine = dfine;
            (void)dn; /* the tail beyond b->n is no longer checked */
            w->copies++;
            break;
        }
        case 3:
            verify(w, q, b);
            w->maps += !b->fine;
            break;
        default:
            release(w, q, b, x >> 32);
            break;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (w->b[i].p)
            release(w, q, &w->b[i], (unsigned long long)i);
    CHECK_CL(clFinish(q));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseCommandQueue(q));
    return NULL;
}

int main(int argc, char **argv)
{
    double seconds = 10;
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seconds"))
            seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--minutes"))
            seconds = 60 * atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
    }
    if (threads < 1 || threads > MAXT || !(seconds > 0)) {
        fprintf(stderr, "usage: %s [--seconds N | --minutes N] [--threads 1..%d]\n", argv[0], MAXT);
        return 2;
    }
    svm_env e;
    svm_env_open(&e);
    if (!(e.caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER)) {
        printf("no fine-grain SVM buffers: skipped\n");
        return SVM_TEST_SKIP;
    }
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    static worker w[MAXT];
    pthread_t t[MAXT];
    double t0 = now();
    for (int i = 0; i < threads; i++) {
        w[i] = (worker){.e = &e, .prog = prog, .id = (cl_uint)i, .seconds = seconds};
        CHECK(pthread_create(&t[i], NULL, run, &w[i]) == 0);
    }
    worker sum = {0};
    for (int i = 0; i < threads; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        sum.ops += w[i].ops;
        sum.allocs += w[i].allocs;
        sum.frees += w[i].frees;
        sum.kernels += w[i].kernels;
        sum.copies += w[i].copies;
        sum.fills += w[i].fills;
        sum.maps += w[i].maps;
        sum.bytes += w[i].bytes;
    }
    CHECK_EQ(sum.allocs, sum.frees);
    printf("stress: %d threads, %.1f s: %llu operations, %llu SVM allocations (%llu MiB) all "
           "checked and freed, %llu kernels, %llu SVM copies, %llu fills, %llu map/unmap\n",
           threads, now() - t0, sum.ops, sum.allocs, sum.bytes >> 20, sum.kernels, sum.copies,
           sum.fills, sum.maps);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return 0;
}
