/* test_icd_coexist: clsvm and pocl listed side by side (OCL_ICD_VENDORS = a directory with both
 * .icd files). The loader then loads libpocl once for its own platform while clsvm loads it
 * privately as its backend; both platforms must be visible, keep their own devices, and run
 * a vector add in the same process. A pocl handle handed to clsvm must be rejected. */
#include "icd_test.h"

#define POCL_NAME "Portable Computing Language"

static const char *src = "__kernel void vadd(__global const int *a, __global const int *b,\n"
                         "                   __global int *c)\n"
                         "{ size_t i = get_global_id(0); c[i] = a[i] + b[i]; }\n";

enum { N = 1 << 16 };

struct env {
    cl_platform_id p;
    cl_device_id d;
    cl_context c;
    cl_command_queue q;
    cl_program prog;
    cl_kernel k;
    cl_mem a, b, out;
};

static void setup(struct env *e, cl_platform_id p, const cl_int *a, const cl_int *b)
{
    e->p = p;
    e->d = icd_test_device(p);
    cl_platform_id dp = NULL;
    ICD_GET_INFO(clGetDeviceInfo, e->d, CL_DEVICE_PLATFORM, dp);
    CHECK_MSG(dp == p, "%s: a device reports platform %p, not %p", icd_platform_name(p), (void *)dp,
              (void *)p);
    e->c = icd_test_context(p, e->d);
    e->q = icd_test_queue(e->c, e->d, NULL);
    e->prog = icd_test_program(e->c, e->d, src, NULL);
    e->k = icd_test_kernel(e->prog, "vadd");
    e->a = icd_test_buffer(e->c, CL_MEM_COPY_HOST_PTR, N * sizeof(cl_int), (void *)a);
    e->b = icd_test_buffer(e->c, CL_MEM_COPY_HOST_PTR, N * sizeof(cl_int), (void *)b);
    e->out = icd_test_buffer(e->c, CL_MEM_WRITE_ONLY, N * sizeof(cl_int), NULL);
}

static void run_and_check(struct env *e, const cl_int *a, const cl_int *b)
{
    static cl_int out[N];
    memset(out, 0, sizeof out);
    CHECK_CL(clSetKernelArg(e->k, 0, sizeof e->a, &e->a));
    CHECK_CL(clSetKernelArg(e->k, 1, sizeof e->b, &e->b));
    CHECK_CL(clSetKernelArg(e->k, 2, sizeof e->out, &e->out));
    size_t gws = N;
    CHECK_CL(clEnqueueNDRangeKernel(e->q, e->k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->q, e->out, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < N; i++)
        CHECK_MSG(out[i] == a[i] + b[i], "%s: c[%d] = %d, expected %d", icd_platform_name(e->p), i,
                  out[i], a[i] + b[i]);
}

static void teardown(struct env *e)
{
    CHECK_CL(clReleaseMemObject(e->a));
    CHECK_CL(clReleaseMemObject(e->b));
    CHECK_CL(clReleaseMemObject(e->out));
    CHECK_CL(clReleaseKernel(e->k));
    CHECK_CL(clReleaseProgram(e->prog));
    CHECK_CL(clReleaseCommandQueue(e->q));
    CHECK_CL(clReleaseContext(e->c));
}

int main(void)
{
    cl_platform_id ps = icd_test_platform();
    cl_platform_id pp = icd_find_platform(POCL_NAME);
    int same = ps == pp; /* only when the test itself is pointed at pocl */
    if (same)
        printf("note: the platform under test is pocl itself; coexistence not exercised\n");

    static cl_int a[N], b[N];
    unsigned long long seed = 99;
    for (int i = 0; i < N; i++) {
        a[i] = (cl_int)(test_rand(&seed) % 1000000);
        b[i] = (cl_int)(test_rand(&seed) % 1000000) - 500000;
    }
    struct env es, ep;
    setup(&es, ps, a, b);
    setup(&ep, pp, b, a);
    if (!same)
        CHECK_MSG(es.d != ep.d, "clsvm hands out pocl's own device handle");

    /* Interleave the two platforms' work. */
    run_and_check(&es, a, b);
    run_and_check(&ep, b, a);
    run_and_check(&es, a, b);
    printf("vector add on both platforms ok\n");

    int bad = 0;
    if (!same) {
        /* A foreign (pocl) buffer is not a clsvm memory object: clsvm must not pass it on. */
        cl_int err = clSetKernelArg(es.k, 0, sizeof ep.a, &ep.a);
        if (err != CL_INVALID_MEM_OBJECT) {
            fprintf(stderr, "FAIL clSetKernelArg(clsvm kernel, pocl buffer): %s, want %s\n",
                    icd_err_name(err), icd_err_name(CL_INVALID_MEM_OBJECT));
            bad++;
        }
        /* pocl's device does not belong to clsvm's context. (Only this direction: the loader
         * dispatches on the context, and pocl itself checks no foreign handles.) */
        cl_command_queue q = clCreateCommandQueueWithProperties(es.c, ep.d, NULL, &err);
        if (q || err != CL_INVALID_DEVICE) {
            fprintf(stderr, "FAIL clCreateCommandQueue(clsvm context, pocl device): %s, want %s\n",
                    icd_err_name(err), icd_err_name(CL_INVALID_DEVICE));
            bad++;
        }
        /* Restore the argument clsvm may have accepted, so teardown is clean either way. */
        CHECK_CL(clSetKernelArg(es.k, 0, sizeof es.a, &es.a));
        if (q)
            clReleaseCommandQueue(q);
    }

    teardown(&es);
    teardown(&ep);
    CHECK_MSG(bad == 0, "%d foreign-handle checks failed", bad);
    printf("ok\n");
    return 0;
}
