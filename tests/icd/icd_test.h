/* icd_test.h: shared helpers for the ICD tests (platform pick, context/queue/program setup,
 * error names). Every test goes through the real ocl-icd loader, so the platform under test is
 * picked by name prefix (env CLSVM_TEST_PLATFORM, default "clsvm"); pointing the same tests at
 * pocl (CLSVM_TEST_PLATFORM=Portable) shows whether a failure is the test's or clsvm's. */
#ifndef CLSVM_TEST_ICD_TEST_H
#define CLSVM_TEST_ICD_TEST_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
/* Real applications still call the 1.x entry points (clCreateCommandQueue, clCreateSampler,
 * clEnqueueMarker...), so the tests may too; the loader exports them and clsvm must forward them.
 */
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#define CL_USE_DEPRECATED_OPENCL_2_0_APIS
#include <CL/cl.h>
#include <CL/cl_ext.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static inline const char *icd_err_name(cl_int err)
{
    switch (err) {
#define E(x)                                                                                       \
    case x:                                                                                        \
        return #x;
        E(CL_SUCCESS)
        E(CL_DEVICE_NOT_FOUND)
        E(CL_DEVICE_NOT_AVAILABLE)
        E(CL_COMPILER_NOT_AVAILABLE)
        E(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        E(CL_OUT_OF_RESOURCES)
        E(CL_OUT_OF_HOST_MEMORY)
        E(CL_PROFILING_INFO_NOT_AVAILABLE)
        E(CL_MEM_COPY_OVERLAP)
        E(CL_IMAGE_FORMAT_MISMATCH)
        E(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        E(CL_BUILD_PROGRAM_FAILURE)
        E(CL_MAP_FAILURE)
        E(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        E(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        E(CL_COMPILE_PROGRAM_FAILURE)
        E(CL_LINKER_NOT_AVAILABLE)
        E(CL_LINK_PROGRAM_FAILURE)
        E(CL_DEVICE_PARTITION_FAILED)
        E(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        E(CL_INVALID_VALUE)
        E(CL_INVALID_DEVICE_TYPE)
        E(CL_INVALID_PLATFORM)
        E(CL_INVALID_DEVICE)
        E(CL_INVALID_CONTEXT)
        E(CL_INVALID_QUEUE_PROPERTIES)
        E(CL_INVALID_COMMAND_QUEUE)
        E(CL_INVALID_HOST_PTR)
        E(CL_INVALID_MEM_OBJECT)
        E(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        E(CL_INVALID_IMAGE_SIZE)
        E(CL_INVALID_SAMPLER)
        E(CL_INVALID_BINARY)
        E(CL_INVALID_BUILD_OPTIONS)
        E(CL_INVALID_PROGRAM)
        E(CL_INVALID_PROGRAM_EXECUTABLE)
        E(CL_INVALID_KERNEL_NAME)
        E(CL_INVALID_KERNEL_DEFINITION)
        E(CL_INVALID_KERNEL)
        E(CL_INVALID_ARG_INDEX)
        E(CL_INVALID_ARG_VALUE)
        E(CL_INVALID_ARG_SIZE)
        E(CL_INVALID_KERNEL_ARGS)
        E(CL_INVALID_WORK_DIMENSION)
        E(CL_INVALID_WORK_GROUP_SIZE)
        E(CL_INVALID_WORK_ITEM_SIZE)
        E(CL_INVALID_GLOBAL_OFFSET)
        E(CL_INVALID_EVENT_WAIT_LIST)
        E(CL_INVALID_EVENT)
        E(CL_INVALID_OPERATION)
        E(CL_INVALID_GL_OBJECT)
        E(CL_INVALID_BUFFER_SIZE)
        E(CL_INVALID_MIP_LEVEL)
        E(CL_INVALID_GLOBAL_WORK_SIZE)
        E(CL_INVALID_PROPERTY)
        E(CL_INVALID_IMAGE_DESCRIPTOR)
        E(CL_INVALID_COMPILER_OPTIONS)
        E(CL_INVALID_LINKER_OPTIONS)
        E(CL_INVALID_DEVICE_PARTITION_COUNT)
        E(CL_INVALID_PIPE_SIZE)
        E(CL_INVALID_DEVICE_QUEUE)
        E(CL_INVALID_SPEC_ID)
        E(CL_MAX_SIZE_RESTRICTION_EXCEEDED)
        E(CL_PLATFORM_NOT_FOUND_KHR)
#undef E
    default:
        return "unknown OpenCL error";
    }
}

/* Fails the test unless `expr` (a cl_int) is CL_SUCCESS. */
#define CHECK_CL(expr)                                                                             \
    do {                                                                                           \
        cl_int check_cl_ = (expr);                                                                 \
        if (check_cl_ != CL_SUCCESS) {                                                             \
            fprintf(stderr, "%s:%d: %s returned %s (%d)\n", __FILE__, __LINE__, #expr,             \
                    icd_err_name(check_cl_), (int)check_cl_);                                      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Fails the test unless `expr` returns exactly the error code `want`. */
#define CHECK_CL_ERR(expr, want)                                                                   \
    do {                                                                                           \
        cl_int check_cl_ = (expr), check_want_ = (want);                                           \
        if (check_cl_ != check_want_) {                                                            \
            fprintf(stderr, "%s:%d: %s returned %s (%d), expected %s (%d)\n", __FILE__, __LINE__,  \
                    #expr, icd_err_name(check_cl_), (int)check_cl_, icd_err_name(check_want_),     \
                    (int)check_want_);                                                             \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline const char *icd_test_prefix(void)
{
    const char *p = getenv("CLSVM_TEST_PLATFORM");
    return p && *p ? p : "clsvm";
}

/* Name of a platform, in a static buffer (tests are short and single-use). */
static inline const char *icd_platform_name(cl_platform_id p)
{
    static char name[256];
    name[0] = 0;
    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name, name, NULL) != CL_SUCCESS)
        snprintf(name, sizeof name, "<clGetPlatformInfo failed>");
    return name;
}

/* The platform whose name starts with `prefix`; fails the test (listing what the loader does
 * see) when there is none, since a silently skipped ICD test proves nothing. */
static inline cl_platform_id icd_find_platform(const char *prefix)
{
    cl_uint n = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &n);
    CHECK_MSG(err == CL_SUCCESS && n > 0,
              "clGetPlatformIDs: %s, %u platforms (OCL_ICD_VENDORS=%s); want one named '%s...'",
              icd_err_name(err), n, getenv("OCL_ICD_VENDORS") ? getenv("OCL_ICD_VENDORS") : "",
              prefix);
    cl_platform_id ids[16];
    if (n > 16)
        n = 16;
    CHECK_CL(clGetPlatformIDs(n, ids, NULL));
    for (cl_uint i = 0; i < n; i++)
        if (strncmp(icd_platform_name(ids[i]), prefix, strlen(prefix)) == 0)
            return ids[i];
    fprintf(stderr, "no platform named '%s...'; the loader sees:\n", prefix);
    for (cl_uint i = 0; i < n; i++)
        fprintf(stderr, "  #%u: %s\n", i, icd_platform_name(ids[i]));
    exit(1);
}

static inline cl_platform_id icd_test_platform(void)
{
    return icd_find_platform(icd_test_prefix());
}

static inline cl_device_id icd_test_device(cl_platform_id p)
{
    cl_device_id d = NULL;
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 1, &d, NULL));
    CHECK(d != NULL);
    return d;
}

static inline cl_context icd_test_context(cl_platform_id p, cl_device_id d)
{
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_int err = CL_SUCCESS;
    cl_context c = clCreateContext(props, 1, &d, NULL, NULL, &err);
    CHECK_CL(err);
    CHECK(c != NULL);
    return c;
}

/* `props` is a 0-terminated property list or NULL. */
static inline cl_command_queue icd_test_queue(cl_context c, cl_device_id d,
                                              const cl_queue_properties *props)
{
    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueueWithProperties(c, d, props, &err);
    CHECK_CL(err);
    CHECK(q != NULL);
    return q;
}

/* Builds `src` for `d`; on failure prints the build log, because a bare
 * CL_BUILD_PROGRAM_FAILURE says nothing about which line is wrong. */
static inline cl_program icd_test_program(cl_context c, cl_device_id d, const char *src,
                                          const char *options)
{
    cl_int err = CL_SUCCESS;
    cl_program prog = clCreateProgramWithSource(c, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(prog, 1, &d, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t len = 0;
        clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
        char *log = calloc(len + 1, 1);
        if (log)
            clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_LOG, len, log, NULL);
        fprintf(stderr, "clBuildProgram: %s\n--- build log ---\n%s\n", icd_err_name(err),
                log ? log : "");
        free(log);
        exit(1);
    }
    return prog;
}

static inline cl_kernel icd_test_kernel(cl_program prog, const char *name)
{
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(prog, name, &err);
    CHECK_CL(err);
    CHECK(k != NULL);
    return k;
}

static inline cl_mem icd_test_buffer(cl_context c, cl_mem_flags flags, size_t size, void *host)
{
    cl_int err = CL_SUCCESS;
    cl_mem m = clCreateBuffer(c, flags, size, host, &err);
    CHECK_CL(err);
    CHECK(m != NULL);
    return m;
}

/* Reads a fixed-size info value (e.g. a handle) through any clGet*Info-shaped call into `var`,
 * and checks the reported size is exactly sizeof(var). */
#define ICD_GET_INFO(fn, obj, param, var)                                                          \
    do {                                                                                           \
        size_t icd_sz_ = 0;                                                                        \
        CHECK_CL(fn(obj, param, sizeof(var), &(var), &icd_sz_));                                   \
        CHECK_EQ(icd_sz_, sizeof(var));                                                            \
    } while (0)

#endif
