/* device.c: devices. Root devices are wrapped once at load (backend.c) and are permanent;
 * sub-devices are reference-counted wrappers holding a reference on their parent device.
 * Device queries are the backend's, except identity (name), the handles (platform, parent),
 * the reference count, the extension lists, which only name extensions clsvm implements, and
 * what clsvm's SVM changes: SVM capabilities and the max allocation size come from the window
 * (svm.c), the OpenCL C features and versions from opencl_c.c. */
#include "host_ptr.h"
#include "icd.h"
#include "opencl_c.h"
#include "svm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cl_int CL_API_CALL clsvm_clGetDeviceIDs(cl_platform_id platform, cl_device_type device_type,
                                        cl_uint num_entries, cl_device_id *devices,
                                        cl_uint *num_devices)
{
    clsvm_obj *p = clsvm_obj_of(platform, CLSVM_PLATFORM);
    if (!p)
        return CL_INVALID_PLATFORM;
    /* API spec, clGetDeviceIDs: CL_DEVICE_TYPE_ALL or a combination of the type bits. */
    const cl_device_type types = CL_DEVICE_TYPE_DEFAULT | CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU |
                                 CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM;
    if (device_type != CL_DEVICE_TYPE_ALL && (!device_type || (device_type & ~types)))
        return CL_INVALID_DEVICE_TYPE;
    if ((!devices && !num_devices) || (devices && !num_entries))
        return CL_INVALID_VALUE;
    if (clsvm_host_outputs(devices, (size_t)num_entries * sizeof *devices, num_devices,
                           sizeof *num_devices) != CL_SUCCESS)
        return CL_INVALID_VALUE;
    cl_uint found = 0;
    cl_int err = clsvm_be->clGetDeviceIDs(p->be, device_type, num_entries, devices, &found);
    if (num_devices)
        *num_devices = found;
    /* Translate only the entries the backend wrote. */
    if (err == CL_SUCCESS && devices)
        clsvm_info_map_handles(
            devices, (found < num_entries ? found : num_entries) * sizeof *devices, CLSVM_DEVICE);
    return err;
}

static char *be_device_string(void *be, cl_device_info what)
{
    size_t n = 0;
    if (clsvm_be->clGetDeviceInfo(be, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
        return NULL;
    char *s = malloc(n + 1);
    if (s && clsvm_be->clGetDeviceInfo(be, what, n, s, NULL) != CL_SUCCESS) {
        free(s);
        return NULL;
    }
    if (s)
        s[n] = '\0';
    return s;
}

static cl_int device_name(void *be, size_t size, void *value, size_t *size_ret)
{
    char *bn = be_device_string(be, CL_DEVICE_NAME);
    if (!bn)
        return CL_OUT_OF_HOST_MEMORY;
    size_t n = strlen(bn) + strlen(clsvm_backend_name()) + 16;
    char *s = malloc(n);
    cl_int err = CL_OUT_OF_HOST_MEMORY;
    if (s) {
        snprintf(s, n, "clsvm (%s %s)", clsvm_backend_name(), bn);
        err = clsvm_info_string(s, size, value, size_ret);
    }
    free(s);
    free(bn);
    return err;
}

static cl_int device_extensions(void *be, size_t size, void *value, size_t *size_ret)
{
    char *bl = be_device_string(be, CL_DEVICE_EXTENSIONS);
    char *f = clsvm_ext_filter(bl ? bl : "");
    cl_int err = f ? clsvm_info_string(f, size, value, size_ret) : CL_OUT_OF_HOST_MEMORY;
    free(f);
    free(bl);
    return err;
}

static cl_int device_extensions_versioned(void *be, size_t size, void *value, size_t *size_ret)
{
    size_t n = 0;
    cl_int err = clsvm_be->clGetDeviceInfo(be, CL_DEVICE_EXTENSIONS_WITH_VERSION, 0, NULL, &n);
    if (err != CL_SUCCESS)
        return err;
    cl_name_version *v = malloc(n ? n : 1);
    if (!v)
        return CL_OUT_OF_HOST_MEMORY;
    err = clsvm_be->clGetDeviceInfo(be, CL_DEVICE_EXTENSIONS_WITH_VERSION, n, v, NULL);
    if (err == CL_SUCCESS) {
        size_t kept = clsvm_ext_filter_versioned(v, n / sizeof *v);
        err = clsvm_info_return(v, kept * sizeof *v, size, value, size_ret);
    }
    free(v);
    return err;
}

cl_int CL_API_CALL clsvm_clGetDeviceInfo(cl_device_id device, cl_device_info param_name,
                                         size_t param_value_size, void *param_value,
                                         size_t *param_value_size_ret)
{
    clsvm_obj *d = clsvm_obj_of(device, CLSVM_DEVICE);
    if (!d)
        return CL_INVALID_DEVICE;
    cl_int out_err = clsvm_info_out_check(param_value_size, param_value, param_value_size_ret);
    if (out_err != CL_SUCCESS)
        return out_err;
    switch (param_name) {
    case CL_DEVICE_PLATFORM:
        return clsvm_info_handle(d->owner, param_value_size, param_value, param_value_size_ret);
    case CL_DEVICE_PARENT_DEVICE:
        return clsvm_info_handle(d->parent, param_value_size, param_value, param_value_size_ret);
    case CL_DEVICE_REFERENCE_COUNT:
        return clsvm_info_uint(clsvm_obj_app_refs(d), param_value_size, param_value,
                               param_value_size_ret);
    case CL_DEVICE_NAME:
        return device_name(d->be, param_value_size, param_value, param_value_size_ret);
    case CL_DEVICE_EXTENSIONS:
        return device_extensions(d->be, param_value_size, param_value, param_value_size_ret);
    case CL_DEVICE_EXTENSIONS_WITH_VERSION:
        return device_extensions_versioned(d->be, param_value_size, param_value,
                                           param_value_size_ret);
    case CL_DEVICE_SVM_CAPABILITIES: {
        /* SVM is clsvm's, not the backend's: what the window makes possible for a device
         * that addresses the host's memory. */
        cl_device_svm_capabilities caps = clsvm_svm_device_caps(d->be);
        return clsvm_info_return(&caps, sizeof caps, param_value_size, param_value,
                                 param_value_size_ret);
    }
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE: {
        /* Capped at the window so that every size the device admits can be an SVM buffer. */
        cl_ulong v = 0;
        cl_int err = clsvm_svm_max_alloc(d->be, &v);
        if (err != CL_SUCCESS)
            return err;
        return clsvm_info_return(&v, sizeof v, param_value_size, param_value, param_value_size_ret);
    }
    case CL_DEVICE_OPENCL_C_FEATURES:
        return clsvm_opencl_c_features(d->be, param_value_size, param_value, param_value_size_ret);
    case CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT:
    case CL_DEVICE_NON_UNIFORM_WORK_GROUP_SUPPORT:   /* icd/ndrange.c */
        if (clsvm_opencl_c_generic_by_path(d->be)) { /* OpenCL C 2.0/3.0 through clang */
            cl_bool yes = CL_TRUE;
            return clsvm_info_return(&yes, sizeof yes, param_value_size, param_value,
                                     param_value_size_ret);
        }
        return clsvm_be->clGetDeviceInfo(d->be, param_name, param_value_size, param_value,
                                         param_value_size_ret);
    case CL_DEVICE_DEVICE_ENQUEUE_CAPABILITIES: {
        /* A cl_bitfield (8 bytes); pocl 3.1 writes a 4-byte cl_uint, which would leave the upper
         * half of the application's variable as it was. Asked into a zeroed 8-byte value,
         * answered at the specification's size. */
        cl_device_device_enqueue_capabilities caps = 0;
        cl_int err = clsvm_be->clGetDeviceInfo(d->be, param_name, sizeof caps, &caps, NULL);
        if (err != CL_SUCCESS)
            return err;
        return clsvm_info_return(&caps, sizeof caps, param_value_size, param_value,
                                 param_value_size_ret);
    }
    case CL_DEVICE_OPENCL_C_ALL_VERSIONS:
        return clsvm_opencl_c_all_versions(d->be, param_value_size, param_value,
                                           param_value_size_ret);
    default:
        return clsvm_be->clGetDeviceInfo(d->be, param_name, param_value_size, param_value,
                                         param_value_size_ret);
    }
}

cl_int CL_API_CALL clsvm_clCreateSubDevices(cl_device_id in_device,
                                            const cl_device_partition_property *properties,
                                            cl_uint num_entries, cl_device_id *out_devices,
                                            cl_uint *num_devices)
{
    clsvm_obj *d = clsvm_obj_of(in_device, CLSVM_DEVICE);
    if (!d)
        return CL_INVALID_DEVICE;
    if (!clsvm_be->clCreateSubDevices)
        return CL_INVALID_OPERATION;
    cl_uint made = 0;
    cl_int err = clsvm_be->clCreateSubDevices(d->be, properties, num_entries, out_devices, &made);
    if (err != CL_SUCCESS)
        return err;
    if (num_devices)
        *num_devices = made;
    if (!out_devices)
        return CL_SUCCESS;
    if (made > num_entries)
        made = num_entries;
    for (cl_uint i = 0; i < made; i++) {
        clsvm_obj *sub = clsvm_obj_new_mapped(CLSVM_DEVICE, out_devices[i], d->owner, d);
        if (!sub) {
            for (cl_uint j = i; j < made; j++)
                clsvm_be_release(CLSVM_DEVICE, out_devices[j]);
            for (cl_uint j = 0; j < i; j++)
                clsvm_obj_release((clsvm_obj *)out_devices[j]);
            return CL_OUT_OF_HOST_MEMORY;
        }
        out_devices[i] = (cl_device_id)sub;
    }
    return CL_SUCCESS;
}

cl_int CL_API_CALL clsvm_clRetainDeviceEXT(cl_device_id device)
{
    return clsvm_clRetainDevice(device);
}

cl_int CL_API_CALL clsvm_clReleaseDeviceEXT(cl_device_id device)
{
    return clsvm_clReleaseDevice(device);
}
