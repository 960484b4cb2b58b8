/* test_icd_program: the program entry points that pass arrays of handles (which clsvm must
 * unwrap one by one) or return new ones (which it must wrap): binaries round trip,
 * clCompileProgram with an embedded header program, clLinkProgram over several programs,
 * clCloneKernel. Each path ends in a kernel run whose result is checked. */
#include "icd_test.h"

static const char *lib_src = "#include \"twice.h\"\n"
                             "int twice(int x) { return TWICE(x); }\n";
static const char *header_src = "#define TWICE(x) ((x) * 2)\nint twice(int x);\n";
static const char *main_src = "#include \"twice.h\"\n"
                              "__kernel void k(__global int *p) { size_t i = get_global_id(0);"
                              " p[i] = twice((int)i) + 1; }\n";
static const char *plain_src =
    "__kernel void k(__global int *p) { size_t i = get_global_id(0); p[i] = 2 * (int)i + 1; }\n";

enum { N = 256 };

/* Runs kernel "k" of `prog` over N items and checks p[i] == 2i+1. */
static void run_k(cl_context c, cl_command_queue q, cl_kernel k)
{
    cl_mem m = icd_test_buffer(c, CL_MEM_READ_WRITE, N * sizeof(cl_int), NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    size_t gws = N;
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &gws, NULL, 0, NULL, NULL));
    cl_int out[N];
    CHECK_CL(clEnqueueReadBuffer(q, m, CL_TRUE, 0, sizeof out, out, 0, NULL, NULL));
    for (int i = 0; i < N; i++)
        CHECK_MSG(out[i] == 2 * i + 1, "p[%d] = %d, expected %d", i, out[i], 2 * i + 1);
    CHECK_CL(clReleaseMemObject(m));
}

static void binary_round_trip(cl_context c, cl_device_id d, cl_command_queue q)
{
    cl_program src = icd_test_program(c, d, plain_src, NULL);
    size_t bsize = 0;
    ICD_GET_INFO(clGetProgramInfo, src, CL_PROGRAM_BINARY_SIZES, bsize);
    CHECK(bsize > 0);
    unsigned char *bin = malloc(bsize);
    CHECK(bin);
    unsigned char *bins[1] = {bin};
    CHECK_CL(clGetProgramInfo(src, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL));

    const unsigned char *cbins[1] = {bin};
    cl_int status = 1, err = CL_SUCCESS;
    cl_program p = clCreateProgramWithBinary(c, 1, &d, &bsize, cbins, &status, &err);
    CHECK_CL(err);
    CHECK_CL(status);
    CHECK_CL(clBuildProgram(p, 1, &d, NULL, NULL, NULL));
    cl_device_id pd = NULL;
    ICD_GET_INFO(clGetProgramInfo, p, CL_PROGRAM_DEVICES, pd);
    CHECK(pd == d);
    cl_kernel k = icd_test_kernel(p, "k");
    run_k(c, q, k);

    /* Garbage is rejected per device with CL_INVALID_BINARY. */
    unsigned char junk[64];
    memset(junk, 0x5a, sizeof junk);
    const unsigned char *jb[1] = {junk};
    size_t jsize = sizeof junk;
    cl_program none = clCreateProgramWithBinary(c, 1, &d, &jsize, jb, &status, &err);
    CHECK_CL_ERR(err, CL_INVALID_BINARY);
    CHECK(none == NULL);
    CHECK_EQ(status, CL_INVALID_BINARY);

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    CHECK_CL(clReleaseProgram(src));
    free(bin);
}

static void compile_and_link(cl_context c, cl_device_id d, cl_command_queue q)
{
    cl_int err = CL_SUCCESS;
    cl_program header = clCreateProgramWithSource(c, 1, &header_src, NULL, &err);
    CHECK_CL(err);
    cl_program lib = clCreateProgramWithSource(c, 1, &lib_src, NULL, &err);
    CHECK_CL(err);
    cl_program mainp = clCreateProgramWithSource(c, 1, &main_src, NULL, &err);
    CHECK_CL(err);
    const char *names[1] = {"twice.h"};
    CHECK_CL(clCompileProgram(lib, 1, &d, NULL, 1, &header, names, NULL, NULL));
    CHECK_CL(clCompileProgram(mainp, 1, &d, NULL, 1, &header, names, NULL, NULL));
    cl_program_binary_type bt = 0;
    CHECK_CL(clGetProgramBuildInfo(mainp, d, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT);

    cl_program inputs[2] = {mainp, lib};
    cl_program linked = clLinkProgram(c, 1, &d, NULL, 2, inputs, NULL, NULL, &err);
    CHECK_CL(err);
    CHECK(linked != NULL && linked != mainp && linked != lib);
    cl_context lc = NULL;
    ICD_GET_INFO(clGetProgramInfo, linked, CL_PROGRAM_CONTEXT, lc);
    CHECK(lc == c);
    CHECK_CL(clGetProgramBuildInfo(linked, d, CL_PROGRAM_BINARY_TYPE, sizeof bt, &bt, NULL));
    CHECK_EQ(bt, CL_PROGRAM_BINARY_TYPE_EXECUTABLE);

    /* The inputs may go before the result is used. */
    CHECK_CL(clReleaseProgram(header));
    CHECK_CL(clReleaseProgram(lib));
    CHECK_CL(clReleaseProgram(mainp));
    cl_kernel k = icd_test_kernel(linked, "k");
    run_k(c, q, k);

    cl_program none = clLinkProgram(c, 1, &d, NULL, 0, NULL, NULL, NULL, &err);
    CHECK_CL_ERR(err, CL_INVALID_VALUE);
    CHECK(none == NULL);
    /* A NULL in the input list: plain pocl 3.1 crashes here, clsvm must catch it. */
    const char *skip = getenv("CLSVM_TEST_SKIP_POCL_CRASHES");
    if (!(skip && *skip == '1')) {
        cl_program bogus[1] = {NULL};
        none = clLinkProgram(c, 1, &d, NULL, 1, bogus, NULL, NULL, &err);
        CHECK_CL_ERR(err, CL_INVALID_PROGRAM);
        CHECK(none == NULL);
    }

    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(linked));
}

static void clone_kernel(cl_context c, cl_device_id d, cl_command_queue q)
{
    cl_program p = icd_test_program(c, d, plain_src, NULL);
    cl_kernel k = icd_test_kernel(p, "k");
    cl_mem dummy = icd_test_buffer(c, CL_MEM_READ_WRITE, N * sizeof(cl_int), NULL);
    CHECK_CL(clSetKernelArg(k, 0, sizeof dummy, &dummy));
    cl_int err = CL_SUCCESS;
    cl_kernel k2 = clCloneKernel(k, &err);
    CHECK_CL(err);
    CHECK(k2 != NULL && k2 != k);
    cl_program kp = NULL;
    ICD_GET_INFO(clGetKernelInfo, k2, CL_KERNEL_PROGRAM, kp);
    CHECK(kp == p);
    CHECK_CL(clReleaseKernel(k)); /* the clone lives on its own */
    run_k(c, q, k2);
    CHECK_CL(clReleaseKernel(k2));
    CHECK_CL(clReleaseMemObject(dummy));
    CHECK_CL(clReleaseProgram(p));
}

int main(void)
{
    cl_platform_id p = icd_test_platform();
    cl_device_id d = icd_test_device(p);
    cl_context c = icd_test_context(p, d);
    cl_command_queue q = icd_test_queue(c, d, NULL);

    binary_round_trip(c, d, q);
    printf("binary round trip ok\n");
    compile_and_link(c, d, q);
    printf("compile and link ok\n");
    clone_kernel(c, d, q);
    printf("clone kernel ok\n");

    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clReleaseContext(c));
    printf("ok\n");
    return 0;
}
