/* test_oclc20_builtins: built-ins with generic pointer arguments (math functions with an output
 * pointer, vloadn/vstoren) and a program-scope global variable in an OpenCL C 2.0 program
 * (kernels/cl20/builtins_generic.cl) built through clsvm's SPIR path give the right values. */
#include "oclc20/oclc20_test.h"

#include "builtins_generic_cl.h"

#include <math.h>

static int close_to(float a, float b)
{
    return fabsf(a - b) <= 1e-5f * (1.0f + fabsf(b));
}

#define CHECK_NEAR(a, b) CHECK_MSG(close_to((a), (b)), "%s = %g, expected %g", #a, (a), (b))

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_program prog = icd_test_program(e.context, e.device, builtins_generic_cl, "-cl-std=CL2.0");
    cl_kernel k = icd_test_kernel(prog, "math");
    cl_float in[12] = {2.75f, 0.0f, 8.0f, -3.5f, 7.0f, 3.0f, 0, 0, 1.5f, -2.0f, 4.0f, 0.25f};
    cl_float out[16] = {0};
    cl_int iout[12] = {0, 0, 0, 0, 0, 0, 0, 0, 41, 42, 0, 0};
    cl_mem mi = icd_test_buffer(e.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in, in);
    cl_mem mo =
        icd_test_buffer(e.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    cl_mem mio =
        icd_test_buffer(e.context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof iout, iout);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mi, &mi));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
    CHECK_CL(clSetKernelArg(k, 2, sizeof mio, &mio));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e.queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e.queue, mio, CL_TRUE, 0, sizeof iout, iout, 0, NULL, NULL));
    CHECK_NEAR(out[0], 0.75f); /* fract */
    CHECK_NEAR(out[1], 2.0f);
    CHECK_NEAR(out[2], 0.0f); /* sincos(0) */
    CHECK_NEAR(out[3], 1.0f);
    CHECK_NEAR(out[4], 0.5f); /* frexp(8) = 0.5 * 2^4 */
    CHECK_EQ(iout[0], 4);
    CHECK_NEAR(out[5], -0.5f); /* modf(-3.5) */
    CHECK_NEAR(out[6], -3.0f);
    CHECK_NEAR(out[7], -1.0f); /* remquo(7, 2): quotient 4 (nearest even), remainder -1 */
    CHECK_EQ(iout[1], 4);
    CHECK_NEAR(out[8], logf(2.0f)); /* lgamma(3) = ln 2, sign + */
    CHECK_EQ(iout[2], 1);
    CHECK_NEAR(out[9], 0.75f); /* fract on double */
    CHECK_NEAR(out[10], 2.0f);
    /* vstore_half_rtz(2.75) at index 1 is exact; vstorea_half2 put (2.75, -2.75) at 2..3:
     * 2 * vload_half(1) + vloada_half2(1).y = 5.5 - 2.75. */
    CHECK_NEAR(out[11], 2.75f);
    for (int i = 0; i < 4; i++)
        CHECK_NEAR(out[12 + i], 2.0f * in[8 + i]); /* vload4 / vstore4 */
    CHECK_EQ(iout[10], 42);                        /* vload2 / vstore2 of ints */
    CHECK_EQ(iout[11], 43);
    CHECK_CL(clReleaseKernel(k));

    /* The program-scope variable starts at its initializer and keeps its value. */
    k = icd_test_kernel(prog, "count_launches");
    CHECK_CL(clSetKernelArg(k, 0, sizeof mio, &mio));
    for (int i = 0; i < 3; i++) {
        cl_int v = -1;
        CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clEnqueueReadBuffer(e.queue, mio, CL_TRUE, 0, sizeof v, &v, 0, NULL, NULL));
        CHECK_EQ(v, 5 + i);
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseMemObject(mi));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseMemObject(mio));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
