/*
 * host_ptr.h: clsvm's pointer rule (svm.h, clsvm_svm_host_range) for the host memory that
 * entry points read or write: the generated enqueues' checks (entrypoints.def, CLSVM_ENQ_HOST,
 * each taking the entry point's own parameters) and the size of an image's host memory for the
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

/* The bytes of host memory an image of that format and description is created from (with
 * CL_MEM_USE_HOST_PTR or CL_MEM_COPY_HOST_PTR); 1 (the first byte) when the format or the
 * description is not one the size can be computed for (the backend then refuses it). */
size_t clsvm_image_host_size(const cl_image_format *format, const cl_image_desc *desc);

#endif
