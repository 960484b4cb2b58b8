/* test_oclc20_cl30: OpenCL C 3.0 with the generic address space through clsvm's SPIR path
 * (kernels/cl20/generic30.cl, docs/opencl-c-2.0.md "OpenCL C 3.0"). When the path works, the
 * device reports __opencl_c_generic_address_space and CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT,
 * and then a -cl-std=CL3.0 program:
 *   - sees exactly the listed feature macros (no pipes, collectives... that are not listed);
 *   - runs generic-pointer atomics exactly (64 work-items x 1000) and to_global/to_local;
 *   - builds through clCompileProgram + clLinkProgram too. */
#include "oclc20/oclc20_test.h"

#include "generic30_cl.h"

enum { N = 64, REPS = 1000 };

/* In the order of generic30.cl's bits. */
static const char *const feature_names[] = {
    "__opencl_c_generic_address_space",
    "__opencl_c_atomic_order_seq_cst",
    "__opencl_c_atomic_scope_all_devices",
    "__opencl_c_fp64",
    "__opencl_c_images",
    "__opencl_c_read_write_images",
    "__opencl_c_pipes",
    "__opencl_c_device_enqueue",
    "__opencl_c_work_group_collective_functions",
    "__opencl_c_subgroups",
    "__opencl_c_program_scope_global_variables",
    "__opencl_c_int64",
};
#define N_FEATURES (sizeof feature_names / sizeof *feature_names)

static int feature_listed(const cl_name_version *v, size_t n, const char *name)
{
    int count = 0;
    for (size_t i = 0; i < n; i++)
        count += strcmp(v[i].name, name) == 0;
    CHECK_MSG(count <= 1, "%s listed %d times", name, count);
    return count;
}

static void check_features(const svm_env *e, cl_program prog)
{
    size_t bytes = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, 0, NULL, &bytes));
    cl_name_version *v = malloc(bytes ? bytes : 1);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_FEATURES, bytes, v, NULL));
    size_t n = bytes / sizeof *v;
    CHECK(feature_listed(v, n, "__opencl_c_generic_address_space"));
    cl_bool generic = CL_FALSE;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT, sizeof generic,
                             &generic, NULL));
    CHECK_EQ(generic, CL_TRUE);

    /* The kernel overwrites the whole word: bits 12 and up come back clear. */
    cl_uint mask = (cl_uint)oclc20_run_named(e, prog, "features", 1, -1, -1);
    CHECK_EQ(mask >> N_FEATURES, 0u);
    for (size_t i = 0; i < N_FEATURES; i++)
        CHECK_MSG(((mask >> i) & 1u) == (cl_uint)feature_listed(v, n, feature_names[i]),
                  "%s: the program says %u, the device list %d", feature_names[i], (mask >> i) & 1u,
                  feature_listed(v, n, feature_names[i]));
    free(v);
}

static void check_count(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "count");
    CHECK_EQ(oclc20_run_int(e, k, N, 0, REPS), N * REPS);
    cl_kernel_arg_address_qualifier q = 0;
    CHECK_CL(clGetKernelArgInfo(k, 0, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof q, &q, NULL));
    CHECK_EQ(q, CL_KERNEL_ARG_ADDRESS_GLOBAL);
    CHECK_CL(clReleaseKernel(k));
}

static void check_spaces(const svm_env *e, cl_program prog)
{
    cl_kernel k = icd_test_kernel(prog, "spaces");
    cl_int out[2] = {-1, -1};
    cl_mem m =
        icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof out, out);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    CHECK_CL(clSetKernelArg(k, 1, sizeof(cl_int), NULL));
    size_t one = 1;
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, &one, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    CHECK_EQ(out[0], 1);
    CHECK_EQ(out[1], 7);
    CHECK_CL(clReleaseMemObject(m));
    CHECK_CL(clReleaseKernel(k));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    oclc20_require_path(&e);
    cl_int err = CL_SUCCESS;
    const char *src = generic30_cl;
    cl_program prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(prog, 1, &e.device, "-cl-std=CL3.0", NULL, NULL);
    if (err != CL_SUCCESS) {
        char *log = oclc20_build_string(prog, e.device, CL_PROGRAM_BUILD_LOG);
        fprintf(stderr, "build log:\n%s\n", log);
        free(log);
    }
    CHECK_CL(err);
    check_features(&e, prog);
    check_count(&e, prog);
    check_spaces(&e, prog);
    CHECK_CL(clReleaseProgram(prog));

    /* Separate compilation of OpenCL C 3.0 takes the same path. */
    prog = clCreateProgramWithSource(e.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clCompileProgram(prog, 1, &e.device, "-cl-std=CL3.0", 0, NULL, NULL, NULL, NULL));
    cl_program linked = clLinkProgram(e.context, 1, &e.device, NULL, 1, &prog, NULL, NULL, &err);
    CHECK_CL(err);
    check_count(&e, linked);
    CHECK_CL(clReleaseProgram(linked));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
