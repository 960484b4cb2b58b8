/* oclc20_test.h: helpers for the OpenCL C 2.0 tests (tests/oclc20, docs/opencl-c-2.0.md):
 * building a kernels/cl20 source with -cl-std=CL2.0 through the platform under test, and
 * reading program build info. Built on tests/svm/svm_test.h (context, queue, SVM helpers). */
#ifndef CLSVM_TEST_OCLC20_TEST_H
#define CLSVM_TEST_OCLC20_TEST_H

#include "svm/svm_test.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

/* Can clang-15 ($CLSVM_OCLC20_CLANG) be run at all? Sets SIGCHLD back to its default. Tests
 * that change how children are reaped use it to tell "clang missing" (skip) from "clsvm could
 * not wait for clang" (failure). */
static inline int oclc20_clang_runs(void)
{
    signal(SIGCHLD, SIG_DFL);
    const char *clang = getenv("CLSVM_OCLC20_CLANG");
    char *argv[] = {(char *)(clang && *clang ? clang : "clang-15"), "--version", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int st = -1;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == 0 && waitpid(pid, &st, 0) != pid)
        st = -1;
    return rc == 0 && st == 0;
}

/* A malloc'd string query of clGetProgramBuildInfo (never NULL). */
static inline char *oclc20_build_string(cl_program prog, cl_device_id d, cl_program_build_info what)
{
    size_t len = 0;
    CHECK_CL(clGetProgramBuildInfo(prog, d, what, 0, NULL, &len));
    char *s = calloc(len + 1, 1);
    CHECK(s != NULL);
    CHECK_CL(clGetProgramBuildInfo(prog, d, what, len, s, NULL));
    CHECK_MSG(len > 0 && s[len - 1] == '\0', "build info %#x not NUL-terminated", (unsigned)what);
    return s;
}

static inline char *oclc20_program_string(cl_program prog, cl_program_info what)
{
    size_t len = 0;
    CHECK_CL(clGetProgramInfo(prog, what, 0, NULL, &len));
    char *s = calloc(len + 1, 1);
    CHECK(s != NULL);
    CHECK_CL(clGetProgramInfo(prog, what, len, s, NULL));
    return s;
}

static inline cl_build_status oclc20_build_status(cl_program prog, cl_device_id d)
{
    cl_build_status st = 0;
    size_t sz = 0;
    CHECK_CL(clGetProgramBuildInfo(prog, d, CL_PROGRAM_BUILD_STATUS, sizeof st, &st, &sz));
    CHECK_EQ(sz, sizeof st);
    return st;
}

/* Does the device list OpenCL C 2.0 in CL_DEVICE_OPENCL_C_ALL_VERSIONS? */
static inline int oclc20_listed(const svm_env *e)
{
    size_t n = 0;
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, 0, NULL, &n));
    cl_name_version *v = malloc(n ? n : 1);
    CHECK(v != NULL);
    CHECK_CL(clGetDeviceInfo(e->device, CL_DEVICE_OPENCL_C_ALL_VERSIONS, n, v, NULL));
    int listed = 0;
    for (size_t i = 0; i < n / sizeof *v; i++)
        listed |= v[i].version == CL_MAKE_VERSION(2, 0, 0);
    free(v);
    return listed;
}

/* Tests of the SPIR path skip (exit 77) on clsvm when the path is not usable, i.e. clang-15 is
 * not installed (the device then does not list OpenCL C 2.0); test_oclc20_versions fails instead
 * if clang-15 runs but 2.0 is not listed, so a broken path does not hide behind the skip. */
static inline void oclc20_require_path(const svm_env *e)
{
    if (e->is_clsvm && !oclc20_listed(e)) {
        fprintf(stderr, "OpenCL C 2.0 not listed (clang-15 missing?): skipped\n");
        exit(SVM_TEST_SKIP);
    }
}

/* Spin limit for kernels that wait for the host (a bound, so a broken run ends; never a timing
 * assertion: a kernel that gives up leaves a result the test reports as wrong). */
#define OCLC20_SPIN_OPTS "-cl-std=CL2.0 -DSPIN_LIMIT=2000000000L"

/* Fine-grain SVM with atomics, zeroed; the tests need it. */
static inline void *oclc20_svm(const svm_env *e, size_t size)
{
    CHECK_MSG((e->caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER) && (e->caps & CL_DEVICE_SVM_ATOMICS),
              "caps 0x%llx: fine-grain buffer with atomics required", (unsigned long long)e->caps);
    void *p = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS, size, 0);
    memset(p, 0, size);
    return p;
}

/* A build/compile/link notification that counts its calls and keeps the program it got. */
typedef struct oclc20_notified {
    int calls;
    cl_program prog;
} oclc20_notified;

static inline void CL_CALLBACK oclc20_on_notify(cl_program prog, void *user)
{
    oclc20_notified *n = user;
    n->calls++;
    n->prog = prog;
}

/* Runs kernel k over n work-items with argument 0 a one-int buffer holding init (and argument 1
 * the int reps when reps >= 0), waits, and returns the int read back. */
static inline cl_int oclc20_run_int(const svm_env *e, cl_kernel k, size_t n, cl_int init,
                                    cl_int reps)
{
    cl_int v = init;
    cl_mem m = icd_test_buffer(e->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof v, &v);
    CHECK_CL(clSetKernelArg(k, 0, sizeof m, &m));
    if (reps >= 0)
        CHECK_CL(clSetKernelArg(k, 1, sizeof reps, &reps));
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
    CHECK_CL(clEnqueueReadBuffer(e->queue, m, CL_TRUE, 0, sizeof v, &v, 0, NULL, NULL));
    CHECK_CL(clReleaseMemObject(m));
    return v;
}

/* The same with a kernel of prog made for the call. */
static inline cl_int oclc20_run_named(const svm_env *e, cl_program prog, const char *name, size_t n,
                                      cl_int init, cl_int reps)
{
    cl_kernel k = icd_test_kernel(prog, name);
    cl_int v = oclc20_run_int(e, k, n, init, reps);
    CHECK_CL(clReleaseKernel(k));
    return v;
}

/* Starts the kernel k over n work-items without waiting for it. */
static inline void oclc20_launch(const svm_env *e, cl_kernel k, size_t n)
{
    CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &n, NULL, 0, NULL, NULL));
    CHECK_CL(clFlush(e->queue));
}

#endif
