/* test_icd_vecadd: real work through clsvm's buffer, program and kernel wrappers: a 1M-float
 * vector add, a __local work-group reduction, an image read through a sampler, and the
 * program/kernel info queries, all checked against exact host results. */
#include "icd_test.h"

static const char *src =
    "__kernel void vadd(__global const float *a, __global const float *b,\n"
    "                   __global float *c)\n"
    "{ size_t i = get_global_id(0); c[i] = a[i] + b[i]; }\n"
    "__kernel void wgsum(__global const uint *in, __global uint *out, __local uint *tmp)\n"
    "{\n"
    "    size_t l = get_local_id(0), n = get_local_size(0);\n"
    "    tmp[l] = in[get_global_id(0)];\n"
    "    barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    for (size_t s = n / 2; s > 0; s /= 2) {\n"
    "        if (l < s) tmp[l] += tmp[l + s];\n"
    "        barrier(CLK_LOCAL_MEM_FENCE);\n"
    "    }\n"
    "    if (l == 0) out[get_group_id(0)] = tmp[0];\n"
    "}\n"
    "__kernel void fill(__global int *p, int v) { p[get_global_id(0)] = v; }\n";

static const char *img_src =
    "__kernel void imgread(__read_only image2d_t img, sampler_t s, __global float4 *out)\n"
    "{\n"
    "    int x = get_global_id(0), y = get_global_id(1);\n"
    "    out[y * get_global_size(0) + x] = read_imagef(img, s, (int2)(x, y));\n"
    "}\n";

enum { N = 1 << 20, WG = 64, NGROUPS = 256 };

static void vadd(cl_context c, cl_command_queue q, cl_program prog)
{
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *r = malloc(N * sizeof *r);
    CHECK(a && b && r);
    unsigned long long seed = 42;
    for (size_t i = 0; i < N; i++) {
        a[i] = (float)(test_rand(&seed) % 100000) / 7.0f;
        b[i] = (float)(test_rand(&seed) % 100000) / 3.0f;
        r[i] = -1.0f;
    }
    cl_mem ba = icd_test_buffer(c, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, N * sizeof *a, a);
    cl_mem bb = icd_test_buffer(c, CL_MEM_READ_ONLY, N * sizeof *b, NULL);
    cl_mem bc = icd_test_buffer(c, CL_MEM_WRITE_ONLY, N * sizeof *r, NULL);
    CHECK_CL(clEnqueueWriteBuffer(q, bb, CL_TRUE, 0, N * sizeof *b, b, 0, NULL, NULL));
    cl_kernel k = icd_test_kernel(prog, "vadd");
    CHECK_CL(clSetKernelArg(k, 0, sizeof ba, &ba));
    CHECK_CL(clSetKernelArg(k, 1, sizeof bb, &bb));
    CHECK_CL(clSetKernelArg(k, 2, sizeof bc, &bc));
    size_t gws = N;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, bc, CL_TRUE, 0, N * sizeof *r, r, 0, NULL, NULL));
    for (size_t i = 0; i < N; i++) {
        float want = a[i] + b[i]; /* IEEE addition: exactly the same on host and device */
        CHECK_MSG(r[i] == want, "c[%zu] = %.9g, expected %.9g", i, r[i], want);
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseMemObject(ba));
    CHECK_CL(clReleaseMemObject(bb));
    CHECK_CL(clReleaseMemObject(bc));
    free(a);
    free(b);
    free(r);
}

static void reduction(cl_context c, cl_command_queue q, cl_program prog)
{
    enum { M = WG * NGROUPS };
    cl_uint in[M], out[NGROUPS], want[NGROUPS] = {0};
    unsigned long long seed = 7;
    for (size_t i = 0; i < M; i++) {
        in[i] = (cl_uint)(test_rand(&seed) % 1000000);
        want[i / WG] += in[i];
    }
    cl_mem bin = icd_test_buffer(c, CL_MEM_COPY_HOST_PTR, sizeof in, in);
    cl_mem bout = icd_test_buffer(c, CL_MEM_READ_WRITE, sizeof out, NULL);
    cl_kernel k = icd_test_kernel(prog, "wgsum");
    CHECK_CL(clSetKernelArg(k, 0, sizeof bin, &bin));
    CHECK_CL(clSetKernelArg(k, 1, sizeof bout, &bout));
    CHECK_CL(clSetKernelArg(k, 2, WG * sizeof(cl_uint), NULL)); /* __local: size, no value */
    size_t gws = M, lws = WG;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, &lws, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, bout, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (size_t g = 0; g < NGROUPS; g++)
        CHECK_MSG(out[g] == want[g], "group %zu: %u, expected %u", g, out[g], want[g]);

    size_t wgs = 0;
    cl_device_id d = NULL;
    CHECK_CL(clGetCommandQueueInfo(q, CL_QUEUE_DEVICE, sizeof d, &d, NULL));
    CHECK_CL(clGetKernelWorkGroupInfo(k, d, CL_KERNEL_WORK_GROUP_SIZE, sizeof wgs, &wgs, NULL));
    CHECK_MSG(wgs >= WG, "CL_KERNEL_WORK_GROUP_SIZE %zu < %d, yet the launch succeeded", wgs, WG);
    cl_ulong lmem = 0;
    CHECK_CL(clGetKernelWorkGroupInfo(k, d, CL_KERNEL_LOCAL_MEM_SIZE, sizeof lmem, &lmem, NULL));
    CHECK_MSG(lmem >= WG * sizeof(cl_uint), "CL_KERNEL_LOCAL_MEM_SIZE %llu",
              (unsigned long long)lmem);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseMemObject(bin));
    CHECK_CL(clReleaseMemObject(bout));
}

/* Fill, map/unmap and rectangular copy: more enqueue paths that take clsvm mem handles. */
static void buffer_ops(cl_context c, cl_command_queue q)
{
    enum { W = 32, H = 16 };
    cl_mem a = icd_test_buffer(c, CL_MEM_READ_WRITE, W * H * sizeof(cl_int), NULL);
    cl_mem b = icd_test_buffer(c, CL_MEM_READ_WRITE, W * H * sizeof(cl_int), NULL);
    cl_int pat = 0x01020304, zero = 0;
    CHECK_CL(clEnqueueFillBuffer(q, a, &pat, sizeof pat, 0, W * H * sizeof(cl_int), 0, NULL, NULL));
    CHECK_CL(
        clEnqueueFillBuffer(q, b, &zero, sizeof zero, 0, W * H * sizeof(cl_int), 0, NULL, NULL));

    /* Map a, write a gradient through the mapping, unmap. */
    cl_int err = CL_SUCCESS;
    cl_event mapped = NULL;
    cl_int *pa = clEnqueueMapBuffer(q, a, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, 0,
                                    W * H * sizeof(cl_int), 0, NULL, &mapped, &err);
    CHECK_CL(err);
    CHECK(pa != NULL);
    cl_command_type ct = 0;
    ICD_GET_INFO(clGetEventInfo, mapped, CL_EVENT_COMMAND_TYPE, ct);
    CHECK_EQ(ct, CL_COMMAND_MAP_BUFFER);
    for (int i = 0; i < W * H; i++) {
        CHECK_EQ(pa[i], pat);
        pa[i] = i;
    }
    cl_uint maps = 0;
    ICD_GET_INFO(clGetMemObjectInfo, a, CL_MEM_MAP_COUNT, maps);
    CHECK_EQ(maps, 1);
    CHECK_CL(clEnqueueUnmapMemObject(q, a, pa, 0, NULL, NULL));

    /* Copy the 8x4 block at (4, 2) of a to (20, 10) of b. */
    size_t src_origin[3] = {4 * sizeof(cl_int), 2, 0}, dst_origin[3] = {20 * sizeof(cl_int), 10, 0};
    size_t region[3] = {8 * sizeof(cl_int), 4, 1};
    size_t pitch = W * sizeof(cl_int);
    CHECK_CL(clEnqueueCopyBufferRect(q, a, b, src_origin, dst_origin, region, pitch, 0, pitch, 0, 0,
                                     NULL, NULL));
    cl_int out[W * H];
    CHECK_CL(clEnqueueReadBuffer(q, b, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int in = x >= 20 && x < 28 && y >= 10 && y < 14;
            cl_int want = in ? (y - 10 + 2) * W + (x - 20 + 4) : 0;
            CHECK_MSG(out[y * W + x] == want, "b(%d,%d) = %d, expected %d", x, y, out[y * W + x],
                      want);
        }
    CHECK_CL(clReleaseEvent(mapped));
    CHECK_CL(clReleaseMemObject(a));
    CHECK_CL(clReleaseMemObject(b));
}

static void images(cl_context c, cl_device_id d, cl_command_queue q)
{
    cl_bool support = CL_FALSE;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_IMAGE_SUPPORT, support);
    if (!support) {
        SKIP_PART("images: CL_DEVICE_IMAGE_SUPPORT is false");
        return;
    }
    enum { W = 16, H = 8 };
    cl_image_format fmt = {CL_RGBA, CL_FLOAT};
    cl_image_desc desc = {.image_type = CL_MEM_OBJECT_IMAGE2D, .image_width = W, .image_height = H};
    cl_int err = CL_SUCCESS;
    cl_mem img = clCreateImage(c, CL_MEM_READ_ONLY, &fmt, &desc, NULL, &err);
    CHECK_CL(err);
    float px[W * H * 4], out[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) {
        px[i] = (float)i * 0.25f - 100.0f;
        out[i] = 0;
    }
    size_t origin[3] = {0, 0, 0}, region[3] = {W, H, 1};
    CHECK_CL(clEnqueueWriteImage(q, img, CL_TRUE, origin, region, 0, 0, px, 0, NULL, NULL));

    cl_sampler_properties sp[] = {CL_SAMPLER_NORMALIZED_COORDS,
                                  CL_FALSE,
                                  CL_SAMPLER_ADDRESSING_MODE,
                                  CL_ADDRESS_CLAMP_TO_EDGE,
                                  CL_SAMPLER_FILTER_MODE,
                                  CL_FILTER_NEAREST,
                                  0};
    cl_sampler s = clCreateSamplerWithProperties(c, sp, &err);
    CHECK_CL(err);
    cl_filter_mode fm = 0;
    ICD_GET_INFO(clGetSamplerInfo, s, CL_SAMPLER_FILTER_MODE, fm);
    CHECK_EQ(fm, CL_FILTER_NEAREST);

    cl_program prog = icd_test_program(c, d, img_src, NULL);
    cl_kernel k = icd_test_kernel(prog, "imgread");
    cl_mem bout = icd_test_buffer(c, CL_MEM_WRITE_ONLY, sizeof out, NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof img, &img));
    CHECK_CL(clSetKernelArg(k, 1, sizeof s, &s));
    CHECK_CL(clSetKernelArg(k, 2, sizeof bout, &bout));
    size_t gws[2] = {W, H};
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 2, NULL, gws, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, bout, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < W * H * 4; i++)
        CHECK_MSG(out[i] == px[i], "image texel component %d: %g, expected %g", i, out[i], px[i]);

    /* Read the image back directly as well: the image wrapper must reach the backend's image. */
    float back[W * H * 4];
    CHECK_CL(clEnqueueReadImage(q, img, CL_TRUE, origin, region, 0, 0, back, 0, NULL, NULL));
    CHECK(memcmp(back, px, sizeof px) == 0);

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseMemObject(bout));
    CHECK_CL(clReleaseSampler(s));
    CHECK_CL(clReleaseMemObject(img));
    printf("images ok\n");
}

static void program_and_kernel_info(cl_context c, cl_device_id d, cl_program prog)
{
    char buf[4096];
    size_t n = 0;
    ICD_GET_INFO(clGetProgramInfo, prog, CL_PROGRAM_NUM_KERNELS, n);
    CHECK_EQ(n, 3);
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_KERNEL_NAMES, sizeof buf, buf, NULL));
    CHECK_MSG(strstr(buf, "vadd") && strstr(buf, "wgsum") && strstr(buf, "fill"), "names '%s'",
              buf);
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_SOURCE, sizeof buf, buf, NULL));
    CHECK(strcmp(buf, src) == 0);
    cl_uint ndev = 0;
    ICD_GET_INFO(clGetProgramInfo, prog, CL_PROGRAM_NUM_DEVICES, ndev);
    CHECK_EQ(ndev, 1);
    cl_build_status bs = CL_BUILD_NONE;
    CHECK_CL(clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_STATUS, sizeof bs, &bs, NULL));
    CHECK_EQ(bs, CL_BUILD_SUCCESS);
    CHECK_CL(clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_OPTIONS, sizeof buf, buf, NULL));
    CHECK_MSG(strstr(buf, "-cl-kernel-arg-info") != NULL, "build options '%s'", buf);

    cl_kernel ks[8];
    cl_uint nk = 0;
    CHECK_CL(clCreateKernelsInProgram(prog, 0, NULL, &nk));
    CHECK_EQ(nk, 3);
    CHECK_CL_ERR(clCreateKernelsInProgram(prog, 1, ks, NULL), CL_INVALID_VALUE);
    CHECK_CL(clCreateKernelsInProgram(prog, 8, ks, &nk));
    CHECK_EQ(nk, 3);
    int seen = 0;
    for (cl_uint i = 0; i < nk; i++) {
        CHECK_CL(clGetKernelInfo(ks[i], CL_KERNEL_FUNCTION_NAME, sizeof buf, buf, NULL));
        cl_uint nargs = 0;
        ICD_GET_INFO(clGetKernelInfo, ks[i], CL_KERNEL_NUM_ARGS, nargs);
        cl_program kp = NULL;
        ICD_GET_INFO(clGetKernelInfo, ks[i], CL_KERNEL_PROGRAM, kp);
        CHECK(kp == prog);
        cl_context kc = NULL;
        ICD_GET_INFO(clGetKernelInfo, ks[i], CL_KERNEL_CONTEXT, kc);
        CHECK(kc == c);
        if (!strcmp(buf, "vadd")) {
            seen |= 1;
            CHECK_EQ(nargs, 3);
            char an[64];
            CHECK_CL(clGetKernelArgInfo(ks[i], 2, CL_KERNEL_ARG_NAME, sizeof an, an, NULL));
            CHECK_MSG(!strcmp(an, "c"), "arg name '%s'", an);
            cl_kernel_arg_address_qualifier aq = 0;
            CHECK_CL(clGetKernelArgInfo(ks[i], 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq,
                                        NULL));
            CHECK_EQ(aq, CL_KERNEL_ARG_ADDRESS_GLOBAL);
        } else if (!strcmp(buf, "wgsum")) {
            seen |= 2;
            CHECK_EQ(nargs, 3);
            cl_kernel_arg_address_qualifier aq = 0;
            CHECK_CL(clGetKernelArgInfo(ks[i], 2, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq,
                                        NULL));
            CHECK_EQ(aq, CL_KERNEL_ARG_ADDRESS_LOCAL);
        } else if (!strcmp(buf, "fill")) {
            seen |= 4;
            CHECK_EQ(nargs, 2);
        }
        CHECK_CL_ERR(clGetKernelInfo(ks[i], 0x7fff, sizeof buf, buf, NULL), CL_INVALID_VALUE);
    }
    CHECK_EQ(seen, 7);

    /* A kernel from clCreateKernelsInProgram works like one from clCreateKernel. */
    for (cl_uint i = 0; i < nk; i++) {
        CHECK_CL(clGetKernelInfo(ks[i], CL_KERNEL_FUNCTION_NAME, sizeof buf, buf, NULL));
        if (strcmp(buf, "fill"))
            continue;
        cl_command_queue q = icd_test_queue(c, d, NULL);
        cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, 64 * sizeof(cl_int), NULL);
        cl_int v = 0x5a5a1234, got[64];
        CHECK_CL(clSetKernelArg(ks[i], 0, sizeof m, &m));
        CHECK_CL(clSetKernelArg(ks[i], 1, sizeof v, &v));
        size_t gws = 64;
        CHECK_CL(clEnqueueNDRangeKernel(q, ks[i], 1, NULL, &gws, NULL, 0, NULL, NULL));
        CHECK_CL(clEnqueueReadBuffer(q, m, CL_TRUE, 0, sizeof got, got, 0, NULL, NULL));
        for (int j = 0; j < 64; j++)
            CHECK_EQ(got[j], v);
        CHECK_CL(clReleaseMemObject(m));
        CHECK_CL(clReleaseCommandQueue(q));
    }
    for (cl_uint i = 0; i < nk; i++)
        CHECK_CL(clReleaseKernel(ks[i]));
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);
    cl_program prog = icd_test_program(c, d, src, "-cl-kernel-arg-info");

    vadd(c, q, prog);
    printf("vadd ok\n");
    reduction(c, q, prog);
    printf("reduction ok\n");
    buffer_ops(c, q);
    printf("fill/map/rect copy ok\n");
    images(c, d, q);
    program_and_kernel_info(c, d, prog);
    printf("program/kernel info ok\n");

    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("ok\n");
    return test_exit_code();
}
