/* device.c: devices. Root devices are wrapped once at load (backend.c) and are permanent;
 * sub-devices are reference-counted wrappers holding a reference on their parent device.
 * Device queries are the backend's, except identity (name), the handles (platform, parent),
 * the reference count, the extension lists, which only name extensions clsvm implements, and
 * what clsvm's SVM changes: SVM capabilities and the max allocation size come from the window
 * (svm.c), the OpenCL C features and versions from opencl_c.c. */
#include "host_ptr.h"
#include "info_answer.h"
#include "opencl_c.h"
#include "svm.h"

#include <stdlib.h>

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

/* "clsvm (<backend> <backend's device name>)" */
static cl_int device_name(clsvm_obj *d, cl_uint param, size_t size, void *value, size_t *size_ret)
{
    char *bn = clsvm_info_be_string(CLSVM_DEVICE, d->be, NULL, param);
    if (!bn)
        return CL_OUT_OF_HOST_MEMORY;
    cl_int err =
        clsvm_info_format(size, value, size_ret, "clsvm (%s %s)", clsvm_backend_name(), bn);
    free(bn);
    return err;
}

/* SVM is clsvm's, not the backend's: what the window makes possible for a device that addresses
 * the host's memory. */
static cl_int device_svm_caps(clsvm_obj *d, cl_uint param, size_t size, void *value,
                              size_t *size_ret)
{
    (void)param;
    cl_device_svm_capabilities caps = clsvm_svm_device_caps(d->be);
    return clsvm_info_return(&caps, sizeof caps, size, value, size_ret);
}

/* Capped at the window so that every size the device admits can be an SVM buffer. */
static cl_int device_max_alloc(clsvm_obj *d, cl_uint param, size_t size, void *value,
                               size_t *size_ret)
{
    (void)param;
    cl_ulong v = 0;
    cl_int err = clsvm_svm_max_alloc(d->be, &v);
    if (err != CL_SUCCESS)
        return err;
    return clsvm_info_return(&v, sizeof v, size, value, size_ret);
}

static cl_int device_c_features(clsvm_obj *d, cl_uint param, size_t size, void *value,
                                size_t *size_ret)
{
    (void)param;
    return clsvm_opencl_c_features(d->be, size, value, size_ret);
}

static cl_int device_c_versions(clsvm_obj *d, cl_uint param, size_t size, void *value,
                                size_t *size_ret)
{
    (void)param;
    return clsvm_opencl_c_all_versions(d->be, size, value, size_ret);
}

/* Generic address space and non-uniform work-groups (icd/ndrange.c): what OpenCL C 2.0/3.0
 * through clang gives the device, whatever the backend says. */
static cl_int device_by_path(clsvm_obj *d, cl_uint param, size_t size, void *value,
                             size_t *size_ret)
{
    if (!clsvm_opencl_c_generic_by_path(d->be))
        return clsvm_info_forward(CLSVM_DEVICE, d->be, param, 0, size, value, size_ret);
    cl_bool yes = CL_TRUE;
    return clsvm_info_return(&yes, sizeof yes, size, value, size_ret);
}

/* A cl_bitfield (8 bytes); pocl 3.1 writes a 4-byte cl_uint, which would leave the upper half of
 * the application's variable as it was. Asked into a zeroed 8-byte value, answered at the
 * specification's size. */
static cl_int device_enqueue_caps(clsvm_obj *d, cl_uint param, size_t size, void *value,
                                  size_t *size_ret)
{
    cl_device_device_enqueue_capabilities caps = 0;
    cl_int err = clsvm_be->clGetDeviceInfo(d->be, param, sizeof caps, &caps, NULL);
    if (err != CL_SUCCESS)
        return err;
    return clsvm_info_return(&caps, sizeof caps, size, value, size_ret);
}

/* Identity, handles and reference count, the extension lists (only extensions clsvm implements)
 * and what clsvm's SVM and OpenCL C path change; the rest is the backend's. */
static const clsvm_info_row device_rows[] = {
    CLSVM_INFO_FN_ROW(CL_DEVICE_NAME, device_name),
    CLSVM_INFO_FN_ROW(CL_DEVICE_EXTENSIONS, clsvm_ext_info),
    CLSVM_INFO_FN_ROW(CL_DEVICE_EXTENSIONS_WITH_VERSION, clsvm_ext_info),
    CLSVM_INFO_FN_ROW(CL_DEVICE_SVM_CAPABILITIES, device_svm_caps),
    CLSVM_INFO_FN_ROW(CL_DEVICE_MAX_MEM_ALLOC_SIZE, device_max_alloc),
    CLSVM_INFO_FN_ROW(CL_DEVICE_OPENCL_C_FEATURES, device_c_features),
    CLSVM_INFO_FN_ROW(CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT, device_by_path),
    CLSVM_INFO_FN_ROW(CL_DEVICE_NON_UNIFORM_WORK_GROUP_SUPPORT, device_by_path),
    CLSVM_INFO_FN_ROW(CL_DEVICE_DEVICE_ENQUEUE_CAPABILITIES, device_enqueue_caps),
    CLSVM_INFO_FN_ROW(CL_DEVICE_OPENCL_C_ALL_VERSIONS, device_c_versions),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetDeviceInfo, cl_device_id, cl_device_info, CLSVM_DEVICE, device_rows, NULL)

/* A sub-device: in the map (queries return it, e.g. CL_QUEUE_DEVICE), on its root's platform. */
static clsvm_obj *wrap_sub_device(void *be, clsvm_obj *parent)
{
    return clsvm_obj_new_mapped(CLSVM_DEVICE, be, parent->owner, parent);
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
    return clsvm_wrap_array((void **)out_devices, made < num_entries ? made : num_entries,
                            CLSVM_DEVICE, wrap_sub_device, d);
}

cl_int CL_API_CALL clsvm_clRetainDeviceEXT(cl_device_id device)
{
    return clsvm_clRetainDevice(device);
}

cl_int CL_API_CALL clsvm_clReleaseDeviceEXT(cl_device_id device)
{
    return clsvm_clReleaseDevice(device);
}
