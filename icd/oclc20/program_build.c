/*
 * program_build.c: clBuildProgram of an OpenCL C 2.x source program through the SPIR path
 * (program_state.h): clang, then the backend builds the SPIR binary, which replaces the source
 * program behind the application's handle; the record keeps what the SPIR program forgets.
 */
#include "program_state.h"

#include "../opencl_c.h"
#include "clang_run.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

int oclc20_applies(clsvm_obj *p, cl_device_id be_dev, const char *options)
{
    int std = oclc20_std_requested(options);
    if (!be_dev || !std || clsvm_opencl_c_backend_has(be_dev, "__opencl_c_generic_address_space"))
        return 0;
    /* OpenCL C 3.0 goes through the path only when clang runs (the device then lists the generic
     * address space); without clang it goes to the backend, silently, as it always did. */
    if (std == 300 && !oclc20_clang_version())
        return 0;
    char *src = oclc20_source(p);
    int has = src && src[0];
    free(src);
    return has;
}

cl_int oclc20_may_build(clsvm_obj *p, int compile)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    oclc20_origin o = s ? s->origin : OCLC20_FROM_SOURCE;
    pthread_mutex_unlock(&oclc20_state_lock);
    /* API spec: clBuildProgram needs a program created from source, IL or a binary, and
     * clCompileProgram one with source or IL. */
    if (o == OCLC20_FROM_LINK || (o == OCLC20_FROM_BINARY && compile))
        return CL_INVALID_OPERATION;
    return CL_SUCCESS;
}

int oclc20_is_binary_object(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    int yes = s && s->origin == OCLC20_FROM_BINARY;
    pthread_mutex_unlock(&oclc20_state_lock);
    return yes;
}

/* After a failed build p must have no executable: a SPIR build from before goes. */
static void *fresh_source_program(clsvm_obj *p, const char *source)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    int spir = s && s->spir;
    pthread_mutex_unlock(&oclc20_state_lock);
    if (!spir)
        return NULL;
    cl_int err;
    const char *strings[] = {source};
    return clsvm_be->clCreateProgramWithSource(p->owner->be, 1, strings, NULL, &err);
}

/* CL_SUCCESS when every device of devs is one of all, else CL_INVALID_DEVICE. */
static cl_int devices_in(cl_uint ndev, const cl_device_id *devs, cl_uint nall,
                         const cl_device_id *all)
{
    for (cl_uint i = 0; i < ndev; i++) {
        cl_uint j = 0;
        while (j < nall && all[j] != devs[i])
            j++;
        if (j == nall)
            return CL_INVALID_DEVICE;
    }
    return CL_SUCCESS;
}

cl_int oclc20_check_devices(clsvm_obj *p, cl_uint ndev, const cl_device_id *devs)
{
    if (!ndev)
        return CL_SUCCESS;
    cl_uint nall = 0;
    cl_device_id *all = oclc20_program_devices(p->be, &nall);
    if (!all)
        return CL_OUT_OF_HOST_MEMORY;
    cl_int err = devices_in(ndev, devs, nall, all);
    free(all);
    return err;
}

cl_int oclc20_build(clsvm_obj *p, cl_uint ndev, cl_device_id *devs, const char *options, char **why)
{
    *why = NULL;
    /* A device the program is not for is the caller's error: nothing changes. */
    cl_uint nall = 0;
    cl_device_id *all = oclc20_program_devices(p->be, &nall);
    if (!all)
        return CL_OUT_OF_HOST_MEMORY;
    if (devices_in(ndev, devs, nall, all) != CL_SUCCESS) {
        free(all);
        return CL_INVALID_DEVICE;
    }
    char *source = oclc20_source(p);
    if (!source) {
        free(all);
        return CL_OUT_OF_HOST_MEMORY;
    }
    oclc20_result r;
    char *exts = oclc20_device_extensions(ndev ? devs[0] : all[0]);
    oclc20_job job = {.mode = OCLC20_BUILD,
                      .std = oclc20_std_requested(options),
                      .source = source,
                      .options = options,
                      .extensions = exts};
    oclc20_device_macros(ndev ? devs[0] : all[0], &job);
    cl_int err = oclc20_run_job(&job, &r);
    free(exts);
    if (err == CL_COMPILER_NOT_AVAILABLE) {
        *why = r.log;
        free(source);
        free(all);
        return err;
    }
    char *be_log = NULL;
    void *be = NULL;
    if (err == CL_SUCCESS) {
        be = oclc20_backend_program(p->owner->be, nall, all, ndev, devs, r.bc, r.bc_len, 1, &err,
                                    &be_log);
        /* The backend rejecting clang's output is a build failure of this program. */
        if (!be && err != CL_OUT_OF_HOST_MEMORY && err != CL_OUT_OF_RESOURCES)
            err = CL_BUILD_PROGRAM_FAILURE;
    }
    oclc20_state *s = oclc20_state_new(be ? CL_BUILD_SUCCESS : CL_BUILD_ERROR, be != NULL, source,
                                       options, r.log, be_log);
    if (s && be)
        s = oclc20_state_with_attrs(s, r.attrs);
    if (s && be)
        s->nonuniform = r.nonuniform;
    if (!s) {
        if (be)
            clsvm_be->clReleaseProgram(be);
        be = NULL;
        err = CL_OUT_OF_HOST_MEMORY;
    } else if (!be) {
        be = fresh_source_program(p, source);
    }
    oclc20_state_set(p, be, s);
    free(be_log);
    free(source);
    free(all);
    oclc20_result_free(&r);
    return err;
}

void oclc20_failed(clsvm_obj *p, cl_device_id be_dev, const char *options, const char *why)
{
    char *source = oclc20_source(p);
    char *be_log = oclc20_be_string(p->be, be_dev, CL_PROGRAM_BUILD_LOG);
    oclc20_state *s =
        source ? oclc20_state_new(CL_BUILD_ERROR, 0, source, options, why, be_log) : NULL;
    if (s)
        oclc20_state_set(p, NULL, s);
    free(be_log);
    free(source);
}

cl_int oclc20_reset(clsvm_obj *p)
{
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *s = p->ext;
    int spir = s && s->spir;
    int from_source = !s || s->origin == OCLC20_FROM_SOURCE;
    pthread_mutex_unlock(&oclc20_state_lock);
    if (!s || !from_source) /* programs from links or binaries keep their record */
        return CL_SUCCESS;
    void *be = NULL;
    if (spir && s->source[0]) {
        cl_int err;
        const char *strings[] = {s->source};
        be = clsvm_be->clCreateProgramWithSource(p->owner->be, 1, strings, NULL, &err);
        if (!be)
            return err;
    }
    oclc20_state_set(p, be, NULL);
    return CL_SUCCESS;
}

/* ---- a path object loaded from a binary, built: linked on its own ---- */

cl_int oclc20_build_object(clsvm_obj *p, cl_uint ndev, cl_device_id *devs, const char *options)
{
    cl_uint nall = 0;
    cl_device_id *all = oclc20_program_devices(p->be, &nall);
    if (!all)
        return CL_OUT_OF_HOST_MEMORY;
    cl_int err = devices_in(ndev, devs, nall, all);
    if (err != CL_SUCCESS) {
        free(all);
        return err;
    }
    /* The record stays put while p builds: the application may not release or rebuild a
     * program from another thread while building it. */
    pthread_mutex_lock(&oclc20_state_lock);
    oclc20_state *old = p->ext;
    pthread_mutex_unlock(&oclc20_state_lock);
    char *exts = oclc20_device_extensions(ndev ? devs[0] : all[0]);
    const unsigned char *in_bc[] = {old->bc};
    size_t in_len[] = {old->bc_len};
    /* Build options are compile options, which a binary has already had applied: not passed. */
    oclc20_job job = {
        .mode = OCLC20_LINK, .nin = 1, .in_bc = in_bc, .in_len = in_len, .extensions = exts};
    oclc20_result r;
    err = oclc20_run_job(&job, &r);
    free(exts);
    void *be = NULL;
    char *be_log = NULL;
    if (err == CL_SUCCESS)
        be = oclc20_backend_program(p->owner->be, nall, all, ndev, devs, r.bc, r.bc_len, 1, &err,
                                    &be_log);
    /* Everything else, clang missing included, is this build's failure; the log says why. */
    if (!be && err != CL_OUT_OF_HOST_MEMORY && err != CL_OUT_OF_RESOURCES)
        err = CL_BUILD_PROGRAM_FAILURE;
    /* A failed build leaves no executable: a fresh unbuilt program from the object's bitcode. */
    if (!be && err != CL_OUT_OF_HOST_MEMORY) {
        cl_int e2;
        char *unused = NULL;
        be = oclc20_backend_program(p->owner->be, nall, all, 0, NULL, old->bc, old->bc_len, 0, &e2,
                                    &unused);
        free(unused);
    }
    oclc20_state *s = oclc20_state_new(err == CL_SUCCESS ? CL_BUILD_SUCCESS : CL_BUILD_ERROR, 0, "",
                                       options, r.log, be_log);
    if (s && err == CL_SUCCESS)
        s = oclc20_state_with_attrs(s, r.attrs);
    if (s)
        s = oclc20_state_with_bc(s, old->bc, old->bc_len);
    if (s && err == CL_SUCCESS)
        s->nonuniform = r.nonuniform;
    if (s) {
        s->origin = OCLC20_FROM_BINARY;
        s->spir = err == CL_SUCCESS;
        s->type = err == CL_SUCCESS ? CL_PROGRAM_BINARY_TYPE_EXECUTABLE
                                    : CL_PROGRAM_BINARY_TYPE_COMPILED_OBJECT;
        oclc20_state_set(p, be, s);
    } else {
        if (be)
            clsvm_be->clReleaseProgram(be);
        err = CL_OUT_OF_HOST_MEMORY;
    }
    free(be_log);
    free(all);
    oclc20_result_free(&r);
    return err;
}
