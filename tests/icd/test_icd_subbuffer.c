/* test_icd_subbuffer: sub-buffers through clsvm address exactly their region of the parent
 * (host reads/writes and a kernel), report their origin and parent, and bad regions fail with
 * the spec's exact codes. */
#include "icd_test.h"

static const char *src = "__kernel void mark(__global uint *p) { p[get_global_id(0)] = 0xC0DE0000u "
                         "+ get_global_id(0); }\n";

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);

    cl_uint align_bits = 0;
    ICD_GET_INFO(clGetDeviceInfo, d, CL_DEVICE_MEM_BASE_ADDR_ALIGN, align_bits);
    size_t align = align_bits / 8;
    CHECK_MSG(align >= 4 && (align & (align - 1)) == 0, "CL_DEVICE_MEM_BASE_ADDR_ALIGN %u bits",
              align_bits);

    /* Parent: 8 aligned blocks, filled with its byte index pattern. */
    size_t psize = 8 * align, n = psize / sizeof(cl_uint);
    cl_uint *init = malloc(psize), *out = malloc(psize), *want = malloc(psize);
    CHECK(init && out && want);
    for (size_t i = 0; i < n; i++)
        init[i] = want[i] = (cl_uint)i;
    cl_mem parent = icd_test_buffer(c, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, psize, init);

    /* Sub-buffer over blocks [2, 4). */
    size_t off = 2 * align, len = 2 * align, m = len / sizeof(cl_uint), o = off / sizeof(cl_uint);
    cl_buffer_region r = {off, len};
    cl_int err = CL_SUCCESS;
    cl_mem sub =
        clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    CHECK_CL(err);
    size_t got = 0;
    ICD_GET_INFO(clGetMemObjectInfo, sub, CL_MEM_OFFSET, got);
    CHECK_EQ(got, off);
    ICD_GET_INFO(clGetMemObjectInfo, sub, CL_MEM_SIZE, got);
    CHECK_EQ(got, len);

    /* Reading the sub-buffer gives the parent's region. */
    CHECK_CL(clEnqueueReadBuffer(q, sub, CL_TRUE, 0, len, out, 0, NULL, NULL));
    for (size_t i = 0; i < m; i++)
        CHECK_EQ(out[i], o + i);

    /* Writing through the sub-buffer changes exactly that region of the parent. */
    for (size_t i = 0; i < m; i++) {
        out[i] = 0xAB000000u + (cl_uint)i;
        want[o + i] = out[i];
    }
    CHECK_CL(clEnqueueWriteBuffer(q, sub, CL_TRUE, 0, len, out, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(q, parent, CL_TRUE, 0, psize, out, 0, NULL, NULL));
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(out[i] == want[i], "parent[%zu] = %#x, expected %#x", i, out[i], want[i]);

    /* Writing the parent is visible through the sub-buffer. */
    cl_uint v = 0x12345678u;
    CHECK_CL(clEnqueueWriteBuffer(q, parent, CL_TRUE, off + 4, sizeof v, &v, 0, NULL, NULL));
    cl_uint back = 0;
    CHECK_CL(clEnqueueReadBuffer(q, sub, CL_TRUE, 4, sizeof back, &back, 0, NULL, NULL));
    CHECK_EQ(back, v);
    want[o + 1] = v;

    /* A kernel on a second sub-buffer over block 5 writes only there. */
    cl_buffer_region r5 = {5 * align, align};
    cl_mem sub5 = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &r5, &err);
    CHECK_CL(err);
    cl_program prog = icd_test_program(c, d, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "mark");
    CHECK_CL(clSetKernelArg(k, 0, sizeof sub5, &sub5));
    size_t gws = align / sizeof(cl_uint);
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    for (size_t i = 0; i < gws; i++)
        want[5 * align / sizeof(cl_uint) + i] = 0xC0DE0000u + (cl_uint)i;
    CHECK_CL(clEnqueueReadBuffer(q, parent, CL_TRUE, 0, psize, out, 0, NULL, NULL));
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(out[i] == want[i], "after kernel: parent[%zu] = %#x, expected %#x", i, out[i],
                  want[i]);

    /* Copy between two sub-buffers of the same parent. */
    CHECK_CL(clEnqueueCopyBuffer(q, sub, sub5, 0, 0, align, 0, NULL, NULL));
    for (size_t i = 0; i < align / sizeof(cl_uint); i++)
        want[5 * align / sizeof(cl_uint) + i] = want[o + i];
    CHECK_CL(clEnqueueReadBuffer(q, parent, CL_TRUE, 0, psize, out, 0, NULL, NULL));
    CHECK(memcmp(out, want, psize) == 0);

    /* Errors. */
    cl_buffer_region bad = {align / 2, align};
    cl_mem none = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK_CL_ERR(err, CL_MISALIGNED_SUB_BUFFER_OFFSET);
    CHECK(none == NULL);
    bad.origin = 7 * align;
    bad.size = 2 * align; /* runs past the end */
    none = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK_CL_ERR(err, CL_INVALID_VALUE);
    CHECK(none == NULL);
    bad.origin = 16 * align;
    bad.size = align; /* starts past the end */
    none = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK_CL_ERR(err, CL_INVALID_VALUE);
    bad.origin = 0;
    bad.size = 0;
    none = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK_CL_ERR(err, CL_INVALID_BUFFER_SIZE);
    none = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, NULL, &err);
    CHECK_CL_ERR(err, CL_INVALID_VALUE);
    bad.size = align;
    none = clCreateSubBuffer(parent, 0, 0x7777, &bad, &err);
    CHECK_CL_ERR(err, CL_INVALID_VALUE);
    none = clCreateSubBuffer(sub, 0, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK_CL_ERR(err, CL_INVALID_MEM_OBJECT); /* no sub-buffers of sub-buffers */
    CHECK(none == NULL);
    /* Reads past the sub-buffer's end fail even though the parent is larger. */
    CHECK_CL_ERR(clEnqueueReadBuffer(q, sub, CL_TRUE, len - 4, 8, out, 0, NULL, NULL),
                 CL_INVALID_VALUE);

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseMemObject(sub5));
    CHECK_CL(clReleaseMemObject(sub));
    CHECK_CL(clReleaseMemObject(parent));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    free(init);
    free(out);
    free(want);
    printf("ok\n");
    return 0;
}
