/* info_answer.c: the shared clGet<Object>Info skeleton (info_answer.h) and the backend's query
 * of each object kind, the one place that knows which backend function answers for which kind. */
#include "info_answer.h"
#include "host_ptr.h"

#include <stdlib.h>

/* What every kind answers the same way: the error for a handle that is not a live object of the
 * kind, and the parameters naming the owner and parent the wrapper holds (icd.h) and the
 * application's reference count (0: the kind has no such parameter). */
typedef struct common_answers {
    cl_int invalid;
    cl_uint owner, parent, refs;
} common_answers;

static const common_answers common[CLSVM_KIND_COUNT] = {
    [CLSVM_PLATFORM] = {CL_INVALID_PLATFORM, 0, 0, 0},
    [CLSVM_DEVICE] = {CL_INVALID_DEVICE, CL_DEVICE_PLATFORM, CL_DEVICE_PARENT_DEVICE,
                      CL_DEVICE_REFERENCE_COUNT},
    [CLSVM_CONTEXT] = {CL_INVALID_CONTEXT, 0, 0, CL_CONTEXT_REFERENCE_COUNT},
    [CLSVM_QUEUE] = {CL_INVALID_COMMAND_QUEUE, CL_QUEUE_CONTEXT, CL_QUEUE_DEVICE,
                     CL_QUEUE_REFERENCE_COUNT},
    [CLSVM_MEM] = {CL_INVALID_MEM_OBJECT, CL_MEM_CONTEXT, CL_MEM_ASSOCIATED_MEMOBJECT,
                   CL_MEM_REFERENCE_COUNT},
    [CLSVM_SAMPLER] = {CL_INVALID_SAMPLER, CL_SAMPLER_CONTEXT, 0, CL_SAMPLER_REFERENCE_COUNT},
    [CLSVM_PROGRAM] = {CL_INVALID_PROGRAM, CL_PROGRAM_CONTEXT, 0, CL_PROGRAM_REFERENCE_COUNT},
    [CLSVM_KERNEL] = {CL_INVALID_KERNEL, CL_KERNEL_CONTEXT, CL_KERNEL_PROGRAM,
                      CL_KERNEL_REFERENCE_COUNT},
    [CLSVM_EVENT] = {CL_INVALID_EVENT, CL_EVENT_CONTEXT, CL_EVENT_COMMAND_QUEUE,
                     CL_EVENT_REFERENCE_COUNT},
};

static cl_int be_query(clsvm_kind kind, void *be, cl_uint param, size_t size, void *value,
                       size_t *size_ret)
{
    switch (kind) {
    case CLSVM_PLATFORM:
        return clsvm_be->clGetPlatformInfo(be, param, size, value, size_ret);
    case CLSVM_DEVICE:
        return clsvm_be->clGetDeviceInfo(be, param, size, value, size_ret);
    case CLSVM_CONTEXT:
        return clsvm_be->clGetContextInfo(be, param, size, value, size_ret);
    case CLSVM_QUEUE:
        return clsvm_be->clGetCommandQueueInfo(be, param, size, value, size_ret);
    case CLSVM_MEM:
        return clsvm_be->clGetMemObjectInfo(be, param, size, value, size_ret);
    case CLSVM_SAMPLER:
        return clsvm_be->clGetSamplerInfo(be, param, size, value, size_ret);
    case CLSVM_PROGRAM:
        return clsvm_be->clGetProgramInfo(be, param, size, value, size_ret);
    case CLSVM_KERNEL:
        return clsvm_be->clGetKernelInfo(be, param, size, value, size_ret);
    case CLSVM_EVENT:
        return clsvm_be->clGetEventInfo(be, param, size, value, size_ret);
    default:
        return CL_INVALID_VALUE;
    }
}

cl_int clsvm_info_forward(clsvm_kind kind, void *be, cl_uint param, clsvm_kind map, size_t size,
                          void *value, size_t *size_ret)
{
    if (!map)
        return be_query(kind, be, param, size, value, size_ret);
    /* The answer's size is needed to find the handles in it, whether or not the caller asks. */
    size_t got = 0;
    cl_int err = be_query(kind, be, param, size, value, &got);
    if (size_ret)
        *size_ret = got;
    if (err == CL_SUCCESS)
        clsvm_info_map_handles(value, got, map);
    return err;
}

char *clsvm_info_be_string(clsvm_kind kind, void *be, void *dev, cl_uint param)
{
    size_t n = 0;
    cl_int err = dev ? clsvm_be->clGetProgramBuildInfo(be, dev, param, 0, NULL, &n)
                     : be_query(kind, be, param, 0, NULL, &n);
    if (err != CL_SUCCESS || n == 0)
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    err = dev ? clsvm_be->clGetProgramBuildInfo(be, dev, param, n, s, NULL)
              : be_query(kind, be, param, n, s, NULL);
    if (err != CL_SUCCESS) {
        free(s);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

static cl_int answer_row(const clsvm_info_row *r, clsvm_kind kind, clsvm_obj *o, size_t size,
                         void *value, size_t *size_ret)
{
    switch (r->src) {
    case CLSVM_INFO_TEXT:
        return clsvm_info_string(r->text, size, value, size_ret);
    case CLSVM_INFO_MAPPED:
        return clsvm_info_forward(kind, o->be, r->param, r->map, size, value, size_ret);
    case CLSVM_INFO_FN:
        return r->fn(o, r->param, size, value, size_ret);
    }
    return CL_INVALID_VALUE;
}

cl_int clsvm_info_answer(clsvm_kind kind, const clsvm_info_row *rows, clsvm_info_fn *other,
                         const void *handle, cl_uint param, size_t size, void *value,
                         size_t *size_ret)
{
    const common_answers *c = &common[kind];
    clsvm_obj *o = clsvm_obj_of(handle, kind);
    if (!o)
        return c->invalid;
    cl_int err = clsvm_info_out_check(size, value, size_ret);
    if (err != CL_SUCCESS)
        return err;
    if (param == c->owner && param)
        return clsvm_info_handle(o->owner, size, value, size_ret);
    if (param == c->parent && param)
        return clsvm_info_handle(o->parent, size, value, size_ret);
    if (param == c->refs && param)
        return clsvm_info_uint(clsvm_obj_app_refs(o), size, value, size_ret);
    for (const clsvm_info_row *r = rows; r && r->param; r++)
        if (r->param == param)
            return answer_row(r, kind, o, size, value, size_ret);
    if (other)
        return other(o, param, size, value, size_ret);
    return be_query(kind, o->be, param, size, value, size_ret);
}
