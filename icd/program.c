/* program.c: programs made from device lists or other programs, build/compile/link (whose
 * notifications go through callbacks.c so they receive clsvm's program), program queries.
 * A program holds a reference on its context. Build and compile options pass through
 * opencl_c.c's fixes, including one retry of a failed OpenCL C 2.0 build as 3.0; OpenCL C 2.x
 * builds the backend cannot do itself go through clsvm's SPIR path (oclc20/, which also answers
 * the source and build queries of the programs it built). */
#include "host_ptr.h"
#include "callbacks.h"
#include "info_answer.h"
#include "oclc20/program_state.h"
#include "opencl_c.h"

#include <stdlib.h>

#define INLINE_N 8

/* Unwrap an array of handles; *err gets bad_err for an invalid element. */
typedef struct handle_array {
    void **v;
    void *buf[INLINE_N];
} handle_array;

static cl_int unwrap_array(handle_array *a, cl_uint n, const void *in, clsvm_kind kind,
                           cl_int bad_err)
{
    int bad;
    a->v = clsvm_array_unwrap(n, (const void *const *)in, kind, a->buf, INLINE_N, &bad);
    if (bad < 0)
        return CL_OUT_OF_HOST_MEMORY;
    return bad ? bad_err : CL_SUCCESS;
}

static void array_done(handle_array *a)
{
    clsvm_array_done(a->v, a->buf);
}

/* Does backend program be have source text (pocl 3.1 crashes including a header without)? */
static int has_source(void *be)
{
    size_t n = 0;
    return clsvm_be->clGetProgramInfo(be, CL_PROGRAM_SOURCE, 0, NULL, &n) == CL_SUCCESS && n > 1;
}

/* The backend programs of n program handles, each held (oclc20_be_hold): a build on another
 * thread may replace any of them meanwhile. Headers (of clCompileProgram) must have source
 * (CL_INVALID_OPERATION without). Release with programs_done, also after an error. */
static cl_int hold_programs(handle_array *a, cl_uint n, const cl_program *in, int headers)
{
    a->v = NULL;
    if (!in)
        return CL_SUCCESS;
    a->v = n <= INLINE_N ? a->buf : calloc(n, sizeof *a->v);
    if (!a->v)
        return CL_OUT_OF_HOST_MEMORY;
    cl_int err = CL_SUCCESS;
    for (cl_uint i = 0; i < n; i++) {
        clsvm_obj *o = clsvm_obj_of(in[i], CLSVM_PROGRAM);
        a->v[i] = !o ? NULL : headers ? oclc20_header_hold(o) : oclc20_be_hold(o);
        if (!o)
            err = CL_INVALID_PROGRAM;
        else if (!a->v[i] && err == CL_SUCCESS)
            err = headers ? CL_INVALID_OPERATION : CL_INVALID_PROGRAM;
        else if (headers && err == CL_SUCCESS && !has_source(a->v[i]))
            err = CL_INVALID_OPERATION;
    }
    return err;
}

static void programs_done(handle_array *a, cl_uint n)
{
    for (cl_uint i = 0; a->v && i < n; i++)
        if (a->v[i])
            clsvm_be->clReleaseProgram(a->v[i]);
    array_done(a);
}

/* The context and device list of a program made for devices: the devices unwrapped into devs
 * (always, so that array_done applies), the context's error first. */
static cl_int context_devices(handle_array *devs, cl_context context, cl_uint n,
                              const cl_device_id *list)
{
    cl_int err = unwrap_array(devs, n, list, CLSVM_DEVICE, CL_INVALID_DEVICE);
    cl_int err_ctx = CLSVM_CHECK(context);
    return err_ctx != CL_SUCCESS ? err_ctx : err;
}

cl_program CL_API_CALL clsvm_clCreateProgramWithBinary(cl_context context, cl_uint num_devices,
                                                       const cl_device_id *device_list,
                                                       const size_t *lengths,
                                                       const unsigned char **binaries,
                                                       cl_int *binary_status, cl_int *errcode_ret)
{
    handle_array devs;
    cl_program be = NULL;
    cl_int err = context_devices(&devs, context, num_devices, device_list);
    /* An object compiled through the SPIR path comes back as such an object. */
    if (err == CL_SUCCESS && oclc20_binaries_are_objects(num_devices, lengths, binaries)) {
        clsvm_obj *w = clsvm_obj_new(CLSVM_PROGRAM, NULL, (clsvm_obj *)context, NULL);
        err = w ? oclc20_from_binaries(w, num_devices, (cl_device_id *)devs.v, lengths, binaries,
                                       binary_status)
                : CL_OUT_OF_HOST_MEMORY;
        array_done(&devs);
        if (w && err != CL_SUCCESS) {
            clsvm_obj_release(w);
            w = NULL;
        }
        if (errcode_ret)
            *errcode_ret = err;
        return (cl_program)w;
    }
    if (err == CL_SUCCESS)
        be = clsvm_be->clCreateProgramWithBinary(CLSVM_U(context), num_devices,
                                                 (cl_device_id *)devs.v, lengths, binaries,
                                                 binary_status, &err);
    array_done(&devs);
    return clsvm_wrap_result(CLSVM_PROGRAM, be, err, (clsvm_obj *)context, NULL, errcode_ret);
}

cl_program CL_API_CALL clsvm_clCreateProgramWithBuiltInKernels(cl_context context,
                                                               cl_uint num_devices,
                                                               const cl_device_id *device_list,
                                                               const char *kernel_names,
                                                               cl_int *errcode_ret)
{
    handle_array devs;
    cl_program be = NULL;
    cl_int err = context_devices(&devs, context, num_devices, device_list);
    if (err == CL_SUCCESS && !clsvm_be->clCreateProgramWithBuiltInKernels)
        err = CL_INVALID_OPERATION;
    if (err == CL_SUCCESS)
        be = clsvm_be->clCreateProgramWithBuiltInKernels(
            CLSVM_U(context), num_devices, (cl_device_id *)devs.v, kernel_names, &err);
    array_done(&devs);
    return clsvm_wrap_result(CLSVM_PROGRAM, be, err, (clsvm_obj *)context, NULL, errcode_ret);
}

/* One backend build or compile, with the devices and headers already unwrapped. */
typedef struct build_call {
    clsvm_obj *p;
    cl_uint ndev;
    cl_device_id *devs;
    int compile;
    cl_uint nhdr;
    cl_program *hdrs;
    const char **hdr_names;
} build_call;

static cl_int be_build(const build_call *c, const char *opts, clsvm_notify *n)
{
    void(CL_CALLBACK * fn)(cl_program, void *) = n ? clsvm_notify_tramp : NULL;
    if (c->compile)
        return clsvm_be->clCompileProgram(c->p->be, c->ndev, c->devs, opts, c->nhdr, c->hdrs,
                                          c->hdr_names, fn, n);
    return clsvm_be->clBuildProgram(c->p->be, c->ndev, c->devs, opts, fn, n);
}

/* The backend device whose OpenCL C features decide the option fixes: the first device named,
 * else the program's first device; NULL when unknown (options then pass unchanged). */
static cl_device_id fix_device(const build_call *c)
{
    if (c->ndev && c->devs)
        return c->devs[0];
    cl_uint n = 0;
    if (clsvm_be->clGetProgramInfo(c->p->be, CL_PROGRAM_NUM_DEVICES, sizeof n, &n, NULL) !=
            CL_SUCCESS ||
        n == 0)
        return NULL;
    cl_device_id *d = malloc(n * sizeof *d), first = NULL;
    if (d && clsvm_be->clGetProgramInfo(c->p->be, CL_PROGRAM_DEVICES, n * sizeof *d, d, NULL) ==
                 CL_SUCCESS)
        first = d[0];
    free(d);
    return first;
}

static int build_failed(cl_int err)
{
    return err == CL_BUILD_PROGRAM_FAILURE || err == CL_COMPILE_PROGRAM_FAILURE;
}

/* Build or compile with clsvm's option fixes. When a retry is possible, the attempts run without
 * a backend notification and the application's is called once, with the final result. */
static cl_int build_backend(const build_call *c, cl_device_id dev, const char *options,
                            clsvm_program_fn pfn, void *user_data)
{
    const char *opts = dev ? clsvm_opencl_c_options(dev, options) : options;
    if (dev && !opts)
        return CL_OUT_OF_HOST_MEMORY;
    const char *retry = dev ? clsvm_opencl_c_retry_options(dev, options) : NULL;
    cl_int err = CL_SUCCESS;
    /* CL_PROGRAM_BUILD_OPTIONS is what the application passed, not clsvm's additions (the
     * notification may ask already). */
    if (opts != options)
        oclc20_record_options(c->p, options ? options : "");
    if (!retry) {
        clsvm_notify *n = clsvm_notify_new(c->p, pfn, user_data, &err);
        if (err == CL_SUCCESS)
            err = be_build(c, opts, n);
        clsvm_notify_finish(n, err);
    } else {
        err = be_build(c, opts, NULL);
        if (build_failed(err)) {
            if (be_build(c, retry, NULL) == CL_SUCCESS)
                err = CL_SUCCESS;
            else /* the application should see its own program's build log, not the retry's */
                be_build(c, opts, NULL);
        }
        if (pfn && (err == CL_SUCCESS || build_failed(err)))
            pfn((cl_program)c->p, user_data);
        free((void *)retry);
    }
    /* A call the backend refused before building leaves no options behind. */
    if (opts != options && err != CL_SUCCESS && !build_failed(err))
        oclc20_record_options(c->p, NULL);
    if (dev)
        clsvm_opencl_c_options_done(opts, options);
    return err;
}

/* An OpenCL C 2.x build or compile through clsvm's SPIR path (oclc20/). Without clang it goes to
 * the backend as before (which may still succeed through the CL3.0 retry); if that fails too, the
 * log starts with the line saying clang is missing. */
static cl_int build_oclc20(const build_call *c, cl_device_id dev, const char *options,
                           clsvm_program_fn pfn, void *user_data)
{
    char *why = NULL;
    cl_int err = c->compile ? oclc20_compile_program(c->p, dev, options, c->nhdr, c->hdrs,
                                                     c->hdr_names, &why)
                            : oclc20_build(c->p, c->ndev, c->devs, options, &why);
    if (err == CL_COMPILER_NOT_AVAILABLE) {
        err = build_backend(c, dev, options, NULL, NULL);
        if (build_failed(err))
            oclc20_failed(c->p, dev, options, why);
    }
    free(why);
    if (pfn && (err == CL_SUCCESS || build_failed(err) || err == CL_INVALID_BUILD_OPTIONS ||
                err == CL_INVALID_COMPILER_OPTIONS))
        pfn((cl_program)c->p, user_data);
    return err;
}

/* build_fixed with p marked busy. */
static cl_int build_busy(const build_call *c, const char *options, clsvm_program_fn pfn,
                         void *user_data)
{
    /* Checked here for every path: the SPIR path and oclc20_reset swap the backend program, so
     * the backend would not see the kernels attached to the old one. */
    if (clsvm_obj_has_child(c->p, CLSVM_KERNEL))
        return CL_INVALID_OPERATION;
    cl_int err = oclc20_may_build(c->p, c->compile);
    if (err != CL_SUCCESS)
        return err;
    if (!c->compile && oclc20_is_binary_object(c->p)) {
        err = oclc20_build_object(c->p, c->ndev, c->devs, options);
        if (pfn && (err == CL_SUCCESS || build_failed(err)))
            pfn((cl_program)c->p, user_data);
        return err;
    }
    /* A device the program is not for changes nothing (the reset below would drop an
     * executable the SPIR path built). */
    err = oclc20_check_devices(c->p, c->ndev, c->devs);
    if (err != CL_SUCCESS)
        return err;
    /* A program the SPIR path built gets its source program back before anything else. */
    err = oclc20_reset(c->p);
    if (err != CL_SUCCESS)
        return err;
    cl_device_id dev = fix_device(c);
    if (oclc20_applies(c->p, dev, options))
        return build_oclc20(c, dev, options, pfn, user_data);
    return build_backend(c, dev, options, pfn, user_data);
}

static cl_int build_fixed(const build_call *c, const char *options, clsvm_program_fn pfn,
                          void *user_data)
{
    /* Checked here because the retry and OpenCL C 2.x paths call the backend without the
     * notification. */
    if (!pfn && user_data)
        return CL_INVALID_VALUE;
    /* API spec: CL_INVALID_OPERATION while an earlier build or compile of the program has not
     * completed (e.g. on another thread). It also keeps the path's swaps to one builder. */
    oclc20_busy node;
    if (!oclc20_busy_begin(c->p, &node))
        return CL_INVALID_OPERATION;
    cl_int err = build_busy(c, options, pfn, user_data);
    oclc20_busy_end(&node);
    return err;
}

cl_int CL_API_CALL clsvm_clBuildProgram(cl_program program, cl_uint num_devices,
                                        const cl_device_id *device_list, const char *options,
                                        clsvm_program_fn pfn_notify, void *user_data)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    if (!p)
        return CL_INVALID_PROGRAM;
    handle_array devs;
    cl_int err = unwrap_array(&devs, num_devices, device_list, CLSVM_DEVICE, CL_INVALID_DEVICE);
    /* Checked before the option work, which reads the device list. */
    if (err == CL_SUCCESS && ((num_devices == 0) != (device_list == NULL)))
        err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS) {
        build_call c = {p, num_devices, (cl_device_id *)devs.v, 0, 0, NULL, NULL};
        err = build_fixed(&c, options, pfn_notify, user_data);
    }
    array_done(&devs);
    return err;
}

cl_int CL_API_CALL clsvm_clCompileProgram(cl_program program, cl_uint num_devices,
                                          const cl_device_id *device_list, const char *options,
                                          cl_uint num_input_headers,
                                          const cl_program *input_headers,
                                          const char **header_include_names,
                                          clsvm_program_fn pfn_notify, void *user_data)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    if (!p)
        return CL_INVALID_PROGRAM;
    /* API spec: the header count and both header arrays agree; user_data needs a callback.
     * (pocl 3.1 dereferences a NULL header array and crashes.) */
    if ((num_input_headers == 0) != (input_headers == NULL) ||
        (num_input_headers == 0) != (header_include_names == NULL) || (!pfn_notify && user_data))
        return CL_INVALID_VALUE;
    if (!clsvm_be->clCompileProgram)
        return CL_INVALID_OPERATION;
    handle_array devs, hdrs;
    cl_int err = unwrap_array(&devs, num_devices, device_list, CLSVM_DEVICE, CL_INVALID_DEVICE);
    cl_int err2 = hold_programs(&hdrs, num_input_headers, input_headers, 1);
    if (err == CL_SUCCESS)
        err = err2;
    if (err == CL_SUCCESS && ((num_devices == 0) != (device_list == NULL)))
        err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS) {
        build_call c = {p,
                        num_devices,
                        (cl_device_id *)devs.v,
                        1,
                        num_input_headers,
                        (cl_program *)hdrs.v,
                        header_include_names};
        err = build_fixed(&c, options, pfn_notify, user_data);
    }
    programs_done(&hdrs, num_input_headers);
    array_done(&devs);
    return err;
}

/* clLinkProgram of objects the SPIR path compiled (oclc20_link); releases the arrays. */
static cl_program link_oclc20(clsvm_obj *c, cl_uint ndev, cl_device_id *devs, const char *options,
                              cl_uint nin, const cl_program *inputs, clsvm_program_fn pfn,
                              void *user_data, cl_int *errcode_ret, handle_array *devs_a,
                              handle_array *progs_a)
{
    cl_int err = !pfn && user_data ? CL_INVALID_VALUE : CL_SUCCESS;
    clsvm_obj *w = NULL;
    if (err == CL_SUCCESS) {
        w = clsvm_obj_new(CLSVM_PROGRAM, NULL, c, NULL);
        if (!w)
            err = CL_OUT_OF_HOST_MEMORY;
    }
    if (err == CL_SUCCESS)
        err = oclc20_link(w, ndev, devs, options, nin, (clsvm_obj *const *)inputs);
    programs_done(progs_a, nin);
    array_done(devs_a);
    /* A link that began has a program, also when it failed (status and log in it). */
    if (w && !w->be) {
        clsvm_obj_release(w);
        w = NULL;
    }
    if (w && pfn)
        pfn((cl_program)w, user_data);
    if (errcode_ret)
        *errcode_ret = err;
    return (cl_program)w;
}

cl_program CL_API_CALL clsvm_clLinkProgram(cl_context context, cl_uint num_devices,
                                           const cl_device_id *device_list, const char *options,
                                           cl_uint num_input_programs,
                                           const cl_program *input_programs,
                                           clsvm_program_fn pfn_notify, void *user_data,
                                           cl_int *errcode_ret)
{
    clsvm_obj *c = clsvm_obj_of(context, CLSVM_CONTEXT);
    cl_int err = c ? CL_SUCCESS : CL_INVALID_CONTEXT;
    /* API spec: at least one input program, in an array; device count and list agree;
     * user_data needs a callback. */
    if (err == CL_SUCCESS &&
        (num_input_programs == 0 || !input_programs ||
         (num_devices == 0) != (device_list == NULL) || (!pfn_notify && user_data)))
        err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS && !clsvm_be->clLinkProgram)
        err = CL_INVALID_OPERATION;
    handle_array devs = {0}, progs = {0};
    if (err == CL_SUCCESS)
        err = unwrap_array(&devs, num_devices, device_list, CLSVM_DEVICE, CL_INVALID_DEVICE);
    if (err == CL_SUCCESS)
        err = hold_programs(&progs, num_input_programs, input_programs, 0);
    /* API spec: devices of the link's context (as the application named them; pocl 3.1 does
     * not check), inputs of that context, none still being built or compiled. */
    const clsvm_devlist *l = c ? c->ext : NULL;
    for (cl_uint i = 0; err == CL_SUCCESS && l && i < num_devices; i++) {
        cl_uint j = 0;
        while (j < l->n && (void *)l->dev[j] != (void *)device_list[i])
            j++;
        if (j == l->n)
            err = CL_INVALID_DEVICE;
    }
    for (cl_uint i = 0; err == CL_SUCCESS && i < num_input_programs; i++) {
        clsvm_obj *in = clsvm_obj_of(input_programs[i], CLSVM_PROGRAM);
        if (in->owner != c)
            err = CL_INVALID_CONTEXT;
        else if (oclc20_is_busy(in))
            err = CL_INVALID_OPERATION;
    }
    /* Objects compiled through the SPIR path link through it (which fails the link, with a
     * program and a log, when some inputs are the backend's). */
    int spir_objects = 0;
    for (cl_uint i = 0; err == CL_SUCCESS && i < num_input_programs; i++)
        spir_objects += oclc20_is_object(clsvm_obj_of(input_programs[i], CLSVM_PROGRAM));
    if (err == CL_SUCCESS && spir_objects)
        return link_oclc20(c, num_devices, (cl_device_id *)devs.v, options, num_input_programs,
                           input_programs, pfn_notify, user_data, errcode_ret, &devs, &progs);
    /* The wrapper exists before the call: the notification may run before clLinkProgram
     * returns and must already receive clsvm's handle (it fills in be). */
    clsvm_obj *w = NULL;
    if (err == CL_SUCCESS) {
        w = clsvm_obj_new(CLSVM_PROGRAM, NULL, c, NULL);
        if (!w)
            err = CL_OUT_OF_HOST_MEMORY;
    }
    clsvm_notify *n = NULL;
    if (err == CL_SUCCESS)
        n = clsvm_notify_new(w, pfn_notify, user_data, &err);
    void *be = NULL;
    if (err == CL_SUCCESS) {
        be = clsvm_be->clLinkProgram(c->be, num_devices, (cl_device_id *)devs.v, options,
                                     num_input_programs, (cl_program *)progs.v,
                                     n ? clsvm_notify_tramp : NULL, n, &err);
        oclc20_be_publish(w, be, 0);
        clsvm_notify_finish(n, be ? CL_SUCCESS : err);
    }
    programs_done(&progs, num_input_programs);
    array_done(&devs);
    if (errcode_ret)
        *errcode_ret = err;
    if (w && !be) {
        clsvm_obj_release(w);
        w = NULL;
    }
    return (cl_program)w;
}

cl_int CL_API_CALL clsvm_clSetProgramSpecializationConstant(cl_program program, cl_uint spec_id,
                                                            size_t spec_size,
                                                            const void *spec_value)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    if (!p)
        return CL_INVALID_PROGRAM;
    if (!clsvm_be->clSetProgramSpecializationConstant)
        return CL_INVALID_OPERATION;
    void *be = oclc20_be_hold(p);
    if (!be)
        return CL_INVALID_PROGRAM;
    /* API spec: only a program made from IL has specialization constants (pocl 3.1 aborts on a
     * source program that was never built). */
    size_t il = 0;
    cl_int err = clsvm_be->clGetProgramInfo(be, CL_PROGRAM_IL, 0, NULL, &il);
    if (err != CL_SUCCESS || il == 0)
        err = CL_INVALID_PROGRAM;
    else
        err = clsvm_be->clSetProgramSpecializationConstant(be, spec_id, spec_size, spec_value);
    clsvm_be->clReleaseProgram(be);
    return err;
}

/* The program's other answers: the SPIR path's (oclc20), else its current backend program's,
 * held because a build on another thread may replace it. */
static cl_int program_info(clsvm_obj *p, cl_uint param, size_t size, void *value, size_t *size_ret)
{
    void *be = oclc20_be_hold(p);
    if (!be)
        return CL_INVALID_PROGRAM;
    int handled;
    cl_int err = oclc20_program_info(p, be, param, size, value, size_ret, &handled);
    if (!handled)
        err = clsvm_info_forward(CLSVM_PROGRAM, be, param,
                                 param == CL_PROGRAM_DEVICES ? CLSVM_DEVICE : 0, size, value,
                                 size_ret);
    clsvm_be->clReleaseProgram(be);
    return err;
}

CLSVM_DEFINE_INFO(clGetProgramInfo, cl_program, cl_program_info, CLSVM_PROGRAM, NULL, program_info)

cl_int CL_API_CALL clsvm_clGetProgramBuildInfo(cl_program program, cl_device_id device,
                                               cl_program_build_info param_name,
                                               size_t param_value_size, void *param_value,
                                               size_t *param_value_size_ret)
{
    clsvm_obj *p = clsvm_obj_of(program, CLSVM_PROGRAM);
    if (!p)
        return CL_INVALID_PROGRAM;
    void *dev = clsvm_unwrap(device, CLSVM_DEVICE);
    if (!dev)
        return CL_INVALID_DEVICE;
    cl_int out_err = clsvm_info_out_check(param_value_size, param_value, param_value_size_ret);
    if (out_err != CL_SUCCESS)
        return out_err;
    void *be = oclc20_be_hold(p);
    if (!be)
        return CL_INVALID_PROGRAM;
    int handled;
    cl_int err = oclc20_build_info(p, be, dev, param_name, param_value_size, param_value,
                                   param_value_size_ret, &handled);
    if (!handled)
        err = clsvm_be->clGetProgramBuildInfo(be, dev, param_name, param_value_size, param_value,
                                              param_value_size_ret);
    clsvm_be->clReleaseProgram(be);
    return err;
}
