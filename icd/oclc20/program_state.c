/*
 * program_state.c: the SPIR path's record of a program (state.h) and the queries it answers
 * (program_state.h). The record lives in the program's ext as one allocation (object.c frees
 * it with the program); oclc20_state_lock orders builds against queries that read it.
 */
#include "program_state.h"

#include "../fork.h"
#include "../info_answer.h"
#include "../opencl_c.h"
#include "module_check.h"
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

pthread_mutex_t oclc20_state_lock = PTHREAD_MUTEX_INITIALIZER;

oclc20_state *oclc20_state_new(cl_build_status status, int spir, const char *source,
                               const char *options, const char *log1, const char *log2)
{
    size_t ls = strlen(source) + 1, lo = strlen(options ? options : "") + 1,
           l1 = strlen(log1 ? log1 : ""), l2 = strlen(log2 ? log2 : "") + 1;
    oclc20_state *s = malloc(sizeof *s + ls + lo + l1 + l2 + 1);
    if (!s)
        return NULL;
    s->status = status;
    s->type = CL_PROGRAM_BINARY_TYPE_EXECUTABLE;
    s->origin = OCLC20_FROM_SOURCE;
    s->bc = NULL;
    s->bc_len = 0;
    s->spir = spir;
    s->options_only = 0;
    s->nonuniform = 0;
    s->source = s->data;
    memcpy(s->source, source, ls);
    s->options = s->source + ls;
    memcpy(s->options, options ? options : "", lo);
    s->log = s->options + lo;
    memcpy(s->log, log1 ? log1 : "", l1);
    memcpy(s->log + l1, log2 ? log2 : "", l2);
    s->attrs = s->log + l1 + l2;
    s->attrs[0] = '\0';
    return s;
}

/* The block's strings after it moved (realloc): source, options, log and attrs follow each
 * other from data on. */
static void rebase(oclc20_state *n)
{
    n->source = n->data;
    n->options = n->source + strlen(n->source) + 1;
    n->log = n->options + strlen(n->options) + 1;
    n->attrs = n->log + strlen(n->log) + 1;
}

oclc20_state *oclc20_state_with_attrs(oclc20_state *s, const char *attrs)
{
    if (!attrs || !*attrs)
        return s;
    size_t used = (size_t)(s->attrs - s->data), la = strlen(attrs) + 1;
    oclc20_state *n = realloc(s, sizeof *n + used + la);
    if (!n) {
        free(s);
        return NULL;
    }
    rebase(n);
    memcpy(n->attrs, attrs, la);
    return n;
}

oclc20_state *oclc20_state_with_bc(oclc20_state *s, const unsigned char *bc, size_t len)
{
    size_t used = (size_t)(s->attrs + strlen(s->attrs) + 1 - s->data);
    oclc20_state *n = realloc(s, sizeof *n + used + len);
    if (!n) {
        free(s);
        return NULL;
    }
    rebase(n);
    n->bc = (unsigned char *)n->data + used;
    memcpy(n->bc, bc, len);
    n->bc_len = len;
    return n;
}

int oclc20_reqd(clsvm_obj *p, const char *kernel, size_t reqd[3])
{
    size_t n = strlen(kernel);
    reqd[0] = reqd[1] = reqd[2] = 0;
    pthread_mutex_lock(&oclc20_state_lock);
    const oclc20_state *s = p->ext;
    /* The kernel's line of its CL_KERNEL_ATTRIBUTES record, "kernel\tattributes\n". */
    static const char at[] = "reqd_work_group_size(";
    for (const char *l = s && s->nonuniform ? s->attrs : NULL; l && *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (len > n && !strncmp(l, kernel, n) && l[n] == '\t') {
            const char *a = strstr(l + n, at);
            unsigned long x, y, z;
            if (a && a < l + len && sscanf(a + strlen(at), "%lu, %lu, %lu", &x, &y, &z) == 3) {
                reqd[0] = x;
                reqd[1] = y;
                reqd[2] = z;
            }
            break;
        }
        l += len + (nl != NULL);
    }
    pthread_mutex_unlock(&oclc20_state_lock);
    return reqd[0] != 0;
}

int oclc20_nonuniform(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    const oclc20_state *s = p->ext;
    int yes = s && s->spir && s->nonuniform;
    pthread_mutex_unlock(&oclc20_state_lock);
    return yes;
}

void *oclc20_be_hold(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    void *be = p->be;
    if (be)
        clsvm_be->clRetainProgram(be);
    pthread_mutex_unlock(&oclc20_state_lock);
    return be;
}

void *oclc20_header_hold(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    /* The SPIR build (or a program from bitcode) has no source the backend could include. */
    int own = s && (s->spir || s->origin != OCLC20_FROM_SOURCE);
    char *src = own && s->source[0] ? strdup(s->source) : NULL;
    void *be = own ? NULL : p->be;
    if (be)
        clsvm_be->clRetainProgram(be);
    pthread_mutex_unlock(&oclc20_state_lock);
    if (src) {
        const char *strings[1] = {src};
        cl_int err = CL_SUCCESS;
        be = clsvm_be->clCreateProgramWithSource(p->owner->be, 1, strings, NULL, &err);
        free(src);
    }
    return be;
}

void oclc20_be_publish(clsvm_obj *p, void *be, int if_unset)
{
    pthread_mutex_lock(&oclc20_state_lock);
    if (!if_unset || !p->be)
        p->be = be;
    pthread_mutex_unlock(&oclc20_state_lock);
}

/* Programs being built, compiled or linked from: a list of the builders' stack nodes. */
static oclc20_busy *busy_list;

int oclc20_busy_begin(clsvm_obj *p, oclc20_busy *node)
{
    pthread_mutex_lock(&oclc20_state_lock);
    int taken = 0;
    for (oclc20_busy *b = busy_list; b && !taken; b = b->next)
        taken = b->p == p;
    if (!taken) {
        node->p = p;
        node->next = busy_list;
        busy_list = node;
    }
    pthread_mutex_unlock(&oclc20_state_lock);
    return !taken;
}

void oclc20_busy_end(oclc20_busy *node)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_busy **at = &busy_list;
    while (*at && *at != node)
        at = &(*at)->next;
    if (*at)
        *at = node->next;
    pthread_mutex_unlock(&oclc20_state_lock);
}

int oclc20_is_busy(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    int busy = 0;
    for (oclc20_busy *b = busy_list; b && !busy; b = b->next)
        busy = b->p == p;
    pthread_mutex_unlock(&oclc20_state_lock);
    return busy;
}

void oclc20_state_set(clsvm_obj *p, void *be, oclc20_state *s)
{
    pthread_mutex_lock(&oclc20_state_lock);
    void *old_be = be ? p->be : NULL;
    if (be)
        p->be = be;
    free(p->ext);
    p->ext = s;
    pthread_mutex_unlock(&oclc20_state_lock);
    if (old_be)
        clsvm_be->clReleaseProgram(old_be);
}

char *oclc20_kernel_attributes(clsvm_obj *p, const char *kernel)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    char *a = s && s->spir ? oclc20_kernel_attributes_of(s->attrs, kernel) : NULL;
    pthread_mutex_unlock(&oclc20_state_lock);
    return a;
}

void oclc20_record_options(clsvm_obj *p, const char *options)
{
    oclc20_state *s = options ? oclc20_state_new(CL_BUILD_NONE, 0, "", options, NULL, NULL) : NULL;
    if (s)
        s->options_only = 1;
    oclc20_state_set(p, NULL, s);
}

char *oclc20_be_string(void *be, cl_device_id dev, cl_uint what)
{
    char *s = clsvm_info_be_string(CLSVM_PROGRAM, be, dev, what);
    return s ? s : strdup("");
}

char *oclc20_source(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    int own = s && !s->options_only;
    char *src = own ? strdup(s->source) : NULL;
    pthread_mutex_unlock(&oclc20_state_lock);
    return own ? src : oclc20_be_string(p->be, NULL, CL_PROGRAM_SOURCE);
}

char *oclc20_device_extensions(cl_device_id dev)
{
    size_t n = 0, fbytes = 0;
    if (!dev || clsvm_be->clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, 0, NULL, &n) != CL_SUCCESS ||
        clsvm_opencl_c_features(dev, 0, NULL, &fbytes) != CL_SUCCESS)
        return NULL;
    /* The features as clsvm reports them (the path's generic address space included). */
    size_t nf = fbytes / sizeof(cl_name_version);
    cl_name_version *f = malloc(fbytes ? fbytes : 1);
    char *s = malloc(n + 1 + nf * (CL_NAME_VERSION_MAX_NAME_SIZE + 1) + 1);
    if (!f || !s ||
        clsvm_be->clGetDeviceInfo(dev, CL_DEVICE_EXTENSIONS, n, s, NULL) != CL_SUCCESS ||
        clsvm_opencl_c_features(dev, fbytes, f, NULL) != CL_SUCCESS) {
        free(f);
        free(s);
        return NULL;
    }
    s[n] = '\0';
    size_t at = strlen(s);
    for (size_t i = 0; i < nf; i++)
        at += (size_t)sprintf(s + at, " %.*s", CL_NAME_VERSION_MAX_NAME_SIZE, f[i].name);
    free(f);
    return s;
}

void oclc20_device_macros(cl_device_id dev, oclc20_job *job)
{
    char v[128] = "";
    int major = 0, minor = 0;
    if (dev &&
        clsvm_be->clGetDeviceInfo(dev, CL_DEVICE_VERSION, sizeof v - 1, v, NULL) == CL_SUCCESS &&
        sscanf(v, "OpenCL %d.%d", &major, &minor) == 2 && major > 0 && minor >= 0 && minor < 10)
        job->opencl_version = major * 100 + minor * 10;
    cl_bool images = CL_TRUE;
    if (dev && clsvm_be->clGetDeviceInfo(dev, CL_DEVICE_IMAGE_SUPPORT, sizeof images, &images,
                                         NULL) == CL_SUCCESS)
        job->no_images = !images;
}

cl_device_id *oclc20_program_devices(void *be, cl_uint *n)
{
    *n = 0;
    if (clsvm_be->clGetProgramInfo(be, CL_PROGRAM_NUM_DEVICES, sizeof *n, n, NULL) != CL_SUCCESS ||
        !*n)
        return NULL;
    cl_device_id *d = malloc(*n * sizeof *d);
    if (d &&
        clsvm_be->clGetProgramInfo(be, CL_PROGRAM_DEVICES, *n * sizeof *d, d, NULL) != CL_SUCCESS) {
        free(d);
        d = NULL;
    }
    return d;
}

cl_device_id *oclc20_context_devices(void *ctx, cl_uint *n)
{
    size_t bytes = 0;
    *n = 0;
    if (clsvm_be->clGetContextInfo(ctx, CL_CONTEXT_DEVICES, 0, NULL, &bytes) != CL_SUCCESS ||
        bytes < sizeof(cl_device_id))
        return NULL;
    cl_device_id *d = malloc(bytes);
    if (d && clsvm_be->clGetContextInfo(ctx, CL_CONTEXT_DEVICES, bytes, d, NULL) != CL_SUCCESS) {
        free(d);
        return NULL;
    }
    *n = (cl_uint)(bytes / sizeof *d);
    return d;
}

void *oclc20_backend_program(void *ctx, cl_uint nall, cl_device_id *all, cl_uint ndev,
                             cl_device_id *devs, const unsigned char *bc, size_t bc_len, int build,
                             cl_int *err, char **log)
{
    *log = NULL;
    size_t *lens = malloc(nall * sizeof *lens);
    const unsigned char **bins = malloc(nall * sizeof *bins);
    void *be = NULL;
    *err = CL_OUT_OF_HOST_MEMORY;
    if (lens && bins) {
        for (cl_uint i = 0; i < nall; i++) {
            lens[i] = bc_len;
            bins[i] = bc;
        }
        be = clsvm_be->clCreateProgramWithBinary(ctx, nall, all, lens, bins, NULL, err);
        if (!be && *err != CL_OUT_OF_HOST_MEMORY && *err != CL_OUT_OF_RESOURCES &&
            asprintf(log, "clsvm: the backend does not take clang's SPIR output (error %d)\n",
                     (int)*err) < 0)
            *log = NULL;
    }
    if (be && build) {
        *err = clsvm_be->clBuildProgram(be, ndev, ndev ? devs : NULL, OCLC20_BACKEND_OPTIONS, NULL,
                                        NULL);
        *log = oclc20_be_string(be, ndev ? devs[0] : all[0], CL_PROGRAM_BUILD_LOG);
        if (*err != CL_SUCCESS) {
            clsvm_be->clReleaseProgram(be);
            be = NULL;
        }
    }
    free(lens);
    free(bins);
    return be;
}

/* ---- queries ---- */

/* Does s hold an object whose bitcode CL_PROGRAM_BINARIES returns? */
static int has_object(const oclc20_state *s)
{
    return s && s->bc && s->type == CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT &&
           s->status != CL_BUILD_ERROR;
}

cl_int oclc20_build_info(clsvm_obj *p, void *be, cl_device_id be_dev, cl_program_build_info name,
                         size_t size, void *value, size_t *size_ret, int *handled)
{
    *handled = 0;
    if (name != CL_PROGRAM_BUILD_STATUS && name != CL_PROGRAM_BUILD_OPTIONS &&
        name != CL_PROGRAM_BUILD_LOG && name != CL_PROGRAM_BINARY_TYPE)
        return CL_SUCCESS;
    /* The backend checks the device (in the program, valid); its answer is then replaced. */
    cl_build_status probe;
    cl_int err = clsvm_be->clGetProgramBuildInfo(be, be_dev, CL_PROGRAM_BUILD_STATUS, sizeof probe,
                                                 &probe, NULL);
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    if (s && (!s->options_only || name == CL_PROGRAM_BUILD_OPTIONS)) {
        *handled = 1;
        if (err != CL_SUCCESS) {
            /* the backend's error stands */
        } else if (name == CL_PROGRAM_BUILD_STATUS) {
            err = clsvm_info_return(&s->status, sizeof s->status, size, value, size_ret);
        } else if (name == CL_PROGRAM_BINARY_TYPE) {
            cl_program_binary_type t = s->status == CL_BUILD_SUCCESS || has_object(s)
                                           ? s->type
                                           : CL_PROGRAM_BINARY_TYPE_NONE;
            err = clsvm_info_return(&t, sizeof t, size, value, size_ret);
        } else {
            err = clsvm_info_string(name == CL_PROGRAM_BUILD_LOG ? s->log : s->options, size, value,
                                    size_ret);
        }
    }
    pthread_mutex_unlock(&oclc20_state_lock);
    return err;
}

/* CL_PROGRAM_BINARY_SIZES / CL_PROGRAM_BINARIES of an object: the magic and the bitcode, the
 * same for each of the program's ndev devices. Called with the lock held. */
static cl_int object_binaries(const oclc20_state *s, cl_uint ndev, cl_program_info name,
                              size_t size, void *value, size_t *size_ret)
{
    size_t len = OCLC20_OBJ_MAGIC_LEN + s->bc_len;
    size_t need = ndev * (name == CL_PROGRAM_BINARY_SIZES ? sizeof(size_t) : sizeof(void *));
    if (size_ret)
        *size_ret = need;
    if (!value)
        return CL_SUCCESS;
    if (size < need)
        return CL_INVALID_VALUE;
    for (cl_uint i = 0; i < ndev; i++) {
        if (name == CL_PROGRAM_BINARY_SIZES) {
            ((size_t *)value)[i] = len;
            continue;
        }
        unsigned char *dst = ((unsigned char **)value)[i];
        if (!dst) /* the specification's way to skip a device */
            continue;
        memcpy(dst, OCLC20_OBJ_MAGIC, OCLC20_OBJ_MAGIC_LEN);
        memcpy(dst + OCLC20_OBJ_MAGIC_LEN, s->bc, s->bc_len);
    }
    return CL_SUCCESS;
}

cl_int oclc20_program_info(clsvm_obj *p, void *be, cl_program_info name, size_t size, void *value,
                           size_t *size_ret, int *handled)
{
    *handled = 0;
    if (name != CL_PROGRAM_SOURCE && name != CL_PROGRAM_BINARY_SIZES && name != CL_PROGRAM_BINARIES)
        return CL_SUCCESS;
    cl_uint ndev = 0;
    if (name != CL_PROGRAM_SOURCE &&
        clsvm_be->clGetProgramInfo(be, CL_PROGRAM_NUM_DEVICES, sizeof ndev, &ndev, NULL) !=
            CL_SUCCESS)
        return CL_SUCCESS; /* the backend answers, with its error */
    cl_int err = CL_SUCCESS;
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    if (s && !s->options_only && name == CL_PROGRAM_SOURCE) {
        *handled = 1;
        err = clsvm_info_string(s->source, size, value, size_ret);
    } else if (has_object(s)) {
        *handled = 1;
        err = object_binaries(s, ndev, name, size, value, size_ret);
    }
    pthread_mutex_unlock(&oclc20_state_lock);
    return err;
}

/* ---- fork() (../fork.h): the lock is held across fork() so the child finds it free ---- */
void oclc20_state_atfork_prepare(void)
{
    pthread_mutex_lock(&oclc20_state_lock);
}

void oclc20_state_atfork_release(void)
{
    pthread_mutex_unlock(&oclc20_state_lock);
}
