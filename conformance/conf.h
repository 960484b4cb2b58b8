/* conf.h: setup shared by clsvm's SVM conformance subset: one context with every device of the
 * first platform the loader offers (clsvm alone, via OCL_ICD_VENDORS) and a queue on the last
 * of them (with POCL_DEVICES="pthread basic" the basic device is reported first, so it shares the
 * context and its SVM while the commands run on the other), program builds that print their
 * log, and CHECK macros that name the OpenCL error code. */
#ifndef CLSVM_CONF_H
#define CLSVM_CONF_H

#include "check.h"
#include "svm/inline_device.h"

#include <CL/cl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Exit with the call, the code it returned and the code the specification requires. */
#define CHECK_ERR(expr, want)                                                                      \
    do {                                                                                           \
        cl_int conf_got_ = (expr), conf_want_ = (want);                                            \
        if (conf_got_ != conf_want_) {                                                             \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d\n", __FILE__, __LINE__, #expr,     \
                    (int)conf_got_, (int)conf_want_);                                              \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_CL(expr) CHECK_ERR(expr, CL_SUCCESS)

typedef struct conf_env {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_device_svm_capabilities caps;
    int inline_; /* the device runs commands on the calling thread (inline_device.h) */
} conf_env;

enum { CONF_MAXDEV = 8, CONF_SKIP = 77 };

static inline void conf_close(conf_env *e);

/* An area that needs the host and a running kernel at the same time cannot run on a device that
 * executes commands on the calling thread: release the context and exit 77 (ctest: skipped)
 * saying why. */
static inline void conf_need_concurrency(conf_env *e, const char *what)
{
    if (e->inline_) {
        printf("skipped: %s needs a kernel running while the host works; %s\n", what,
               INLINE_DEVICE_WHY);
        conf_close(e);
        exit(CONF_SKIP);
    }
}

/* The same for one part of an area: 0 (and a line saying so) when it must not run. */
static inline int conf_part_runs(const conf_env *e, const char *what)
{
    if (!e->inline_)
        return 1;
    SKIP_PART("%s needs a kernel running while the host works; %s", what, INLINE_DEVICE_WHY);
    return 0;
}

static inline void conf_open(conf_env *e)
{
    memset(e, 0, sizeof *e);
    cl_uint n = 0;
    CHECK_CL(clGetPlatformIDs(1, &e->platform, &n));
    CHECK(n >= 1);
    cl_device_id dev[CONF_MAXDEV];
    cl_uint ndev = 0;
    CHECK_CL(clGetDeviceIDs(e->platform, CL_DEVICE_TYPE_ALL, CONF_MAXDEV, dev, &ndev));
    if (ndev > CONF_MAXDEV)
        ndev = CONF_MAXDEV;
    e->device = dev[ndev - 1];
    cl_int err = CL_SUCCESS;
    e->context = clCreateContext(NULL, ndev, dev, NULL, NULL, &err);
    CHECK_CL(err);
    e->inline_ = device_runs_on_caller(e->context, e->device);
    CHECK(e->inline_ >= 0);
    e->queue = clCreateCommandQueueWithProperties(e->context, e->device, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(
        clGetDeviceInfo(e->device, CL_DEVICE_SVM_CAPABILITIES, sizeof e->caps, &e->caps, NULL));
    /* Every area needs at least coarse-grain buffer SVM, which OpenCL 2.x requires. */
    CHECK(e->caps & CL_DEVICE_SVM_COARSE_GRAIN_BUFFER);
}

static inline void conf_close(conf_env *e)
{
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clReleaseCommandQueue(e->queue));
    CHECK_CL(clReleaseContext(e->context));
}

/* Build `src` with `opts`; on failure print the build log before exiting. */
static inline cl_program conf_program(const conf_env *e, const char *src, const char *opts)
{
    cl_int err = CL_SUCCESS;
    cl_program p = clCreateProgramWithSource(e->context, 1, &src, NULL, &err);
    CHECK_CL(err);
    err = clBuildProgram(p, 1, &e->device, opts, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t len = 0;
        clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &len);
        char *log = calloc(len + 1, 1);
        CHECK(log);
        clGetProgramBuildInfo(p, e->device, CL_PROGRAM_BUILD_LOG, len, log, NULL);
        fprintf(stderr, "build (%s) failed: %d\n%s\n", opts ? opts : "", (int)err, log);
        free(log);
        exit(1);
    }
    return p;
}

static inline cl_kernel conf_kernel(cl_program p, const char *name)
{
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(p, name, &err);
    CHECK_CL(err);
    return k;
}

/* clSVMAlloc that must succeed. */
static inline void *conf_alloc(const conf_env *e, cl_svm_mem_flags flags, size_t size)
{
    void *p = clSVMAlloc(e->context, flags, size, 0);
    CHECK_MSG(p != NULL, "clSVMAlloc(flags 0x%llx, %zu) returned NULL", (unsigned long long)flags,
              size);
    return p;
}

/* Run `k` over `global` work-items and wait for it. */
static inline void conf_run(const conf_env *e, cl_kernel k, size_t global)
{
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &global, NULL, 0, NULL, NULL));
    CHECK_CL(clFinish(e->queue));
}

static inline int conf_has(const conf_env *e, cl_device_svm_capabilities cap)
{
    return (e->caps & cap) == cap;
}

/* Seconds on the monotonic clock. */
static inline double conf_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* How long a host side waits for a kernel (or the kernel for the host) before the test fails:
 * far above any real delay on a loaded machine, far below ctest's timeout. */
#define CONF_WAIT_SECONDS 10.0

/* Wait until *word >= want (acquire), yielding the CPU between polls so that a kernel thread
 * on a busy machine can run. Returns 0 once reached; the value seen when `abort` became
 * non-zero or after `seconds`, plus 1 (never 0), otherwise. */
static inline unsigned long long conf_wait_at_least(const cl_uint *word, cl_uint want,
                                                    const cl_uint *abort, double seconds)
{
    double end = conf_now() + seconds;
    for (unsigned long polls = 0;; polls++) {
        cl_uint v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (v >= want)
            return 0;
        if ((abort && __atomic_load_n(abort, __ATOMIC_RELAXED)) ||
            (polls % 64 == 0 && conf_now() > end))
            return (unsigned long long)v + 1;
        sched_yield();
    }
}

/* A meeting between a running kernel and a host thread, through a fine-grain SVM word array
 * hs[CONF_MEET_WORDS] (zeroed before the kernel is enqueued): each side announces itself and
 * waits for the other. It succeeds only when both run at the same time; if the kernel ran to
 * its end before the host side started (or after it gave up), one side times out and the test
 * fails instead of passing with the two merely one after the other. The kernel side is
 * CONF_MEET_CL (OpenCL C 1.2 atomics, usable from every -cl-std): conf_meet(hs) returns 1 when
 * the host came, 0 when the host gave up (hs[2] set) or after `limit` polls. */
enum {
    CONF_MEET_WORDS = 4
}; /* [0] host here, [1] kernel here, [2] host gave up, [3] kernel gave up */
#define CONF_MEET_CL                                                                               \
    "int conf_meet(volatile global int *hs, uint limit)\n"                                         \
    "{\n"                                                                                          \
    "    atomic_xchg(&hs[1], 1);\n"                                                                \
    "    for (uint n = 0; n < limit; n++) {\n"                                                     \
    "        if (atomic_or(&hs[0], 0))\n"                                                          \
    "            return 1;\n"                                                                      \
    "        if (atomic_or(&hs[2], 0))\n"                                                          \
    "            break;\n"                                                                         \
    "    }\n"                                                                                      \
    "    atomic_xchg(&hs[3], 1);\n"                                                                \
    "    return 0;\n"                                                                              \
    "}\n"
/* The kernel side's poll limit: a second or a few of polling, so a kernel that runs alone ends
 * by itself; a host that comes at all comes far sooner. */
#define CONF_MEET_LIMIT 0x4000000u

/* The host side of the meeting: announce, then wait (by time) for the kernel to be there. */
static inline void conf_meet_host(cl_uint *hs, const char *what)
{
    __atomic_store_n(&hs[0], 1u, __ATOMIC_RELEASE);
    if (conf_wait_at_least(&hs[1], 1, &hs[3], CONF_WAIT_SECONDS)) {
        __atomic_store_n(&hs[2], 1u, __ATOMIC_RELEASE);
        CHECK_MSG(0,
                  "%s: no running kernel within %.0f s of the host thread's start: host and "
                  "kernel did not run concurrently",
                  what, CONF_WAIT_SECONDS);
    }
}

/* The meeting's words: fine-grain SVM, with CL_MEM_SVM_ATOMICS where the device has it (both
 * sides use atomics on them), zeroed. */
static inline cl_uint *conf_meet_alloc(const conf_env *e)
{
    cl_svm_mem_flags f = CL_MEM_SVM_FINE_GRAIN_BUFFER;
    if (conf_has(e, CL_DEVICE_SVM_ATOMICS))
        f |= CL_MEM_SVM_ATOMICS;
    cl_uint *hs = conf_alloc(e, f, CONF_MEET_WORDS * sizeof(cl_uint));
    memset(hs, 0, CONF_MEET_WORDS * sizeof(cl_uint));
    return hs;
}

/* After the kernel finished: did its side meet the host, rather than give up alone? */
static inline void conf_meet_check(const cl_uint *hs, const char *what)
{
    CHECK_MSG(__atomic_load_n(&hs[3], __ATOMIC_ACQUIRE) == 0,
              "%s: the kernel waited for the host thread in vain (it had run alone): host and "
              "kernel did not run concurrently",
              what);
}

#endif
