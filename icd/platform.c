/* platform.c: the loader-facing exports (clIcdGetPlatformIDsKHR, clGetExtensionFunctionAddress)
 * and the platform queries. clsvm presents one platform per backend platform, named "clsvm",
 * with cl_khr_icd and suffix "SVM"; versions say honestly which backend runs underneath. */
#include "host_ptr.h"
#include "info_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLSVM_ICD_SUFFIX "SVM"

CL_API_ENTRY cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint num_entries,
                                                       cl_platform_id *platforms,
                                                       cl_uint *num_platforms)
{
    if ((num_entries == 0 && platforms) || (!platforms && !num_platforms))
        return CL_INVALID_VALUE;
    if (clsvm_host_outputs(platforms, (size_t)num_entries * sizeof *platforms, num_platforms,
                           sizeof *num_platforms) != CL_SUCCESS)
        return CL_INVALID_VALUE;
    clsvm_backend_init();
    cl_uint n = clsvm_platform_count();
    if (num_platforms)
        *num_platforms = n;
    if (n == 0)
        return CL_PLATFORM_NOT_FOUND_KHR;
    for (cl_uint i = 0; platforms && i < num_entries && i < n; i++)
        platforms[i] = (cl_platform_id)clsvm_platform_at(i);
    return CL_SUCCESS;
}

cl_int CL_API_CALL clsvm_clGetPlatformIDs(cl_uint num_entries, cl_platform_id *platforms,
                                          cl_uint *num_platforms)
{
    return clIcdGetPlatformIDsKHR(num_entries, platforms, num_platforms);
}

/* ocl-icd looks up clGetPlatformInfo through this function when it is not exported (it needs
 * it before it has a platform whose dispatch table it could use). */
CL_API_ENTRY void *CL_API_CALL clGetExtensionFunctionAddress(const char *func_name)
{
    if (func_name && strcmp(func_name, "clGetPlatformInfo") == 0)
        return (void *)clsvm_clGetPlatformInfo;
    return clsvm_ext_function(NULL, func_name);
}

void *CL_API_CALL clsvm_clGetExtensionFunctionAddress(const char *func_name)
{
    return clsvm_ext_function(NULL, func_name);
}

void *CL_API_CALL clsvm_clGetExtensionFunctionAddressForPlatform(cl_platform_id platform,
                                                                 const char *func_name)
{
    if (!clsvm_obj_of(platform, CLSVM_PLATFORM))
        return NULL;
    return clsvm_ext_function(platform, func_name);
}

/* "OpenCL <backend's X.Y> clsvm <version> (backend: <backend version>)" */
static cl_int platform_version(clsvm_obj *p, cl_uint param, size_t size, void *value,
                               size_t *size_ret)
{
    char *bv = clsvm_info_be_string(CLSVM_PLATFORM, p->be, NULL, param);
    if (!bv)
        return CL_OUT_OF_HOST_MEMORY;
    unsigned major = 1, minor = 2;
    sscanf(bv, "OpenCL %u.%u", &major, &minor);
    cl_int err = clsvm_info_format(size, value, size_ret, "OpenCL %u.%u clsvm %s (backend: %s)",
                                   major, minor, CLSVM_VERSION, bv);
    free(bv);
    return err;
}

static const clsvm_info_row platform_rows[] = {
    CLSVM_INFO_TEXT_ROW(CL_PLATFORM_NAME, "clsvm"),
    CLSVM_INFO_TEXT_ROW(CL_PLATFORM_VENDOR, "clsvm"),
    CLSVM_INFO_TEXT_ROW(CL_PLATFORM_ICD_SUFFIX_KHR, CLSVM_ICD_SUFFIX),
    CLSVM_INFO_FN_ROW(CL_PLATFORM_VERSION, platform_version),
    CLSVM_INFO_FN_ROW(CL_PLATFORM_EXTENSIONS, clsvm_ext_info),
    CLSVM_INFO_FN_ROW(CL_PLATFORM_EXTENSIONS_WITH_VERSION, clsvm_ext_info),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetPlatformInfo, cl_platform_id, cl_platform_info, CLSVM_PLATFORM,
                  platform_rows, NULL)

cl_int CL_API_CALL clsvm_clUnloadCompiler(void)
{
    return clsvm_be && clsvm_be->clUnloadCompiler ? clsvm_be->clUnloadCompiler() : CL_SUCCESS;
}
