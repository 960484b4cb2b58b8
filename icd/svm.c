/*
 * svm.c: the SVM entry points.
 *
 * TEMPORARY: these are plain forwarders to the backend's SVM implementation. The next issue
 * replaces them with clsvm's own window-backed SVM (runtime/), see ARCHITECTURE.md section 4.
 * Only the handles are translated: SVM pointers are raw addresses shared with the backend.
 */
#include "forward.h"
#include "svm.h"

void *CL_API_CALL clsvm_clSVMAlloc(cl_context context, cl_svm_mem_flags flags, size_t size,
                                   cl_uint alignment)
{
    void *be = clsvm_be_context(context);
    if (!be || !clsvm_be->clSVMAlloc)
        return NULL;
    return clsvm_be->clSVMAlloc(be, flags, size, alignment);
}

void CL_API_CALL clsvm_clSVMFree(cl_context context, void *svm_pointer)
{
    void *be = clsvm_be_context(context);
    if (be && clsvm_be->clSVMFree)
        clsvm_be->clSVMFree(be, svm_pointer);
}

CLSVM_DEFINE_FWD(clSetKernelArgSVMPointer, cl_kernel, kernel, cl_uint, arg_index, const void *,
                 arg_value)
CLSVM_DEFINE_FWD(clSetKernelExecInfo, cl_kernel, kernel, cl_kernel_exec_info, param_name, size_t,
                 param_value_size, const void *, param_value)
