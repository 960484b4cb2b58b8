/*
 * test_hostile_icd: a table of hostile calls into every entry point clsvm implements by hand
 * (icd/entrypoints.def, CLSVM_HAND) and, for handle checks, the generated ones: NULL and
 * wrong-type handles (a context passed as a queue ...), released handles, out-of-range sizes
 * and offsets, bad flags, NULL pointers with non-zero sizes, mismatched counts and arrays,
 * double/interior/foreign clSVMFree. Each call must return the OpenCL 3.0 API spec's error
 * (or be a documented no-op); after every case a live fine-grain SVM allocation must still hold
 * its data and the context must still answer. Mismatches are listed, not fatal one by one.
 * Under ASan/LSan the same run proves nothing crashes or leaks.
 */
#include "hostile_icd.h"

int cases, failures, known;

const char hostile_src[] = "__kernel void k(__global int *a, int n) { a[get_global_id(0)] = n; }";

static unsigned char live_byte(size_t i)
{
    return (unsigned char)(i * 131 + 7);
}

void after_case(fx *f, const char *what)
{
    for (size_t i = 0; i < LIVE_SIZE; i += 61)
        if (f->live[i] != live_byte(i)) {
            fprintf(stderr, "FATAL: after '%s' byte %zu of the live SVM allocation changed\n", what,
                    i);
            exit(1);
        }
    cl_uint refs = 0;
    if (clGetContextInfo(f->e.context, CL_CONTEXT_REFERENCE_COUNT, sizeof refs, &refs, NULL) !=
            CL_SUCCESS ||
        refs == 0) {
        fprintf(stderr, "FATAL: after '%s' the context no longer answers\n", what);
        exit(1);
    }
}

void result(fx *f, const char *file, int line, const char *expr, cl_int got, cl_int want,
            cl_int want2)
{
    cases++;
    if (got != want && got != want2) {
        failures++;
        fprintf(stderr, "%s:%d: %s\n    returned %s (%d), spec: %s\n", file, line, expr,
                icd_err_name(got), (int)got, icd_err_name(want));
    }
    after_case(f, expr);
}

static void setup(fx *f)
{
    cl_int err;
    svm_env_open(&f->e);
    cl_context c = f->e.context;
    cl_device_id d = f->e.device;
    f->ctx2 = icd_test_context(f->e.platform, d);
    f->queue2 = icd_test_queue(f->ctx2, d, NULL);
    f->buf = icd_test_buffer(c, CL_MEM_READ_WRITE, 4096, NULL);
    f->buf2 = icd_test_buffer(f->ctx2, CL_MEM_READ_WRITE, 4096, NULL);
    f->prog = icd_test_program(c, d, hostile_src, NULL);
    f->kern = icd_test_kernel(f->prog, "k");
    const char *s = hostile_src;
    f->unbuilt = clCreateProgramWithSource(c, 1, &s, NULL, &err);
    CHECK_CL(err);
    cl_program p2 = icd_test_program(f->ctx2, d, hostile_src, NULL);
    f->kern2 = icd_test_kernel(p2, "k");
    CHECK_CL(clReleaseProgram(p2)); /* the kernel keeps it */
    f->uev = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(f->uev, CL_COMPLETE));
    cl_sampler_properties sp[] = {CL_SAMPLER_NORMALIZED_COORDS, CL_FALSE, 0};
    f->sampler = clCreateSamplerWithProperties(c, sp, &err);
    CHECK_CL(err);

    f->live = clSVMAlloc(c, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, LIVE_SIZE, 0);
    f->svm = clSVMAlloc(c, CL_MEM_READ_WRITE, 4096, 0);
    f->svm2 = clSVMAlloc(f->ctx2, CL_MEM_READ_WRITE, 4096, 0);
    CHECK(f->live && f->svm && f->svm2);
    for (size_t i = 0; i < LIVE_SIZE; i++)
        f->live[i] = live_byte(i);

    /* Released handles of every kind. */
    f->dead_ctx = icd_test_context(f->e.platform, d);
    CHECK_CL(clReleaseContext(f->dead_ctx));
    f->dead_queue = icd_test_queue(c, d, NULL);
    CHECK_CL(clReleaseCommandQueue(f->dead_queue));
    f->dead_mem = icd_test_buffer(c, CL_MEM_READ_WRITE, 64, NULL);
    CHECK_CL(clReleaseMemObject(f->dead_mem));
    f->dead_kern = icd_test_kernel(f->prog, "k");
    CHECK_CL(clReleaseKernel(f->dead_kern));
    f->dead_prog = clCreateProgramWithSource(c, 1, &s, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseProgram(f->dead_prog));
    f->dead_event = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(f->dead_event, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(f->dead_event));
    f->dead_sampler = clCreateSamplerWithProperties(c, sp, &err);
    CHECK_CL(err);
    CHECK_CL(clReleaseSampler(f->dead_sampler));
}

static void teardown(fx *f)
{
    clSVMFree(f->e.context, f->live);
    clSVMFree(f->e.context, f->svm);
    clSVMFree(f->ctx2, f->svm2);
    CHECK_CL(clReleaseSampler(f->sampler));
    CHECK_CL(clReleaseEvent(f->uev));
    CHECK_CL(clReleaseKernel(f->kern));
    CHECK_CL(clReleaseKernel(f->kern2));
    CHECK_CL(clReleaseProgram(f->prog));
    CHECK_CL(clReleaseProgram(f->unbuilt));
    CHECK_CL(clReleaseMemObject(f->buf));
    CHECK_CL(clReleaseMemObject(f->buf2));
    CHECK_CL(clFinish(f->queue2));
    CHECK_CL(clReleaseCommandQueue(f->queue2));
    CHECK_CL(clReleaseContext(f->ctx2));
    svm_env_close(&f->e);
}

int main(void)
{
    static fx f;
    setup(&f);
    if (!f.e.is_clsvm) {
        /* Other platforms: run for comparison, the verdict is clsvm's only. */
        printf("platform is not clsvm: results are informational\n");
    }
    platform_device_context(&f);
    retain_release(&f);
    queues_buffers(&f);
    programs_kernels(&f);
    events(&f);
    svm(&f);
    extensions(&f);
    teardown(&f);
    printf("%d hostile calls, %d returned another error than the spec's, %d known deviations\n",
           cases, failures, known);
    return f.e.is_clsvm && failures ? 1 : 0;
}
