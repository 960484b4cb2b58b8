/*
 * test_option_env_icd: the ICD's messages for options, each case in a fresh process with its
 * output captured (tests/reliability/test_option_env.c has the runtime's):
 *  - CLSVM_BACKEND="" is unset: the backend is libpocl.so.2, not the application itself;
 *  - a forced CLSVM_WINDOW=devsvm without a device and CLSVM_FAULT=reserve:1 leave the device
 *    without SVM, and the lines say why (no device; the injected fault) instead of advising
 *    CLSVM_VA_BITS/CLSVM_WINDOW_SIZE or blaming devsvm;
 *  - the OpenCL C 2.x options (CLSVM_OCLC20_*) are options like the others: CLSVM_LOG=info
 *    echoes each, an empty one is unset, and they are read once, when clsvm first reads its
 *    options: a child that changes CLSVM_OCLC20_CLANG after clGetPlatformIDs still builds with
 *    the clang the echo named (here one that does not exist, so no clang is needed).
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include "run_child.h"

/* Generic-pointer atomics: the backend alone cannot build this, so clsvm's clang path must. */
static const char *generic_src =
    "kernel void k(global int *c) { atomic_int *g = (atomic_int *)c; atomic_fetch_add(g, 1); }";

/* Change the OpenCL C 2.x options after clsvm has read them, then build a 2.0 program on dev and
 * print the result and its log. */
static void late_build(cl_device_id dev)
{
    CHECK_EQ(setenv("CLSVM_OCLC20_CLANG", "/nonexistent/late-clang", 1), 0);
    CHECK_EQ(setenv("CLSVM_OCLC20_CACHE_DIR", "off", 1), 0);
    cl_int err = CL_SUCCESS;
    cl_context ctx = clCreateContext(NULL, 1, &dev, NULL, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    cl_program prog = clCreateProgramWithSource(ctx, 1, &generic_src, NULL, &err);
    CHECK_EQ(err, CL_SUCCESS);
    err = clBuildProgram(prog, 1, &dev, "-cl-std=CL2.0", NULL, NULL);
    static char log[8192];
    log[0] = '\0';
    clGetProgramBuildInfo(prog, dev, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, NULL);
    printf("late build=%d log: %s\n", (int)err, log);
    clReleaseProgram(prog);
    clReleaseContext(ctx);
}

/* Child: find the clsvm platform and print its device's SVM capabilities. */
static int child(void)
{
    cl_platform_id ps[8];
    cl_uint np = 0;
    clGetPlatformIDs(8, ps, &np);
    for (cl_uint i = 0; i < np && i < 8; i++) {
        char name[64] = "";
        clGetPlatformInfo(ps[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (strncmp(name, "clsvm", 5))
            continue;
        cl_device_id dev;
        CHECK_EQ(clGetDeviceIDs(ps[i], CL_DEVICE_TYPE_ALL, 1, &dev, NULL), CL_SUCCESS);
        cl_device_svm_capabilities caps = 99;
        CHECK_EQ(clGetDeviceInfo(dev, CL_DEVICE_SVM_CAPABILITIES, sizeof caps, &caps, NULL),
                 CL_SUCCESS);
        printf("clsvm platform, svm_caps=%llu\n", (unsigned long long)caps);
        fflush(stdout);
        if (getenv("TEST_LATE_BUILD"))
            late_build(dev);
        return 0;
    }
    printf("no clsvm platform\n");
    return 0;
}

static const expect cases[] = {
    {{"CLSVM_BACKEND="}, {"clsvm platform, svm_caps=11\n"}, {"cl_khr_icd", "unusable"}},
    {{"CLSVM_WINDOW=devsvm", "CLSVM_DEVICE=/nonexistent/svm"},
     {"clsvm platform, svm_caps=0\n", "no device at /nonexistent/svm"},
     {"CLSVM_VA_BITS", "CLSVM_WINDOW_SIZE"}},
    {{"CLSVM_FAULT=reserve:1"},
     {"clsvm platform, svm_caps=0\n", "CLSVM_FAULT injected a failure"},
     {"devsvm", "CLSVM_VA_BITS"}},
    {{"CLSVM_LOG=info", "CLSVM_OCLC20_KERNEL_LIB=off", "CLSVM_OCLC20_CACHE_DIR="},
     {"config CLSVM_OCLC20_KERNEL_LIB=off\n", "config CLSVM_OCLC20_CACHE_DIR= (default)\n",
      "config CLSVM_OCLC20_CLANG=clang-15 (default)\n"},
     {"not valid"}},
    {{"CLSVM_OCLC20_CLANG=/nonexistent/early-clang", "CLSVM_LOG=info", "TEST_LATE_BUILD=1"},
     {"config CLSVM_OCLC20_CLANG=/nonexistent/early-clang\n", "late build=-11 ",
      "/nonexistent/early-clang cannot be run"},
     {"late-clang"}},
};

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child"))
        return child();
    run_child_clean_env();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_child_expect(argv[0], &cases[i]);
    printf("%zu environments checked\n", sizeof cases / sizeof cases[0]);
    return 0;
}
