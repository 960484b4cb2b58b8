/*
 * spir.h: compile OpenCL C 2.x source to SPIR bitcode the backend accepts, with clsvm's support
 * library linked in (docs/opencl-c-2.0.md). program.c hands the result to the backend with
 * clCreateProgramWithBinary and the build options OCLC20_BACKEND_OPTIONS.
 */
#ifndef CLSVM_ICD_OCLC20_SPIR_H
#define CLSVM_ICD_OCLC20_SPIR_H

#include <CL/cl.h>
#include <stddef.h>

/* pocl's options for a SPIR binary (SPIR 1.2 is the only version it names). */
#define OCLC20_BACKEND_OPTIONS "-x spir -spir-std=1.2 -cl-kernel-arg-info"

/* The OpenCL C version opts ask for through their last -cl-std=: 200 for CL2.0, CL2.1 and CL2.2
 * (all OpenCL C 2.0), 300 for CL3.0, 0 for anything else or none. */
int oclc20_std_requested(const char *opts);

typedef struct oclc20_result {
    unsigned char *bc; /* linked SPIR64 bitcode (malloc'd), NULL on failure */
    size_t bc_len;
    char *log; /* clang's diagnostics or clsvm's reason, malloc'd, never NULL unless OOM */
    /* BUILD, LINK: "kernel\tattributes\n" per kernel with CL_KERNEL_ATTRIBUTES (malloc'd; may
     * be NULL: none known) */
    char *attrs;
    /* BUILD, LINK: for non-uniform work-groups (oclc20_nu_options; a link when no object calls
     * the backend's work-item functions). Then the kernels keep no reqd_work_group_size in bc:
     * clsvm enforces the one attrs records (icd/ndrange.c). */
    int nonuniform;
} oclc20_result;

/* What clang makes: a build (source -> bitcode linked with the support library), a compile
 * (source + headers -> an object's bitcode), a link (objects -> bitcode with the library). */
typedef enum oclc20_mode { OCLC20_BUILD, OCLC20_COMPILE, OCLC20_LINK } oclc20_mode;

typedef struct oclc20_job {
    oclc20_mode mode;
    int std;             /* 300: clang compiles OpenCL C 3.0, else 2.0 */
    const char *source;  /* BUILD, COMPILE */
    const char *options; /* the application's */
    cl_uint nhdr;        /* COMPILE: embedded headers (clCompileProgram's input_headers) */
    const char *const *hdr_src;
    const char *const *hdr_names;
    cl_uint nin; /* LINK: the objects' bitcode */
    const unsigned char *const *in_bc;
    const size_t *in_len;
    /* The device's extensions and OpenCL C features (oclc20_device_extensions): clang enables
     * exactly those (its SPIR target would otherwise claim every extension, cl_khr_fp16
     * included). NULL: clang's defaults. */
    const char *extensions;
    /* Macros the backend's own compiler predefines and clang's SPIR target does not (BUILD,
     * COMPILE): __OPENCL_VERSION__ (the device's version, e.g. 300; 0: left undefined), and
     * __IMAGE_SUPPORT__, which clang defines for every SPIR compile, undefined when no_images. */
    int opencl_version;
    int no_images;
} oclc20_job;

/* Is a build or compile with these options compiled for non-uniform work-groups (its work-item
 * functions are the support library's, which read clsvm's descriptor of a split NDRange)? Yes
 * unless they include -cl-uniform-work-group-size. */
int oclc20_nu_options(const char *opts);
/* Which work-item functions an object's bitcode calls: the support library's (compiled for
 * non-uniform work-groups), the backend's (compiled with -cl-uniform-work-group-size, or by an
 * older clsvm), both or none. A program linked from objects is for non-uniform work-groups when
 * none calls the backend's; objects of both kinds cannot be linked together (the support
 * library's functions read every global offset as a descriptor's address). */
#define OCLC20_NU_CALLS 1
#define OCLC20_NU_BACKEND_CALLS 2
int oclc20_nu_object(const unsigned char *bc, size_t len);

/* Run the job. Returns CL_SUCCESS, CL_COMPILER_NOT_AVAILABLE (clang cannot be run),
 * CL_INVALID_BUILD_OPTIONS (an option clang or the path does not take; the caller maps it to
 * the compiler/linker variant), CL_BUILD_PROGRAM_FAILURE (clang failed; likewise) or
 * CL_OUT_OF_HOST_MEMORY; r->log says why in every case but the last. Results are cached. */
cl_int oclc20_run_job(const oclc20_job *job, oclc20_result *r);
void oclc20_result_free(oclc20_result *r);

#endif
