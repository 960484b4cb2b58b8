/*
 * program_state.c: building programs through the SPIR path and answering the queries that
 * depend on it (program_state.h). The state lives in the program's ext as one allocation
 * (object.c frees it with the program); a mutex orders builds against queries that read it.
 */
#include "program_state.h"

#include "../opencl_c.h"
#include "spir.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct oclc20_state {
    cl_build_status status;
    cl_program_binary_type type; /* on success: executable, or compiled object */
    int spir; /* the backend program is the SPIR build, not one made from the source */
    char *source, *options, *log;
    unsigned char *bc; /* a compiled object's bitcode (type COMPILED_OBJECT) */
    size_t bc_len;
    char data[];
} oclc20_state;

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static oclc20_state *state_new(cl_build_status status, int spir, const char *source,
                               const char *options, const char *log1, const char *log2)
{
    size_t ls = strlen(source) + 1, lo = strlen(options ? options : "") + 1,
           l1 = strlen(log1 ? log1 : ""), l2 = strlen(log2 ? log2 : "") + 1;
    oclc20_state *s = malloc(sizeof *s + ls + lo + l1 + l2);
    if (!s)
        return NULL;
    s->status = status;
    s->type = CL_PROGRAM_BINARY_TYPE_EXECUTABLE;
    s->bc = NULL;
    s->bc_len = 0;
    s->spir = spir;
    s->source = s->data;
    memcpy(s->source, source, ls);
    s->options = s->source + ls;
    memcpy(s->options, options ? options : "", lo);
    s->log = s->options + lo;
    memcpy(s->log, log1 ? log1 : "", l1);
    memcpy(s->log + l1, log2 ? log2 : "", l2);
    return s;
}

/* s with a copy of the bitcode appended to its allocation (s is freed), NULL when out of
 * memory. */
static oclc20_state *realloc_with_bc(oclc20_state *s, const unsigned char *bc, size_t len)
{
    size_t used = (size_t)(s->log + strlen(s->log) + 1 - s->data);
    oclc20_state *n = realloc(s, sizeof *n + used + len);
    if (!n) {
        free(s);
        return NULL;
    }
    /* The string pointers point into the moved block: rebase them. */
    n->source = n->data;
    n->options = n->source + strlen(n->source) + 1;
    n->log = n->options + strlen(n->options) + 1;
    n->bc = (unsigned char *)n->data + used;
    memcpy(n->bc, bc, len);
    n->bc_len = len;
    return n;
}

/* Replace p's backend program (be may be NULL: keep it) and state; frees the old state. */
static void state_set(clsvm_obj *p, void *be, oclc20_state *s)
{
    pthread_mutex_lock(&state_lock);
    void *old_be = be ? p->be : NULL;
    if (be)
        p->be = be;
    free(p->ext);
    p->ext = s;
    pthread_mutex_unlock(&state_lock);
    if (old_be)
        clsvm_be->clReleaseProgram(old_be);
}

/* A backend string query (source, log), malloc'd; "" when the backend has none. */
static char *be_program_string(void *be, cl_device_id dev, cl_uint what)
{
    size_t n = 0;
    cl_int err = dev ? clsvm_be->clGetProgramBuildInfo(be, dev, what, 0, NULL, &n)
                     : clsvm_be->clGetProgramInfo(be, what, 0, NULL, &n);
    char *s = malloc(err == CL_SUCCESS && n ? n + 1 : 1);
    if (!s)
        return NULL;
    s[0] = '\0';
    if (err == CL_SUCCESS && n) {
        err = dev ? clsvm_be->clGetProgramBuildInfo(be, dev, what, n, s, NULL)
                  : clsvm_be->clGetProgramInfo(be, what, n, s, NULL);
        s[err == CL_SUCCESS ? n : 0] = '\0';
    }
    return s;
}

/* p's source: the path's copy, else the backend's (NULL when out of memory). */
static char *program_source(clsvm_obj *p)
{
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    char *src = s ? strdup(s->source) : NULL;
    pthread_mutex_unlock(&state_lock);
    return s ? src : be_program_string(p->be, NULL, CL_PROGRAM_SOURCE);
}

int oclc20_applies(clsvm_obj *p, cl_device_id be_dev, const char *options)
{
    if (!be_dev || !oclc20_std_requested(options) ||
        clsvm_opencl_c_backend_has(be_dev, "__opencl_c_generic_address_space"))
        return 0;
    char *src = program_source(p);
    int has = src && src[0];
    free(src);
    return has;
}

/* p's backend devices (malloc'd, *n), NULL on failure. */
static cl_device_id *program_devices(void *be, cl_uint *n)
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

/* The backend context's devices (malloc'd, *n), NULL on failure. */
static cl_device_id *context_devices(void *ctx, cl_uint *n)
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

/* A backend program in context ctx from the SPIR bitcode for the devices all, built for devs
 * (ndev 0: all of them). On failure NULL, with *err and the backend's log in *log. */
static void *backend_program(void *ctx, cl_uint nall, cl_device_id *all, cl_uint ndev,
                             cl_device_id *devs, const oclc20_result *r, cl_int *err, char **log)
{
    *log = NULL;
    size_t *lens = malloc(nall * sizeof *lens);
    const unsigned char **bins = malloc(nall * sizeof *bins);
    void *be = NULL;
    *err = CL_OUT_OF_HOST_MEMORY;
    if (lens && bins) {
        for (cl_uint i = 0; i < nall; i++) {
            lens[i] = r->bc_len;
            bins[i] = r->bc;
        }
        be = clsvm_be->clCreateProgramWithBinary(ctx, nall, all, lens, bins, NULL, err);
        if (!be && *err != CL_OUT_OF_HOST_MEMORY && *err != CL_OUT_OF_RESOURCES &&
            asprintf(log, "clsvm: the backend does not take clang's SPIR output (error %d)\n",
                     (int)*err) < 0)
            *log = NULL;
    }
    if (be) {
        *err = clsvm_be->clBuildProgram(be, ndev, ndev ? devs : NULL, OCLC20_BACKEND_OPTIONS, NULL,
                                        NULL);
        *log = be_program_string(be, ndev ? devs[0] : all[0], CL_PROGRAM_BUILD_LOG);
        if (*err != CL_SUCCESS) {
            clsvm_be->clReleaseProgram(be);
            be = NULL;
        }
    }
    free(lens);
    free(bins);
    return be;
}

/* After a failed build p must have no executable: a SPIR build from before goes. */
static void *fresh_source_program(clsvm_obj *p, const char *source)
{
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    int spir = s && s->spir;
    pthread_mutex_unlock(&state_lock);
    if (!spir)
        return NULL;
    cl_int err;
    const char *strings[] = {source};
    return clsvm_be->clCreateProgramWithSource(p->owner->be, 1, strings, NULL, &err);
}

cl_int oclc20_build(clsvm_obj *p, cl_uint ndev, cl_device_id *devs, const char *options, char **why)
{
    *why = NULL;
    /* A device the program is not for is the caller's error: nothing changes. */
    cl_uint nall = 0;
    cl_device_id *all = program_devices(p->be, &nall);
    if (!all)
        return CL_OUT_OF_HOST_MEMORY;
    for (cl_uint i = 0; i < ndev; i++) {
        cl_uint j = 0;
        while (j < nall && all[j] != devs[i])
            j++;
        if (j == nall) {
            free(all);
            return CL_INVALID_DEVICE;
        }
    }
    char *source = program_source(p);
    if (!source) {
        free(all);
        return CL_OUT_OF_HOST_MEMORY;
    }
    oclc20_result r;
    oclc20_job job = {OCLC20_BUILD, source, options, 0, NULL, NULL, 0, NULL, NULL};
    cl_int err = oclc20_run_job(&job, &r);
    if (err == CL_COMPILER_NOT_AVAILABLE) {
        *why = r.log;
        free(source);
        free(all);
        return err;
    }
    char *be_log = NULL;
    void *be = NULL;
    if (err == CL_SUCCESS) {
        be = backend_program(p->owner->be, nall, all, ndev, devs, &r, &err, &be_log);
        /* The backend rejecting clang's output is a build failure of this program. */
        if (!be && err != CL_OUT_OF_HOST_MEMORY && err != CL_OUT_OF_RESOURCES)
            err = CL_BUILD_PROGRAM_FAILURE;
    }
    oclc20_state *s = state_new(be ? CL_BUILD_SUCCESS : CL_BUILD_ERROR, be != NULL, source, options,
                                r.log, be_log);
    if (!s) {
        if (be)
            clsvm_be->clReleaseProgram(be);
        be = NULL;
        err = CL_OUT_OF_HOST_MEMORY;
    } else if (!be) {
        be = fresh_source_program(p, source);
    }
    state_set(p, be, s);
    free(be_log);
    free(source);
    free(all);
    oclc20_result_free(&r);
    return err;
}

void oclc20_failed(clsvm_obj *p, cl_device_id be_dev, const char *options, const char *why)
{
    char *source = program_source(p);
    char *be_log = be_program_string(p->be, be_dev, CL_PROGRAM_BUILD_LOG);
    oclc20_state *s = source ? state_new(CL_BUILD_ERROR, 0, source, options, why, be_log) : NULL;
    if (s)
        state_set(p, NULL, s);
    free(be_log);
    free(source);
}

cl_int oclc20_reset(clsvm_obj *p)
{
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    int spir = s && s->spir;
    pthread_mutex_unlock(&state_lock);
    if (!s)
        return CL_SUCCESS;
    void *be = NULL;
    if (spir && s->source[0]) {
        cl_int err;
        const char *strings[] = {s->source};
        be = clsvm_be->clCreateProgramWithSource(p->owner->be, 1, strings, NULL, &err);
        if (!be)
            return err;
    }
    state_set(p, be, NULL);
    return CL_SUCCESS;
}

cl_int oclc20_build_info(clsvm_obj *p, cl_device_id be_dev, cl_program_build_info name, size_t size,
                         void *value, size_t *size_ret, int *handled)
{
    *handled = 0;
    if (name != CL_PROGRAM_BUILD_STATUS && name != CL_PROGRAM_BUILD_OPTIONS &&
        name != CL_PROGRAM_BUILD_LOG && name != CL_PROGRAM_BINARY_TYPE)
        return CL_SUCCESS;
    /* The backend checks the device (in the program, valid); its answer is then replaced. */
    cl_build_status probe;
    cl_int err = clsvm_be->clGetProgramBuildInfo(p->be, be_dev, CL_PROGRAM_BUILD_STATUS,
                                                 sizeof probe, &probe, NULL);
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    if (s) {
        *handled = 1;
        if (err != CL_SUCCESS) {
            /* the backend's error stands */
        } else if (name == CL_PROGRAM_BUILD_STATUS) {
            err = clsvm_info_return(&s->status, sizeof s->status, size, value, size_ret);
        } else if (name == CL_PROGRAM_BINARY_TYPE) {
            cl_program_binary_type t =
                s->status == CL_BUILD_SUCCESS ? s->type : CL_PROGRAM_BINARY_TYPE_NONE;
            err = clsvm_info_return(&t, sizeof t, size, value, size_ret);
        } else {
            err = clsvm_info_string(name == CL_PROGRAM_BUILD_LOG ? s->log : s->options, size, value,
                                    size_ret);
        }
    }
    pthread_mutex_unlock(&state_lock);
    return err;
}

cl_int oclc20_program_info(clsvm_obj *p, cl_program_info name, size_t size, void *value,
                           size_t *size_ret, int *handled)
{
    *handled = 0;
    if (name != CL_PROGRAM_SOURCE)
        return CL_SUCCESS;
    cl_int err = CL_SUCCESS;
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    if (s) {
        *handled = 1;
        err = clsvm_info_string(s->source, size, value, size_ret);
    }
    pthread_mutex_unlock(&state_lock);
    return err;
}

/* ---- separate compilation ---- */

cl_int oclc20_compile_program(clsvm_obj *p, const char *options, cl_uint nhdr,
                              const cl_program *hdrs, const char **hdr_names, char **why)
{
    *why = NULL;
    char *source = program_source(p);
    char **hsrc = calloc(nhdr ? nhdr : 1, sizeof *hsrc);
    cl_int err = source && hsrc ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    for (cl_uint i = 0; err == CL_SUCCESS && i < nhdr; i++)
        if (!(hsrc[i] = be_program_string(hdrs[i], NULL, CL_PROGRAM_SOURCE)))
            err = CL_OUT_OF_HOST_MEMORY;
    oclc20_result r = {0};
    if (err == CL_SUCCESS) {
        oclc20_job job = {OCLC20_COMPILE,
                          source,
                          options,
                          nhdr,
                          (const char *const *)hsrc,
                          (const char *const *)hdr_names,
                          0,
                          NULL,
                          NULL};
        err = oclc20_run_job(&job, &r);
    }
    if (err == CL_COMPILER_NOT_AVAILABLE) {
        *why = r.log;
        r.log = NULL;
    } else if (err != CL_OUT_OF_HOST_MEMORY) {
        oclc20_state *s = state_new(err == CL_SUCCESS ? CL_BUILD_SUCCESS : CL_BUILD_ERROR, 0,
                                    source, options, r.log, NULL);
        /* The object's bitcode rides in the state; freed with it (state_set, object.c). */
        if (s && err == CL_SUCCESS)
            s = realloc_with_bc(s, r.bc, r.bc_len);
        if (!s) {
            err = CL_OUT_OF_HOST_MEMORY;
        } else {
            if (err == CL_SUCCESS)
                s->type = CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT;
            state_set(p, NULL, s);
        }
        if (err == CL_INVALID_BUILD_OPTIONS)
            err = CL_INVALID_COMPILER_OPTIONS;
        else if (err == CL_BUILD_PROGRAM_FAILURE)
            err = CL_COMPILE_PROGRAM_FAILURE;
    }
    for (cl_uint i = 0; hsrc && i < nhdr; i++)
        free(hsrc[i]);
    free(hsrc);
    free(source);
    oclc20_result_free(&r);
    return err;
}

int oclc20_is_object(clsvm_obj *p)
{
    pthread_mutex_lock(&state_lock);
    oclc20_state *s = p->ext;
    int obj = s && s->bc;
    pthread_mutex_unlock(&state_lock);
    return obj;
}

cl_int oclc20_link(clsvm_obj *w, cl_uint ndev, cl_device_id *devs, const char *options, cl_uint nin,
                   clsvm_obj *const *inputs)
{
    const unsigned char **bc = calloc(nin ? nin : 1, sizeof *bc);
    size_t *len = calloc(nin ? nin : 1, sizeof *len);
    cl_int err = bc && len ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    oclc20_result r = {0};
    /* The inputs' states stay put: the application may not rebuild an input while it links. */
    pthread_mutex_lock(&state_lock);
    for (cl_uint i = 0; err == CL_SUCCESS && i < nin; i++) {
        oclc20_state *s = inputs[i]->ext;
        if (!s || !s->bc) {
            err = CL_INVALID_OPERATION;
            break;
        }
        bc[i] = s->bc;
        len[i] = s->bc_len;
    }
    pthread_mutex_unlock(&state_lock);
    if (err == CL_SUCCESS) {
        oclc20_job job = {OCLC20_LINK, NULL, options, 0, NULL, NULL, nin, bc, len};
        err = oclc20_run_job(&job, &r);
    }
    void *be = NULL;
    char *be_log = NULL;
    if (err == CL_SUCCESS) {
        cl_uint nall = ndev;
        cl_device_id *all = ndev ? devs : context_devices(w->owner->be, &nall);
        if (all)
            be = backend_program(w->owner->be, nall, all, 0, NULL, &r, &err, &be_log);
        else
            err = CL_OUT_OF_HOST_MEMORY;
        if (all != devs)
            free(all);
        if (!be && err != CL_OUT_OF_HOST_MEMORY && err != CL_OUT_OF_RESOURCES)
            err = CL_LINK_PROGRAM_FAILURE;
    } else if (err == CL_COMPILER_NOT_AVAILABLE) {
        err = CL_LINKER_NOT_AVAILABLE;
    } else if (err == CL_INVALID_BUILD_OPTIONS) {
        err = CL_INVALID_LINKER_OPTIONS;
    } else if (err == CL_BUILD_PROGRAM_FAILURE) {
        err = CL_LINK_PROGRAM_FAILURE;
    }
    if (be) {
        oclc20_state *s = state_new(CL_BUILD_SUCCESS, 1, "", options, r.log, be_log);
        if (s) {
            w->be = be;
            w->ext = s;
        } else {
            clsvm_be->clReleaseProgram(be);
            err = CL_OUT_OF_HOST_MEMORY;
        }
    }
    free(be_log);
    free(bc);
    free(len);
    oclc20_result_free(&r);
    return err;
}
