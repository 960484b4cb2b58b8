/* test_oclc20_unsupported: the OpenCL C 2.0 features clsvm's path does not support on pocl
 * (docs/opencl-c-2.0.md) fail cleanly and are not advertised.
 *  - Builds through the path (-cl-std=CL2.0) of kernels/cl20/unsupported20.cl with pipes,
 *    device-side enqueue, a work-group collective or sub-groups return CL_BUILD_PROGRAM_FAILURE
 *    with status CL_BUILD_ERROR, no executable, and a log naming what is missing; the same
 *    program then builds without the feature and runs.
 *  - Non-uniform work-groups (supported, test_oclc20_nonuniform) in a program built with
 *    -cl-uniform-work-group-size: an enqueue whose global size is not a multiple of the local
 *    size (1D and 2D) is CL_INVALID_WORK_GROUP_SIZE and runs nothing; without it, it runs.
 *  - The host side: the device queries say "not supported", CL_DEVICE_OPENCL_C_FEATURES lists
 *    none of the four features, cl_khr_subgroups is not an extension, and clCreatePipe, a
 *    device-side queue and clGetKernelSubGroupInfo fail with their error codes.
 *  - Afterwards the same context builds and runs a good 2.0 program. */
#include "oclc20/oclc20_test.h"

#include "unsupported20_cl.h"

/* One unsupported feature: its -D switch and the texts its build log must contain (what each
 * gives on pocl 3.1 with clang 15; the first three fail at pocl's link, the last two in clang). */
typedef struct bad_build {
    const char *option;
    const char *log_has[2];
    const char *source_line; /* a clang error is reported on this source line, else NULL */
} bad_build;

static const bad_build bad_builds[] = {
    {"-DUSE_PIPES", {"__read_pipe_2", NULL}, NULL},
    {"-DUSE_DEVICE_ENQUEUE", {"__enqueue_kernel_basic", NULL}, NULL},
    {"-DUSE_COLLECTIVES", {"work_group_reduce_add", NULL}, NULL},
    {"-DUSE_SUB_GROUPS",
     {"error: use of undeclared identifier 'get_sub_group_size'", NULL},
     "get_sub_group_size();"},
    /* clang 15 ignores the pragma of an extension the device does not list, with a warning. */
    /* Depth images are OpenCL C 2.0 core, but pocl's library has no depth read_imagef. */
    {"-DUSE_DEPTH_IMAGES", {"read_imagef20ocl_image2d_depth", NULL}, NULL},
    {"-DUSE_SUB_GROUPS_PRAGMA",
     {"unsupported OpenCL extension 'cl_khr_subgroups'",
      "error: use of undeclared identifier 'get_sub_group_size'"},
     "get_sub_group_size();"},
};

enum { N = 12, LOCAL = 4 };

/* The 1-based line of unsupported20.cl holding `text`. */
static int source_line_of(const char *text)
{
    const char *at = strstr(unsupported20_cl, text);
    CHECK_MSG(at != NULL, "'%s' not in unsupported20.cl", text);
    int line = 1;
    for (const char *p = unsupported20_cl; p < at; p++)
        line += *p == '\n';
    return line;
}

/* Runs `good` from `prog` over `global` work-items in groups of `local`; returns the enqueue's
 * error. On success every work-item must have written its slot and counted itself; on failure
 * nothing may have run. */
static cl_int run_good(const svm_env *e, cl_program prog, size_t global, size_t local)
{
    cl_kernel k = icd_test_kernel(prog, "good");
    cl_int out[N + 4], count = 0;
    for (int i = 0; i < N + 4; i++)
        out[i] = -1;
    cl_mem mo =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    cl_mem mc =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof count, &count);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mc, &mc));
    cl_int err = clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &global, &local, 0, NULL, NULL);
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, mc, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL));
    size_t ran = err == CL_SUCCESS ? global : 0;
    if ((size_t)count != ran)
        SVM_FAIL("global %zu, local %zu (%s): %d work-items counted, expected %zu", global, local,
                 icd_err_name(err), count, ran);
    for (size_t i = 0; i < N + 4; i++) {
        cl_int want = i < ran ? 2 * ((cl_int)i + 1) : -1;
        if (out[i] != want)
            SVM_FAIL("global %zu, local %zu (%s): out[%zu] = %d, expected %d", global, local,
                     icd_err_name(err), i, out[i], want);
    }
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseMemObject(mc));
    CHECK_CL(clReleaseKernel(k));
    return err;
}

/* The 2D case of a non-uniform enqueue: 8 x 6 work-items in 4 x 4 groups are refused and no
 * work-item runs (the counter stays 0). */
static void check_non_uniform_2d(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "good");
    cl_int out[8], count = 0;
    cl_mem mo = icd_test_buffer(e->context, CL_MEM_READ_WRITE, sizeof out, NULL);
    cl_mem mc =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof count, &count);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mc, &mc));
    size_t global[2] = {8, 6}, local[2] = {4, 4};
    SVM_EXPECT_ERR(clEnqueueNDRangeKernel(e->queue, k, 2, NULL, global, local, 0, NULL, NULL),
                   CL_INVALID_WORK_GROUP_SIZE);
    CHECK_CL(clEnqueueReadBuffer(e->queue, mc, CL_TRUE, 0, sizeof count, &count, 0, NULL, NULL));
    if (count != 0)
        SVM_FAIL("2D non-uniform enqueue: %d work-items ran", count);
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseMemObject(mc));
    CHECK_CL(clReleaseKernel(k));
}

/* A build with one unsupported feature fails cleanly; the same program then builds without it. */
static void check_bad_build(const svm_env *e, const bad_build *b)
{
    cl_int err = CL_SUCCESS;
    const char *src = unsupported20_cl;
    cl_program prog = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    char options[128];
    snprintf(options, sizeof options, "-cl-std=CL2.0 %s", b->option);
    err = clBuildProgram(prog, 1, &e->device, options, NULL, NULL);
    char *log = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_LOG);
    printf("--- %s: %s, build log:\n%s\n", b->option, icd_err_name(err), log);
    if (err != CL_BUILD_PROGRAM_FAILURE)
        SVM_FAIL("%s: clBuildProgram returned %s, expected CL_BUILD_PROGRAM_FAILURE", b->option,
                 icd_err_name(err));
    if (oclc20_build_status(prog, e->device) != CL_BUILD_ERROR)
        SVM_FAIL("%s: build status %d, expected CL_BUILD_ERROR", b->option,
                 (int)oclc20_build_status(prog, e->device));
    for (int i = 0; i < 2 && b->log_has[i]; i++)
        if (!strstr(log, b->log_has[i]))
            SVM_FAIL("%s: build log lacks '%s'", b->option, b->log_has[i]);
    if (b->source_line) {
        char where[64];
        snprintf(where, sizeof where, "<stdin>:%d:", source_line_of(b->source_line));
        if (!strstr(log, where))
            SVM_FAIL("%s: build log lacks the line of the error, '%s'", b->option, where);
    }
    free(log);
    cl_kernel k = clCreateKernel(prog, "good", &err);
    SVM_EXPECT_ERR(err, CL_INVALID_PROGRAM_EXECUTABLE);
    if (k)
        CHECK_CL(clReleaseKernel(k));

    /* The failed build left nothing behind: the same program builds and runs without it. */
    err = clBuildProgram(prog, 1, &e->device, "-cl-std=CL2.0", NULL, NULL);
    if (err != CL_SUCCESS) {
        char *again = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_LOG);
        SVM_FAIL("%s: rebuild without it returned %s, log:\n%s", b->option, icd_err_name(err),
                 again);
        free(again);
    } else {
        CHECK_CL(run_good(e, prog, N, LOCAL));
    }
    CHECK_CL(clReleaseProgram(prog));
}

/* A device query of `type` must return sizeof(type) bytes holding `want`. Soft: a wrong size is
 * reported (the value is then compared as far as it was written, into a zeroed variable) and the
 * remaining checks still run. */
#define EXPECT_DEVICE_INFO(e, param, type, want)                                                   \
    do {                                                                                           \
        type got_ = 0;                                                                             \
        size_t sz_ = 0;                                                                            \
        CHECK_CL(clGetDeviceInfo((e)->device, param, sizeof got_, &got_, &sz_));                   \
        if (sz_ != sizeof got_)                                                                    \
            SVM_FAIL("%s: %zu bytes returned, expected sizeof(%s) = %zu", #param, sz_, #type,      \
                     sizeof got_);                                                                 \
        if (got_ != (type)(want))                                                                  \
            SVM_FAIL("%s is %llu, expected %llu", #param, (unsigned long long)got_,                \
                     (unsigned long long)(want));                                                  \
    } while (0)

static void check_not_advertised(const svm_env *e)
{
    EXPECT_DEVICE_INFO(e, CL_DEVICE_PIPE_SUPPORT, cl_bool, CL_FALSE);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_MAX_PIPE_ARGS, cl_uint, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_PIPE_MAX_PACKET_SIZE, cl_uint, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_DEVICE_ENQUEUE_CAPABILITIES,
                       cl_device_device_enqueue_capabilities, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_QUEUE_ON_DEVICE_PROPERTIES, cl_command_queue_properties, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_MAX_ON_DEVICE_QUEUES, cl_uint, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_WORK_GROUP_COLLECTIVE_FUNCTIONS_SUPPORT, cl_bool, CL_FALSE);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_MAX_NUM_SUB_GROUPS, cl_uint, 0);
    EXPECT_DEVICE_INFO(e, CL_DEVICE_SUB_GROUP_INDEPENDENT_FORWARD_PROGRESS, cl_bool, CL_FALSE);

    size_t n = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &n));
    cl_name_version *f = malloc(n ? n : 1);
    CHECK(f != NULL);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, n, f, NULL));
    static const char *const absent[] = {"__opencl_c_pipes", "__opencl_c_device_enqueue",
                                         "__opencl_c_work_group_collective_functions",
                                         "__opencl_c_subgroups"};
    int generic = 0;
    for (size_t i = 0; i < n / sizeof *f; i++) {
        generic |= strcmp(f[i].name, "__opencl_c_generic_address_space") == 0;
        for (size_t j = 0; j < sizeof absent / sizeof *absent; j++)
            if (strcmp(f[i].name, absent[j]) == 0)
                SVM_FAIL("CL_DEVICE_OPENCL_C_FEATURES lists %s", absent[j]);
    }
    /* The list is the one the path changes (it adds the generic address space). */
    if (e->is_clsvm && !generic)
        SVM_FAIL("CL_DEVICE_OPENCL_C_FEATURES lacks __opencl_c_generic_address_space");
    free(f);

    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, 0, NULL, &n));
    char *ext = calloc(n + 1, 1);
    CHECK(ext != NULL);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_EXTENSIONS, n, ext, NULL));
    if (strstr(ext, "cl_khr_subgroups"))
        SVM_FAIL("CL_DEVICE_EXTENSIONS lists cl_khr_subgroups: %s", ext);
    free(ext);
}

/* The host API of the same features refuses cleanly (pocl 3.1 alone would exit the process on
 * the device queue; clsvm checks the properties first, icd/queue.c). */
static void check_host_api(const svm_env *e, cl_program good)
{
    cl_int err = CL_SUCCESS;
    cl_mem pipe = clCreatePipe(e->context, CL_MEM_READ_WRITE, sizeof(cl_int), 16, NULL, &err);
    SVM_EXPECT_ERR(err, CL_INVALID_OPERATION);
    if (pipe) {
        SVM_FAIL("clCreatePipe returned a pipe");
        CHECK_CL(clReleaseMemObject(pipe));
    }

    cl_queue_properties props[] = {CL_QUEUE_PROPERTIES,
                                   CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE | CL_QUEUE_ON_DEVICE, 0};
    cl_command_queue q = clCreateCommandQueueWithProperties(e->context, e->device, props, &err);
    SVM_EXPECT_ERR(err, CL_INVALID_QUEUE_PROPERTIES);
    if (q) {
        SVM_FAIL("a device-side queue was created");
        CHECK_CL(clReleaseCommandQueue(q));
    }

    cl_kernel k = icd_test_kernel(good, "good");
    size_t local = LOCAL, got = 0;
    SVM_EXPECT_ERR(clGetKernelSubGroupInfo(k, e->device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE,
                                           sizeof local, &local, sizeof got, &got, NULL),
                   CL_INVALID_OPERATION);
    CHECK_CL(clReleaseKernel(k));

    /* No depth or sRGB image format (OpenCL 2.0 core formats pocl 3.1 lacks). */
    cl_image_format f[512];
    cl_uint n = 0;
    CHECK_CL(clGetSupportedImageFormats(e->context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 512,
                                        f, &n));
    for (cl_uint i = 0; i < n && i < 512; i++) {
        cl_channel_order o = f[i].image_channel_order;
        if (o == CL_DEPTH || o == CL_sRGB || o == CL_sRGBA || o == CL_sBGRA || o == CL_sRGBx)
            SVM_FAIL("image channel order %#x is listed", (unsigned)o);
    }
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    check_not_advertised(&e);
    for (size_t i = 0; i < sizeof bad_builds / sizeof *bad_builds; i++)
        check_bad_build(&e, &bad_builds[i]);

    /* After all those failures the context builds a good 2.0 program and runs it. */
    cl_program good = icd_test_program(e.context, e.device, unsupported20_cl, "-cl-std=CL2.0");
    /* Non-uniform work-groups: 10 work-items in groups of 4 run; with -cl-uniform-work-group-size
     * they are refused and nothing runs, while 12 in groups of 4 run. */
    SVM_EXPECT_ERR(run_good(&e, good, 10, LOCAL), CL_SUCCESS);
    cl_program uniform = icd_test_program(e.context, e.device, unsupported20_cl,
                                          "-cl-std=CL2.0 -cl-uniform-work-group-size");
    SVM_EXPECT_ERR(run_good(&e, uniform, 10, LOCAL), CL_INVALID_WORK_GROUP_SIZE);
    SVM_EXPECT_ERR(run_good(&e, uniform, N, LOCAL), CL_SUCCESS);
    check_non_uniform_2d(&e, uniform);
    CHECK_CL(clReleaseProgram(uniform));
    check_host_api(&e, good);
    CHECK_CL(clReleaseProgram(good));
    svm_env_close(&e);
    return svm_exit_code();
}
