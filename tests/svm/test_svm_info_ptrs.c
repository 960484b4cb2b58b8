/* test_svm_info_ptrs: clsvm's pointer rule (docs/svm.md) for the output buffers of the query
 * entry points: a param_value (param_value_size bytes) or param_value_size_ret pointing into
 * freed SVM (whose pages are unmapped, so the backend would fault writing it) or running past
 * the end of a live allocation is refused with CL_INVALID_VALUE; the same query into a live
 * allocation works and writes what a query into ordinary memory writes. Covered: every
 * clGet*Info (platform, device, context, queue, mem object, image, sampler, program, program
 * build, kernel, kernel work-group, kernel sub-group, kernel argument, event, event profiling,
 * pipe), clGetSupportedImageFormats, clGetDeviceIDs, clCreateKernelsInProgram and the host
 * timers. (clGetPlatformIDs is answered by the ICD loader, never by clsvm.)
 */
#include "svm/svm_test.h"

enum { SZ = 1 << 20 };

static svm_env e;
static unsigned char *live, *dead;
static int rows;

#define EXPECT(call, want)                                                                         \
    do {                                                                                           \
        cl_int got_ = (call);                                                                      \
        CHECK_MSG(got_ == (want), "%s: %s, expected %s", #call, icd_err_name(got_),                \
                  icd_err_name(want));                                                             \
        rows++;                                                                                    \
    } while (0)

/* The last n bytes of the live allocation: a valid query there ends exactly at its end. */
#define TAIL(n) ((void *)(live + SZ - (n)))

/* Every refused shape of fn(args..., size, value, size_ret) for a fixed-size query of `size`
 * bytes, then the valid one at the end of the live allocation, compared with the same query
 * into ordinary memory. */
#define INFO_ROWS(fn, size, ...)                                                                   \
    do {                                                                                           \
        EXPECT(fn(__VA_ARGS__, size, dead, NULL), CL_INVALID_VALUE);                               \
        EXPECT(fn(__VA_ARGS__, size, dead + 4096, NULL), CL_INVALID_VALUE);                        \
        EXPECT(fn(__VA_ARGS__, 0, NULL, (size_t *)dead), CL_INVALID_VALUE);                        \
        EXPECT(fn(__VA_ARGS__, size, NULL, (size_t *)(dead + 64)), CL_INVALID_VALUE);              \
        EXPECT(fn(__VA_ARGS__, size, TAIL((size)-1), NULL), CL_INVALID_VALUE);                     \
        EXPECT(fn(__VA_ARGS__, 0, NULL, (size_t *)TAIL(sizeof(size_t) - 1)), CL_INVALID_VALUE);    \
        unsigned char want_[64] = {0};                                                             \
        CHECK((size) <= sizeof want_);                                                             \
        CHECK_CL(fn(__VA_ARGS__, size, want_, NULL));                                              \
        *(size_t *)TAIL(sizeof(size_t)) = 0;                                                       \
        EXPECT(fn(__VA_ARGS__, 0, NULL, (size_t *)TAIL(sizeof(size_t))), CL_SUCCESS);              \
        CHECK_EQ(*(size_t *)TAIL(sizeof(size_t)), (size_t)(size));                                 \
        memset(TAIL(size), 0xa5, size);                                                            \
        memset(live, 0, sizeof(size_t));                                                           \
        EXPECT(fn(__VA_ARGS__, size, TAIL(size), (size_t *)live), CL_SUCCESS);                     \
        CHECK_EQ(memcmp(TAIL(size), want_, size), 0);                                              \
        CHECK_EQ(*(size_t *)live, (size_t)(size));                                                 \
    } while (0)

static void objects(void)
{
    INFO_ROWS(clGetPlatformInfo, sizeof(cl_ulong), e.platform, CL_PLATFORM_HOST_TIMER_RESOLUTION);
    INFO_ROWS(clGetDeviceInfo, sizeof(cl_device_type), e.device, CL_DEVICE_TYPE);
    /* The valid query really wrote the device type, not just the same bytes twice. */
    cl_device_type t = 0;
    memcpy(&t, TAIL(sizeof t), sizeof t);
    CHECK(t != 0 &&
          (t & ~(cl_device_type)(CL_DEVICE_TYPE_DEFAULT | CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU |
                                 CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM)) == 0);
    INFO_ROWS(clGetContextInfo, sizeof(cl_uint), e.context, CL_CONTEXT_NUM_DEVICES);
    INFO_ROWS(clGetCommandQueueInfo, sizeof(cl_context), e.queue, CL_QUEUE_CONTEXT);
    INFO_ROWS(clGetCommandQueueInfo, sizeof(cl_command_queue_properties), e.queue,
              CL_QUEUE_PROPERTIES);

    cl_mem b = icd_test_buffer(e.context, CL_MEM_READ_WRITE, 4096, NULL);
    INFO_ROWS(clGetMemObjectInfo, sizeof(size_t), b, CL_MEM_SIZE);
    INFO_ROWS(clGetMemObjectInfo, sizeof(cl_context), b, CL_MEM_CONTEXT);

    cl_bool images = CL_FALSE;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_IMAGE_SUPPORT, images);
    if (images) {
        cl_image_format f = {CL_RGBA, CL_UNORM_INT8};
        cl_image_desc d = {
            .image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = 16, .image_height = 8};
        cl_int err = CL_SUCCESS;
        cl_mem img = clCreateImage(e.context, CL_MEM_READ_WRITE, &f, &d, NULL, &err);
        CHECK_CL(err);
        INFO_ROWS(clGetImageInfo, sizeof(size_t), img, CL_IMAGE_WIDTH);
        CHECK_EQ(*(size_t *)TAIL(sizeof(size_t)), (size_t)16);
        CHECK_CL(clReleaseMemObject(img));

        cl_image_format fmt[4];
        cl_uint n = 0;
        EXPECT(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 4,
                                          (cl_image_format *)dead, NULL),
               CL_INVALID_VALUE);
        EXPECT(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 0,
                                          NULL, (cl_uint *)dead),
               CL_INVALID_VALUE);
        EXPECT(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 4,
                                          TAIL(sizeof fmt - 1), NULL),
               CL_INVALID_VALUE);
        EXPECT(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 0,
                                          NULL, TAIL(sizeof n - 1)),
               CL_INVALID_VALUE);
        CHECK_CL(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 4,
                                            fmt, &n));
        CHECK(n > 0);
        memset(TAIL(sizeof fmt), 0, sizeof fmt);
        EXPECT(clGetSupportedImageFormats(e.context, CL_MEM_READ_WRITE, CL_MEM_OBJECT_IMAGE2D, 4,
                                          TAIL(sizeof fmt), (cl_uint *)live),
               CL_SUCCESS);
        CHECK_EQ(*(cl_uint *)live, n);
        CHECK_EQ(memcmp(TAIL(sizeof fmt), fmt, (n < 4 ? n : 4) * sizeof fmt[0]), 0);

        cl_sampler_properties sp[] = {CL_SAMPLER_NORMALIZED_COORDS, CL_TRUE, 0};
        cl_sampler s = clCreateSamplerWithProperties(e.context, sp, &err);
        CHECK_CL(err);
        INFO_ROWS(clGetSamplerInfo, sizeof(cl_bool), s, CL_SAMPLER_NORMALIZED_COORDS);
        CHECK_EQ(*(cl_bool *)TAIL(sizeof(cl_bool)), CL_TRUE);
        CHECK_CL(clReleaseSampler(s));
    } else {
        printf("no image support: image, image format and sampler rows not run\n");
    }

    cl_int err = CL_SUCCESS;
    cl_mem pipe = clCreatePipe(e.context, CL_MEM_READ_WRITE, 4, 16, NULL, &err);
    if (pipe) {
        INFO_ROWS(clGetPipeInfo, sizeof(cl_uint), pipe, CL_PIPE_PACKET_SIZE);
        CHECK_EQ(*(cl_uint *)TAIL(sizeof(cl_uint)), 4u);
        CHECK_CL(clReleaseMemObject(pipe));
    } else {
        printf("no pipes (%s): clGetPipeInfo rows not run\n", icd_err_name(err));
    }
    CHECK_CL(clReleaseMemObject(b));
}

static void devices(void)
{
    cl_device_id d[2];
    cl_uint n = 0;
    EXPECT(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 1, (cl_device_id *)dead, NULL),
           CL_INVALID_VALUE);
    EXPECT(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 0, NULL, (cl_uint *)dead),
           CL_INVALID_VALUE);
    EXPECT(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 2, TAIL(sizeof d - 1), NULL),
           CL_INVALID_VALUE);
    EXPECT(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 0, NULL, TAIL(sizeof n - 1)),
           CL_INVALID_VALUE);
    CHECK_CL(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 2, d, &n));
    memset(TAIL(sizeof d), 0, sizeof d);
    EXPECT(clGetDeviceIDs(e.platform, CL_DEVICE_TYPE_ALL, 2, TAIL(sizeof d), (cl_uint *)live),
           CL_SUCCESS);
    CHECK_EQ(*(cl_uint *)live, n);
    CHECK_EQ(memcmp(TAIL(sizeof d), d, (n < 2 ? n : 2) * sizeof d[0]), 0);

    /* The host timers: not every device has them; the refused rows do not depend on it. */
    cl_ulong dt = 0, ht = 0;
    EXPECT(clGetHostTimer(e.device, (cl_ulong *)dead), CL_INVALID_VALUE);
    EXPECT(clGetHostTimer(e.device, TAIL(sizeof ht - 1)), CL_INVALID_VALUE);
    EXPECT(clGetDeviceAndHostTimer(e.device, (cl_ulong *)dead, &ht), CL_INVALID_VALUE);
    EXPECT(clGetDeviceAndHostTimer(e.device, &dt, (cl_ulong *)(dead + 8)), CL_INVALID_VALUE);
    EXPECT(clGetDeviceAndHostTimer(e.device, &dt, TAIL(sizeof ht - 1)), CL_INVALID_VALUE);
    if (clGetHostTimer(e.device, &ht) == CL_SUCCESS) {
        *(cl_ulong *)TAIL(sizeof ht) = 0;
        EXPECT(clGetHostTimer(e.device, TAIL(sizeof ht)), CL_SUCCESS);
        CHECK(*(cl_ulong *)TAIL(sizeof ht) >= ht);
    } else {
        printf("no host timer: its valid row not run\n");
    }
}

static void programs(void)
{
    static const char *src = "kernel void k(global int *p) { p[0] = 1; }\n"
                             "kernel void k2(global int *p) { p[0] = 2; }\n";
    cl_program prog = icd_test_program(e.context, e.device, src, "-cl-kernel-arg-info");
    INFO_ROWS(clGetProgramInfo, sizeof(cl_uint), prog, CL_PROGRAM_NUM_DEVICES);
    INFO_ROWS(clGetProgramInfo, sizeof(size_t), prog, CL_PROGRAM_NUM_KERNELS);
    CHECK_EQ(*(size_t *)TAIL(sizeof(size_t)), (size_t)2);
    INFO_ROWS(clGetProgramBuildInfo, sizeof(cl_build_status), prog, e.device,
              CL_PROGRAM_BUILD_STATUS);

    cl_kernel k = icd_test_kernel(prog, "k");
    INFO_ROWS(clGetKernelInfo, sizeof(cl_uint), k, CL_KERNEL_NUM_ARGS);
    INFO_ROWS(clGetKernelWorkGroupInfo, sizeof(size_t), k, e.device, CL_KERNEL_WORK_GROUP_SIZE);
    INFO_ROWS(clGetKernelArgInfo, sizeof(cl_kernel_arg_address_qualifier), k, 0,
              CL_KERNEL_ARG_ADDRESS_QUALIFIER);
    size_t local = 1;
    cl_int sg = clGetKernelSubGroupInfo(k, e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE,
                                        sizeof local, &local, 0, NULL, NULL);
    EXPECT(clGetKernelSubGroupInfo(k, e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE,
                                   sizeof local, &local, sizeof(size_t), dead, NULL),
           CL_INVALID_VALUE);
    EXPECT(clGetKernelSubGroupInfo(k, e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE,
                                   sizeof local, &local, 0, NULL, (size_t *)dead),
           CL_INVALID_VALUE);
    EXPECT(clGetKernelSubGroupInfo(k, e.device, CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE,
                                   sizeof local, dead, sizeof(size_t), &local, NULL),
           CL_INVALID_VALUE);
    if (sg == CL_SUCCESS)
        INFO_ROWS(clGetKernelSubGroupInfo, sizeof(size_t), k, e.device,
                  CL_KERNEL_MAX_SUB_GROUP_SIZE_FOR_NDRANGE, sizeof local, &local);
    else
        printf("no sub-group queries (%s): their valid row not run\n", icd_err_name(sg));

    /* clCreateKernelsInProgram's kernels array and count. */
    cl_kernel ks[2] = {NULL, NULL};
    cl_uint nk = 0;
    EXPECT(clCreateKernelsInProgram(prog, 2, (cl_kernel *)dead, NULL), CL_INVALID_VALUE);
    EXPECT(clCreateKernelsInProgram(prog, 0, NULL, (cl_uint *)dead), CL_INVALID_VALUE);
    EXPECT(clCreateKernelsInProgram(prog, 2, TAIL(sizeof ks - 1), NULL), CL_INVALID_VALUE);
    EXPECT(clCreateKernelsInProgram(prog, 0, NULL, TAIL(sizeof nk - 1)), CL_INVALID_VALUE);
    EXPECT(clCreateKernelsInProgram(prog, 2, TAIL(sizeof ks), (cl_uint *)live), CL_SUCCESS);
    CHECK_EQ(*(cl_uint *)live, 2u);
    memcpy(ks, TAIL(sizeof ks), sizeof ks);
    for (int i = 0; i < 2; i++) {
        cl_program owner = NULL;
        ICD_GET_INFO(clGetKernelInfo, ks[i], CL_KERNEL_PROGRAM, owner);
        CHECK(owner == prog);
        CHECK_CL(clReleaseKernel(ks[i]));
    }

    /* Events, with profiling. */
    cl_queue_properties qp[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueueWithProperties(e.context, e.device, qp, &err);
    CHECK_CL(err);
    cl_mem out = icd_test_buffer(e.context, CL_MEM_READ_WRITE, sizeof(cl_int), NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof out, &out));
    size_t one = 1;
    cl_event ev = NULL;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &one, NULL, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    INFO_ROWS(clGetEventInfo, sizeof(cl_int), ev, CL_EVENT_COMMAND_EXECUTION_STATUS);
    CHECK_EQ(*(cl_int *)TAIL(sizeof(cl_int)), CL_COMPLETE);
    INFO_ROWS(clGetEventProfilingInfo, sizeof(cl_ulong), ev, CL_PROFILING_COMMAND_END);
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseMemObject(out));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

int main(void)
{
    svm_env_open(&e);
    svm_live_and_freed(&e, SZ, &live, &dead);
    objects();
    devices();
    programs();
    printf("%d queries with freed, overrunning and valid output memory ok\n", rows);
    clSVMFree(e.context, live);
    svm_env_close(&e);
    return svm_exit_code();
}
