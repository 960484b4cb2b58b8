/*
 * program_state.h: OpenCL C 2.x programs built through clsvm's SPIR path (docs/opencl-c-2.0.md).
 *
 * Such a program's backend handle becomes a program the backend built from SPIR bitcode, which
 * knows neither the source nor the application's options nor clang's diagnostics. clsvm keeps
 * those (the program's ext) and answers the queries that depend on them itself; every other
 * query goes to the backend program as usual.
 */
#ifndef CLSVM_ICD_OCLC20_PROGRAM_STATE_H
#define CLSVM_ICD_OCLC20_PROGRAM_STATE_H

#include "../icd.h"

/* Does a build of p with options go through the SPIR path? Yes when the options ask for
 * OpenCL C 2.x, the backend device lacks the generic address space, and p has source. */
int oclc20_applies(clsvm_obj *p, cl_device_id be_dev, const char *options);

/* Build p through the SPIR path for the backend devices devs (ndev 0: all of p's devices).
 * Returns CL_SUCCESS or the build's error, with p's state (status, log, options) set either
 * way; after a failure p has no executable. CL_COMPILER_NOT_AVAILABLE: nothing was changed
 * and *why holds the line explaining it (malloc'd) for oclc20_failed(). */
cl_int oclc20_build(clsvm_obj *p, cl_uint ndev, cl_device_id *devs, const char *options,
                    char **why);

/* Record a failed build whose log is why followed by the backend's log for be_dev. */
void oclc20_failed(clsvm_obj *p, cl_device_id be_dev, const char *options, const char *why);

/* Before any other build or compile of p: give p back a backend program made from its source
 * when the SPIR path replaced it, and forget the path's state. CL_SUCCESS or an error. */
cl_int oclc20_reset(clsvm_obj *p);

/* clCompileProgram of p through the SPIR path (oclc20_applies said yes for be_dev, whose
 * extensions clang enables): clang compiles the source with the backend header programs hdrs under
 * their include names; p becomes a compiled object holding the bitcode (its backend program stays
 * the unbuilt source program). Returns CL_SUCCESS, CL_COMPILE_PROGRAM_FAILURE,
 * CL_INVALID_COMPILER_OPTIONS, CL_OUT_OF_HOST_MEMORY, or CL_COMPILER_NOT_AVAILABLE with *why as for
 * oclc20_build. */
cl_int oclc20_compile_program(clsvm_obj *p, cl_device_id be_dev, const char *options, cl_uint nhdr,
                              const cl_program *hdrs, const char **hdr_names, char **why);

/* Is p an object the path can link (compiled by oclc20_compile_program, or loaded from such an
 * object's binary)? */
int oclc20_is_object(clsvm_obj *p);

/* clLinkProgram into the new wrapper w (context w->owner) of inputs of which at least one is
 * such an object: clang links the bitcode with the support library, the backend builds it for
 * devs (ndev 0: the context's devices). w->be and w->ext are set on CL_SUCCESS and on
 * CL_LINK_PROGRAM_FAILURE (the link began and failed, e.g. an unresolved function or an input
 * the backend compiled: w's status is CL_BUILD_ERROR and its log says why). Other errors leave
 * w empty: CL_INVALID_LINKER_OPTIONS, CL_LINKER_NOT_AVAILABLE, CL_OUT_OF_HOST_MEMORY, or the
 * backend's error for the devices. */
cl_int oclc20_link(clsvm_obj *w, cl_uint ndev, cl_device_id *devs, const char *options, cl_uint nin,
                   clsvm_obj *const *inputs);

/* May p be built (compile 0) or compiled (compile 1)? CL_INVALID_OPERATION for a program a link
 * made, and for compiling an object loaded from a binary (API spec: no source); else
 * CL_SUCCESS. */
cl_int oclc20_may_build(clsvm_obj *p, int compile);

/* CL_SUCCESS when each of the ndev backend devices is one of p's, else CL_INVALID_DEVICE (or
 * CL_OUT_OF_HOST_MEMORY). */
cl_int oclc20_check_devices(clsvm_obj *p, cl_uint ndev, const cl_device_id *devs);

/* Is p an object loaded from a binary? Its clBuildProgram is oclc20_build_object. */
int oclc20_is_binary_object(clsvm_obj *p);

/* clBuildProgram of such a program: its object is linked on its own (as clLinkProgram would)
 * and built by the backend for devs (ndev 0: all of p's devices); options are recorded, not
 * applied (they were when the object was compiled). CL_SUCCESS, CL_BUILD_PROGRAM_FAILURE (log
 * says why; no executable afterwards), CL_INVALID_DEVICE or CL_OUT_OF_HOST_MEMORY. */
cl_int oclc20_build_object(clsvm_obj *p, cl_uint ndev, cl_device_id *devs, const char *options);

/* Are any of these clCreateProgramWithBinary binaries a path object's (CL_PROGRAM_BINARIES of a
 * compiled object: a magic, then SPIR bitcode)? */
int oclc20_binaries_are_objects(cl_uint n, const size_t *lengths, const unsigned char **binaries);

/* clCreateProgramWithBinary of such binaries into the new wrapper w for the backend devices devs:
 * w becomes an object (binary type COMPILED_OBJECT, build status NONE) that clLinkProgram and
 * clBuildProgram take. CL_SUCCESS (w->be, w->ext set), CL_INVALID_VALUE, CL_INVALID_BINARY
 * (binary_status says which), or the backend's error for the context and devices. */
cl_int oclc20_from_binaries(clsvm_obj *w, cl_uint n, cl_device_id *devs, const size_t *lengths,
                            const unsigned char **binaries, cl_int *binary_status);

/* Was p built for non-uniform work-groups (an OpenCL C 2.x/3.0 build through the path without
 * -cl-uniform-work-group-size)? Its kernels then take NDRanges split into uniform parts
 * (icd/ndrange.c) and need one for every launch with a global offset. */
int oclc20_nonuniform(clsvm_obj *p);

/* The required work-group size of p's kernel of that name when p was built for non-uniform
 * work-groups (the backend's module does not have it: it would refuse remainder groups), as
 * CL_KERNEL_ATTRIBUTES records it; 0 and {0, 0, 0} when there is none. */
int oclc20_reqd(clsvm_obj *p, const char *kernel, size_t reqd[3]);

/* p's backend program with a backend reference (drop it with clReleaseProgram): a build on
 * another thread may swap p's backend program meanwhile, and every call must stay thread-safe
 * (API spec, appendix A), queries during a build included. */
void *oclc20_be_hold(clsvm_obj *p);

/* p as a clCompileProgram header: a backend program with p's source, held (drop it with
 * clReleaseProgram): p's own backend program, or a new one made from the source the path kept
 * when p's backend program is the path's build. NULL when p has no source (or out of memory). */
void *oclc20_header_hold(clsvm_obj *p);

/* Set the backend program of p, a program clLinkProgram is making, whose notification may run
 * (on another thread) before the call returns: if_unset 1 (the notification) sets it only
 * while p has none, 0 (the call's result) always. Under the lock oclc20_be_hold takes. */
void oclc20_be_publish(clsvm_obj *p, void *be, int if_unset);

/* A build, compile or link in progress on p: the API spec wants CL_INVALID_OPERATION for a
 * second one (and for linking p meanwhile). The node lives on the builder's stack. */
typedef struct oclc20_busy {
    clsvm_obj *p;
    struct oclc20_busy *next;
} oclc20_busy;
/* 1 and p marked busy, or 0 when p already is. */
int oclc20_busy_begin(clsvm_obj *p, oclc20_busy *node);
void oclc20_busy_end(oclc20_busy *node);
int oclc20_is_busy(clsvm_obj *p);

/* CL_KERNEL_ATTRIBUTES of kernel (its function name) when p is an executable the SPIR path built
 * (malloc'd, "" when it has none), else NULL: the backend answers (as it does when out of
 * memory). */
char *oclc20_kernel_attributes(clsvm_obj *p, const char *kernel);

/* Before the backend builds or compiles p itself, with clsvm's additions to options: remember
 * options as the application gave them for CL_PROGRAM_BUILD_OPTIONS (options NULL: forget them,
 * the backend answers). */
void oclc20_record_options(clsvm_obj *p, const char *options);

/* Queries the path answers, for p whose backend program the caller holds as be: *handled is set
 * when it did. */
cl_int oclc20_build_info(clsvm_obj *p, void *be, cl_device_id be_dev, cl_program_build_info name,
                         size_t size, void *value, size_t *size_ret, int *handled);
/* CL_PROGRAM_SOURCE, and CL_PROGRAM_BINARY_SIZES / CL_PROGRAM_BINARIES of an object. */
cl_int oclc20_program_info(clsvm_obj *p, void *be, cl_program_info name, size_t size, void *value,
                           size_t *size_ret, int *handled);

#endif
