/*
 * kernel.c: kernels. A kernel holds references on its program (parent) and context (owner).
 *
 * clSetKernelArg must replace clsvm mem/sampler handles by the backend's. At creation each
 * kernel records the kind of each argument (memory object, sampler, other) from the backend's
 * argument info, so a value is translated only where a handle belongs, a foreign or stale
 * handle is rejected there, and plain 8-byte scalars pass untouched. Without argument info,
 * an 8-byte value is translated if it is a live clsvm mem/sampler (slab membership check, never
 * a dereference) and rejected if it points into the slab at anything else.
 */
#include "check.h"
#include "host_ptr.h"
#include "info_answer.h"
#include "kernel_args.h"
#include "oclc20/program_state.h"
#include "svm.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* NULL when the backend gives no argument info (then the heuristic applies). */
static clsvm_kargs *query_arg_kinds(cl_kernel be)
{
    cl_uint n = 0;
    if (clsvm_be->clGetKernelInfo(be, CL_KERNEL_NUM_ARGS, sizeof n, &n, NULL) != CL_SUCCESS ||
        !clsvm_be->clGetKernelArgInfo)
        return NULL;
    clsvm_kargs *a = calloc(1, sizeof *a + (size_t)n * sizeof a->arg[0]);
    if (!a)
        return NULL;
    a->n = n;
    for (cl_uint i = 0; i < n; i++) {
        cl_kernel_arg_address_qualifier aq;
        char type[64] = "";
        if (clsvm_be->clGetKernelArgInfo(be, i, CL_KERNEL_ARG_ADDRESS_QUALIFIER, sizeof aq, &aq,
                                         NULL) != CL_SUCCESS) {
            free(a);
            return NULL;
        }
        /* A type name longer than the buffer is not "sampler_t"; the error is fine. */
        clsvm_be->clGetKernelArgInfo(be, i, CL_KERNEL_ARG_TYPE_NAME, sizeof type, type, NULL);
        if (strcmp(type, "sampler_t") == 0)
            a->arg[i].kind = ARG_SAMPLER;
        else if (aq == CL_KERNEL_ARG_ADDRESS_GLOBAL || aq == CL_KERNEL_ARG_ADDRESS_CONSTANT)
            a->arg[i].kind = ARG_MEM; /* buffers, images, pipes */
        else
            a->arg[i].kind = ARG_OTHER;
    }
    return a;
}

cl_int clsvm_kargs_flush_slow(clsvm_obj *k)
{
    clsvm_kargs *a = k->ext;
    for (;;) { /* become the flushing thread, or wait for it */
        int d = atomic_load_explicit(&a->dirty, memory_order_acquire);
        if (d == KARGS_CLEAN)
            return CL_SUCCESS;
        if (d == KARGS_DIRTY &&
            atomic_compare_exchange_weak_explicit(&a->dirty, &d, KARGS_FLUSHING,
                                                  memory_order_acquire, memory_order_relaxed))
            break;
        sched_yield();
    }
    cl_int err = CL_SUCCESS;
    for (cl_uint i = 0; i < a->n && err == CL_SUCCESS; i++) {
        clsvm_karg *g = &a->arg[i];
        unsigned st = atomic_load_explicit(&g->state, memory_order_relaxed);
        if (!(st & KARG_PENDING))
            continue;
        const void *p = atomic_load_explicit(&g->svm, memory_order_relaxed);
        if (!(st & KARG_SENT) || atomic_load_explicit(&g->sent, memory_order_relaxed) != p)
            err = clsvm_be->clSetKernelArgSVMPointer(k->be, i, p);
        if (err == CL_SUCCESS)
            clsvm_kargs_sent(a, i, p, 1);
    }
    /* A failure (the backend out of memory) leaves the rest pending for the next launch. */
    atomic_store_explicit(&a->dirty, err == CL_SUCCESS ? KARGS_CLEAN : KARGS_DIRTY,
                          memory_order_release);
    return err;
}

static clsvm_obj *wrap_kernel_from(void *be, clsvm_obj *program, const clsvm_obj *src)
{
    clsvm_obj *k = clsvm_obj_new(CLSVM_KERNEL, be, program->owner, program);
    if (k && __builtin_expect(clsvm_check_on(CLSVM_CHECK_KERNEL_ARGS), 0))
        clsvm_check_kernel_new(k, src); /* before the handle is handed out */
    if (k) {
        k->ext = query_arg_kinds(be);
        if (oclc20_nonuniform(program))
            k->flags |= CLSVM_F_NONUNIFORM;
    }
    return k;
}

static clsvm_obj *wrap_kernel(void *be, clsvm_obj *program)
{
    return wrap_kernel_from(be, program, NULL);
}

cl_kernel CL_API_CALL clsvm_clCreateKernel(cl_program program, const char *kernel_name,
                                           cl_int *errcode_ret)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    cl_int err = CL_INVALID_PROGRAM;
    /* Held: a build on another thread may replace the program's backend program. */
    void *be_prog = p ? oclc20_be_hold(p) : NULL;
    cl_kernel be = be_prog ? clsvm_be->clCreateKernel(be_prog, kernel_name, &err) : NULL;
    if (be_prog)
        clsvm_be->clReleaseProgram(be_prog);
    return clsvm_wrap_made(CLSVM_KERNEL, be, be ? wrap_kernel(be, p) : NULL, err, errcode_ret);
}

cl_int CL_API_CALL clsvm_clCreateKernelsInProgram(cl_program program, cl_uint num_kernels,
                                                  cl_kernel *kernels, cl_uint *num_kernels_ret)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    if (!p)
        return CL_INVALID_PROGRAM;
    if (clsvm_host_outputs(kernels, (size_t)num_kernels * sizeof *kernels, num_kernels_ret,
                           sizeof *num_kernels_ret) != CL_SUCCESS)
        return CL_INVALID_VALUE;
    cl_uint made = 0;
    void *be_prog = oclc20_be_hold(p);
    if (!be_prog)
        return CL_INVALID_PROGRAM;
    cl_int err = clsvm_be->clCreateKernelsInProgram(be_prog, num_kernels, kernels, &made);
    clsvm_be->clReleaseProgram(be_prog);
    if (num_kernels_ret)
        *num_kernels_ret = made;
    if (err != CL_SUCCESS || !kernels)
        return err;
    return clsvm_wrap_array((void **)kernels, made < num_kernels ? made : num_kernels, CLSVM_KERNEL,
                            wrap_kernel, p);
}

cl_kernel CL_API_CALL clsvm_clCloneKernel(cl_kernel source_kernel, cl_int *errcode_ret)
{
    clsvm_obj *src = clsvm_obj_of(source_kernel, CLSVM_KERNEL);
    cl_int err = CL_INVALID_KERNEL;
    cl_kernel be = NULL;
    if (src && !clsvm_be->clCloneKernel)
        err = CL_INVALID_OPERATION;
    else if (src && (err = clsvm_kargs_flush(src)) == CL_SUCCESS) /* the clone copies them */
        be = clsvm_be->clCloneKernel(src->be, &err);
    return clsvm_wrap_made(CLSVM_KERNEL, be, be ? wrap_kernel_from(be, src->parent, src) : NULL,
                           err, errcode_ret);
}

static cl_int set_arg(clsvm_obj *k, cl_uint arg_index, size_t arg_size, const void *arg_value)
{
    const clsvm_kargs *a = k->ext;
    if (a && arg_index >= a->n)
        return CL_INVALID_ARG_INDEX;
    /* The value is read now: clsvm's pointer rule for host memory (svm.h). */
    if (clsvm_svm_host_range(arg_value, arg_size, CL_INVALID_ARG_VALUE) != CL_SUCCESS)
        return CL_INVALID_ARG_VALUE;
    int kind = a ? a->arg[arg_index].kind : -1;
    if (kind == ARG_OTHER || arg_size != sizeof(void *) || !arg_value)
        return clsvm_be->clSetKernelArg(k->be, arg_index, arg_size, arg_value);
    void *h;
    memcpy(&h, arg_value, sizeof h); /* arg_value need not be aligned */
    if (!h)                          /* a NULL buffer is allowed; the backend decides */
        return clsvm_be->clSetKernelArg(k->be, arg_index, arg_size, arg_value);
    void *be = NULL;
    if (kind != ARG_SAMPLER)
        be = clsvm_unwrap(h, CLSVM_MEM);
    if (!be && kind != ARG_MEM)
        be = clsvm_unwrap(h, CLSVM_SAMPLER);
    if (be)
        return clsvm_be->clSetKernelArg(k->be, arg_index, arg_size, &be);
    if (kind == ARG_MEM)
        return CL_INVALID_MEM_OBJECT;
    if (kind == ARG_SAMPLER)
        return CL_INVALID_SAMPLER;
    /* No argument info: a value inside the slab is a stale or wrong-type clsvm handle. */
    if ((uintptr_t)h - clsvm_slab_base < clsvm_slab_span)
        return CL_INVALID_MEM_OBJECT;
    return clsvm_be->clSetKernelArg(k->be, arg_index, arg_size, arg_value);
}

cl_int CL_API_CALL clsvm_clSetKernelArg(cl_kernel kernel, cl_uint arg_index, size_t arg_size,
                                        const void *arg_value)
{
    clsvm_obj *k = clsvm_obj_of(kernel, CLSVM_KERNEL);
    if (!k)
        return CL_INVALID_KERNEL;
    cl_int err = set_arg(k, arg_index, arg_size, arg_value);
    if (err == CL_SUCCESS) /* replaces an SVM pointer still waiting for the launch; a failed
                              set leaves it the argument */
        clsvm_kargs_cancel(k, arg_index);
    return err;
}

/* pocl 3.1 gives no CL_KERNEL_ATTRIBUTES for SPIR programs: the SPIR path kept them from
 * clang's module. */
static cl_int kernel_attributes(clsvm_obj *k, cl_uint param, size_t size, void *value,
                                size_t *size_ret)
{
    char name[1024];
    char *attrs = NULL;
    if (clsvm_be->clGetKernelInfo(k->be, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL) ==
        CL_SUCCESS)
        attrs = oclc20_kernel_attributes(k->parent, name);
    if (!attrs)
        return clsvm_info_forward(CLSVM_KERNEL, k->be, param, 0, size, value, size_ret);
    cl_int err = clsvm_info_string(attrs, size, value, size_ret);
    free(attrs);
    return err;
}

static const clsvm_info_row kernel_rows[] = {
    CLSVM_INFO_FN_ROW(CL_KERNEL_ATTRIBUTES, kernel_attributes),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetKernelInfo, cl_kernel, cl_kernel_info, CLSVM_KERNEL, kernel_rows, NULL)

/* The checks of the kernel-and-device queries, in the spec's order: the kernel, the device
 * (optional: NULL means the program's only device), then the output buffers. */
static cl_int kernel_query(cl_kernel kernel, cl_device_id device, size_t size, const void *value,
                           const size_t *size_ret, void **be_k, void **be_d)
{
    *be_k = clsvm_unwrap(kernel, CLSVM_KERNEL);
    if (!*be_k)
        return CL_INVALID_KERNEL;
    *be_d = device ? clsvm_unwrap(device, CLSVM_DEVICE) : NULL;
    if (device && !*be_d)
        return CL_INVALID_DEVICE;
    return clsvm_info_out_check(size, value, size_ret);
}

cl_int CL_API_CALL clsvm_clGetKernelWorkGroupInfo(cl_kernel kernel, cl_device_id device,
                                                  cl_kernel_work_group_info param_name,
                                                  size_t param_value_size, void *param_value,
                                                  size_t *param_value_size_ret)
{
    void *k, *d;
    cl_int err =
        kernel_query(kernel, device, param_value_size, param_value, param_value_size_ret, &k, &d);
    if (err != CL_SUCCESS)
        return err;
    err = clsvm_be->clGetKernelWorkGroupInfo(k, d, param_name, param_value_size, param_value,
                                             param_value_size_ret);
    /* The backend's module has no required size (clsvm_nu_reqd). */
    if (err == CL_SUCCESS && param_name == CL_KERNEL_COMPILE_WORK_GROUP_SIZE && param_value &&
        (((clsvm_obj *)kernel)->flags & CLSVM_F_NONUNIFORM)) {
        size_t reqd[3];
        clsvm_nu_reqd((clsvm_obj *)kernel, reqd);
        memcpy(param_value, reqd, sizeof reqd);
    }
    return err;
}

/* clGetKernelSubGroupInfo and its KHR form (be_fn: the backend's function for the one called). */
static cl_int sub_group_info(cl_api_clGetKernelSubGroupInfo be_fn, cl_kernel kernel,
                             cl_device_id device, cl_kernel_sub_group_info param_name,
                             size_t input_value_size, const void *input_value,
                             size_t param_value_size, void *param_value,
                             size_t *param_value_size_ret)
{
    void *k, *d;
    cl_int err =
        kernel_query(kernel, device, param_value_size, param_value, param_value_size_ret, &k, &d);
    if (err == CL_SUCCESS)
        err = clsvm_svm_host_range(input_value, input_value_size, CL_INVALID_VALUE);
    if (err != CL_SUCCESS)
        return err;
    if (!be_fn)
        return CL_INVALID_OPERATION;
    return be_fn(k, d, param_name, input_value_size, input_value, param_value_size, param_value,
                 param_value_size_ret);
}

cl_int CL_API_CALL clsvm_clGetKernelSubGroupInfo(cl_kernel kernel, cl_device_id device,
                                                 cl_kernel_sub_group_info param_name,
                                                 size_t input_value_size, const void *input_value,
                                                 size_t param_value_size, void *param_value,
                                                 size_t *param_value_size_ret)
{
    return sub_group_info(clsvm_be->clGetKernelSubGroupInfo, kernel, device, param_name,
                          input_value_size, input_value, param_value_size, param_value,
                          param_value_size_ret);
}

cl_int CL_API_CALL clsvm_clGetKernelSubGroupInfoKHR(cl_kernel kernel, cl_device_id device,
                                                    cl_kernel_sub_group_info param_name,
                                                    size_t input_value_size,
                                                    const void *input_value,
                                                    size_t param_value_size, void *param_value,
                                                    size_t *param_value_size_ret)
{
    return sub_group_info(clsvm_be->clGetKernelSubGroupInfoKHR, kernel, device, param_name,
                          input_value_size, input_value, param_value_size, param_value,
                          param_value_size_ret);
}
