/* test_oclc20_macros: the predefined macros a program sees (the ones the Khronos CTS checks) are
 * the same through the SPIR path (-cl-std=CL2.0, CL3.0) as through the backend's own compiler
 * (-cl-std=CL1.2): __OPENCL_VERSION__ is the device's version, __OPENCL_C_VERSION__ the
 * language's, CL_VERSION_x_y, __ENDIAN_LITTLE__, __IMAGE_SUPPORT__ as the device says, and
 * __FAST_RELAXED_MATH__ only with -cl-fast-relaxed-math, and extension macros clang's SPIR
 * headers define whatever the device says (cl_khr_subgroup_*, cl_ext_float_atomics ...) only
 * when the device lists them. */
#include "oclc20/oclc20_test.h"

/* Each slot: the macro's value, or -1 when it is not defined. */
#define SLOT(i, m) "#ifdef " #m "\n out[" #i "] = " #m ";\n#else\n out[" #i "] = -1;\n#endif\n"
static const char *src = "kernel void macros(global int *out) {\n" SLOT(0, __OPENCL_VERSION__)
    SLOT(1, __OPENCL_C_VERSION__) SLOT(2, CL_VERSION_1_0) SLOT(3, CL_VERSION_1_1)
        SLOT(4, CL_VERSION_1_2) SLOT(5, CL_VERSION_2_0) SLOT(6, __ENDIAN_LITTLE__)
            SLOT(7, __IMAGE_SUPPORT__) SLOT(8, __FAST_RELAXED_MATH__) SLOT(9, CL_VERSION_3_0)
                SLOT(10, cl_khr_subgroup_shuffle) SLOT(11, cl_ext_float_atomics)
                    SLOT(12, cl_khr_extended_bit_ops) SLOT(13, cl_khr_integer_dot_product)
                        SLOT(14, cl_khr_subgroup_ballot) "}\n";
#define NSLOTS 15

static void run(const svm_env *e, const char *opts, cl_int out[NSLOTS])
{
    cl_program p = icd_test_program(e->context, e->device, src, opts);
    cl_kernel k = icd_test_kernel(p, "macros");
    cl_mem m = icd_test_buffer(e->context, CL_MEM_WRITE_ONLY, NSLOTS * sizeof(cl_int), NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(
        clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, NSLOTS * sizeof(cl_int), out, 0, NULL, NULL));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    char version[128] = "";
    int major = 0, minor = 0;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_VERSION, sizeof version - 1, version, NULL));
    CHECK(sscanf(version, "OpenCL %d.%d", &major, &minor) == 2);
    cl_bool images = CL_FALSE;
    CHECK_CL(clGetDeviceInfo(e.device, CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images, NULL));
    cl_int ref[NSLOTS], fast[NSLOTS];
    run(&e, "-cl-std=CL1.2", ref);
    CHECK_EQ(ref[0], major * 100 + minor * 10);
    CHECK_EQ(ref[1], 120);
    CHECK_EQ(ref[7], images ? 1 : -1);
    CHECK_EQ(ref[8], -1);
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    const int lang[] = {200, 300};
    for (int i = 0; i < 2; i++) {
        cl_int got[NSLOTS];
        run(&e, opts[i], got);
        for (int s = 0; s < NSLOTS; s++) {
            cl_int want = s == 1 ? lang[i] : ref[s];
            CHECK_MSG(got[s] == want, "%s: slot %d is %d, the backend's compiler gives %d", opts[i],
                      s, got[s], want);
        }
        char fast_opts[64];
        snprintf(fast_opts, sizeof fast_opts, "%s -cl-fast-relaxed-math", opts[i]);
        run(&e, fast_opts, fast);
        CHECK_EQ(fast[8], 1);
        CHECK_EQ(fast[0], ref[0]);
    }
    run(&e, "-cl-std=CL1.2 -cl-fast-relaxed-math", fast);
    CHECK_EQ(fast[8], 1);
    svm_env_close(&e);
    return svm_exit_code();
}
