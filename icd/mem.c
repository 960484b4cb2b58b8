/* mem.c: memory objects. Pipes and sub-buffers come from entrypoints.def; images are here
 * because image_desc->buffer (mem_object) is a handle inside a struct; buffers are here because
 * a buffer over SVM memory is clsvm's business (the backend does not know clsvm's SVM): its size
 * is checked against the allocation and CL_MEM_USES_SVM_POINTER is answered from the window.
 * A memory object holds a reference on its context (owner) and on the object it was made from
 * (parent: the buffer of a sub-buffer or the buffer/image an image was created from). */
#include "check.h"
#include "host_ptr.h"
#include "info_answer.h"
#include "svm.h"

/* ---- buffers over SVM ---- */

/* clsvm's pointer rule for the host memory of a new memory object (USE_HOST_PTR or
 * COPY_HOST_PTR): a host pointer inside an SVM allocation may back an object of at most the
 * bytes left in that allocation (the spec states it for the pointer clSVMAlloc returned, clsvm
 * for interior ones too; size_err), and a pointer into the window outside every live allocation
 * (freed SVM) is CL_INVALID_HOST_PTR: reading or using it would fault. */
static cl_int check_svm_host_ptr(cl_mem_flags flags, size_t size, const void *host_ptr,
                                 cl_int size_err)
{
    clsvm_alloc_info in;
    if (!host_ptr || !(flags & (CL_MEM_USE_HOST_PTR | CL_MEM_COPY_HOST_PTR)))
        return CL_SUCCESS;
    if (!clsvm_svm_lookup(host_ptr, &in))
        return clsvm_svm_host_range(host_ptr, size, CL_INVALID_HOST_PTR);
    size_t left = in.size - (size_t)((const char *)host_ptr - (const char *)in.base);
    if ((flags & CL_MEM_USE_HOST_PTR) &&
        __builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0))
        clsvm_check_ha_exempt(host_ptr); /* the object's commands reach it unseen */
    return size > left ? size_err : CL_SUCCESS;
}

static cl_mem create_buffer(cl_context context, const cl_mem_properties *properties, int with_props,
                            cl_mem_flags flags, size_t size, void *host_ptr, cl_int *errcode_ret)
{
    cl_int err = CLSVM_CHECK(context);
    if (err == CL_SUCCESS)
        err = check_svm_host_ptr(flags, size, host_ptr, CL_INVALID_BUFFER_SIZE);
    cl_mem be = NULL;
    if (err == CL_SUCCESS) {
        /* Zero-copy: USE_HOST_PTR hands the backend the SVM address itself, which its CPU
         * device uses as the buffer's storage. */
        err = CL_INVALID_OPERATION;
        if (with_props && clsvm_be->clCreateBufferWithProperties)
            be = clsvm_be->clCreateBufferWithProperties(CLSVM_U(context), properties, flags, size,
                                                        host_ptr, &err);
        else if (!with_props && clsvm_be->clCreateBuffer)
            be = clsvm_be->clCreateBuffer(CLSVM_U(context), flags, size, host_ptr, &err);
    }
    return clsvm_wrap_result(CLSVM_MEM, be, err, (clsvm_obj *)context, NULL, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateBuffer(cl_context context, cl_mem_flags flags, size_t size,
                                        void *host_ptr, cl_int *errcode_ret)
{
    return create_buffer(context, NULL, 0, flags, size, host_ptr, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateBufferWithProperties(cl_context context,
                                                      const cl_mem_properties *properties,
                                                      cl_mem_flags flags, size_t size,
                                                      void *host_ptr, cl_int *errcode_ret)
{
    return create_buffer(context, properties, 1, flags, size, host_ptr, errcode_ret);
}

/* CL_MEM_USES_SVM_POINTER: the object (or the buffer it was made from, for sub-buffers and
 * images over buffers) was created with CL_MEM_USE_HOST_PTR on memory inside a live clsvm SVM
 * allocation. The backend cannot answer: it never saw clsvm's SVM. */
static cl_bool uses_svm_pointer(const clsvm_obj *m)
{
    size_t origin = 0;
    while (m->parent) {
        size_t off = 0;
        if (clsvm_be->clGetMemObjectInfo(m->be, CL_MEM_OFFSET, sizeof off, &off, NULL) ==
            CL_SUCCESS)
            origin += off;
        m = m->parent;
    }
    cl_mem_flags flags = 0;
    void *host = NULL;
    if (clsvm_be->clGetMemObjectInfo(m->be, CL_MEM_FLAGS, sizeof flags, &flags, NULL) !=
            CL_SUCCESS ||
        !(flags & CL_MEM_USE_HOST_PTR) ||
        clsvm_be->clGetMemObjectInfo(m->be, CL_MEM_HOST_PTR, sizeof host, &host, NULL) !=
            CL_SUCCESS ||
        !host)
        return CL_FALSE;
    return clsvm_svm_lookup((const char *)host + origin, NULL);
}

static cl_mem create_image(cl_context context, const cl_mem_properties *properties, int with_props,
                           cl_mem_flags flags, const cl_image_format *format,
                           const cl_image_desc *desc, void *host_ptr, cl_int *errcode_ret)
{
    cl_image_desc d;
    const cl_image_desc *dp = desc;
    clsvm_obj *from = NULL;
    cl_int err = CLSVM_CHECK(context);
    if (err != CL_SUCCESS) {
        if (errcode_ret)
            *errcode_ret = err;
        return NULL;
    }
    /* pocl 3.1 answers CL_INVALID_VALUE for a non-image type; the spec's error is this one. */
    if (desc && desc->image_type != CL_MEM_OBJECT_IMAGE1D &&
        desc->image_type != CL_MEM_OBJECT_IMAGE1D_BUFFER &&
        desc->image_type != CL_MEM_OBJECT_IMAGE1D_ARRAY &&
        desc->image_type != CL_MEM_OBJECT_IMAGE2D &&
        desc->image_type != CL_MEM_OBJECT_IMAGE2D_ARRAY &&
        desc->image_type != CL_MEM_OBJECT_IMAGE3D) {
        if (errcode_ret)
            *errcode_ret = CL_INVALID_IMAGE_DESCRIPTOR;
        return NULL;
    }
    err = check_svm_host_ptr(flags, clsvm_image_host_size(format, desc), host_ptr,
                             CL_INVALID_HOST_PTR);
    if (err != CL_SUCCESS) {
        if (errcode_ret)
            *errcode_ret = err;
        return NULL;
    }
    err = CL_INVALID_OPERATION;
    if (desc && desc->buffer) {
        from = clsvm_obj_of(desc->buffer, CLSVM_MEM);
        if (!from) {
            if (errcode_ret)
                *errcode_ret = CL_INVALID_IMAGE_DESCRIPTOR;
            return NULL;
        }
        d = *desc;
        d.buffer = from->be;
        dp = &d;
    }
    cl_mem be = NULL;
    if (with_props && clsvm_be->clCreateImageWithProperties)
        be = clsvm_be->clCreateImageWithProperties(CLSVM_U(context), properties, flags, format, dp,
                                                   host_ptr, &err);
    else if (!with_props && clsvm_be->clCreateImage)
        be = clsvm_be->clCreateImage(CLSVM_U(context), flags, format, dp, host_ptr, &err);
    return clsvm_wrap_result(CLSVM_MEM, be, err, (clsvm_obj *)context, from, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateImage(cl_context context, cl_mem_flags flags,
                                       const cl_image_format *image_format,
                                       const cl_image_desc *image_desc, void *host_ptr,
                                       cl_int *errcode_ret)
{
    return create_image(context, NULL, 0, flags, image_format, image_desc, host_ptr, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateImageWithProperties(cl_context context,
                                                     const cl_mem_properties *properties,
                                                     cl_mem_flags flags,
                                                     const cl_image_format *image_format,
                                                     const cl_image_desc *image_desc,
                                                     void *host_ptr, cl_int *errcode_ret)
{
    return create_image(context, properties, 1, flags, image_format, image_desc, host_ptr,
                        errcode_ret);
}

/* The OpenCL 1.1 image constructors: forwarded as they are (to the backend's clCreateImage2D or
 * clCreateImage3D, by d's type), after the context check and the same host pointer check. */
static cl_mem legacy_image(cl_context context, cl_mem_flags flags, const cl_image_format *format,
                           const cl_image_desc *d, void *host_ptr, cl_int *errcode_ret)
{
    int is3d = d->image_type == CL_MEM_OBJECT_IMAGE3D;
    int has_fn = is3d ? clsvm_be->clCreateImage3D != NULL : clsvm_be->clCreateImage2D != NULL;
    cl_int err = CLSVM_CHECK(context);
    if (err == CL_SUCCESS)
        err = check_svm_host_ptr(flags, clsvm_image_host_size(format, d), host_ptr,
                                 CL_INVALID_HOST_PTR);
    if (err == CL_SUCCESS && !has_fn)
        err = CL_INVALID_OPERATION;
    cl_mem be = NULL;
    if (err == CL_SUCCESS && is3d)
        be = clsvm_be->clCreateImage3D(CLSVM_U(context), flags, format, d->image_width,
                                       d->image_height, d->image_depth, d->image_row_pitch,
                                       d->image_slice_pitch, host_ptr, &err);
    else if (err == CL_SUCCESS)
        be = clsvm_be->clCreateImage2D(CLSVM_U(context), flags, format, d->image_width,
                                       d->image_height, d->image_row_pitch, host_ptr, &err);
    return clsvm_wrap_result(CLSVM_MEM, be, err, (clsvm_obj *)context, NULL, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateImage2D(cl_context context, cl_mem_flags flags,
                                         const cl_image_format *image_format, size_t image_width,
                                         size_t image_height, size_t image_row_pitch,
                                         void *host_ptr, cl_int *errcode_ret)
{
    cl_image_desc d = {.image_type = CL_MEM_OBJECT_IMAGE2D,
                       .image_width = image_width,
                       .image_height = image_height,
                       .image_row_pitch = image_row_pitch};
    return legacy_image(context, flags, image_format, &d, host_ptr, errcode_ret);
}

cl_mem CL_API_CALL clsvm_clCreateImage3D(cl_context context, cl_mem_flags flags,
                                         const cl_image_format *image_format, size_t image_width,
                                         size_t image_height, size_t image_depth,
                                         size_t image_row_pitch, size_t image_slice_pitch,
                                         void *host_ptr, cl_int *errcode_ret)
{
    cl_image_desc d = {.image_type = CL_MEM_OBJECT_IMAGE3D,
                       .image_width = image_width,
                       .image_height = image_height,
                       .image_depth = image_depth,
                       .image_row_pitch = image_row_pitch,
                       .image_slice_pitch = image_slice_pitch};
    return legacy_image(context, flags, image_format, &d, host_ptr, errcode_ret);
}

static cl_int uses_svm_pointer_info(clsvm_obj *m, cl_uint param, size_t size, void *value,
                                    size_t *size_ret)
{
    (void)param;
    cl_bool v = uses_svm_pointer(m);
    return clsvm_info_return(&v, sizeof v, size, value, size_ret);
}

static const clsvm_info_row mem_rows[] = {
    CLSVM_INFO_FN_ROW(CL_MEM_USES_SVM_POINTER, uses_svm_pointer_info),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetMemObjectInfo, cl_mem, cl_mem_info, CLSVM_MEM, mem_rows, NULL)

cl_int CL_API_CALL clsvm_clGetImageInfo(cl_mem image, cl_image_info param_name,
                                        size_t param_value_size, void *param_value,
                                        size_t *param_value_size_ret)
{
    clsvm_obj *m = clsvm_obj_of(image, CLSVM_MEM);
    if (!m)
        return CL_INVALID_MEM_OBJECT;
    /* A buffer or pipe is not an image (pocl 3.1 answers for buffers too). */
    cl_mem_object_type type = 0;
    if (clsvm_be->clGetMemObjectInfo(m->be, CL_MEM_TYPE, sizeof type, &type, NULL) == CL_SUCCESS &&
        (type == CL_MEM_OBJECT_BUFFER || type == CL_MEM_OBJECT_PIPE))
        return CL_INVALID_MEM_OBJECT;
    cl_int out_err = clsvm_info_out_check(param_value_size, param_value, param_value_size_ret);
    if (out_err != CL_SUCCESS)
        return out_err;
    cl_int err = clsvm_be->clGetImageInfo(m->be, param_name, param_value_size, param_value,
                                          param_value_size_ret);
    /* The backend's answer is its own buffer (or NULL); ours is the parent we recorded. */
    if (err == CL_SUCCESS && param_name == CL_IMAGE_BUFFER && param_value && *(cl_mem *)param_value)
        *(cl_mem *)param_value = (cl_mem)m->parent;
    return err;
}
