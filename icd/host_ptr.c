/* host_ptr.c: the host-memory checks of the generated enqueues and the host size of an image
 * (host_ptr.h). Each computes the exact range the command touches, so a valid call is never
 * refused, and hands it to clsvm_svm_host_range. Arguments the backend must refuse anyway (NULL
 * arrays, zero regions, sizes that overflow) are left to it, except that an overflowing range
 * is refused here: it cannot describe memory. */
#include "host_ptr.h"
#include "svm.h"

/* a * b + c, or SIZE_MAX when it overflows (no range that large fits anywhere). */
static size_t mul_add(size_t a, size_t b, size_t c)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r) || __builtin_add_overflow(r, c, &r))
        return SIZE_MAX;
    return r;
}

/* The range [ptr + offset, + extent) of a 3D copy with the given pitches (bytes). */
static cl_int check_box(const void *ptr, const size_t *origin, const size_t *region, size_t es,
                        size_t row_pitch, size_t slice_pitch, size_t slices)
{
    if (!ptr || !region || !region[0] || !region[1] || !slices)
        return CL_SUCCESS;
    size_t row = mul_add(region[0], es, 0);
    size_t rp = row_pitch ? row_pitch : row;
    size_t sp = slice_pitch ? slice_pitch : mul_add(region[1], rp, 0);
    size_t off = 0;
    if (origin)
        off = mul_add(origin[2], sp, mul_add(origin[1], rp, mul_add(origin[0], es, 0)));
    size_t extent = mul_add(slices - 1, sp, mul_add(region[1] - 1, rp, row));
    if (row == SIZE_MAX || sp == SIZE_MAX || off == SIZE_MAX || extent == SIZE_MAX ||
        (uintptr_t)ptr + off < (uintptr_t)ptr)
        return CL_INVALID_VALUE;
    return clsvm_svm_host_range((const char *)ptr + off, extent, CL_INVALID_VALUE);
}

cl_int clsvm_host_rw_buffer(cl_command_queue q, cl_mem buffer, cl_bool blocking, size_t offset,
                            size_t cb, const void *ptr)
{
    (void)q, (void)buffer, (void)blocking, (void)offset;
    return clsvm_svm_host_range(ptr, cb, CL_INVALID_VALUE);
}

cl_int clsvm_host_rw_buffer_rect(cl_command_queue q, cl_mem buffer, cl_bool blocking,
                                 const size_t *buffer_origin, const size_t *host_origin,
                                 const size_t *region, size_t buffer_row_pitch,
                                 size_t buffer_slice_pitch, size_t host_row_pitch,
                                 size_t host_slice_pitch, const void *ptr)
{
    (void)q, (void)buffer, (void)blocking, (void)buffer_origin, (void)buffer_row_pitch,
        (void)buffer_slice_pitch;
    return check_box(ptr, host_origin, region, 1, host_row_pitch, host_slice_pitch,
                     region ? region[2] : 0);
}

/* CL_MEM_TYPE and CL_IMAGE_ELEMENT_SIZE of an image; 0 when be is not an image. */
static size_t image_element(void *be, cl_mem_object_type *type)
{
    size_t es = 0;
    *type = 0;
    if (clsvm_be->clGetMemObjectInfo(be, CL_MEM_TYPE, sizeof *type, type, NULL) != CL_SUCCESS ||
        clsvm_be->clGetImageInfo(be, CL_IMAGE_ELEMENT_SIZE, sizeof es, &es, NULL) != CL_SUCCESS)
        return 0;
    return es;
}

cl_int clsvm_host_rw_image(cl_command_queue q, cl_mem image, cl_bool blocking, const size_t *origin,
                           const size_t *region, size_t row_pitch, size_t slice_pitch,
                           const void *ptr)
{
    (void)q, (void)blocking, (void)origin; /* origin is in the image, not in host memory */
    if (!ptr || !region || !clsvm_svm_window_open())
        return CL_SUCCESS;
    cl_mem_object_type type;
    size_t es = image_element(clsvm_unwrap(image, CLSVM_MEM), &type);
    if (!es)
        return CL_SUCCESS;
    /* A 1D image array's images are slice_pitch apart: its rows are the slices. */
    if (type == CL_MEM_OBJECT_IMAGE1D_ARRAY) {
        size_t r[3] = {region[0], 1, 1};
        return check_box(ptr, NULL, r, es, 0, slice_pitch ? slice_pitch : row_pitch, region[1]);
    }
    return check_box(ptr, NULL, region, es, row_pitch, slice_pitch, region[2]);
}

cl_int clsvm_host_fill_buffer(cl_command_queue q, cl_mem buffer, const void *pattern,
                              size_t pattern_size, size_t offset, size_t cb)
{
    (void)q, (void)buffer, (void)offset, (void)cb;
    return clsvm_svm_host_range(pattern, pattern_size, CL_INVALID_VALUE);
}

cl_int clsvm_host_fill_image(cl_command_queue q, cl_mem image, const void *fill_color,
                             const size_t *origin, const size_t *region)
{
    (void)q, (void)origin, (void)region;
    if (!fill_color || !clsvm_svm_window_open())
        return CL_SUCCESS;
    /* Four 32-bit components, one float for a depth image (API spec, clEnqueueFillImage). */
    cl_image_format f = {0, 0};
    clsvm_be->clGetImageInfo(clsvm_unwrap(image, CLSVM_MEM), CL_IMAGE_FORMAT, sizeof f, &f, NULL);
    return clsvm_svm_host_range(fill_color, f.image_channel_order == CL_DEPTH ? 4 : 16,
                                CL_INVALID_VALUE);
}

cl_int clsvm_host_outputs(const void *out, size_t out_size, const void *count, size_t count_size)
{
    if (out_size && clsvm_svm_host_range(out, out_size, CL_INVALID_VALUE) != CL_SUCCESS)
        return CL_INVALID_VALUE;
    return clsvm_svm_host_range(count, count_size, CL_INVALID_VALUE);
}

cl_int clsvm_host_info_out(const void *obj, cl_uint param_name, size_t size, void *value,
                           size_t *size_ret)
{
    (void)obj, (void)param_name;
    return clsvm_info_out_check(size, value, size_ret);
}

cl_int clsvm_host_arg_info_out(cl_kernel kernel, cl_uint arg_index, cl_kernel_arg_info param_name,
                               size_t size, void *value, size_t *size_ret)
{
    (void)kernel, (void)arg_index, (void)param_name;
    return clsvm_info_out_check(size, value, size_ret);
}

cl_int clsvm_host_image_formats(cl_context context, cl_mem_flags flags,
                                cl_mem_object_type image_type, cl_uint num_entries,
                                cl_image_format *formats, cl_uint *num_formats)
{
    (void)context, (void)flags, (void)image_type;
    return clsvm_host_outputs(formats, (size_t)num_entries * sizeof *formats, num_formats,
                              sizeof *num_formats);
}

cl_int clsvm_host_timer(cl_device_id device, cl_ulong *host_timestamp)
{
    (void)device;
    return clsvm_host_outputs(host_timestamp, sizeof *host_timestamp, NULL, 0);
}

cl_int clsvm_host_device_timer(cl_device_id device, cl_ulong *device_timestamp,
                               cl_ulong *host_timestamp)
{
    (void)device;
    return clsvm_host_outputs(device_timestamp, sizeof *device_timestamp, host_timestamp,
                              sizeof *host_timestamp);
}

static size_t channels(cl_channel_order o)
{
    switch (o) {
    case CL_R:
    case CL_A:
    case CL_INTENSITY:
    case CL_LUMINANCE:
    case CL_DEPTH:
        return 1;
    case CL_RG:
    case CL_RA:
    case CL_Rx:
        return 2;
    case CL_RGB:
    case CL_RGx:
    case CL_sRGB:
        return 3;
    case CL_RGBA:
    case CL_BGRA:
    case CL_ARGB:
    case CL_ABGR:
    case CL_RGBx:
    case CL_sRGBA:
    case CL_sBGRA:
    case CL_sRGBx:
        return 4;
    default:
        return 0;
    }
}

static size_t element_size(const cl_image_format *f)
{
    switch (f->image_channel_data_type) {
    case CL_UNORM_SHORT_565:
    case CL_UNORM_SHORT_555:
        return 2; /* packed: one element whatever the channels */
    case CL_UNORM_INT_101010:
    case CL_UNORM_INT_101010_2:
    case CL_UNORM_INT24:
        return 4;
    case CL_SNORM_INT8:
    case CL_UNORM_INT8:
    case CL_SIGNED_INT8:
    case CL_UNSIGNED_INT8:
        return channels(f->image_channel_order);
    case CL_SNORM_INT16:
    case CL_UNORM_INT16:
    case CL_SIGNED_INT16:
    case CL_UNSIGNED_INT16:
    case CL_HALF_FLOAT:
        return 2 * channels(f->image_channel_order);
    case CL_SIGNED_INT32:
    case CL_UNSIGNED_INT32:
    case CL_FLOAT:
        return 4 * channels(f->image_channel_order);
    default:
        return 0;
    }
}

size_t clsvm_image_host_size(const cl_image_format *format, const cl_image_desc *desc)
{
    size_t es = format && desc ? element_size(format) : 0;
    if (!es || !desc->image_width)
        return 1;
    size_t rp = desc->image_row_pitch ? desc->image_row_pitch : mul_add(desc->image_width, es, 0);
    size_t h = desc->image_height ? desc->image_height : 1;
    size_t n;
    switch (desc->image_type) {
    case CL_MEM_OBJECT_IMAGE1D:
        n = rp;
        break;
    case CL_MEM_OBJECT_IMAGE2D:
        n = mul_add(rp, h, 0);
        break;
    case CL_MEM_OBJECT_IMAGE1D_ARRAY:
        n = mul_add(desc->image_slice_pitch ? desc->image_slice_pitch : rp, desc->image_array_size,
                    0);
        break;
    case CL_MEM_OBJECT_IMAGE2D_ARRAY:
    case CL_MEM_OBJECT_IMAGE3D: {
        size_t sp = desc->image_slice_pitch ? desc->image_slice_pitch : mul_add(rp, h, 0);
        n = mul_add(sp,
                    desc->image_type == CL_MEM_OBJECT_IMAGE3D ? desc->image_depth
                                                              : desc->image_array_size,
                    0);
        break;
    }
    default: /* 1D image buffers take the buffer's memory, not host_ptr */
        return 1;
    }
    return n && n != SIZE_MAX && rp != SIZE_MAX ? n : 1;
}
