/* mem.c: memory objects. Buffers, pipes and sub-buffers come from entrypoints.def; images are
 * here because image_desc->buffer (mem_object) is a handle inside a struct. A memory object
 * holds a reference on its context (owner) and on the object it was made from (parent: the
 * buffer of a sub-buffer or the buffer/image an image was created from). */
#include "icd.h"

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

cl_int CL_API_CALL clsvm_clGetMemObjectInfo(cl_mem memobj, cl_mem_info param_name,
                                            size_t param_value_size, void *param_value,
                                            size_t *param_value_size_ret)
{
    clsvm_obj *m = clsvm_obj_of(memobj, CLSVM_MEM);
    if (!m)
        return CL_INVALID_MEM_OBJECT;
    switch (param_name) {
    case CL_MEM_CONTEXT:
        return clsvm_info_handle(m->owner, param_value_size, param_value, param_value_size_ret);
    case CL_MEM_ASSOCIATED_MEMOBJECT:
        return clsvm_info_handle(m->parent, param_value_size, param_value, param_value_size_ret);
    case CL_MEM_REFERENCE_COUNT:
        return clsvm_info_uint((cl_uint)atomic_load(&m->refs), param_value_size, param_value,
                               param_value_size_ret);
    default:
        return clsvm_be->clGetMemObjectInfo(m->be, param_name, param_value_size, param_value,
                                            param_value_size_ret);
    }
}

cl_int CL_API_CALL clsvm_clGetImageInfo(cl_mem image, cl_image_info param_name,
                                        size_t param_value_size, void *param_value,
                                        size_t *param_value_size_ret)
{
    clsvm_obj *m = clsvm_obj_of(image, CLSVM_MEM);
    if (!m)
        return CL_INVALID_MEM_OBJECT;
    cl_int err = clsvm_be->clGetImageInfo(m->be, param_name, param_value_size, param_value,
                                          param_value_size_ret);
    /* The backend's answer is its own buffer (or NULL); ours is the parent we recorded. */
    if (err == CL_SUCCESS && param_name == CL_IMAGE_BUFFER && param_value && *(cl_mem *)param_value)
        *(cl_mem *)param_value = (cl_mem)m->parent;
    return err;
}
