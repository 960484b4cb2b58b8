/*
 * state.h: the SPIR path's record of one program (its ext), shared inside icd/oclc20/ by
 * program_state.c (the record, the queries it answers), program_build.c (clBuildProgram of
 * source) and program_link.c (clCompileProgram, clLinkProgram, objects from binaries).
 * program.c sees only program_state.h.
 */
#ifndef CLSVM_ICD_OCLC20_STATE_H
#define CLSVM_ICD_OCLC20_STATE_H

#include "../icd.h"
#include "spir.h"

#include <pthread.h>

/* How the program object came to be, which decides what a later build or compile may do. */
typedef enum oclc20_origin {
    OCLC20_FROM_SOURCE, /* clCreateProgramWithSource (the record goes with oclc20_reset) */
    OCLC20_FROM_LINK,   /* clLinkProgram of path objects: never built or compiled again */
    OCLC20_FROM_BINARY, /* clCreateProgramWithBinary of a path object: a build links it */
} oclc20_origin;

typedef struct oclc20_state {
    cl_build_status status;
    cl_program_binary_type type; /* executable or compiled object, when status says it has one */
    oclc20_origin origin;
    int spir;       /* the backend program is the SPIR build, not one made from the source */
    int nonuniform; /* built for non-uniform work-groups (oclc20_result.nonuniform) */
    /* A build or compile the backend did itself: only CL_PROGRAM_BUILD_OPTIONS is answered from
     * the record (the application's options, not clsvm's additions to them). */
    int options_only;
    char *source, *options, *log;
    char *attrs;       /* an executable's kernels' CL_KERNEL_ATTRIBUTES ("kernel\tattributes\n") */
    unsigned char *bc; /* an object's bitcode (compiled, or loaded from a binary) */
    size_t bc_len;
    char data[];
} oclc20_state;

/* CL_PROGRAM_BINARIES of a compiled object: this magic, then the SPIR bitcode. The magic lets
 * clCreateProgramWithBinary tell clsvm's objects from the backend's binaries. */
#define OCLC20_OBJ_MAGIC "CLSVM-OCLC20-OBJ"
#define OCLC20_OBJ_MAGIC_LEN 16

/* Orders builds (which swap a program's backend handle and record) against queries. */
extern pthread_mutex_t oclc20_state_lock;

/* A record in one allocation: source, options and the log (log1 then log2) are copied; NULL
 * when out of memory. Type executable, origin source, no bitcode. */
oclc20_state *oclc20_state_new(cl_build_status status, int spir, const char *source,
                               const char *options, const char *log1, const char *log2);
/* s with the kernels' attributes (oclc20_result.attrs; NULL or "": none) copied in, before any
 * bitcode is added (s is freed); NULL when out of memory. */
oclc20_state *oclc20_state_with_attrs(oclc20_state *s, const char *attrs);
/* s with a copy of the bitcode appended (s is freed), NULL when out of memory. */
oclc20_state *oclc20_state_with_bc(oclc20_state *s, const unsigned char *bc, size_t len);
/* Replace p's backend program (be NULL: keep it) and record (s may be NULL); the old record is
 * freed and the old backend program released. */
void oclc20_state_set(clsvm_obj *p, void *be, oclc20_state *s);

/* A backend string query of program be (build info for dev, program info when dev is NULL),
 * malloc'd, "" when the backend has none; NULL when out of memory. */
char *oclc20_be_string(void *be, cl_device_id dev, cl_uint what);
/* p's source: the record's copy, else the backend's (malloc'd; NULL when out of memory). */
char *oclc20_source(clsvm_obj *p);
/* A backend device's CL_DEVICE_EXTENSIONS and OpenCL C feature names as clsvm reports them,
 * space-separated (malloc'd), for clang's -cl-ext; NULL when unknown. */
char *oclc20_device_extensions(cl_device_id dev);
/* The device's predefined-macro values for a BUILD or COMPILE job (oclc20_job.opencl_version,
 * no_images), as the backend's compiler would define them. */
void oclc20_device_macros(cl_device_id dev, oclc20_job *job);
/* The backend program's devices, or the backend context's (malloc'd, *n); NULL on failure. */
cl_device_id *oclc20_program_devices(void *be, cl_uint *n);
cl_device_id *oclc20_context_devices(void *ctx, cl_uint *n);

/* A backend program in context ctx from the bitcode for the devices all; built for devs (ndev 0:
 * all of them) unless build is 0. On failure NULL, with *err and the backend's log in *log. */
void *oclc20_backend_program(void *ctx, cl_uint nall, cl_device_id *all, cl_uint ndev,
                             cl_device_id *devs, const unsigned char *bc, size_t bc_len, int build,
                             cl_int *err, char **log);

#endif
