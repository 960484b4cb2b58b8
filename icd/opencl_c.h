/*
 * opencl_c.h: what clsvm changes about OpenCL C compilation so the device's OpenCL C features
 * agree with its atomic capabilities and SVM programs build.
 *
 * device.c answers CL_DEVICE_OPENCL_C_FEATURES through clsvm_opencl_c_features(); program.c
 * passes every build/compile option string through clsvm_opencl_c_options() and retries a
 * failed OpenCL C 2.0 build with clsvm_opencl_c_retry_options().
 */
#ifndef CLSVM_ICD_OPENCL_C_H
#define CLSVM_ICD_OPENCL_C_H

#include "icd.h"

/* clGetDeviceInfo(CL_DEVICE_OPENCL_C_FEATURES) for backend device be_dev, with clsvm's fixes. */
cl_int clsvm_opencl_c_features(cl_device_id be_dev, size_t size, void *value, size_t *size_ret);

/* The option string to hand the backend for a build/compile of user options opts (may be NULL).
 * Returns opts itself when nothing changes, else a malloc'd string the caller frees with
 * clsvm_opencl_c_options_done(). NULL only when out of host memory. */
const char *clsvm_opencl_c_options(cl_device_id be_dev, const char *opts);
void clsvm_opencl_c_options_done(const char *result, const char *opts);

/* Options for one retry of a build/compile that failed with options opts (as the application
 * gave them): a malloc'd string (free with free()) when a retry may succeed (OpenCL C 2.0 on a
 * backend without the generic address space: rebuilt as OpenCL C 3.0), else NULL. */
const char *clsvm_opencl_c_retry_options(cl_device_id be_dev, const char *opts);

/* clGetDeviceInfo(CL_DEVICE_OPENCL_C_ALL_VERSIONS): the backend's list plus OpenCL C 2.0 when
 * clsvm's SPIR path provides it (the backend lacks the generic address space, clang runs). */
cl_int clsvm_opencl_c_all_versions(cl_device_id be_dev, size_t size, void *value, size_t *size_ret);

/* Does backend device be_dev list the OpenCL C feature (e.g. "__opencl_c_generic_address_space")
 * itself? */
int clsvm_opencl_c_backend_has(cl_device_id be_dev, const char *feature);
/* Does clsvm's SPIR path give be_dev the generic address space (the backend lacks it, clang
 * runs)? Then OpenCL C 2.0 and __opencl_c_generic_address_space are listed. */
int clsvm_opencl_c_generic_by_path(cl_device_id be_dev);

#endif
