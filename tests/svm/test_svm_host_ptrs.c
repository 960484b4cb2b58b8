/* test_svm_host_ptrs: clsvm's pointer rule (docs/svm.md) for every entry point that reads or
 * writes host memory other than the clEnqueueSVM* commands: a pointer into freed SVM (whose
 * pages are unmapped, so the backend would fault) and a range running past the end of a live
 * allocation are refused with the spec's error; the same calls on memory inside a live
 * allocation work and move the right bytes. Covered: clCreateBuffer(WithProperties),
 * clCreateImage(WithProperties), clCreateImage2D/3D, clEnqueueRead/WriteBuffer(Rect),
 * clEnqueueRead/WriteImage, clEnqueueFillBuffer/FillImage, clEnqueueNativeKernel, clSetKernelArg.
 */
#include "svm/svm_test.h"

enum { SZ = 1 << 20, W = 16, H = 16, IMG = W * H * 4 };

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

static cl_int create_buffer_err(cl_mem_flags flags, size_t size, void *p, int props)
{
    cl_int err = CL_SUCCESS;
    cl_mem m = props ? clCreateBufferWithProperties(e.context, NULL, flags, size, p, &err)
                     : clCreateBuffer(e.context, flags, size, p, &err);
    if (m)
        CHECK_CL(clReleaseMemObject(m));
    return err;
}

static void buffers(void)
{
    cl_mem_flags copy = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    cl_mem_flags use = CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR;
    for (int props = 0; props < 2; props++) {
        EXPECT(create_buffer_err(copy, 4096, dead, props), CL_INVALID_HOST_PTR);
        EXPECT(create_buffer_err(use, 4096, dead + 64, props), CL_INVALID_HOST_PTR);
        EXPECT(create_buffer_err(copy, 4096, live + SZ - 64, props), CL_INVALID_BUFFER_SIZE);
    }
    for (int i = 0; i < 4096; i++)
        live[i] = (unsigned char)(i * 7);
    cl_mem b = icd_test_buffer(e.context, copy, 4096, live);
    rows++;

    /* Read/write: into freed SVM, past the end of a live allocation, then the real thing. */
    EXPECT(clEnqueueReadBuffer(e.queue, b, CL_TRUE, 0, 4096, dead, 0, NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueWriteBuffer(e.queue, b, CL_TRUE, 0, 4096, dead + 4096, 0, NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueReadBuffer(e.queue, b, CL_TRUE, 0, 4096, live + SZ - 100, 0, NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueReadBuffer(e.queue, b, CL_TRUE, 0, 4096, live + SZ - 4096, 0, NULL, NULL),
           CL_SUCCESS);
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(live[SZ - 4096 + i], (unsigned char)(i * 7));

    /* Rect: a 64 x 16 box of a 64-byte-pitch image of the buffer. */
    size_t zero[3] = {0, 0, 0}, region[3] = {64, 16, 1}, near_end[3] = {0, 0, 0};
    EXPECT(clEnqueueReadBufferRect(e.queue, b, CL_TRUE, zero, zero, region, 64, 0, 64, 0, dead, 0,
                                   NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueWriteBufferRect(e.queue, b, CL_TRUE, zero, zero, region, 64, 0, 64, 0, dead, 0,
                                    NULL, NULL),
           CL_INVALID_VALUE);
    near_end[1] = SZ / 64 - 8; /* host rows 8 short of the end: the box runs 8 rows past it */
    EXPECT(clEnqueueReadBufferRect(e.queue, b, CL_TRUE, zero, near_end, region, 64, 0, 64, 0, live,
                                   0, NULL, NULL),
           CL_INVALID_VALUE);
    near_end[1] = SZ / 64 - 16; /* exactly the last 16 rows */
    memset(live + SZ - 1024, 0, 1024);
    EXPECT(clEnqueueReadBufferRect(e.queue, b, CL_TRUE, zero, near_end, region, 64, 0, 64, 0, live,
                                   0, NULL, NULL),
           CL_SUCCESS);
    for (int i = 0; i < 1024; i++)
        CHECK_EQ(live[SZ - 1024 + i], (unsigned char)(i * 7));

    /* Fill: the pattern is host memory too. */
    EXPECT(clEnqueueFillBuffer(e.queue, b, dead, 4, 0, 4096, 0, NULL, NULL), CL_INVALID_VALUE);
    EXPECT(clEnqueueFillBuffer(e.queue, b, live + SZ - 8, 16, 0, 4096, 0, NULL, NULL),
           CL_INVALID_VALUE);
    memcpy(live + SZ - 16, "0123456789abcdef", 16);
    EXPECT(clEnqueueFillBuffer(e.queue, b, live + SZ - 16, 16, 0, 4096, 0, NULL, NULL), CL_SUCCESS);
    unsigned char out[4096];
    CHECK_CL(clEnqueueReadBuffer(e.queue, b, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < 4096; i++)
        CHECK_EQ(out[i], (unsigned char)"0123456789abcdef"[i % 16]);
    CHECK_CL(clReleaseMemObject(b));
}

static cl_int create_image_err(int how, cl_mem_flags flags, void *p)
{
    cl_image_format f = {CL_RGBA, CL_UNORM_INT8};
    cl_image_desc d = {.image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = W, .image_height = H};
    cl_image_desc d3 = {
        .image_type = CL_MEM_OBJECT_IMAGE3D, .image_width = W, .image_height = H, .image_depth = 2};
    cl_int err = CL_SUCCESS;
    cl_mem m = NULL;
    switch (how) {
    case 0:
        m = clCreateImage(e.context, flags, &f, &d, p, &err);
        break;
    case 1:
        m = clCreateImageWithProperties(e.context, NULL, flags, &f, &d, p, &err);
        break;
    case 2:
        m = clCreateImage2D(e.context, flags, &f, W, H, 0, p, &err);
        break;
    case 3:
        m = clCreateImage(e.context, flags, &f, &d3, p, &err);
        break;
    default:
        m = clCreateImage3D(e.context, flags, &f, W, H, 2, 0, 0, p, &err);
        break;
    }
    if (m)
        CHECK_CL(clReleaseMemObject(m));
    return err;
}

static void images(void)
{
    cl_bool img = CL_FALSE;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_IMAGE_SUPPORT, img);
    if (!img) {
        printf("images not supported by the device: image rows not run\n");
        return;
    }
    cl_mem_flags copy = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    for (int how = 0; how < 5; how++) {
        size_t bytes = how >= 3 ? 2 * IMG : IMG;
        EXPECT(create_image_err(how, copy, dead), CL_INVALID_HOST_PTR);
        EXPECT(create_image_err(how, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, dead + 256),
               CL_INVALID_HOST_PTR);
        EXPECT(create_image_err(how, copy, live + SZ - bytes + 4), CL_INVALID_HOST_PTR);
        EXPECT(create_image_err(how, copy, live + SZ - bytes), CL_SUCCESS);
    }
    for (int i = 0; i < IMG; i++)
        live[i] = (unsigned char)(i * 3);
    cl_image_format f = {CL_RGBA, CL_UNORM_INT8};
    cl_image_desc d = {.image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = W, .image_height = H};
    cl_int err = CL_SUCCESS;
    cl_mem im = clCreateImage(e.context, copy, &f, &d, live, &err);
    CHECK_CL(err);
    size_t origin[3] = {0, 0, 0}, region[3] = {W, H, 1};
    EXPECT(clEnqueueReadImage(e.queue, im, CL_TRUE, origin, region, 0, 0, dead, 0, NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueWriteImage(e.queue, im, CL_TRUE, origin, region, 0, 0, dead, 0, NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueReadImage(e.queue, im, CL_TRUE, origin, region, 0, 0, live + SZ - IMG + 4, 0,
                              NULL, NULL),
           CL_INVALID_VALUE);
    EXPECT(clEnqueueReadImage(e.queue, im, CL_TRUE, origin, region, 0, 0, live + SZ - IMG, 0, NULL,
                              NULL),
           CL_SUCCESS);
    for (int i = 0; i < IMG; i++)
        CHECK_EQ(live[SZ - IMG + i], (unsigned char)(i * 3));
    float color[4] = {1, 0, 0, 1};
    EXPECT(clEnqueueFillImage(e.queue, im, dead, origin, region, 0, NULL, NULL), CL_INVALID_VALUE);
    EXPECT(clEnqueueFillImage(e.queue, im, live + SZ - 8, origin, region, 0, NULL, NULL),
           CL_INVALID_VALUE);
    memcpy(live + SZ - sizeof color, color, sizeof color);
    EXPECT(clEnqueueFillImage(e.queue, im, live + SZ - sizeof color, origin, region, 0, NULL, NULL),
           CL_SUCCESS);
    unsigned char px[IMG];
    CHECK_CL(clEnqueueReadImage(e.queue, im, CL_TRUE, origin, region, 0, 0, px, 0, NULL, NULL));
    for (int i = 0; i < W * H; i++)
        CHECK(px[4 * i] == 255 && px[4 * i + 1] == 0 && px[4 * i + 3] == 255);
    CHECK_CL(clReleaseMemObject(im));
}

static void CL_CALLBACK native(void *args)
{
    int *v = args;
    v[1] = v[0] + 1;
}

static void kernels(void)
{
    cl_device_exec_capabilities caps = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_EXECUTION_CAPABILITIES, caps);
    if (caps & CL_EXEC_NATIVE_KERNEL) {
        EXPECT(clEnqueueNativeKernel(e.queue, native, dead, 8, 0, NULL, NULL, 0, NULL, NULL),
               CL_INVALID_VALUE);
        EXPECT(
            clEnqueueNativeKernel(e.queue, native, live + SZ - 4, 8, 0, NULL, NULL, 0, NULL, NULL),
            CL_INVALID_VALUE);
        int args[2] = {41, 0};
        memcpy(live, args, sizeof args);
        EXPECT(
            clEnqueueNativeKernel(e.queue, native, live, sizeof args, 0, NULL, NULL, 0, NULL, NULL),
            CL_SUCCESS);
        CHECK_CL(clFinish(e.queue));
        memcpy(args, live, sizeof args);
        CHECK_EQ(args[0], 41); /* the backend ran on its own copy of the arguments */
    } else {
        printf("no native kernels on the device: that row not run\n");
    }
    static const char *src = "kernel void k(global int *p, int v) { p[0] = v; }\n";
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k");
    EXPECT(clSetKernelArg(k, 1, sizeof(cl_int), dead), CL_INVALID_ARG_VALUE);
    EXPECT(clSetKernelArg(k, 1, sizeof(cl_int), live + SZ - 2), CL_INVALID_ARG_VALUE);
    cl_int v = 1234;
    memcpy(live + SZ - 4, &v, sizeof v);
    EXPECT(clSetKernelArg(k, 1, sizeof(cl_int), live + SZ - 4), CL_SUCCESS);
    cl_int zero = 0;
    cl_mem out =
        icd_test_buffer(e.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof zero, &zero);
    CHECK_CL(clSetKernelArg(k, 0, sizeof out, &out));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e.queue, out, CL_TRUE, 0, sizeof v, &v, 0, NULL, NULL));
    CHECK_EQ(v, 1234);
    CHECK_CL(clReleaseMemObject(out));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
}

int main(void)
{
    svm_env_open(&e);
    svm_live_and_freed(&e, SZ, &live, &dead);
    buffers();
    images();
    kernels();
    printf("%d calls with freed, overrunning and valid host memory ok\n", rows);
    clSVMFree(e.context, live);
    svm_env_close(&e);
    return 0;
}
