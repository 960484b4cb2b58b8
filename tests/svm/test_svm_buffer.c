/* test_svm_buffer: cl_mem buffers on SVM memory. clCreateBuffer(CL_MEM_USE_HOST_PTR) on an SVM
 * pointer uses "the shared memory as the underlying storage" (API spec, clCreateBuffer / SVM
 * section), so it is zero-copy both ways: a kernel writing the buffer is visible through the SVM
 * pointer, host writes through the SVM pointer are seen by a kernel reading the buffer; the same
 * at an interior offset and through a sub-buffer. CL_MEM_USES_SVM_POINTER is true for such
 * buffers and their sub-buffers and false for plain ones. A size larger than the SVM allocation
 * is CL_INVALID_BUFFER_SIZE (spec, for the base pointer; clsvm applies the same rule to the
 * remaining size after an interior pointer) - clsvm only, pocl does not check. */
#include "svm/svm_test.h"

static const char *src = "kernel void k_set(global uint *b, uint base)\n"
                         "{ size_t i = get_global_id(0); b[i] = base + (uint)i; }\n"
                         "kernel void k_copy(global const uint *b, global uint *out)\n"
                         "{ size_t i = get_global_id(0); out[i] = b[i]; }\n";

enum { BYTES = 16384, WORDS = BYTES / 4 };

/* CL_MEM_USES_SVM_POINTER of `m` must be `want`; a mismatch is recorded, not fatal, so the
 * zero-copy checks still run. */
static void expect_uses_svm(cl_mem m, cl_bool want, const char *what)
{
    cl_bool v = 7;
    ICD_GET_INFO(clGetMemObjectInfo, m, CL_MEM_USES_SVM_POINTER, v);
    if (v != want)
        SVM_FAIL("CL_MEM_USES_SVM_POINTER of %s is %u, want %u", what, v, want);
}

static cl_mem sub_buffer(cl_mem parent, size_t origin, size_t size)
{
    cl_buffer_region r = {origin, size};
    cl_int err = CL_SUCCESS;
    cl_mem s = clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
    CHECK_CL(err);
    return s;
}

/* Kernel writes `words` words of `m` with base+i. */
static void kernel_set(const svm_env *e, cl_kernel k, cl_mem m, size_t words, cl_uint base)
{
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    CHECK_CL(clSetKernelArg(k, 1, sizeof base, &base));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &words, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
}

static void zero_copy(const svm_env *e, cl_program prog, cl_svm_mem_flags flags)
{
    cl_kernel set = icd_test_kernel(prog, "k_set");
    cl_kernel copy = icd_test_kernel(prog, "k_copy");
    printf("SVM flags 0x%llx\n", (unsigned long long)flags);
    cl_uint *svm = svm_alloc(e, flags, BYTES, 0);
    svm_map(e, flags, svm, BYTES, CL_MAP_WRITE);
    memset(svm, 0, BYTES);
    svm_unmap(e, flags, svm);

    /* Whole allocation. */
    cl_mem whole = icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, BYTES, svm);
    void *hp = NULL;
    ICD_GET_INFO(clGetMemObjectInfo, whole, CL_MEM_HOST_PTR, hp);
    CHECK(hp == svm);
    expect_uses_svm(whole, CL_TRUE, "a buffer on an SVM allocation");
    kernel_set(e, set, whole, WORDS, 1000);
    svm_map(e, flags, svm, BYTES, CL_MAP_READ | CL_MAP_WRITE);
    for (size_t i = 0; i < WORDS; i++)
        CHECK_MSG(svm[i] == 1000 + i, "flags 0x%llx: svm[%zu] = %u after a kernel wrote the buffer",
                  (unsigned long long)flags, i, svm[i]);
    /* Host writes through the SVM pointer; a kernel reads them through the cl_mem. */
    for (size_t i = 0; i < WORDS; i++)
        svm[i] = 0xC0DE0000u + (cl_uint)i;
    svm_unmap(e, flags, svm);
    cl_uint *out = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, BYTES, 0);
    memset(out, 0, BYTES);
    size_t n = WORDS;
    CHECK_CL(clSetKernelArg(copy, 0, sizeof whole, &whole));
    CHECK_CL(clSetKernelArgSVMPointer(copy, 1, out));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, copy, 1, NULL, &n, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
    for (size_t i = 0; i < WORDS; i++)
        CHECK_EQ(out[i], 0xC0DE0000u + (cl_uint)i);

    /* Sub-buffer of it: still on the SVM memory. */
    cl_mem sub = sub_buffer(whole, 1024, 2048);
    expect_uses_svm(sub, CL_TRUE, "a sub-buffer of an SVM-backed buffer");
    kernel_set(e, set, sub, 2048 / 4, 5000);

    /* Interior offset: a buffer on svm + 8192, 4096 bytes. */
    cl_mem inner = icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR, 4096,
                                   (char *)svm + 8192);
    expect_uses_svm(inner, CL_TRUE, "a buffer on an interior SVM pointer");
    cl_mem inner_sub = sub_buffer(inner, 2048, 1024);
    expect_uses_svm(inner_sub, CL_TRUE, "a sub-buffer of a buffer on an interior SVM pointer");
    kernel_set(e, set, inner, 4096 / 4, 7000);
    kernel_set(e, set, inner_sub, 1024 / 4, 9000);

    svm_map(e, flags, svm, BYTES, CL_MAP_READ);
    for (size_t i = 0; i < WORDS; i++) {
        size_t b = i * 4;
        cl_uint want = 0xC0DE0000u + (cl_uint)i;
        if (b >= 1024 && b < 3072)
            want = 5000 + (cl_uint)(b - 1024) / 4;
        if (b >= 8192 && b < 12288)
            want = 7000 + (cl_uint)(b - 8192) / 4;
        if (b >= 8192 + 2048 && b < 8192 + 3072)
            want = 9000 + (cl_uint)(b - 8192 - 2048) / 4;
        CHECK_MSG(svm[i] == want, "flags 0x%llx: svm[%zu] = 0x%x, want 0x%x",
                  (unsigned long long)flags, i, svm[i], want);
    }
    svm_unmap(e, flags, svm);

    CHECK_CL(clReleaseMemObject(inner_sub));
    CHECK_CL(clReleaseMemObject(inner));
    CHECK_CL(clReleaseMemObject(sub));
    CHECK_CL(clReleaseMemObject(whole));
    /* The spec requires buffers on an SVM pointer to be released before it is freed. */
    clSVMFree(e->context, svm);
    clSVMFree(e->context, out);
    CHECK_CL(clReleaseKernel(set));
    CHECK_CL(clReleaseKernel(copy));
}

static void not_svm(const svm_env *e)
{
    cl_mem plain = icd_test_buffer(e->context, CL_MEM_READ_WRITE, 4096, NULL);
    expect_uses_svm(plain, CL_FALSE, "a plain buffer");
    cl_mem plain_sub = sub_buffer(plain, 0, 1024);
    expect_uses_svm(plain_sub, CL_FALSE, "a sub-buffer of a plain buffer");
    CHECK_CL(clReleaseMemObject(plain_sub));
    CHECK_CL(clReleaseMemObject(plain));
    cl_mem ahp = icd_test_buffer(e->context, CL_MEM_ALLOC_HOST_PTR, 4096, NULL);
    expect_uses_svm(ahp, CL_FALSE, "an ALLOC_HOST_PTR buffer");
    CHECK_CL(clReleaseMemObject(ahp));
    /* Ordinary host memory is not an SVM pointer unless every host pointer is one (fine-grain
     * system SVM), where the spec's answer is open; only check the plain case. */
    if (!(e->caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM)) {
        void *host = aligned_alloc(4096, 4096);
        CHECK(host != NULL);
        cl_mem uhp = icd_test_buffer(e->context, CL_MEM_USE_HOST_PTR, 4096, host);
        expect_uses_svm(uhp, CL_FALSE, "a USE_HOST_PTR buffer on malloc memory");
        CHECK_CL(clReleaseMemObject(uhp));
        free(host);
    }
}

static void too_big(const svm_env *e)
{
    if (!e->is_clsvm) {
        SKIP_PART("size checks against the SVM allocation: clsvm only");
        return;
    }
    void *svm = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    struct {
        const char *what;
        cl_mem_flags flags;
        size_t offset, size;
    } rows[] = {
        {"USE_HOST_PTR, base, size+1", CL_MEM_USE_HOST_PTR, 0, 4097},
        {"USE_HOST_PTR, base, 2*size", CL_MEM_USE_HOST_PTR, 0, 8192},
        {"COPY_HOST_PTR, base, size+1", CL_MEM_COPY_HOST_PTR, 0, 4097},
        {"USE_HOST_PTR, +1024, remaining+1", CL_MEM_USE_HOST_PTR, 1024, 3073},
        {"USE_HOST_PTR, last byte, 2", CL_MEM_USE_HOST_PTR, 4095, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        cl_int err = CL_SUCCESS;
        cl_mem m = clCreateBuffer(e->context, CL_MEM_READ_WRITE | rows[i].flags, rows[i].size,
                                  (char *)svm + rows[i].offset, &err);
        if (err != CL_INVALID_BUFFER_SIZE || m != NULL)
            SVM_FAIL("clCreateBuffer(%s) returned %s (%p), want CL_INVALID_BUFFER_SIZE",
                     rows[i].what, icd_err_name(err), (void *)m);
        if (m)
            CHECK_CL(clReleaseMemObject(m));
    }
    /* Exactly the remaining size is fine. */
    cl_mem ok = icd_test_buffer(e->context, CL_MEM_USE_HOST_PTR, 3072, (char *)svm + 1024);
    CHECK_CL(clReleaseMemObject(ok));
    clSVMFree(e->context, svm);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    zero_copy(&e, prog, CL_MEM_READ_WRITE);
    zero_copy(&e, prog, CL_MEM_SVM_FINE_GRAIN_BUFFER);
    not_svm(&e);
    too_big(&e);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
