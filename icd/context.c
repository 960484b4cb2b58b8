/* context.c: contexts. Properties going down get the backend platform in place of clsvm's
 * (CL_CONTEXT_PLATFORM); queries coming back map devices and that platform to clsvm's handles.
 * The context notification callback has no handle arguments, so it is passed down unchanged. */
#include "info_answer.h"
#include "svm_count.h"

#include <stdlib.h>

typedef void(CL_CALLBACK *ctx_notify_fn)(const char *, const void *, size_t, void *);

/* Copy props with CL_CONTEXT_PLATFORM translated; *plat gets clsvm's platform (or stays). */
static cl_int translate_props(const cl_context_properties *in, cl_context_properties **out,
                              clsvm_obj **plat)
{
    *out = NULL;
    if (!in)
        return CL_SUCCESS;
    size_t n = 0;
    while (in[n])
        n += 2;
    cl_context_properties *p = malloc((n + 1) * sizeof *p);
    if (!p)
        return CL_OUT_OF_HOST_MEMORY;
    for (size_t i = 0; i < n; i += 2) {
        p[i] = in[i];
        p[i + 1] = in[i + 1];
        if (in[i] == CL_CONTEXT_PLATFORM) {
            clsvm_obj *o = clsvm_obj_of((void *)in[i + 1], CLSVM_PLATFORM);
            if (!o) {
                free(p);
                return CL_INVALID_PLATFORM;
            }
            *plat = o;
            p[i + 1] = (cl_context_properties)o->be;
        }
    }
    p[n] = 0;
    *out = p;
    return CL_SUCCESS;
}

/* Record the devices of a new context; NULL devices: ask the backend (clCreateContextFromType). */
static void record_devices(clsvm_obj *c, cl_uint n, const cl_device_id *devices)
{
    cl_device_id *queried = NULL;
    if (!devices) {
        size_t bytes = 0;
        if (clsvm_be->clGetContextInfo(c->be, CL_CONTEXT_DEVICES, 0, NULL, &bytes) != CL_SUCCESS)
            return;
        n = (cl_uint)(bytes / sizeof(cl_device_id));
        queried = malloc(bytes ? bytes : 1);
        if (!queried || clsvm_be->clGetContextInfo(c->be, CL_CONTEXT_DEVICES, bytes, queried,
                                                   NULL) != CL_SUCCESS) {
            free(queried);
            return;
        }
        clsvm_info_map_handles(queried, bytes, CLSVM_DEVICE);
        devices = queried;
    }
    clsvm_devlist *l = malloc(sizeof *l + n * sizeof l->dev[0]);
    if (l) {
        l->n = 0;
        atomic_init(&l->svm_max_alloc, 0);
        atomic_init(&l->svm_caps, 0);
        clsvm_svm_count_init(l);
        for (cl_uint i = 0; i < n; i++) {
            clsvm_obj *d = (clsvm_obj *)devices[i];
            if (!d)
                continue;
            clsvm_obj_retain(d);
            l->dev[l->n++] = d;
        }
        c->ext = l;
    }
    free(queried);
}

static cl_context finish(cl_context be, cl_int err, clsvm_obj *plat, cl_uint n,
                         const cl_device_id *devices, cl_int *errcode_ret)
{
    clsvm_obj *c = clsvm_wrap_result(CLSVM_CONTEXT, be, err, plat, NULL, errcode_ret);
    if (c)
        record_devices(c, n, devices);
    return (cl_context)c;
}

cl_context CL_API_CALL clsvm_clCreateContext(const cl_context_properties *properties,
                                             cl_uint num_devices, const cl_device_id *devices,
                                             ctx_notify_fn pfn_notify, void *user_data,
                                             cl_int *errcode_ret)
{
    clsvm_obj *plat = NULL;
    cl_context_properties *props;
    cl_int err = translate_props(properties, &props, &plat);
    void *buf[8];
    int bad = 0;
    void **devs = NULL;
    if (err == CL_SUCCESS) {
        devs = clsvm_array_unwrap(num_devices, (const void *const *)devices, CLSVM_DEVICE, buf, 8,
                                  &bad);
        err = bad < 0 ? CL_OUT_OF_HOST_MEMORY : bad ? CL_INVALID_DEVICE : CL_SUCCESS;
    }
    cl_context be = NULL;
    if (err == CL_SUCCESS) {
        if (!plat && devices && num_devices)
            plat = ((clsvm_obj *)devices[0])->owner;
        be = clsvm_be->clCreateContext(props, num_devices, (cl_device_id *)devs, pfn_notify,
                                       user_data, &err);
    }
    clsvm_array_done(devs, buf);
    free(props);
    if (!plat)
        plat = clsvm_platform_at(0);
    return finish(be, err, plat, num_devices, devices, errcode_ret);
}

cl_context CL_API_CALL clsvm_clCreateContextFromType(const cl_context_properties *properties,
                                                     cl_device_type device_type,
                                                     ctx_notify_fn pfn_notify, void *user_data,
                                                     cl_int *errcode_ret)
{
    /* pocl 3.1 makes a context for device_type 0 (and reports an error with it). */
    const cl_device_type types = CL_DEVICE_TYPE_DEFAULT | CL_DEVICE_TYPE_CPU | CL_DEVICE_TYPE_GPU |
                                 CL_DEVICE_TYPE_ACCELERATOR | CL_DEVICE_TYPE_CUSTOM;
    if (device_type != CL_DEVICE_TYPE_ALL && (!device_type || (device_type & ~types))) {
        if (errcode_ret)
            *errcode_ret = CL_INVALID_DEVICE_TYPE;
        return NULL;
    }
    clsvm_obj *plat = NULL;
    cl_context_properties *props;
    cl_int err = translate_props(properties, &props, &plat);
    cl_context be = NULL;
    if (err == CL_SUCCESS)
        be = clsvm_be->clCreateContextFromType(props, device_type, pfn_notify, user_data, &err);
    free(props);
    if (!plat)
        plat = clsvm_platform_at(0);
    return finish(be, err, plat, 0, NULL, errcode_ret);
}

/* The devices as the application named them (record_devices); the backend's, mapped, only when
 * they could not be recorded. */
static cl_int context_devices(clsvm_obj *c, cl_uint param, size_t size, void *value,
                              size_t *size_ret)
{
    const clsvm_devlist *l = c->ext;
    if (!l)
        return clsvm_info_forward(CLSVM_CONTEXT, c->be, param,
                                  param == CL_CONTEXT_DEVICES ? CLSVM_DEVICE : 0, size, value,
                                  size_ret);
    if (param == CL_CONTEXT_NUM_DEVICES)
        return clsvm_info_uint(l->n, size, value, size_ret);
    return clsvm_info_return(l->dev, l->n * sizeof l->dev[0], size, value, size_ret);
}

/* The backend's properties with its platform replaced by clsvm's. */
static cl_int context_properties(clsvm_obj *c, cl_uint param, size_t size, void *value,
                                 size_t *size_ret)
{
    size_t got = 0;
    cl_int err = clsvm_be->clGetContextInfo(c->be, param, size, value, &got);
    if (size_ret)
        *size_ret = got;
    cl_context_properties *p = value;
    for (size_t i = 0; err == CL_SUCCESS && p && i + 1 < got / sizeof *p && p[i]; i += 2)
        if (p[i] == CL_CONTEXT_PLATFORM)
            p[i + 1] = (cl_context_properties)clsvm_map_find((void *)p[i + 1], CLSVM_PLATFORM);
    return err;
}

static const clsvm_info_row context_rows[] = {
    CLSVM_INFO_FN_ROW(CL_CONTEXT_DEVICES, context_devices),
    CLSVM_INFO_FN_ROW(CL_CONTEXT_NUM_DEVICES, context_devices),
    CLSVM_INFO_FN_ROW(CL_CONTEXT_PROPERTIES, context_properties),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetContextInfo, cl_context, cl_context_info, CLSVM_CONTEXT, context_rows, NULL)
