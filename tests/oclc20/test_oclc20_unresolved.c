/* test_oclc20_unresolved: a program built through the SPIR path never leaves a function
 * unresolved for run time. async_work_group_copy + wait_group_events (whose generic-pointer
 * overload pocl 3.1's library defines by calling a function it lacks, so the kernel used to
 * abort the process when first run) builds and copies under -cl-std=CL2.0 and CL3.0; a function
 * whose body in pocl's library calls a function it only declares fails the build with a log
 * naming it, and nothing runs. */
#include "oclc20/oclc20_test.h"

static const char *copy_src =
    "kernel void copy(global const int *in, global int *out, local int *tmp) {\n"
    "  size_t g = get_group_id(0), n = get_local_size(0);\n"
    "  event_t ev = async_work_group_copy(tmp, in + g * n, n, 0);\n"
    "  wait_group_events(1, &ev);\n"
    "  out[get_global_id(0)] = tmp[n - 1 - get_local_id(0)] * 2;\n"
    "}\n";

/* pocl 3.1's library defines all(uint) (not an OpenCL C overload, so the program declares it
 * itself) by calling _Z7_cl_allj, which it only declares: pocl's own link takes the program, and
 * the kernel would abort the process when loaded. */
static const char *dangling_src = "int __attribute__((overloadable)) all(uint x);\n"
                                  "kernel void width(global uint *out) {\n"
                                  "  out[0] = all(out[1]);\n"
                                  "}\n";

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    enum { N = 64, L = 16 };
    cl_int in[N], out[N];
    for (int i = 0; i < N; i++)
        in[i] = i + 1;
    const char *opts[] = {"-cl-std=CL2.0", "-cl-std=CL3.0"};
    for (int o = 0; o < 2; o++) {
        cl_program p = icd_test_program(e.context, e.device, copy_src, opts[o]);
        cl_kernel k = icd_test_kernel(p, "copy");
        cl_mem mi =
            icd_test_buffer(e.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, sizeof in, in);
        cl_mem mo = icd_test_buffer(e.context, CL_MEM_WRITE_ONLY, sizeof out, NULL);
        CHECK_CL(clSetKernelArg(k, 0, sizeof mi, &mi));
        CHECK_CL(clSetKernelArg(k, 1, sizeof mo, &mo));
        CHECK_CL(clSetKernelArg(k, 2, L * sizeof(cl_int), NULL));
        size_t global = N, local = L;
        CHECK_CL(clEnqueueNDRangeKernel(e.queue, k, 1, NULL, &global, &local, 0, NULL, NULL));
        CHECK_CL(clEnqueueReadBuffer(e.queue, mo, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
        for (int i = 0; i < N; i++) {
            int g = i / L, l = i % L;
            CHECK_MSG(out[i] == in[g * L + L - 1 - l] * 2, "%s: out[%d] = %d", opts[o], i, out[i]);
        }
        CHECK_CL(clReleaseMemObject(mi));
        CHECK_CL(clReleaseMemObject(mo));
        CHECK_CL(clReleaseKernel(k));
        CHECK_CL(clReleaseProgram(p));
    }
    for (int o = 0; o < 2; o++) {
        cl_int err;
        cl_program p = clCreateProgramWithSource(e.context, 1, &dangling_src, NULL, &err);
        CHECK_CL(err);
        err = clBuildProgram(p, 1, &e.device, opts[o], NULL, NULL);
        char *log = oclc20_build_string(p, e.device, CL_PROGRAM_BUILD_LOG);
        CHECK_MSG(err == CL_BUILD_PROGRAM_FAILURE, "%s: build returned %d, log:\n%s", opts[o], err,
                  log);
        CHECK_MSG(strstr(log, "clsvm: the program calls functions") && strstr(log, "_Z3allj"),
                  "%s: the log does not name the function:\n%s", opts[o], log);
        CHECK_EQ(oclc20_build_status(p, e.device), CL_BUILD_ERROR);
        cl_kernel k = clCreateKernel(p, "width", &err);
        CHECK(k == NULL);
        CHECK_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
        free(log);
        CHECK_CL(clReleaseProgram(p));
    }
    svm_env_close(&e);
    return svm_exit_code();
}
