/* svm_sub_buffers: buffers and sub-buffers over SVM memory (OpenCL 3.0 API 5.2.1 and 5.6.1):
 * a CL_MEM_USE_HOST_PTR buffer on an SVM pointer uses that memory, its sub-buffers at every
 * CL_DEVICE_MEM_BASE_ADDR_ALIGN offset address the SVM bytes at that offset (CL_MEM_HOST_PTR,
 * CL_MEM_OFFSET, CL_MEM_USES_SVM_POINTER), kernels writing through sub-buffers change the SVM
 * memory seen through clSVMAlloc's pointer, and SVM kernel arguments see sub-buffer writes. */
#include "conf.h"

static const char *src = "kernel void k_mark(global uint *sub, uint tag)\n"
                         "{ sub[get_global_id(0)] = tag + get_global_id(0); }\n"
                         "kernel void k_sum(global const uint *svm, global uint *out, uint n)\n"
                         "{ uint s = 0; for (uint i = 0; i < n; i++) s += svm[i]; out[0] = s; }\n";

enum { NSUB = 8 };

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_uint align_bits = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof align_bits,
                             &align_bits, NULL));
    size_t sub_bytes = align_bits / 8;
    CHECK(sub_bytes >= sizeof(cl_uint));
    size_t total = NSUB * sub_bytes, per = sub_bytes / sizeof(cl_uint), n = total / sizeof(cl_uint);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel mark = conf_kernel(p, "k_mark"), sum = conf_kernel(p, "k_sum");
    cl_uint *svm = conf_alloc(&e, CL_MEM_READ_WRITE, total);
    cl_uint *out = conf_alloc(&e, CL_MEM_READ_WRITE, sizeof(cl_uint));
    cl_int err = CL_SUCCESS;
    cl_mem parent =
        clCreateBuffer(e.context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, total, svm, &err);
    CHECK_CL(err);
    cl_mem subs[NSUB];
    for (size_t s = 0; s < NSUB; s++) {
        cl_buffer_region r = {s * sub_bytes, sub_bytes};
        subs[s] =
            clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
        CHECK_CL(err);
        cl_bool uses = CL_FALSE;
        CHECK_CL(clGetMemObjectInfo(subs[s], CL_MEM_USES_SVM_POINTER, sizeof uses, &uses, NULL));
        CHECK_EQ(uses, CL_TRUE);
        size_t off = 0;
        CHECK_CL(clGetMemObjectInfo(subs[s], CL_MEM_OFFSET, sizeof off, &off, NULL));
        CHECK_EQ(off, s * sub_bytes);
        void *hp = NULL;
        CHECK_CL(clGetMemObjectInfo(subs[s], CL_MEM_HOST_PTR, sizeof hp, &hp, NULL));
        CHECK(hp == (char *)svm + s * sub_bytes);
        cl_uint tag = (cl_uint)(1000 * (s + 1));
        CHECK_CL(clSetKernelArg(mark, 0, sizeof subs[s], &subs[s]));
        CHECK_CL(clSetKernelArg(mark, 1, sizeof tag, &tag));
        CHECK_CL(clEnqueueNDRangeKernel(e.queue, mark, 1, NULL, &per, NULL, 0, NULL, NULL));
    }
    /* The SVM pointer sees every sub-buffer's writes, first from a kernel, then from the host. */
    cl_uint nn = (cl_uint)n, want = 0;
    for (size_t s = 0; s < NSUB; s++)
        for (size_t i = 0; i < per; i++)
            want += (cl_uint)(1000 * (s + 1) + i);
    CHECK_CL(clSetKernelArgSVMPointer(sum, 0, svm));
    CHECK_CL(clSetKernelArgSVMPointer(sum, 1, out));
    CHECK_CL(clSetKernelArg(sum, 2, sizeof nn, &nn));
    conf_run(&e, sum, 1);
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, out, sizeof(cl_uint), 0, NULL, NULL));
    CHECK_EQ(out[0], want);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, out, 0, NULL, NULL));
    CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, svm, total, 0, NULL, NULL));
    for (size_t s = 0; s < NSUB; s++)
        for (size_t i = 0; i < per; i++)
            CHECK_MSG(svm[s * per + i] == (cl_uint)(1000 * (s + 1) + i), "sub %zu [%zu] = %u", s, i,
                      svm[s * per + i]);
    CHECK_CL(clEnqueueSVMUnmap(e.queue, svm, 0, NULL, NULL));
    /* Reading a sub-buffer returns the SVM bytes at its offset. */
    cl_uint got[2] = {0, 0};
    CHECK_CL(clEnqueueReadBuffer(e.queue, subs[3], CL_TRUE, sizeof(cl_uint), sizeof got, got, 0,
                                 NULL, NULL));
    CHECK_EQ(got[0], 4001);
    CHECK_EQ(got[1], 4002);
    /* A buffer over an interior SVM pointer is a view at that offset too. */
    cl_mem inner = clCreateBuffer(e.context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, sub_bytes,
                                  (char *)svm + 2 * sub_bytes, &err);
    CHECK_CL(err);
    cl_bool uses = CL_FALSE;
    CHECK_CL(clGetMemObjectInfo(inner, CL_MEM_USES_SVM_POINTER, sizeof uses, &uses, NULL));
    CHECK_EQ(uses, CL_TRUE);
    CHECK_CL(clEnqueueReadBuffer(e.queue, inner, CL_TRUE, 0, sizeof got, got, 0, NULL, NULL));
    CHECK_EQ(got[0], 3000);
    CHECK_EQ(got[1], 3001);
    /* A sub-buffer region past the parent is CL_INVALID_VALUE. */
    cl_buffer_region bad = {total - sub_bytes, 2 * sub_bytes};
    cl_mem none =
        clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &bad, &err);
    CHECK(none == NULL);
    CHECK_EQ(err, CL_INVALID_VALUE);
    /* The spec requires these buffers to be released before the SVM memory is freed. */
    CHECK_CL(clReleaseMemObject(inner));
    for (size_t s = 0; s < NSUB; s++)
        CHECK_CL(clReleaseMemObject(subs[s]));
    CHECK_CL(clReleaseMemObject(parent));
    CHECK_CL(clFinish(e.queue));
    clSVMFree(e.context, svm);
    clSVMFree(e.context, out);
    CHECK_CL(clReleaseKernel(mark));
    CHECK_CL(clReleaseKernel(sum));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
