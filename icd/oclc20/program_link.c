/*
 * program_link.c: separate compilation through the SPIR path (program_state.h).
 * clCompileProgram makes an object: the record holds clang's bitcode, the backend program stays
 * the unbuilt source program. CL_PROGRAM_BINARIES of an object is OCLC20_OBJ_MAGIC + bitcode,
 * which clCreateProgramWithBinary turns back into an object (oclc20_from_binaries).
 * clLinkProgram of objects: clang links their bitcode with the support library and the backend
 * builds the result; a link that fails still returns a program, whose log says why.
 */
#include "program_state.h"

#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cl_int oclc20_compile_program(clsvm_obj *p, cl_device_id be_dev, const char *options, cl_uint nhdr,
                              const cl_program *hdrs, const char **hdr_names, char **why)
{
    *why = NULL;
    char *source = oclc20_source(p);
    char **hsrc = calloc(nhdr ? nhdr : 1, sizeof *hsrc);
    cl_int err = source && hsrc ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    for (cl_uint i = 0; err == CL_SUCCESS && i < nhdr; i++)
        if (!(hsrc[i] = oclc20_be_string(hdrs[i], NULL, CL_PROGRAM_SOURCE)))
            err = CL_OUT_OF_HOST_MEMORY;
    oclc20_result r = {0};
    if (err == CL_SUCCESS) {
        char *exts = oclc20_device_extensions(be_dev);
        oclc20_job job = {.mode = OCLC20_COMPILE,
                          .std = oclc20_std_requested(options),
                          .source = source,
                          .options = options,
                          .nhdr = nhdr,
                          .hdr_src = (const char *const *)hsrc,
                          .hdr_names = (const char *const *)hdr_names,
                          .extensions = exts};
        oclc20_device_macros(be_dev, &job);
        err = oclc20_run_job(&job, &r);
        free(exts);
    }
    if (err == CL_COMPILER_NOT_AVAILABLE) {
        *why = r.log;
        r.log = NULL;
    } else if (err != CL_OUT_OF_HOST_MEMORY) {
        oclc20_state *s = oclc20_state_new(err == CL_SUCCESS ? CL_BUILD_SUCCESS : CL_BUILD_ERROR, 0,
                                           source, options, r.log, NULL);
        /* The object's bitcode rides in the record; freed with it (state_set, object.c). */
        if (s && err == CL_SUCCESS)
            s = oclc20_state_with_bc(s, r.bc, r.bc_len);
        if (!s) {
            err = CL_OUT_OF_HOST_MEMORY;
        } else {
            if (err == CL_SUCCESS)
                s->type = CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT;
            oclc20_state_set(p, NULL, s);
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

/* Is s an object that can be linked? Called with the lock held. */
static int linkable(const oclc20_state *s)
{
    return s && s->bc && s->type == CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT &&
           s->status != CL_BUILD_ERROR;
}

int oclc20_is_object(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    int obj = linkable(p->ext);
    pthread_mutex_unlock(&oclc20_state_lock);
    return obj;
}

/* The linked program w when the link failed: status CL_BUILD_ERROR, the log, and an unbuilt
 * backend program from placeholder bitcode (the backend needs one for w's devices and queries).
 * Returns CL_LINK_PROGRAM_FAILURE, or the backend's error for the devices (no program), or
 * CL_OUT_OF_HOST_MEMORY. */
static cl_int link_failed(clsvm_obj *w, cl_uint nall, cl_device_id *all, const char *options,
                          const unsigned char *placeholder, size_t len, const char *log1,
                          const char *log2)
{
    cl_int err;
    char *unused = NULL;
    void *be = oclc20_backend_program(w->owner->be, nall, all, 0, NULL, placeholder, len, 0, &err,
                                      &unused);
    free(unused);
    if (!be) /* the backend refuses the devices or context: the link could not begin */
        return err;
    oclc20_state *s = oclc20_state_new(CL_BUILD_ERROR, 0, "", options, log1, log2);
    if (!s) {
        if (be)
            clsvm_be->clReleaseProgram(be);
        return CL_OUT_OF_HOST_MEMORY;
    }
    s->origin = OCLC20_FROM_LINK;
    w->be = be;
    w->ext = s;
    return CL_LINK_PROGRAM_FAILURE;
}

/* clang links the objects' bitcode with the support library, the backend builds the result for
 * the devices all; w gets it, or the failure (link_failed). */
static cl_int link_objects(clsvm_obj *w, cl_uint nall, cl_device_id *all, const char *options,
                           cl_uint nin, const unsigned char **bc, const size_t *len,
                           const unsigned char *placeholder, size_t placeholder_len)
{
    int calls = 0;
    for (cl_uint i = 0; i < nin; i++)
        calls |= oclc20_nu_object(bc[i], len[i]);
    if (calls == (OCLC20_NU_CALLS | OCLC20_NU_BACKEND_CALLS))
        return link_failed(w, nall, all, options, placeholder, placeholder_len,
                           "clsvm: objects compiled with -cl-uniform-work-group-size cannot be "
                           "linked with objects compiled without it (docs/opencl-c-2.0.md)\n",
                           NULL);
    char *exts = oclc20_device_extensions(all[0]);
    oclc20_job job = {.mode = OCLC20_LINK,
                      .options = options,
                      .nin = nin,
                      .in_bc = bc,
                      .in_len = len,
                      .extensions = exts};
    oclc20_result r;
    cl_int err = oclc20_run_job(&job, &r);
    free(exts);
    void *be = NULL;
    char *be_log = NULL;
    if (err == CL_SUCCESS)
        be = oclc20_backend_program(w->owner->be, nall, all, 0, NULL, r.bc, r.bc_len, 1, &err,
                                    &be_log);
    /* Linking could not begin: no program (API spec). */
    if (err == CL_COMPILER_NOT_AVAILABLE)
        err = CL_LINKER_NOT_AVAILABLE;
    else if (err == CL_INVALID_BUILD_OPTIONS)
        err = CL_INVALID_LINKER_OPTIONS;
    /* It began and failed: a program with the log. */
    else if (!be && err != CL_OUT_OF_HOST_MEMORY && err != CL_OUT_OF_RESOURCES)
        err = link_failed(w, nall, all, options, placeholder, placeholder_len, r.log, be_log);
    if (be) {
        oclc20_state *s = oclc20_state_new(CL_BUILD_SUCCESS, 1, "", options, r.log, be_log);
        if (s)
            s = oclc20_state_with_attrs(s, r.attrs);
        if (s)
            s->nonuniform = r.nonuniform;
        if (s) {
            s->origin = OCLC20_FROM_LINK;
            w->be = be;
            w->ext = s;
        } else {
            clsvm_be->clReleaseProgram(be);
            err = CL_OUT_OF_HOST_MEMORY;
        }
    }
    free(be_log);
    oclc20_result_free(&r);
    return err;
}

/* Is the backend program be a compiled object or library (as the backend compiled it) for dev? */
static int backend_object(void *be, cl_device_id dev)
{
    cl_program_binary_type t = CL_PROGRAM_BINARY_TYPE_NONE;
    if (clsvm_be->clGetProgramBuildInfo(be, dev, CL_PROGRAM_BINARY_TYPE, sizeof t, &t, NULL) !=
        CL_SUCCESS)
        return 0;
    return t == CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT || t == CL_PROGRAM_BINARY_TYPE_LIBRARY;
}

cl_int oclc20_link(clsvm_obj *w, cl_uint ndev, cl_device_id *devs, const char *options, cl_uint nin,
                   clsvm_obj *const *inputs)
{
    unsigned char **bc = calloc(nin ? nin : 1, sizeof *bc);
    size_t *len = calloc(nin ? nin : 1, sizeof *len);
    cl_uint nall = ndev;
    cl_device_id *all = ndev ? devs : oclc20_context_devices(w->owner->be, &nall);
    cl_int err = bc && len && all ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
    int first = -1;
    cl_uint foreign = 0;
    /* Copies, taken under the lock: the records are the inputs', not this link's. */
    pthread_mutex_lock(&oclc20_state_lock);
    for (cl_uint i = 0; err == CL_SUCCESS && i < nin; i++) {
        oclc20_state *s = inputs[i]->ext;
        if (!linkable(s))
            continue;
        if (!(bc[i] = malloc(s->bc_len))) {
            err = CL_OUT_OF_HOST_MEMORY;
            break;
        }
        memcpy(bc[i], s->bc, s->bc_len);
        len[i] = s->bc_len;
        if (first < 0)
            first = (int)i;
    }
    pthread_mutex_unlock(&oclc20_state_lock);
    if (err == CL_SUCCESS && first < 0)
        err = CL_INVALID_OPERATION; /* program.c sends only links with path objects here */
    /* API spec: every input must be a compiled object or library; the backend's ones cannot be
     * linked with the path's (a failed link, with a log), anything else is no input at all. */
    for (cl_uint i = 0; err == CL_SUCCESS && i < nin; i++) {
        if (bc[i])
            continue;
        /* Held: a build on another thread may replace the input's backend program. */
        void *be = oclc20_be_hold(inputs[i]);
        if (be && backend_object(be, all[0]))
            foreign++;
        else
            err = CL_INVALID_OPERATION;
        if (be)
            clsvm_be->clReleaseProgram(be);
    }
    if (err == CL_SUCCESS && foreign)
        err = link_failed(w, nall, all, options, bc[first], len[first],
                          "clsvm: objects compiled as OpenCL C 2.x or 3.0 (through clang) cannot "
                          "be linked with objects the backend compiled: compile every input with "
                          "-cl-std=CL2.0 or -cl-std=CL3.0 (docs/opencl-c-2.0.md)\n",
                          NULL);
    else if (err == CL_SUCCESS)
        err = link_objects(w, nall, all, options, nin, (const unsigned char **)bc, len, bc[first],
                           len[first]);
    if (all != devs)
        free(all);
    for (cl_uint i = 0; bc && i < nin; i++)
        free(bc[i]);
    free(bc);
    free(len);
    return err;
}

int oclc20_binaries_are_objects(cl_uint n, const size_t *lengths, const unsigned char **binaries)
{
    for (cl_uint i = 0; lengths && binaries && i < n; i++)
        if (binaries[i] && lengths[i] >= OCLC20_OBJ_MAGIC_LEN &&
            !memcmp(binaries[i], OCLC20_OBJ_MAGIC, OCLC20_OBJ_MAGIC_LEN))
            return 1;
    return 0;
}

/* Is this binary OCLC20_OBJ_MAGIC followed by LLVM bitcode? */
static int valid_object(const unsigned char *b, size_t len)
{
    static const unsigned char bc_magic[4] = {'B', 'C', 0xc0, 0xde};
    return b && len > OCLC20_OBJ_MAGIC_LEN + sizeof bc_magic &&
           !memcmp(b, OCLC20_OBJ_MAGIC, OCLC20_OBJ_MAGIC_LEN) &&
           !memcmp(b + OCLC20_OBJ_MAGIC_LEN, bc_magic, sizeof bc_magic);
}

cl_int oclc20_from_binaries(clsvm_obj *w, cl_uint n, cl_device_id *devs, const size_t *lengths,
                            const unsigned char **binaries, cl_int *binary_status)
{
    /* API spec: one binary per device, none empty. */
    if (!n || !devs || !lengths || !binaries)
        return CL_INVALID_VALUE;
    cl_int err = CL_SUCCESS;
    for (cl_uint i = 0; i < n; i++) {
        cl_int st = !binaries[i] || !lengths[i]              ? CL_INVALID_VALUE
                    : !valid_object(binaries[i], lengths[i]) ? CL_INVALID_BINARY
                                                             : CL_SUCCESS;
        if (binary_status)
            binary_status[i] = st;
        if (st == CL_INVALID_VALUE || (st != CL_SUCCESS && err == CL_SUCCESS))
            err = st;
    }
    if (err != CL_SUCCESS)
        return err;
    /* The bitcode is device-independent: the first device's stands for all (clsvm wrote the
     * same one for each). The backend program checks the context and devices. */
    const unsigned char *bc = binaries[0] + OCLC20_OBJ_MAGIC_LEN;
    size_t bc_len = lengths[0] - OCLC20_OBJ_MAGIC_LEN;
    char *log = NULL;
    void *be = oclc20_backend_program(w->owner->be, n, devs, 0, NULL, bc, bc_len, 0, &err, &log);
    free(log);
    /* API spec: binary_status says which binary was invalid; the backend refused them all. */
    for (cl_uint i = 0; !be && err == CL_INVALID_BINARY && binary_status && i < n; i++)
        binary_status[i] = CL_INVALID_BINARY;
    if (!be)
        return err;
    oclc20_state *s = oclc20_state_new(CL_BUILD_NONE, 0, "", "", NULL, NULL);
    if (s)
        s = oclc20_state_with_bc(s, bc, bc_len);
    if (!s) {
        clsvm_be->clReleaseProgram(be);
        return CL_OUT_OF_HOST_MEMORY;
    }
    s->origin = OCLC20_FROM_BINARY;
    s->type = CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT;
    w->be = be;
    w->ext = s;
    return CL_SUCCESS;
}
