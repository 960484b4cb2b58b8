/*
 * test_option_env_icd: the ICD's messages for options, each case in a fresh process with its
 * output captured (tests/reliability/test_option_env.c has the runtime's):
 *  - CLSVM_BACKEND="" is unset: the backend is libpocl.so.2, not the application itself;
 *  - a forced CLSVM_WINDOW=devsvm without a device and CLSVM_FAULT=reserve:1 leave the device
 *    without SVM, and the lines say why (no device; the injected fault) instead of advising
 *    CLSVM_VA_BITS/CLSVM_WINDOW_SIZE or blaming devsvm.
 */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include "run_child.h"

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
