/* test_icd_threads: several threads share one context, program and queue and each creates,
 * uses and releases its own buffers, kernels, events and queues, as real apps do. Results are
 * checked exactly; a race in clsvm's wrapper tables or refcounts shows as a wrong value, a
 * crash, or (under ASan/TSan builds) a report. */
#include "icd_test.h"

#include <pthread.h>

enum { NTHREADS = 4, ITERS = 24, N = 2048 };

static const char *src =
    "__kernel void axpb(__global const int *x, __global int *y, int a, int b)\n"
    "{ size_t i = get_global_id(0); y[i] = a * x[i] + b; }\n";

static cl_context ctx;
static cl_device_id dev;
static cl_command_queue shared_q;
static cl_program prog;

struct job {
    int id;
    int done;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    cl_int x[N], y[N];
    unsigned long long seed = 1000 + (unsigned long long)j->id;
    for (int it = 0; it < ITERS; it++) {
        /* Every fourth iteration uses a private queue; the rest share one. */
        cl_command_queue q = shared_q;
        if (it % 4 == 3)
            q = icd_test_queue(ctx, dev, NULL);
        for (int i = 0; i < N; i++)
            x[i] = (cl_int)(test_rand(&seed) % 10000);
        cl_int a = j->id * 100 + it, b = -it;
        cl_mem mx = icd_test_buffer(ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof x, x);
        cl_mem my = icd_test_buffer(ctx, CL_MEM_WRITE_ONLY, sizeof y, NULL);
        cl_kernel k = icd_test_kernel(prog, "axpb");
        CHECK_CL(clSetKernelArg(k, 0, sizeof mx, &mx));
        CHECK_CL(clSetKernelArg(k, 1, sizeof my, &my));
        CHECK_CL(clSetKernelArg(k, 2, sizeof a, &a));
        CHECK_CL(clSetKernelArg(k, 3, sizeof b, &b));
        size_t gws = N;
        cl_event run = NULL;
        CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, &run));
        /* Handles come back right even while other threads create objects. */
        cl_command_queue eq = NULL;
        ICD_GET_INFO(clGetEventInfo, run, CL_EVENT_COMMAND_QUEUE, eq);
        CHECK(eq == q);
        cl_context kc = NULL;
        ICD_GET_INFO(clGetKernelInfo, k, CL_KERNEL_CONTEXT, kc);
        CHECK(kc == ctx);
        CHECK_CL(clEnqueueReadBuffer(q, my, CL_TRUE, 0, sizeof y, y, 1, &run, NULL));
        for (int i = 0; i < N; i++)
            CHECK_MSG(y[i] == a * x[i] + b, "thread %d iter %d: y[%d] = %d, expected %d", j->id, it,
                      i, y[i], a * x[i] + b);
        CHECK_CL(clReleaseEvent(run));
        CHECK_CL(clReleaseKernel(k));
        CHECK_CL(clReleaseMemObject(mx));
        CHECK_CL(clReleaseMemObject(my));
        if (q != shared_q)
            CHECK_CL(clReleaseCommandQueue(q));
        /* Shared objects' refcounts are touched concurrently, too. */
        CHECK_CL(clRetainContext(ctx));
        CHECK_CL(clRetainProgram(prog));
        CHECK_CL(clReleaseProgram(prog));
        CHECK_CL(clReleaseContext(ctx));
    }
    j->done = ITERS;
    return NULL;
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    dev = icd_test_device(p);
    ctx = icd_test_context(p, dev);
    shared_q = icd_test_queue(ctx, dev, NULL);
    prog = icd_test_program(ctx, dev, src, NULL);

    pthread_t t[NTHREADS];
    struct job jobs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        jobs[i] = (struct job){.id = i, .done = 0};
        CHECK(pthread_create(&t[i], NULL, worker, &jobs[i]) == 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        CHECK(pthread_join(t[i], NULL) == 0);
        CHECK_EQ(jobs[i].done, ITERS);
    }

    cl_uint refs = 0;
    ICD_GET_INFO(clGetProgramInfo, prog, CL_PROGRAM_REFERENCE_COUNT, refs);
    CHECK_MSG(refs >= 1, "program refcount %u after the threads' balanced retain/release", refs);
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseCommandQueue(shared_q));
    CHECK_CL(clReleaseContext(ctx));
    printf("ok\n");
    return 0;
}
