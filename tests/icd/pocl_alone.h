/* pocl_alone.h: the opening of the tests that reproduce pocl's own defects with pocl alone (no
 * clsvm in the process, OCL_ICD_VENDORS naming pocl's .icd): the evidence behind the sanitizer
 * suppressions that match pocl (tests/icd/lsan-pocl.supp, tsan.supp). */
#ifndef CLSVM_TEST_POCL_ALONE_H
#define CLSVM_TEST_POCL_ALONE_H

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <stdio.h>
#include <string.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        cl_int e_ = (x);                                                                           \
        if (e_ != CL_SUCCESS) {                                                                    \
            fprintf(stderr, "%s:%d: %s = %d\n", __FILE__, __LINE__, #x, e_);                       \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

/* pocl's first device and a context on it: 0; 77 (ctest's SKIP, with the reason printed) when
 * the platform is not pocl; 1 when pocl fails. */
static inline int pocl_alone_open(cl_device_id *d, cl_context *c)
{
    cl_platform_id p;
    cl_uint np = 0;
    char name[256] = "";
    if (clGetPlatformIDs(1, &p, &np) != CL_SUCCESS || np == 0 ||
        clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name, name, NULL) != CL_SUCCESS ||
        strncmp(name, "Portable Computing Language", 27) != 0) {
        printf("skipped: pocl's ICD is not installed (OCL_ICD_VENDORS)\n");
        return 77;
    }
    CHECK(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, d, NULL));
    cl_int err;
    *c = clCreateContext(NULL, 1, d, NULL, NULL, &err);
    CHECK(err);
    return 0;
}

#endif
