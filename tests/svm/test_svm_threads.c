/* test_svm_threads: two threads share one context, each with its own queue and kernel object
 * (kernel arguments are per-object state, not thread-safe), and repeatedly allocate SVM of
 * varying size and kind, fill it, run a kernel on it, check every element and free it. Exact
 * results in both threads show the SVM allocator and command paths are safe to use
 * concurrently; the live ranges of the two threads must never overlap. */
#include "svm/svm_test.h"

#include <pthread.h>

enum { NTHREADS = 2, ITERS = 30, LOCAL = 64 };

static const char *src = "kernel void k_step(global uint *a, uint tid)\n"
                         "{ size_t i = get_global_id(0); a[i] = a[i] * 2u + tid; }\n";

typedef struct worker {
    const svm_env *e;
    cl_program prog;
    cl_uint tid;
    /* The allocation currently live in this worker, published for the overlap check. */
    unsigned char *live;
    size_t live_size;
    void *outside; /* first allocation found above the window, if any */
    int done;      /* iterations completed and checked */
} worker;

static worker workers[NTHREADS];

/* The other worker's live range must not overlap ours. Each worker publishes a range before
 * checking and unpublishes it before freeing it; a size read while the other worker moves on is
 * only trusted if its pointer is still the same afterwards, so races weaken the check but never
 * raise a false alarm. */
static void check_no_overlap(const worker *me, const unsigned char *p, size_t n)
{
    for (int i = 0; i < NTHREADS; i++) {
        const worker *o = &workers[i];
        if (o == me)
            continue;
        unsigned char *q = __atomic_load_n(&o->live, __ATOMIC_ACQUIRE);
        size_t qn = __atomic_load_n(&o->live_size, __ATOMIC_ACQUIRE);
        if (q && qn && p < q + qn && q < p + n) {
            /* Re-read: the other worker may have replaced its range meanwhile. */
            if (__atomic_load_n(&o->live, __ATOMIC_ACQUIRE) == q)
                CHECK_MSG(0, "threads hold overlapping SVM ranges [%p,+%zu) and [%p,+%zu)",
                          (const void *)p, n, (const void *)q, qn);
        }
    }
}

static void *run(void *arg)
{
    worker *w = arg;
    const svm_env *e = w->e;
    cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
    cl_kernel k = icd_test_kernel(w->prog, "k_step");
    unsigned long long seed = 0x7417ead0ULL + w->tid;
    for (int it = 0; it < ITERS; it++) {
        /* Sizes vary, the work-group size does not: pocl builds a kernel variant per local
         * size, and random sizes (each with its own divisors) made this test spend minutes
         * compiling on a loaded machine. */
        size_t n = LOCAL * (1 + (size_t)(test_rand(&seed) % (30000 / LOCAL))), local = LOCAL;
        cl_svm_mem_flags flags =
            (it + (int)w->tid) % 2 ? CL_MEM_SVM_FINE_GRAIN_BUFFER : CL_MEM_READ_WRITE;
        cl_uint *a = clSVMAlloc(e->context, flags, n * 4, 0);
        CHECK_MSG(a != NULL, "thread %u: clSVMAlloc(%zu) failed", w->tid, n * 4);
        if (!svm_in_window(e, a, n * 4)) {
            /* Reported by main after the join: exit() while the other thread still runs
             * OpenCL calls would crash in teardown and hide the message. */
            w->outside = a;
            clSVMFree(e->context, a);
            break;
        }
        __atomic_store_n(&w->live_size, n * 4, __ATOMIC_RELEASE);
        __atomic_store_n(&w->live, (unsigned char *)a, __ATOMIC_RELEASE);
        check_no_overlap(w, (unsigned char *)a, n * 4);

        int coarse = !(flags & CL_MEM_SVM_FINE_GRAIN_BUFFER);
        if (coarse)
            CHECK_CL(clEnqueueSVMMap(q, CL_TRUE, CL_MAP_WRITE_INVALIDATE_REGION, a, n * 4, 0, NULL,
                                     NULL));
        for (size_t i = 0; i < n; i++)
            a[i] = (cl_uint)(i * 3 + (size_t)it);
        if (coarse)
            CHECK_CL(clEnqueueSVMUnmap(q, a, 0, NULL, NULL));
        CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
        CHECK_CL(clSetKernelArg(k, 1, sizeof w->tid, &w->tid));
        CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &n, &local, 0, NULL, NULL));
        if (coarse)
            CHECK_CL(clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, a, n * 4, 0, NULL, NULL));
        else
            CHECK_CL(clFinish(q));
        for (size_t i = 0; i < n; i++)
            CHECK_MSG(a[i] == (cl_uint)(i * 3 + (size_t)it) * 2u + w->tid,
                      "thread %u iter %d: a[%zu] = %u", w->tid, it, i, a[i]);
        if (coarse) {
            CHECK_CL(clEnqueueSVMUnmap(q, a, 0, NULL, NULL));
            CHECK_CL(clFinish(q));
        }
        __atomic_store_n(&w->live, (unsigned char *)NULL, __ATOMIC_RELEASE);
        clSVMFree(e->context, a);
        w->done++;
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseCommandQueue(q));
    return NULL;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    /* pocl 3.1's basic device aborts now and then when two threads run kernels at once (pocl
     * alone too). */
    svm_test_runs(&e, "two threads running kernels at once trip pocl 3.1's assertion in "
                      "pocl_release_dlhandle_cache on such a device");
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        workers[i].e = &e;
        workers[i].prog = prog;
        workers[i].tid = (cl_uint)i + 1;
        CHECK(pthread_create(&t[i], NULL, run, &workers[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_MSG(workers[i].outside == NULL, "thread %u: SVM pointer %p above 2^%u",
                  workers[i].tid, workers[i].outside, e.va_bits);
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ(workers[i].done, ITERS);
    printf("%d threads x %d iterations checked\n", NTHREADS, ITERS);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    printf("ok\n");
    return 0;
}
