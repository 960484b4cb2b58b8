/* test_oclc20_atomics: an OpenCL C 2.0 program (kernels/cl20/atomics_generic.cl, -cl-std=CL2.0)
 * whose C11 atomics go through generic pointers builds through clsvm's SPIR path and computes
 * exact results for every operation, type and order/scope form; the program answers its queries
 * as a normal built program (status, options, source, binary type, kernel names, argument
 * address qualifiers). docs/opencl-c-2.0.md lists what each check covers. */
#include "oclc20/oclc20_test.h"

#include "atomics_generic_cl.h"

enum { N = 64, REPS = 1000 };

static void run(const svm_env *e, cl_kernel k, size_t n)
{
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
}

static cl_mem buffer(const svm_env *e, size_t size, const void *init)
{
    return icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, size,
                           (void *)init);
}

static void read_back(const svm_env *e, cl_mem m, size_t size, void *out)
{
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, size, out, 0, NULL, NULL));
}

static void check_queries(const svm_env *e, cl_program prog, const char *opts)
{
    CHECK_EQ(oclc20_build_status(prog, e->device), CL_BUILD_SUCCESS);
    char *o = oclc20_build_string(prog, e->device, CL_PROGRAM_BUILD_OPTIONS);
    CHECK_MSG(strcmp(o, opts) == 0, "build options '%s', expected '%s'", o, opts);
    free(o);
    cl_program_binary_type bt = 0;
    CHECK_CL(clGetProgramBuildInfo(prog, e->device, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_EXECUTABLE);
    char *src = oclc20_program_string(prog, CL_PROGRAM_SOURCE);
    CHECK_MSG(strcmp(src, atomics_generic_cl) == 0, "CL_PROGRAM_SOURCE is not the source");
    free(src);
    char *names = oclc20_program_string(prog, CL_PROGRAM_KERNEL_NAMES);
    for (const char *want = "count\0int_ops\0wide_ops\0address_spaces\0"; *want;
         want += strlen(want) + 1)
        CHECK_MSG(strstr(names, want) != NULL, "kernel names '%s' lack %s", names, want);
    free(names);
    size_t nk = 0;
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_NUM_KERNELS, sizeof nk, &nk, NULL));
    CHECK_EQ(nk, 4);
    cl_program ctx_prog_check = NULL;
    (void)ctx_prog_check;
    cl_context c = NULL;
    CHECK_CL(clGetProgramInfo(prog, CL_PROGRAM_CONTEXT, sizeof c, &c, NULL));
    CHECK(c == e->context);
}

static void check_arg_info(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "count");
    cl_kernel_arg_address_qualifier aq = 0;
    CHECK_CL(clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq, NULL));
    CHECK_EQ(aq, CL_KERNEL_ARG_ADDRESS_GLOBAL);
    CHECK_CL(clGetKernelArgInfo(k, 1, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq, NULL));
    CHECK_EQ(aq, CL_KERNEL_ARG_ADDRESS_PRIVATE);
    char name[32] = "";
    CHECK_CL(clGetKernelArgInfo(k, 1, CL_KERNEL_ARG_NAME, sizeof name, name, NULL));
    CHECK_MSG(strcmp(name, "reps") == 0, "arg 1 name '%s'", name);
    /* kernel.c knows arg 0 is a memory object: a non-handle pointer value there is refused. */
    cl_mem fake = (cl_mem)(uintptr_t)&aq;
    if (e->is_clsvm)
        CHECK_CL_ERR(clSetKernelArg(k, 0, sizeof fake, &fake), CL_INVALID_MEM_OBJECT);
    CHECK_CL(clReleaseKernel(k));
}

static void check_count(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "count");
    cl_int zero = 0, reps = REPS, got = -1;
    cl_mem c = buffer(e, sizeof zero, &zero);
    CHECK_CL(clSetKernelArg(k, 0, sizeof c, &c));
    CHECK_CL(clSetKernelArg(k, 1, sizeof reps, &reps));
    run(e, k, N);
    read_back(e, c, sizeof got, &got);
    CHECK_EQ(got, N * REPS);
    CHECK_CL(clReleaseMemObject(c));
    CHECK_CL(clReleaseKernel(k));
}

static void check_int_ops(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "int_ops");
    cl_int v[16] = {0, 0, 0, 0, -1, 0, -1000, 0, 0, 0, 0, 0, 0, -1, 0, 0}, sums[2] = {0, 0};
    cl_mem mv = buffer(e, sizeof v, v), ms = buffer(e, sizeof sums, sums);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mv, &mv));
    CHECK_CL(clSetKernelArg(k, 1, sizeof ms, &ms));
    run(e, k, N);
    read_back(e, mv, sizeof v, v);
    read_back(e, ms, sizeof sums, sums);
    CHECK_EQ(v[0], N);
    CHECK_EQ(v[1], -N);
    CHECK_EQ(v[2], -1);                        /* every bit set by some work-item */
    CHECK_EQ(v[3], 0);                         /* every bit toggled twice (N = 64 = 2 * 32) */
    CHECK_EQ(v[4], 0);                         /* every bit cleared */
    CHECK_EQ(v[5], -10);                       /* min of id - 10 */
    CHECK_EQ(v[6], N - 1);                     /* max of id */
    CHECK_EQ(v[7], 2 * N);                     /* strong compare-exchange loops */
    CHECK_EQ(v[8], N);                         /* weak compare-exchange loops */
    CHECK_EQ(sums[0] + v[9], N * (N + 1) / 2); /* exchange hands back each value once */
    CHECK_EQ(v[10], N); /* the atomic_flag lock kept the plain increments whole */
    CHECK_EQ(v[11], 0); /* and was left clear */
    CHECK_EQ((cl_uint)v[12], 0x80000000u + N - 1); /* unsigned max */
    CHECK_EQ((cl_uint)v[13], 0xffffff00u);         /* unsigned min */
    CHECK_EQ(v[14], 7);
    CHECK_EQ(v[15], 42);
    CHECK_EQ(sums[1], 42);
    CHECK_CL(clReleaseMemObject(mv));
    CHECK_CL(clReleaseMemObject(ms));
    CHECK_CL(clReleaseKernel(k));
}

static void check_wide_ops(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "wide_ops");
    cl_long l[3] = {0, 0, 0};
    cl_ulong ul[3] = {0, 0, 1000};
    cl_float f[3] = {0, 0, 0};
    cl_double d[1] = {0};
    cl_mem ml = buffer(e, sizeof l, l), mu = buffer(e, sizeof ul, ul), mf = buffer(e, sizeof f, f),
           md = buffer(e, sizeof d, d);
    CHECK_CL(clSetKernelArg(k, 0, sizeof ml, &ml));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mu, &mu));
    CHECK_CL(clSetKernelArg(k, 2, sizeof mf, &mf));
    CHECK_CL(clSetKernelArg(k, 3, sizeof md, &md));
    run(e, k, N);
    read_back(e, ml, sizeof l, l);
    read_back(e, mu, sizeof ul, ul);
    read_back(e, mf, sizeof f, f);
    read_back(e, md, sizeof d, d);
    CHECK(l[0] == (cl_long)N << 33);
    CHECK(l[1] == -((cl_long)(N - 1) << 34));
    CHECK(l[2] == -5);
    CHECK(ul[0] == (cl_ulong)(N - 1) << 40);
    CHECK(ul[1] == ~(cl_ulong)0); /* 64 work-items, one bit each */
    CHECK(ul[2] == 1000 + 8 * N);
    CHECK(f[0] == (float)N);
    CHECK(f[1] == 3.5f);
    CHECK(f[2] == 2.5f);
    CHECK(d[0] == 0.5 * N);
    CHECK_CL(clReleaseMemObject(ml));
    CHECK_CL(clReleaseMemObject(mu));
    CHECK_CL(clReleaseMemObject(mf));
    CHECK_CL(clReleaseMemObject(md));
    CHECK_CL(clReleaseKernel(k));
}

static void check_address_spaces(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "address_spaces");
    cl_int g = 1, out[3] = {-1, -1, -1};
    cl_mem mg = buffer(e, sizeof g, &g), mo = buffer(e, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof mg, &mg));
    CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
    run(e, k, 1);
    read_back(e, mo, sizeof out, out);
    CHECK_EQ(out[0], 1);
    CHECK_EQ(out[1], 1);
    CHECK_EQ(out[2], 1);
    CHECK_CL(clReleaseMemObject(mg));
    CHECK_CL(clReleaseMemObject(mo));
    CHECK_CL(clReleaseKernel(k));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    /* CL2.0 as such, and CL2.2 (OpenCL C 2.0 too), with a -D the source ignores. */
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL2.2 -DUNUSED=1"};
    for (int i = 0; i < 2; i++) {
        cl_program prog = icd_test_program(e.context, e.device, atomics_generic_cl, opts[i]);
        check_queries(&e, prog, opts[i]);
        check_arg_info(&e, prog);
        check_count(&e, prog);
        check_int_ops(&e, prog);
        check_wide_ops(&e, prog);
        check_address_spaces(&e, prog);
        CHECK_CL(clReleaseProgram(prog));
    }
    svm_env_close(&e);
    return svm_exit_code();
}
