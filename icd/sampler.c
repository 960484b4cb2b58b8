/* sampler.c: sampler queries (creation is generated from entrypoints.def). A sampler holds a
 * reference on its context, which with its reference count is all clsvm answers itself. */
#include "info_answer.h"

CLSVM_DEFINE_INFO(clGetSamplerInfo, cl_sampler, cl_sampler_info, CLSVM_SAMPLER, NULL, NULL)
