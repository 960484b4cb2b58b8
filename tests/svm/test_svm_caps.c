/* test_svm_caps: the device's SVM-related answers are consistent with the window and with each
 * other: SVM capabilities (coarse | fine-grain buffer | atomics; fine-grain system iff
 * CLSVM_VA_BITS >= 47, clsvm only), 64 address bits, a max allocation size within 2^va_bits,
 * and OpenCL C feature macros that agree with the atomic capabilities, both as reported by
 * CL_DEVICE_OPENCL_C_FEATURES and as seen by the compiler. pocl 3.1 reports the all-devices
 * atomic scope without the matching feature macro, so it fails here (README.md). */
#include "svm/svm_test.h"

static int has_feature(const cl_name_version *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return 1;
    return 0;
}

/* Builds a kernel that #errors unless the macro is defined (or unless it is not): the OpenCL C
 * 3.0 spec ("Features") says a feature macro is defined iff the device reports the feature. */
static int compiler_defines(const svm_env *e, const char *macro)
{
    char src[512];
    snprintf(src, sizeof src,
             "#ifdef %s\n#define HAS 1\n#else\n#define HAS 0\n#endif\n"
             "kernel void k(global int *o) { o[0] = HAS; }\n",
             macro);
    cl_program prog = icd_test_program(e->context, e->device, src, "-cl-std=CL3.0");
    cl_kernel k = icd_test_kernel(prog, "k");
    cl_int *o = svm_alloc(e, CL_MEM_READ_WRITE, sizeof(cl_int), 0);
    svm_map(e, 0, o, sizeof *o, CL_MAP_WRITE);
    o[0] = -1;
    svm_unmap(e, 0, o);
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, o));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    svm_map(e, 0, o, sizeof *o, CL_MAP_READ);
    int v = o[0];
    svm_unmap(e, 0, o);
    CHECK_MSG(v == 0 || v == 1, "kernel wrote %d", v);
    clSVMFree(e->context, o);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    return v;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    printf("platform %s, va_bits %u, caps 0x%llx\n", icd_platform_name(e.platform), e.va_bits,
           (unsigned long long)e.caps);

    const cl_device_svm_capabilities need =
        CL_DEVICE_SVM_COARSE_GRAIN_BUFFER | CL_DEVICE_SVM_FINE_GRAIN_BUFFER | CL_DEVICE_SVM_ATOMICS;
    if ((e.caps & need) != need)
        SVM_FAIL("CL_DEVICE_SVM_CAPABILITIES 0x%llx lacks coarse|fine-buffer|atomics",
                 (unsigned long long)e.caps);
    if (e.is_clsvm) {
        int sys = (e.caps & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM) != 0;
        if (sys != (e.va_bits >= 47))
            SVM_FAIL("fine-grain system SVM %s with CLSVM_VA_BITS=%u", sys ? "reported" : "missing",
                     e.va_bits);
    }
    /* The answer is the same through the other SVM query path (clGetDeviceInfo size check). */
    size_t sz = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_SVM_CAPABILITIES, 0, NULL, &sz));
    CHECK_EQ(sz, sizeof(cl_device_svm_capabilities));

    cl_uint addr_bits = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_ADDRESS_BITS, addr_bits);
    if (addr_bits != 64)
        SVM_FAIL("CL_DEVICE_ADDRESS_BITS is %u, want 64 (host and device share pointers)",
                 addr_bits);

    cl_ulong max_alloc = 0, global_mem = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, max_alloc);
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_GLOBAL_MEM_SIZE, global_mem);
    if (max_alloc == 0)
        SVM_FAIL("CL_DEVICE_MAX_MEM_ALLOC_SIZE is 0");
    if (e.is_clsvm && max_alloc > ((cl_ulong)1 << e.va_bits))
        SVM_FAIL("CL_DEVICE_MAX_MEM_ALLOC_SIZE %llu exceeds the window, 2^%u",
                 (unsigned long long)max_alloc, e.va_bits);
    if (max_alloc > global_mem)
        SVM_FAIL("CL_DEVICE_MAX_MEM_ALLOC_SIZE %llu > CL_DEVICE_GLOBAL_MEM_SIZE %llu",
                 (unsigned long long)max_alloc, (unsigned long long)global_mem);

    cl_uint base_align = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, base_align);
    if (base_align < 1024) /* bits; long16 in the full profile */
        SVM_FAIL("CL_DEVICE_MEM_BASE_ADDR_ALIGN %u bits < 1024", base_align);

    /* OpenCL C features vs atomic capabilities (API spec, CL_DEVICE_OPENCL_C_FEATURES and
     * CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES; OpenCL C 3.0 "Features": each macro is supported iff
     * the corresponding capability is). */
    cl_device_atomic_capabilities atom = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES, atom);
    size_t fsz = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &fsz));
    CHECK(fsz % sizeof(cl_name_version) == 0);
    cl_name_version *feat = malloc(fsz ? fsz : 1);
    CHECK(feat != NULL);
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_OPENCL_C_FEATURES, fsz, feat, NULL));
    size_t nfeat = fsz / sizeof(cl_name_version);
    static const struct {
        const char *macro;
        cl_device_atomic_capabilities cap;
    } pairs[] = {
        {"__opencl_c_atomic_order_acq_rel", CL_DEVICE_ATOMIC_ORDER_ACQ_REL},
        {"__opencl_c_atomic_order_seq_cst", CL_DEVICE_ATOMIC_ORDER_SEQ_CST},
        {"__opencl_c_atomic_scope_device", CL_DEVICE_ATOMIC_SCOPE_DEVICE},
        {"__opencl_c_atomic_scope_all_devices", CL_DEVICE_ATOMIC_SCOPE_ALL_DEVICES},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        int cap = (atom & pairs[i].cap) != 0;
        int reported = has_feature(feat, nfeat, pairs[i].macro);
        if (cap != reported)
            SVM_FAIL(
                "CL_DEVICE_ATOMIC_MEMORY_CAPABILITIES %s 0x%llx but CL_DEVICE_OPENCL_C_FEATURES "
                "%s %s",
                cap ? "has" : "lacks", (unsigned long long)pairs[i].cap,
                reported ? "lists" : "does not list", pairs[i].macro);
        int compiled = compiler_defines(&e, pairs[i].macro);
        if (compiled != reported)
            SVM_FAIL("the compiler %s %s but CL_DEVICE_OPENCL_C_FEATURES %s it",
                     compiled ? "defines" : "does not define", pairs[i].macro,
                     reported ? "lists" : "does not list");
    }
    free(feat);

    svm_env_close(&e);
    return svm_exit_code();
}
