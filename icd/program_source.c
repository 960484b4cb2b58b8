/* program_source.c: clCreateProgramWithSource, hand-written for its argument checks: pocl 3.1
 * dereferences a NULL strings array or a NULL strings[i] and crashes the application. */
#include "icd.h"

cl_program CL_API_CALL clsvm_clCreateProgramWithSource(cl_context context, cl_uint count,
                                                       const char **strings, const size_t *lengths,
                                                       cl_int *errcode_ret)
{
    cl_program be = NULL;
    cl_int err = CLSVM_CHECK(context);
    /* API spec: count zero, strings NULL or any strings[i] NULL is CL_INVALID_VALUE. */
    if (err == CL_SUCCESS && (count == 0 || !strings))
        err = CL_INVALID_VALUE;
    for (cl_uint i = 0; err == CL_SUCCESS && i < count; i++)
        if (!strings[i])
            err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS && !clsvm_be->clCreateProgramWithSource)
        err = CL_INVALID_OPERATION;
    if (err == CL_SUCCESS)
        be = clsvm_be->clCreateProgramWithSource(CLSVM_U(context), count, strings, lengths, &err);
    return clsvm_wrap_result(CLSVM_PROGRAM, be, err, (clsvm_obj *)context, NULL, errcode_ret);
}
