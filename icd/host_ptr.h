/*
 * host_ptr.h: clsvm's pointer rule (svm.h, clsvm_svm_host_range) for the host memory that
 * entry points read or write: the generated enqueues' and forwarders' checks (entrypoints.def,
 * CLSVM_ENQ_HOST and CLSVM_FWD_HOST, each taking the entry point's own parameters), the check
 * of the query entry points' output buffers and the size of an image's host memory for the
 * image constructors. A pointer into freed SVM is refused with the spec's error instead of
 * reaching the backend, which would fault on the unmapped pages.
 */
#ifndef CLSVM_ICD_HOST_PTR_H
#define CLSVM_ICD_HOST_PTR_H

#include "icd.h"

cl_int clsvm_host_rw_buffer(cl_command_queue q, cl_mem buffer, cl_bool blocking, size_t offset,
                            size_t cb, const void *ptr);
cl_int clsvm_host_rw_buffer_rect(cl_command_queue q, cl_mem buffer, cl_bool blocking,
                                 const size_t *buffer_origin, const size_t *host_origin,
                                 const size_t *region, size_t buffer_row_pitch,
                                 size_t buffer_slice_pitch, size_t host_row_pitch,
                                 size_t host_slice_pitch, const void *ptr);
cl_int clsvm_host_rw_image(cl_command_queue q, cl_mem image, cl_bool blocking, const size_t *origin,
                           const size_t *region, size_t row_pitch, size_t slice_pitch,
                           const void *ptr);
cl_int clsvm_host_fill_buffer(cl_command_queue q, cl_mem buffer, const void *pattern,
                              size_t pattern_size, size_t offset, size_t cb);
cl_int clsvm_host_fill_image(cl_command_queue q, cl_mem image, const void *fill_color,
                             const size_t *origin, const size_t *region);

/* The output buffers of a query: [out, + out_size) (not checked when out_size is 0: nothing is
 * written there) and [count, + count_size), CL_INVALID_VALUE when either breaks the rule. */
cl_int clsvm_host_outputs(const void *out, size_t out_size, const void *count, size_t count_size);

/* The clGet*Info shape: param_value_size bytes at param_value, a size_t at
 * param_value_size_ret. Called first after the handle checks, before anything is written. */
static inline cl_int clsvm_info_out_check(size_t size, const void *value, const size_t *size_ret)
{
    return clsvm_host_outputs(value, size, size_ret, sizeof *size_ret);
}

/* Checks for the generated query forwarders (CLSVM_FWD_HOST). */
cl_int clsvm_host_info_out(const void *obj, cl_uint param_name, size_t size, void *value,
                           size_t *size_ret);
cl_int clsvm_host_arg_info_out(cl_kernel kernel, cl_uint arg_index, cl_kernel_arg_info param_name,
                               size_t size, void *value, size_t *size_ret);
cl_int clsvm_host_image_formats(cl_context context, cl_mem_flags flags,
                                cl_mem_object_type image_type, cl_uint num_entries,
                                cl_image_format *formats, cl_uint *num_formats);
cl_int clsvm_host_timer(cl_device_id device, cl_ulong *host_timestamp);
cl_int clsvm_host_device_timer(cl_device_id device, cl_ulong *device_timestamp,
                               cl_ulong *host_timestamp);

/* The bytes of host memory an image of that format and description is created from (with
 * CL_MEM_USE_HOST_PTR or CL_MEM_COPY_HOST_PTR); 1 (the first byte) when the format or the
 * description is not one the size can be computed for (the backend then refuses it). */
size_t clsvm_image_host_size(const cl_image_format *format, const cl_image_desc *desc);

#endif
