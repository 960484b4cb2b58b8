/* sampler.c: sampler queries (creation is generated from entrypoints.def). A sampler holds a
 * reference on its context. */
#include "host_ptr.h"
#include "icd.h"

cl_int CL_API_CALL clsvm_clGetSamplerInfo(cl_sampler sampler, cl_sampler_info param_name,
                                          size_t param_value_size, void *param_value,
                                          size_t *param_value_size_ret)
{
    clsvm_obj *s = clsvm_obj_of(sampler, CLSVM_SAMPLER);
    if (!s)
        return CL_INVALID_SAMPLER;
    cl_int out_err = clsvm_info_out_check(param_value_size, param_value, param_value_size_ret);
    if (out_err != CL_SUCCESS)
        return out_err;
    switch (param_name) {
    case CL_SAMPLER_CONTEXT:
        return clsvm_info_handle(s->owner, param_value_size, param_value, param_value_size_ret);
    case CL_SAMPLER_REFERENCE_COUNT:
        return clsvm_info_uint(clsvm_obj_app_refs(s), param_value_size, param_value,
                               param_value_size_ret);
    default:
        return clsvm_be->clGetSamplerInfo(s->be, param_name, param_value_size, param_value,
                                          param_value_size_ret);
    }
}
