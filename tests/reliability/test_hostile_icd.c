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
/* clSetProgramReleaseCallback is deprecated in 3.0 but still an entry point clsvm implements. */
#define CL_USE_DEPRECATED_OPENCL_2_2_APIS
#include "svm/svm_test.h"

#define LIVE_SIZE 65536

typedef struct fx {
    svm_env e;
    cl_context ctx2;         /* a second context on the same device */
    cl_command_queue queue2; /* in ctx2 */
    cl_mem buf, buf2;        /* 4 KiB, in ctx and ctx2 */
    cl_program prog;         /* built, kernel "k(global int *a, int n)" */
    cl_program unbuilt;      /* created from source, never built */
    cl_kernel kern, kern2;   /* kern2 in ctx2 */
    cl_event uev;            /* a user event, completed */
    cl_sampler sampler;
    unsigned char *live; /* fine-grain SVM, LIVE_SIZE bytes, pattern checked after each case */
    unsigned char *svm;  /* coarse SVM, 4 KiB, in ctx */
    unsigned char *svm2; /* coarse SVM, 4 KiB, in ctx2 */
    /* Released handles of each kind (slots stay dead: icd/object.c's quarantine). */
    cl_context dead_ctx;
    cl_command_queue dead_queue;
    cl_mem dead_mem;
    cl_program dead_prog;
    cl_kernel dead_kern;
    cl_event dead_event;
    cl_sampler dead_sampler;
} fx;

static int cases, failures;

static unsigned char live_byte(size_t i)
{
    return (unsigned char)(i * 131 + 7);
}

/* After every case: the live allocation is intact and the context answers. */
static void after_case(fx *f, const char *what)
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

static void result(fx *f, int line, const char *expr, cl_int got, cl_int want, cl_int want2)
{
    cases++;
    if (got != want && got != want2) {
        failures++;
        fprintf(stderr, "line %d: %s\n    returned %s (%d), spec: %s\n", line, expr,
                icd_err_name(got), (int)got, icd_err_name(want));
    }
    after_case(f, expr);
}

/* T(want, call): a cl_int call. T2: either of two errors (the spec leaves the order open). */
#define T(want, call) result(f, __LINE__, #call, (call), (want), (want))
#define T2(want, want2, call) result(f, __LINE__, #call, (call), (want), (want2))
/* K(want, call): a known deviation in a file this test's owner may not change (listed in
 * docs/reliability.md): reported, counted apart, not a failure; a note once it is fixed. */
static int known;
#define K(want, call)                                                                              \
    do {                                                                                           \
        cl_int got_ = (call);                                                                      \
        cases++;                                                                                   \
        if (got_ != (want)) {                                                                      \
            known++;                                                                               \
            fprintf(stderr, "known deviation, line %d: %s returned %s, spec: %s\n", __LINE__,      \
                    #call, icd_err_name(got_), icd_err_name(want));                                \
        } else {                                                                                   \
            fprintf(stderr, "line %d: %s now meets the spec: make it a T() case\n", __LINE__,      \
                    #call);                                                                        \
        }                                                                                          \
        after_case(f, #call);                                                                      \
    } while (0)
/* X(want, call): a call that crashes the process inside the backend because clsvm forwards it
 * unchecked (a generated forwarder, or a file this test's owner may not change; listed in
 * docs/reliability.md). Not executed; counted as a known deviation. */
#define X(want, call)                                                                              \
    do {                                                                                           \
        (void)(want);                                                                              \
        cases++;                                                                                   \
        known++;                                                                                   \
        fprintf(stderr, "known crash, line %d, not run: %s\n", __LINE__, #call);                   \
    } while (0)
/* O(want, type, release, call): a call returning an object through `err`; on success the object
 * is released; on error it must be NULL. */
#define O(want, type, release, call) O2(want, want, type, release, call)
#define O2(want, want2, type, release, call)                                                       \
    do {                                                                                           \
        err = 12345;                                                                               \
        type o_ = (call);                                                                          \
        cl_int got_ = err;                                                                         \
        if (o_ && got_ != CL_SUCCESS)                                                              \
            got_ = -9999; /* an object together with an error */                                   \
        if (o_)                                                                                    \
            release(o_);                                                                           \
        result(f, __LINE__, #call, got_, (want), (want2));                                         \
    } while (0)
/* P(call): clSVMAlloc-like calls that must return NULL; N(call): void calls (documented no-op). */
#define P(call)                                                                                    \
    do {                                                                                           \
        void *p_ = (call);                                                                         \
        if (p_)                                                                                    \
            clSVMFree(f->e.context, p_);                                                           \
        result(f, __LINE__, #call, p_ ? -9999 : CL_SUCCESS, CL_SUCCESS, CL_SUCCESS);               \
    } while (0)
#define N(call)                                                                                    \
    do {                                                                                           \
        call;                                                                                      \
        result(f, __LINE__, #call, CL_SUCCESS, CL_SUCCESS, CL_SUCCESS);                            \
    } while (0)

/* Release a program a wrongly successful call returned. */
static void clReleaseProgram_if(cl_program p)
{
    if (p)
        clReleaseProgram(p);
}

static void CL_CALLBACK ev_notify(cl_event ev, cl_int status, void *user)
{
    (void)ev, (void)status, (void)user;
}

static void CL_CALLBACK native_fn(void *args)
{
    (void)args;
}

static const char src[] = "__kernel void k(__global int *a, int n) { a[get_global_id(0)] = n; }";

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
    f->prog = icd_test_program(c, d, src, NULL);
    f->kern = icd_test_kernel(f->prog, "k");
    const char *s = src;
    f->unbuilt = clCreateProgramWithSource(c, 1, &s, NULL, &err);
    CHECK_CL(err);
    cl_program p2 = icd_test_program(f->ctx2, d, src, NULL);
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

/* Wrong-type handles: each object kind passed where another is expected. */
#define AS(type, h) ((type)(void *)(h))

static void platform_device_context(fx *f)
{
    cl_int err;
    cl_platform_id p = f->e.platform;
    cl_device_id d = f->e.device;
    cl_context c = f->e.context;
    char buf[64];
    size_t sz;
    cl_uint n;
    cl_device_id devs[4];

    T(CL_INVALID_VALUE, clGetPlatformInfo(p, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetPlatformInfo(p, CL_PLATFORM_NAME, 1, buf, NULL));
    T(CL_INVALID_PLATFORM,
      clGetPlatformInfo(AS(cl_platform_id, c), CL_PLATFORM_NAME, 0, NULL, &sz));
    T(CL_INVALID_PLATFORM,
      clGetPlatformInfo(AS(cl_platform_id, d), CL_PLATFORM_NAME, 0, NULL, &sz));

    /* icd/device.c forwards the type to pocl, which answers CL_DEVICE_NOT_FOUND. */
    T(CL_INVALID_DEVICE_TYPE, clGetDeviceIDs(p, 0, 1, devs, &n));
    T(CL_INVALID_DEVICE_TYPE, clGetDeviceIDs(p, (cl_device_type)1 << 40, 1, devs, &n));
    T(CL_INVALID_VALUE, clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, devs, &n));
    T(CL_INVALID_VALUE, clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, NULL));
    T(CL_INVALID_PLATFORM, clGetDeviceIDs(AS(cl_platform_id, c), CL_DEVICE_TYPE_ALL, 1, devs, &n));

    T(CL_INVALID_VALUE, clGetDeviceInfo(d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_NAME, 1, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_SVM_CAPABILITIES, 1, buf, NULL));
    T(CL_INVALID_VALUE, clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, 4, buf, NULL));
    T(CL_INVALID_DEVICE, clGetDeviceInfo(AS(cl_device_id, c), CL_DEVICE_NAME, 0, NULL, &sz));
    T(CL_INVALID_DEVICE, clGetDeviceInfo(AS(cl_device_id, p), CL_DEVICE_NAME, 0, NULL, &sz));
    T(CL_INVALID_DEVICE,
      clGetDeviceInfo(AS(cl_device_id, f->e.queue), CL_DEVICE_SVM_CAPABILITIES, 0, NULL, &sz));

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_context_properties badkey[] = {0x7fff, 1, CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_context_properties badplat[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c, 0};
    cl_context_properties twice[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p,
                                     CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 0, &d, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 1, NULL, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContext(props, 1, &d, NULL, buf, &err));
    cl_device_id bad_dev = AS(cl_device_id, c);
    O(CL_INVALID_DEVICE, cl_context, clReleaseContext,
      clCreateContext(props, 1, &bad_dev, NULL, NULL, &err));
    cl_device_id with_null[2] = {d, NULL};
    O(CL_INVALID_DEVICE, cl_context, clReleaseContext,
      clCreateContext(props, 2, with_null, NULL, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContext(badkey, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_PLATFORM, cl_context, clReleaseContext,
      clCreateContext(badplat, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContext(twice, 1, &d, NULL, NULL, &err));
    O(CL_INVALID_DEVICE_TYPE, cl_context, clReleaseContext,
      clCreateContextFromType(props, 0, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_context, clReleaseContext,
      clCreateContextFromType(props, CL_DEVICE_TYPE_ALL, NULL, buf, &err));
    O(CL_INVALID_PROPERTY, cl_context, clReleaseContext,
      clCreateContextFromType(badkey, CL_DEVICE_TYPE_ALL, NULL, NULL, &err));

    T(CL_INVALID_VALUE, clGetContextInfo(c, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetContextInfo(c, CL_CONTEXT_NUM_DEVICES, 1, buf, NULL));
    T(CL_INVALID_CONTEXT,
      clGetContextInfo(AS(cl_context, f->e.queue), CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_CONTEXT,
      clGetContextInfo(AS(cl_context, d), CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_CONTEXT, clGetContextInfo(f->dead_ctx, CL_CONTEXT_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetContextDestructorCallback(c, NULL, NULL));
    T(CL_INVALID_CONTEXT, clSetContextDestructorCallback(AS(cl_context, f->buf), NULL, NULL));

    T(CL_INVALID_VALUE, clCreateSubDevices(d, NULL, 1, devs, &n));
    cl_device_partition_property pbad[] = {0x7fff, 0};
    T(CL_INVALID_VALUE, clCreateSubDevices(d, pbad, 1, devs, &n));
    T(CL_INVALID_DEVICE, clCreateSubDevices(AS(cl_device_id, c), pbad, 1, devs, &n));
    T(CL_SUCCESS, clRetainDevice(d)); /* root device: a no-op */
    T(CL_SUCCESS, clReleaseDevice(d));
    T(CL_INVALID_DEVICE, clRetainDevice(AS(cl_device_id, c)));
    T(CL_INVALID_DEVICE, clReleaseDevice(AS(cl_device_id, f->e.queue)));
}

static void retain_release(fx *f)
{
    cl_context c = f->e.context;
    T(CL_INVALID_CONTEXT, clRetainContext(AS(cl_context, f->e.queue)));
    T(CL_INVALID_CONTEXT, clReleaseContext(AS(cl_context, f->buf)));
    T(CL_INVALID_CONTEXT, clRetainContext(f->dead_ctx));
    T(CL_INVALID_CONTEXT, clReleaseContext(f->dead_ctx));
    T(CL_INVALID_COMMAND_QUEUE, clRetainCommandQueue(AS(cl_command_queue, c)));
    T(CL_INVALID_COMMAND_QUEUE, clReleaseCommandQueue(f->dead_queue));
    T(CL_INVALID_MEM_OBJECT, clRetainMemObject(AS(cl_mem, c)));
    T(CL_INVALID_MEM_OBJECT, clReleaseMemObject(f->dead_mem));
    T(CL_INVALID_SAMPLER, clRetainSampler(AS(cl_sampler, f->buf)));
    T(CL_INVALID_SAMPLER, clReleaseSampler(f->dead_sampler));
    T(CL_INVALID_PROGRAM, clRetainProgram(AS(cl_program, f->kern)));
    T(CL_INVALID_PROGRAM, clReleaseProgram(f->dead_prog));
    T(CL_INVALID_KERNEL, clRetainKernel(AS(cl_kernel, f->prog)));
    T(CL_INVALID_KERNEL, clReleaseKernel(f->dead_kern));
    T(CL_INVALID_EVENT, clRetainEvent(AS(cl_event, f->e.queue)));
    T(CL_INVALID_EVENT, clReleaseEvent(f->dead_event));
    /* Over-release: a program the application released but its kernel still holds is refused,
     * not freed under the kernel (and kern2 keeps working afterwards). */
    cl_program kept = NULL;
    CHECK_CL(clGetKernelInfo(f->kern2, CL_KERNEL_PROGRAM, sizeof kept, &kept, NULL));
    T(CL_INVALID_PROGRAM, clReleaseProgram(kept));
    T(CL_INVALID_PROGRAM, clReleaseProgram(kept));
}

static void queues_buffers(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    cl_device_id d = f->e.device;
    cl_command_queue q = f->e.queue;
    char buf[64];
    size_t sz;
    unsigned char host[8192];

    cl_queue_properties badkey[] = {0x7fff, 0, 0};
    cl_queue_properties badbits[] = {CL_QUEUE_PROPERTIES, (cl_queue_properties)1 << 30, 0};
    cl_queue_properties devq[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_ON_DEVICE, 0}; /* without OOO */
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, badkey, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, badbits, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, devq, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(AS(cl_context, q), d, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(f->dead_ctx, d, NULL, &err));
    O(CL_INVALID_DEVICE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, AS(cl_device_id, c), NULL, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(c, d, (cl_command_queue_properties)1 << 30, &err));
    O(CL_INVALID_CONTEXT, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(AS(cl_context, d), d, 0, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueue(c, d, CL_QUEUE_ON_DEVICE | CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE,
                           &err));
    cl_queue_properties devq_ooo[] = {
        CL_QUEUE_PROPERTIES, CL_QUEUE_ON_DEVICE | CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
    cl_queue_properties qsize[] = {CL_QUEUE_SIZE, 4096, 0};
    O(CL_INVALID_QUEUE_PROPERTIES, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, devq_ooo, &err));
    O(CL_INVALID_VALUE, cl_command_queue, clReleaseCommandQueue,
      clCreateCommandQueueWithProperties(c, d, qsize, &err));
    T(CL_INVALID_VALUE, clGetCommandQueueInfo(q, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetCommandQueueInfo(q, CL_QUEUE_CONTEXT, 1, buf, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clGetCommandQueueInfo(AS(cl_command_queue, c), CL_QUEUE_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_COMMAND_QUEUE,
      clGetCommandQueueInfo(f->dead_queue, CL_QUEUE_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_COMMAND_QUEUE, clFlush(AS(cl_command_queue, c)));
    T(CL_INVALID_COMMAND_QUEUE, clFinish(AS(cl_command_queue, f->buf)));
    T(CL_INVALID_COMMAND_QUEUE, clFinish(f->dead_queue));

    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 64, NULL, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, (cl_mem_flags)1 << 40, 64, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, 0, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, SIZE_MAX, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 64, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, 64, NULL, &err));
    O(CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_READ_WRITE, 64, host, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR | CL_MEM_ALLOC_HOST_PTR, 64, host, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateBuffer(AS(cl_context, q), CL_MEM_READ_WRITE, 64, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateBuffer(f->dead_ctx, CL_MEM_READ_WRITE, 64, NULL, &err));
    /* A buffer over SVM memory that overruns the allocation: docs/svm.md (the spec's error for
     * the clSVMAlloc pointer itself). Over another context's SVM: the spec is silent; clsvm
     * treats it as host memory. */
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 8192, f->svm, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBuffer(c, CL_MEM_COPY_HOST_PTR, 4096, f->svm + 64, &err));
    O2(CL_SUCCESS, CL_INVALID_HOST_PTR, cl_mem, clReleaseMemObject,
       clCreateBuffer(c, CL_MEM_USE_HOST_PTR, 64, f->svm2, &err));
    cl_mem_properties mpbad[] = {0x7fff, 0, 0};
    O(CL_INVALID_PROPERTY, cl_mem, clReleaseMemObject,
      clCreateBufferWithProperties(c, mpbad, CL_MEM_READ_WRITE, 64, NULL, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateBufferWithProperties(c, NULL, CL_MEM_READ_WRITE, 0, NULL, &err));

    cl_buffer_region over = {4096 - 64, 128}, zero = {0, 0}, odd = {1, 64};
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &over, &err));
    O(CL_INVALID_BUFFER_SIZE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &zero, &err));
    O(CL_MISALIGNED_SUB_BUFFER_OFFSET, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, &odd, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, CL_BUFFER_CREATE_TYPE_REGION, NULL, &err));
    O(CL_INVALID_VALUE, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->buf, 0, 0x7fff, &over, &err));
    O(CL_INVALID_MEM_OBJECT, cl_mem, clReleaseMemObject,
      clCreateSubBuffer(f->dead_mem, 0, CL_BUFFER_CREATE_TYPE_REGION, &odd, &err));

    T(CL_INVALID_VALUE, clGetMemObjectInfo(f->buf, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetMemObjectInfo(f->buf, CL_MEM_SIZE, 1, buf, NULL));
    T(CL_INVALID_MEM_OBJECT, clGetMemObjectInfo(AS(cl_mem, q), CL_MEM_SIZE, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetMemObjectInfo(f->dead_mem, CL_MEM_SIZE, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetImageInfo(f->buf, CL_IMAGE_WIDTH, 0, NULL, &sz));
    T(CL_INVALID_MEM_OBJECT, clGetImageInfo(AS(cl_mem, c), CL_IMAGE_WIDTH, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetMemObjectDestructorCallback(f->buf, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT, clSetMemObjectDestructorCallback(AS(cl_mem, c), NULL, NULL));

    cl_image_format fmt = {CL_RGBA, CL_UNORM_INT8};
    cl_image_desc desc = {
        .image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = 16, .image_height = 16};
    cl_image_desc baddesc = {.image_type = CL_MEM_OBJECT_BUFFER, .image_width = 16};
    O(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, NULL, &desc, NULL, &err));
    O(CL_INVALID_IMAGE_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, &fmt, NULL, NULL, &err));
    O(CL_INVALID_IMAGE_DESCRIPTOR, cl_mem, clReleaseMemObject,
      clCreateImage(c, CL_MEM_READ_WRITE, &fmt, &baddesc, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_mem, clReleaseMemObject,
      clCreateImage(AS(cl_context, q), CL_MEM_READ_WRITE, &fmt, &desc, NULL, &err));
    O(CL_INVALID_PROPERTY, cl_mem, clReleaseMemObject,
      clCreateImageWithProperties(c, mpbad, CL_MEM_READ_WRITE, &fmt, &desc, NULL, &err));

    T(CL_INVALID_VALUE, clGetSamplerInfo(f->sampler, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_SAMPLER, clGetSamplerInfo(AS(cl_sampler, c), CL_SAMPLER_CONTEXT, 0, NULL, &sz));
    T(CL_INVALID_SAMPLER, clGetSamplerInfo(f->dead_sampler, CL_SAMPLER_CONTEXT, 0, NULL, &sz));
    cl_sampler_properties spbad[] = {0x7fff, 0, 0};
    O(CL_INVALID_VALUE, cl_sampler, clReleaseSampler,
      clCreateSamplerWithProperties(c, spbad, &err));
    O(CL_INVALID_CONTEXT, cl_sampler, clReleaseSampler,
      clCreateSamplerWithProperties(AS(cl_context, q), NULL, &err));

    /* Buffer enqueues (generated forwarders: handle checks, then the backend's checks). */
    cl_event ev_bad = AS(cl_event, c), ev_ok = f->uev;
    T(CL_INVALID_VALUE, clEnqueueReadBuffer(q, f->buf, CL_TRUE, 4000, 200, host, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueWriteBuffer(q, f->buf, CL_TRUE, SIZE_MAX - 8, 64, host, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueReadBuffer(AS(cl_command_queue, c), f->buf, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueReadBuffer(f->dead_queue, f->buf, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT,
      clEnqueueReadBuffer(q, AS(cl_mem, q), CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT,
      clEnqueueReadBuffer(q, f->dead_mem, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueReadBuffer(q, f->buf2, CL_TRUE, 0, 64, host, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 0, &ev_ok, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, &ev_bad, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueReadBuffer(q, f->buf, CL_TRUE, 0, 64, host, 1, &f->dead_event, NULL));
    T(CL_MEM_COPY_OVERLAP, clEnqueueCopyBuffer(q, f->buf, f->buf, 0, 32, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueCopyBuffer(q, f->buf, f->buf, 0, 4090, 64, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueCopyBuffer(q, f->buf, f->buf2, 0, 0, 64, 0, NULL, NULL));
    int pat = 0;
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, NULL, 4, 0, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 3, 0, 63, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 4, 2, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueFillBuffer(q, f->buf, &pat, 4, 4096, 64, 0, NULL, NULL));
    O(CL_INVALID_VALUE, void *, (void),
      clEnqueueMapBuffer(q, f->buf, CL_TRUE, CL_MAP_READ, 4000, 200, 0, NULL, NULL, &err));
    O(CL_INVALID_MEM_OBJECT, void *, (void),
      clEnqueueMapBuffer(q, f->dead_mem, CL_TRUE, CL_MAP_READ, 0, 64, 0, NULL, NULL, &err));
    T(CL_INVALID_MEM_OBJECT, clEnqueueUnmapMemObject(q, AS(cl_mem, c), host, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMigrateMemObjects(q, 0, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMigrateMemObjects(q, 1, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueMigrateMemObjects(q, 1, &f->buf, (cl_mem_migration_flags)1 << 20, 0, NULL, NULL));
    T(CL_INVALID_MEM_OBJECT, clEnqueueMigrateMemObjects(q, 1, &f->dead_mem, 0, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueMigrateMemObjects(q, 1, &f->buf2, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueMarker(q, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueMarker(AS(cl_command_queue, c), &ev_bad));
    T(CL_INVALID_VALUE, clEnqueueWaitForEvents(q, 0, NULL));
    T(CL_INVALID_VALUE, clEnqueueWaitForEvents(q, 1, NULL));
    T(CL_INVALID_EVENT, clEnqueueWaitForEvents(q, 1, &ev_bad));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueMarkerWithWaitList(q, 1, &f->dead_event, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueBarrierWithWaitList(q, 2, NULL, NULL));
    CHECK_CL(clFinish(q));
}

static void programs_kernels(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    cl_device_id d = f->e.device;
    cl_command_queue q = f->e.queue;
    char buf[64];
    size_t sz;
    const char *s = src, *nulls[1] = {NULL};
    const unsigned char junk[] = "not a binary";
    const unsigned char *bins[1] = {junk};
    const unsigned char *nullbin[1] = {NULL};
    size_t lens[1] = {sizeof junk}, zero_len[1] = {0};
    cl_int bstat[1];

    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 0, &s, NULL, &err));
    /* pocl 3.1 dereferences strings / strings[i] unchecked: clsvm checks them (program_source.c).
     */
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 1, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithSource(c, 1, nulls, NULL, &err));
    O(CL_INVALID_CONTEXT, cl_program, clReleaseProgram,
      clCreateProgramWithSource(AS(cl_context, q), 1, &s, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 0, &d, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, NULL, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, lens, nullbin, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, zero_len, bins, bstat, &err));
    O(CL_INVALID_BINARY, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &d, lens, bins, bstat, &err));
    cl_device_id bad_dev = AS(cl_device_id, c);
    O(CL_INVALID_DEVICE, cl_program, clReleaseProgram,
      clCreateProgramWithBinary(c, 1, &bad_dev, lens, bins, bstat, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram, clCreateProgramWithIL(c, NULL, 16, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram, clCreateProgramWithIL(c, junk, 0, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 1, &d, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 1, &d, "no_such_builtin", &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clCreateProgramWithBuiltInKernels(c, 0, &d, "x", &err));

    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 1, NULL, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 0, &d, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clBuildProgram(f->unbuilt, 0, NULL, NULL, NULL, buf));
    T(CL_INVALID_DEVICE, clBuildProgram(f->unbuilt, 1, &bad_dev, NULL, NULL, NULL));
    T(CL_INVALID_PROGRAM, clBuildProgram(AS(cl_program, c), 0, NULL, NULL, NULL, NULL));
    T(CL_INVALID_PROGRAM, clBuildProgram(f->dead_prog, 0, NULL, NULL, NULL, NULL));
    /* A program of its own: a wrongly accepted compile must not change f->unbuilt. */
    cl_program fresh = clCreateProgramWithSource(c, 1, &s, NULL, &err);
    CHECK_CL(err);
    /* Header count and arrays must agree (pocl 3.1 dereferences a NULL header array). */
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 1, NULL, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 0, &f->prog, NULL, NULL, NULL));
    T(CL_INVALID_VALUE, clCompileProgram(fresh, 0, NULL, NULL, 0, NULL, NULL, NULL, buf));
    CHECK_CL(clReleaseProgram(fresh));
    T(CL_INVALID_PROGRAM,
      clCompileProgram(AS(cl_program, f->kern), 0, NULL, NULL, 0, NULL, NULL, NULL, NULL));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 0, NULL, NULL, NULL, &err));
    O(CL_INVALID_VALUE, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 1, NULL, NULL, NULL, &err));
    /* user_data without pfn_notify */
    T(CL_INVALID_VALUE,
      (clReleaseProgram_if(clLinkProgram(c, 0, NULL, NULL, 1, &f->prog, NULL, buf, &err)), err));
    cl_program badp = AS(cl_program, c);
    O(CL_INVALID_PROGRAM, cl_program, clReleaseProgram,
      clLinkProgram(c, 0, NULL, NULL, 1, &badp, NULL, NULL, &err));
    T(CL_INVALID_VALUE, clGetProgramInfo(f->prog, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetProgramInfo(f->prog, CL_PROGRAM_NUM_DEVICES, 1, buf, NULL));
    T(CL_INVALID_PROGRAM,
      clGetProgramInfo(AS(cl_program, c), CL_PROGRAM_NUM_DEVICES, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clGetProgramBuildInfo(f->prog, d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_DEVICE,
      clGetProgramBuildInfo(f->prog, bad_dev, CL_PROGRAM_BUILD_STATUS, 0, NULL, &sz));
    T(CL_INVALID_PROGRAM,
      clGetProgramBuildInfo(f->dead_prog, d, CL_PROGRAM_BUILD_STATUS, 0, NULL, &sz));
    T2(CL_INVALID_VALUE, CL_INVALID_OPERATION, clSetProgramReleaseCallback(f->prog, NULL, NULL));
    T(CL_INVALID_PROGRAM, clSetProgramReleaseCallback(AS(cl_program, c), NULL, NULL));

    O(CL_INVALID_VALUE, cl_kernel, clReleaseKernel, clCreateKernel(f->prog, NULL, &err));
    O(CL_INVALID_KERNEL_NAME, cl_kernel, clReleaseKernel, clCreateKernel(f->prog, "nope", &err));
    O(CL_INVALID_PROGRAM_EXECUTABLE, cl_kernel, clReleaseKernel,
      clCreateKernel(f->unbuilt, "k", &err));
    O(CL_INVALID_PROGRAM, cl_kernel, clReleaseKernel, clCreateKernel(AS(cl_program, c), "k", &err));
    O(CL_INVALID_PROGRAM, cl_kernel, clReleaseKernel, clCreateKernel(f->dead_prog, "k", &err));
    cl_kernel ks[1];
    cl_uint nk = 0;
    T(CL_INVALID_VALUE, clCreateKernelsInProgram(f->prog, 0, ks, &nk));
    T(CL_INVALID_PROGRAM_EXECUTABLE, clCreateKernelsInProgram(f->unbuilt, 1, ks, &nk));
    T(CL_INVALID_PROGRAM, clCreateKernelsInProgram(AS(cl_program, f->kern), 1, ks, &nk));
    O(CL_INVALID_KERNEL, cl_kernel, clReleaseKernel, clCloneKernel(AS(cl_kernel, f->prog), &err));
    O(CL_INVALID_KERNEL, cl_kernel, clReleaseKernel, clCloneKernel(f->dead_kern, &err));

    cl_int n = 1;
    T(CL_INVALID_ARG_INDEX, clSetKernelArg(f->kern, 2, sizeof n, &n));
    T(CL_INVALID_ARG_SIZE, clSetKernelArg(f->kern, 1, 2, &n));
    T(CL_INVALID_ARG_SIZE, clSetKernelArg(f->kern, 0, 3, &f->buf));
    cl_mem badm = AS(cl_mem, c);
    T(CL_INVALID_MEM_OBJECT, clSetKernelArg(f->kern, 0, sizeof badm, &badm));
    T(CL_INVALID_MEM_OBJECT, clSetKernelArg(f->kern, 0, sizeof f->dead_mem, &f->dead_mem));
    T(CL_INVALID_KERNEL, clSetKernelArg(AS(cl_kernel, f->prog), 1, sizeof n, &n));
    T(CL_INVALID_KERNEL, clSetKernelArg(f->dead_kern, 1, sizeof n, &n));
    T(CL_INVALID_VALUE, clGetKernelInfo(f->kern, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_KERNEL, clGetKernelInfo(AS(cl_kernel, c), CL_KERNEL_NUM_ARGS, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clGetKernelWorkGroupInfo(f->kern, d, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_DEVICE,
      clGetKernelWorkGroupInfo(f->kern, bad_dev, CL_KERNEL_WORK_GROUP_SIZE, 0, NULL, &sz));
    T(CL_INVALID_KERNEL,
      clGetKernelWorkGroupInfo(f->dead_kern, d, CL_KERNEL_WORK_GROUP_SIZE, 0, NULL, &sz));
    T(CL_INVALID_ARG_INDEX, clGetKernelArgInfo(f->kern, 9, CL_KERNEL_ARG_NAME, 0, NULL, &sz));
    T(CL_INVALID_KERNEL, clGetKernelSubGroupInfo(AS(cl_kernel, c), d, CL_KERNEL_MAX_NUM_SUB_GROUPS,
                                                 0, NULL, 0, NULL, &sz));
    /* CL_INVALID_OPERATION when the device has no subgroups (pocl 3.1's CPU device). */
    T2(CL_INVALID_VALUE, CL_INVALID_OPERATION,
       clGetKernelSubGroupInfo(f->kern, d, 0x7fff, 0, NULL, sizeof buf, buf, NULL));

    /* Launches: the kernel's arguments are unset at first. */
    size_t gws[3] = {4, 1, 1};
    T(CL_INVALID_KERNEL_ARGS,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, NULL, 0, NULL, NULL));
    CHECK_CL(clSetKernelArg(f->kern, 0, sizeof f->buf, &f->buf));
    CHECK_CL(clSetKernelArg(f->kern, 1, sizeof n, &n));
    T(CL_INVALID_WORK_DIMENSION,
      clEnqueueNDRangeKernel(q, f->kern, 0, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_WORK_DIMENSION,
      clEnqueueNDRangeKernel(q, f->kern, 4, NULL, gws, NULL, 0, NULL, NULL));
    size_t lws[1] = {3};
    T(CL_INVALID_WORK_GROUP_SIZE,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, lws, 0, NULL, NULL));
    T(CL_INVALID_KERNEL,
      clEnqueueNDRangeKernel(q, AS(cl_kernel, f->buf), 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_KERNEL,
      clEnqueueNDRangeKernel(q, f->dead_kern, 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_CONTEXT, clEnqueueNDRangeKernel(q, f->kern2, 1, NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueNDRangeKernel(AS(cl_command_queue, f->kern), f->kern, 1,
                                                       NULL, gws, NULL, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST,
      clEnqueueNDRangeKernel(q, f->kern, 1, NULL, gws, NULL, 1, NULL, NULL));
    T(CL_INVALID_KERNEL, clEnqueueTask(q, AS(cl_kernel, c), 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, native_fn, NULL, 16, 0, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, NULL, buf, sizeof buf, 0, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueNativeKernel(q, native_fn, buf, sizeof buf, 1, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueNativeKernel(AS(cl_command_queue, c), native_fn, NULL, 0,
                                                      0, NULL, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(q));
}

static void events(fx *f)
{
    cl_int err;
    cl_context c = f->e.context;
    char buf[64];
    size_t sz;
    cl_event bad = AS(cl_event, c);
    T(CL_INVALID_VALUE, clWaitForEvents(0, &f->uev));
    T(CL_INVALID_VALUE, clWaitForEvents(1, NULL));
    T(CL_INVALID_EVENT, clWaitForEvents(1, &bad));
    T(CL_INVALID_EVENT, clWaitForEvents(1, &f->dead_event));
    cl_event two_ctx[2] = {f->uev, NULL};
    cl_event u2 = clCreateUserEvent(f->ctx2, &err);
    CHECK_CL(err);
    CHECK_CL(clSetUserEventStatus(u2, CL_COMPLETE));
    two_ctx[1] = u2;
    T(CL_INVALID_CONTEXT, clWaitForEvents(2, two_ctx));
    CHECK_CL(clReleaseEvent(u2));
    T(CL_INVALID_VALUE, clGetEventInfo(f->uev, 0x7fff, sizeof buf, buf, NULL));
    T(CL_INVALID_VALUE, clGetEventInfo(f->uev, CL_EVENT_COMMAND_EXECUTION_STATUS, 1, buf, NULL));
    T(CL_INVALID_EVENT, clGetEventInfo(bad, CL_EVENT_COMMAND_EXECUTION_STATUS, 0, NULL, &sz));
    T(CL_INVALID_EVENT,
      clGetEventInfo(f->dead_event, CL_EVENT_COMMAND_EXECUTION_STATUS, 0, NULL, &sz));
    T(CL_PROFILING_INFO_NOT_AVAILABLE,
      clGetEventProfilingInfo(f->uev, CL_PROFILING_COMMAND_START, sizeof buf, buf, NULL));
    T(CL_INVALID_EVENT, clGetEventProfilingInfo(bad, CL_PROFILING_COMMAND_START, 0, NULL, &sz));
    T(CL_INVALID_VALUE, clSetEventCallback(f->uev, CL_COMPLETE, NULL, NULL));
    T(CL_INVALID_VALUE, clSetEventCallback(f->uev, 12345, ev_notify, NULL));
    T(CL_INVALID_EVENT, clSetEventCallback(bad, CL_COMPLETE, ev_notify, NULL));
    T(CL_INVALID_EVENT, clSetEventCallback(f->dead_event, CL_COMPLETE, ev_notify, NULL));
    T(CL_INVALID_OPERATION, clSetUserEventStatus(f->uev, CL_COMPLETE)); /* already set */
    cl_event u = clCreateUserEvent(c, &err);
    CHECK_CL(err);
    T(CL_INVALID_VALUE, clSetUserEventStatus(u, 5));
    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    CHECK_CL(clReleaseEvent(u));
    T(CL_INVALID_EVENT, clSetUserEventStatus(bad, CL_COMPLETE));
    O(CL_INVALID_CONTEXT, cl_event, clReleaseEvent,
      clCreateUserEvent(AS(cl_context, f->e.queue), &err));
    O(CL_INVALID_CONTEXT, cl_event, clReleaseEvent, clCreateUserEvent(f->dead_ctx, &err));
}

static void svm(fx *f)
{
    cl_context c = f->e.context;
    cl_command_queue q = f->e.queue;
    unsigned char host[256];
    unsigned char *s = f->svm;
    int pat = 0x01020304;

    /* clSVMAlloc: every refusal is NULL. */
    P(clSVMAlloc(AS(cl_context, q), CL_MEM_READ_WRITE, 64, 0));
    P(clSVMAlloc(f->dead_ctx, CL_MEM_READ_WRITE, 64, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 0, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, SIZE_MAX, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, (size_t)1 << 46, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 64, 3));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE, 64, 1u << 31));
    P(clSVMAlloc(c, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 64, 0));
    P(clSVMAlloc(c, CL_MEM_READ_WRITE | CL_MEM_READ_ONLY, 64, 0));
    P(clSVMAlloc(c, CL_MEM_USE_HOST_PTR, 64, 0));
    P(clSVMAlloc(c, CL_MEM_SVM_ATOMICS, 64, 0));
    P(clSVMAlloc(c, (cl_svm_mem_flags)1 << 40, 64, 0));

    /* clSVMFree: documented no-ops that must leave every allocation alone. */
    N(clSVMFree(c, NULL));
    N(clSVMFree(c, host));
    N(clSVMFree(c, f->live + 1));
    N(clSVMFree(c, f->live + LIVE_SIZE - 1));
    N(clSVMFree(c, f->svm2)); /* another context's pointer */
    N(clSVMFree(f->ctx2, f->live));
    N(clSVMFree(AS(cl_context, q), f->live));
    N(clSVMFree(f->dead_ctx, f->live));
    N(clSVMFree(c, (void *)(uintptr_t)0x1000));
    void *tmp = clSVMAlloc(c, CL_MEM_READ_WRITE, 128, 0);
    CHECK(tmp != NULL);
    N(clSVMFree(c, tmp));
    N(clSVMFree(c, tmp)); /* double free */
    /* The other context's pointer survived: a command on it in its own context works. */
    T(CL_SUCCESS, clEnqueueSVMMemFill(f->queue2, f->svm2, &pat, 4, 4096, 0, NULL, NULL));
    CHECK_CL(clFinish(f->queue2));

    /* Kernel arguments. */
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, host));
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, f->svm2));
    T(CL_INVALID_ARG_VALUE, clSetKernelArgSVMPointer(f->kern, 0, tmp));
    T(CL_INVALID_ARG_INDEX, clSetKernelArgSVMPointer(f->kern, 7, s));
    T(CL_INVALID_KERNEL, clSetKernelArgSVMPointer(AS(cl_kernel, c), 0, s));
    T(CL_INVALID_KERNEL, clSetKernelArgSVMPointer(f->dead_kern, 0, s));
    T(CL_SUCCESS, clSetKernelArgSVMPointer(f->kern, 0, s + 64)); /* interior pointers are fine */
    void *ptrs[2] = {s, host};
    T(CL_INVALID_VALUE,
      clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, 8, NULL));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_PTRS, 5, ptrs));
    T(CL_INVALID_VALUE, clSetKernelExecInfo(f->kern, 0x7fff, sizeof ptrs, ptrs));
    cl_bool yes = CL_TRUE;
    T(CL_INVALID_VALUE,
      clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, 1, &yes));
    if (!(f->e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
        T(CL_INVALID_OPERATION,
          clSetKernelExecInfo(f->kern, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, sizeof yes,
                              &yes));
    T(CL_INVALID_KERNEL,
      clSetKernelExecInfo(AS(cl_kernel, q), CL_KERNEL_EXEC_INFO_SVM_PTRS, 0, NULL));
    CHECK_CL(clSetKernelArg(f->kern, 0, sizeof f->buf, &f->buf));

    /* clEnqueueSVMFree */
    void *one[1] = {tmp};
    T(CL_INVALID_VALUE, clEnqueueSVMFree(q, 0, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMFree(q, 1, NULL, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueSVMFree(AS(cl_command_queue, c), 1, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMFree(f->dead_queue, 1, one, NULL, NULL, 0, NULL, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMFree(q, 1, one, NULL, NULL, 1, NULL, NULL));
    void *foreign[3] = {tmp, f->svm2, f->live + 8}; /* freed, other context, interior */
    T(CL_SUCCESS, clEnqueueSVMFree(q, 3, foreign, NULL, NULL, 0, NULL, NULL)); /* ignored at run */
    CHECK_CL(clFinish(q));

    /* clEnqueueSVMMemcpy */
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, NULL, s, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, s, NULL, 64, 0, NULL, NULL));
    T(CL_MEM_COPY_OVERLAP, clEnqueueSVMMemcpy(q, CL_TRUE, s, s + 32, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, s + 4000, host, 200, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, SIZE_MAX, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, f->svm2, host, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemcpy(q, CL_TRUE, tmp, host, 64, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE,
      clEnqueueSVMMemcpy(AS(cl_command_queue, c), CL_TRUE, host, s, 64, 0, NULL, NULL));
    cl_event bad = AS(cl_event, c);
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 64, 1, &bad, NULL));
    T(CL_INVALID_EVENT_WAIT_LIST, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 64, 0, &f->uev, NULL));
    T(CL_SUCCESS, clEnqueueSVMMemcpy(q, CL_TRUE, host, s, 0, 0, NULL, NULL));

    /* clEnqueueSVMMemFill */
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, NULL, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, NULL, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 0, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 3, 63, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, host, 256, 256, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s + 2, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 4, 62, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, s, &pat, 4, 8192, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, f->svm2, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMemFill(q, tmp, &pat, 4, 64, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMMemFill(f->dead_queue, s, &pat, 4, 64, 0, NULL, NULL));

    /* clEnqueueSVMMap / Unmap */
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, NULL, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, s, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE_INVALIDATE_REGION, s,
                                        64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, (cl_map_flags)1 << 20, s, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, s + 4000, 200, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, f->svm2, 64, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMUnmap(q, NULL, 0, NULL, NULL));
    T(CL_INVALID_COMMAND_QUEUE, clEnqueueSVMUnmap(AS(cl_command_queue, f->buf), s, 0, NULL, NULL));

    /* clEnqueueSVMMigrateMem */
    const void *mp[2] = {s, f->live};
    size_t msz[2] = {64, 8192}, mbig[2] = {8192, 0};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 0, mp, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 2, NULL, NULL, 0, 0, NULL, NULL));
    const void *mnull[1] = {NULL};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 1, mnull, NULL, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 2, mp, mbig, 0, 0, NULL, NULL));
    T(CL_INVALID_VALUE,
      clEnqueueSVMMigrateMem(q, 2, mp, msz, (cl_mem_migration_flags)1 << 20, 0, NULL, NULL));
    const void *mfor[1] = {f->svm2};
    T(CL_INVALID_VALUE, clEnqueueSVMMigrateMem(q, 1, mfor, NULL, 0, 0, NULL, NULL));
    T(CL_SUCCESS, clEnqueueSVMMigrateMem(q, 2, mp, msz, 0, 0, NULL, NULL));
    CHECK_CL(clFinish(q));
}

static void extensions(fx *f)
{
    void *fn = clGetExtensionFunctionAddressForPlatform(f->e.platform, "clNoSuchFunctionKHR");
    result(f, __LINE__, "clGetExtensionFunctionAddressForPlatform(unknown)", fn ? -9999 : 0, 0, 0);
    fn = clGetExtensionFunctionAddressForPlatform(f->e.platform, "");
    result(f, __LINE__, "clGetExtensionFunctionAddressForPlatform(\"\")", fn ? -9999 : 0, 0, 0);
    T(CL_SUCCESS, clUnloadCompiler());
    /* Through the loader (it answers these itself) and clsvm's extension lookups. */
    T(CL_INVALID_VALUE, clGetPlatformIDs(0, NULL, NULL));
    fn = clGetExtensionFunctionAddress("clNoSuchFunctionKHR");
    result(f, __LINE__, "clGetExtensionFunctionAddress(unknown)", fn ? -9999 : 0, 0, 0);
    typedef cl_int (*dev_fn)(cl_device_id);
    dev_fn retain = (dev_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clRetainDeviceEXT");
    dev_fn release = (dev_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clReleaseDeviceEXT");
    if (retain)
        T(CL_INVALID_DEVICE, retain(AS(cl_device_id, f->e.context)));
    if (release)
        T(CL_INVALID_DEVICE, release(AS(cl_device_id, f->e.queue)));
    typedef cl_int (*sg_fn)(cl_kernel, cl_device_id, cl_kernel_sub_group_info, size_t, const void *,
                            size_t, void *, size_t *);
    sg_fn sg = (sg_fn)(uintptr_t)clGetExtensionFunctionAddressForPlatform(
        f->e.platform, "clGetKernelSubGroupInfoKHR");
    size_t sz;
    if (sg)
        T(CL_INVALID_KERNEL,
          sg(AS(cl_kernel, f->e.context), f->e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE_KHR,
             0, NULL, 0, NULL, &sz));
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
