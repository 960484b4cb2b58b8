/*
 * opencl_c.c: OpenCL C feature and build-option fixes (opencl_c.h).
 *
 * STUB: passes everything through unchanged until issue 4 item 6 lands.
 */
#include "opencl_c.h"

#include <stdlib.h>

cl_int clsvm_opencl_c_features(cl_device_id be_dev, size_t size, void *value, size_t *size_ret)
{
    return clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_OPENCL_C_FEATURES, size, value, size_ret);
}

const char *clsvm_opencl_c_options(cl_device_id be_dev, const char *opts)
{
    (void)be_dev;
    return opts;
}

void clsvm_opencl_c_options_done(const char *result, const char *opts)
{
    if (result != opts)
        free((void *)result);
}
