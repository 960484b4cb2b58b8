/* test_oclc20_half_math: the float half_* math functions and mem_fence/read_mem_fence/
 * write_mem_fence (which pocl 3.1's library lacks for SPIR programs; the support library has
 * them) run under -cl-std=CL2.0 and CL3.0 and give what the backend's own build (-cl-std=CL1.2)
 * gives, within half precision, for scalars and vectors. */
#include "oclc20/oclc20_test.h"

#include <math.h>

static const char *src =
    "kernel void hm(global float *o, float x, float y) {\n"
    "  float4 v = (float4)(x, y, x + y, x * y);\n"
    "  int i = 0;\n"
    "  o[i++] = half_cos(x); o[i++] = half_exp(x); o[i++] = half_exp2(x); o[i++] = half_exp10(x);\n"
    "  o[i++] = half_log(y); o[i++] = half_log2(y); o[i++] = half_log10(y); o[i++] = "
    "half_recip(y);\n"
    "  o[i++] = half_rsqrt(y); o[i++] = half_sin(x); o[i++] = half_sqrt(y); o[i++] = half_tan(x);\n"
    "  o[i++] = half_divide(x, y); o[i++] = half_powr(y, x);\n"
    "  mem_fence(CLK_GLOBAL_MEM_FENCE); read_mem_fence(CLK_LOCAL_MEM_FENCE);\n"
    "  write_mem_fence(CLK_GLOBAL_MEM_FENCE);\n"
    "  float4 c = half_cos(v), p = half_powr(v, v), s = half_sqrt(v);\n"
    "  vstore4(c, 0, o + i); vstore4(p, 1, o + i); vstore4(s, 2, o + i);\n"
    "}\n";
enum { N = 14 + 12 };

static void run(const svm_env *e, const char *opts, float out[N])
{
    cl_program p = icd_test_program(e->context, e->device, src, opts);
    cl_kernel k = icd_test_kernel(p, "hm");
    cl_mem m = icd_test_buffer(e->context, CL_MEM_WRITE_ONLY, N * sizeof(float), NULL);
    float x = 0.7f, y = 1.3f;
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    CHECK_CL(clSetKernelArg(k, 1, sizeof x, &x));
    CHECK_CL(clSetKernelArg(k, 2, sizeof y, &y));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, N * sizeof(float), out, 0, NULL, NULL));
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    float ref[N], got[N];
    run(&e, "-cl-std=CL1.2", ref);
    /* The reference is right: a few values against the C library. */
    CHECK(fabsf(ref[0] - cosf(0.7f)) < 1e-3f);
    CHECK(fabsf(ref[4] - logf(1.3f)) < 1e-3f);
    CHECK(fabsf(ref[13] - powf(1.3f, 0.7f)) < 1e-3f);
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    for (int o = 0; o < 2; o++) {
        run(&e, opts[o], got);
        for (int i = 0; i < N; i++)
            CHECK_MSG(fabsf(got[i] - ref[i]) <= 1e-3f * fmaxf(1.0f, fabsf(ref[i])),
                      "%s: value %d is %g, the backend's build gives %g", opts[o], i, got[i],
                      ref[i]);
    }
    svm_env_close(&e);
    return svm_exit_code();
}
