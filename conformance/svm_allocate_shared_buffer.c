/* svm_allocate_shared_buffer: clSVMAlloc flag combinations (OpenCL 3.0 API 5.6.1, table "SVM
 * Memory Flags"): every valid combination of access flag x granularity x alignment allocates
 * memory honouring the alignment, which a buffer created over it with CL_MEM_USE_HOST_PTR uses
 * as its storage (CL_MEM_USES_SVM_POINTER, CL_MEM_HOST_PTR, data seen by a kernel); invalid
 * flags, sizes and alignments return NULL. */
#include "conf.h"

static const char *src = "kernel void k_copy(global const uint *in, global uint *out)\n"
                         "{ out[get_global_id(0)] = in[get_global_id(0)] * 3u + 1u; }\n";

enum { N = 256 };

static void use(const conf_env *e, cl_kernel k, cl_svm_mem_flags flags, size_t align, cl_uint *out)
{
    cl_uint *p = clSVMAlloc(e->context, flags, N * sizeof(cl_uint), (cl_uint)align);
    CHECK_MSG(p != NULL, "flags 0x%llx align %zu", (unsigned long long)flags, align);
    if (align)
        CHECK_MSG((uintptr_t)p % align == 0, "%p not aligned to %zu", (void *)p, align);
    int fine = (flags & CL_MEM_SVM_FINE_GRAIN_BUFFER) != 0;
    if (!fine)
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_WRITE, p, N * sizeof(cl_uint), 0, NULL,
                                 NULL));
    for (cl_uint i = 0; i < N; i++)
        p[i] = i ^ (cl_uint)flags ^ (cl_uint)align;
    if (!fine)
        CHECK_CL(clEnqueueSVMUnmap(e->queue, p, 0, NULL, NULL));
    /* A buffer object over the SVM memory: the spec says it uses that memory as storage. */
    cl_mem_flags mf = CL_MEM_USE_HOST_PTR | (flags & (CL_MEM_READ_WRITE | CL_MEM_READ_ONLY));
    if (flags & CL_MEM_WRITE_ONLY)
        mf = CL_MEM_USE_HOST_PTR | CL_MEM_READ_ONLY; /* the kernel only reads it */
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(e->context, mf, N * sizeof(cl_uint), p, &err);
    CHECK_CL(err);
    cl_bool uses = CL_FALSE;
    CHECK_CL(clGetMemObjectInfo(m, CL_MEM_USES_SVM_POINTER, sizeof uses, &uses, NULL));
    CHECK_EQ(uses, CL_TRUE);
    void *hp = NULL;
    CHECK_CL(clGetMemObjectInfo(m, CL_MEM_HOST_PTR, sizeof hp, &hp, NULL));
    CHECK(hp == p);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    CHECK_CL(clSetKernelArgSVMPointer(k, 1, out));
    conf_run(e, k, N);
    CHECK_CL(
        clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, out, N * sizeof(cl_uint), 0, NULL, NULL));
    for (cl_uint i = 0; i < N; i++)
        CHECK_MSG(out[i] == (i ^ (cl_uint)flags ^ (cl_uint)align) * 3u + 1u,
                  "flags 0x%llx align %zu: out[%u] = %u", (unsigned long long)flags, align, i,
                  out[i]);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, out, 0, NULL, NULL));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, p);
}

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program prog = conf_program(&e, src, NULL);
    cl_kernel k = conf_kernel(prog, "k_copy");
    cl_uint *out = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(cl_uint));
    const cl_svm_mem_flags access[] = {0, CL_MEM_READ_WRITE, CL_MEM_WRITE_ONLY, CL_MEM_READ_ONLY};
    const cl_svm_mem_flags grain[] = {0, CL_MEM_SVM_FINE_GRAIN_BUFFER,
                                      CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS};
    const size_t aligns[] = {0, 1, 8, 128, 4096};
    int combos = 0;
    for (int a = 0; a < 4; a++)
        for (int g = 0; g < 3; g++)
            for (int l = 0; l < 5; l++) {
                if (g == 1 && !conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER))
                    continue;
                if (g == 2 &&
                    !conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS))
                    continue;
                use(&e, k, access[a] | grain[g], aligns[l], out);
                combos++;
            }
    CHECK(combos >= 20);

    /* Invalid: two access flags, atomics without fine grain, cl_mem_flags that are not SVM
     * flags, size 0 or above CL_DEVICE_MAX_MEM_ALLOC_SIZE, a non-power-of-two alignment. */
    cl_ulong max_alloc = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof max_alloc, &max_alloc,
                             NULL));
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 64, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_WRITE | CL_MEM_READ_ONLY, 64, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_SVM_ATOMICS, 64, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_USE_HOST_PTR, 64, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_ALLOC_HOST_PTR, 64, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_WRITE, 0, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_WRITE, (size_t)max_alloc + 1, 0) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_WRITE, 64, 3) == NULL);
    CHECK(clSVMAlloc(e.context, CL_MEM_READ_WRITE, 64, 48) == NULL);
    CHECK(clSVMAlloc(NULL, CL_MEM_READ_WRITE, 64, 0) == NULL);
    /* A buffer larger than the SVM allocation it is made from: CL_INVALID_BUFFER_SIZE. */
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(e.context, CL_MEM_USE_HOST_PTR, N * sizeof(cl_uint) + 1, out, &err);
    CHECK(m == NULL);
    CHECK_EQ(err, CL_INVALID_BUFFER_SIZE);

    clSVMFree(e.context, out);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
