/* svm_test.h: helpers shared by the SVM tests: one context/queue per test on the
 * platform under test, the window bound check, and small event/info helpers.
 *
 * The same tests run against plain pocl (CLSVM_TEST_PLATFORM=Portable,
 * OCL_ICD_VENDORS=/etc/OpenCL/vendors/pocl.icd) to show whether a failure is the test's or
 * clsvm's; checks that only clsvm can pass (the window bound, clsvm's own validation) are made
 * conditional on the platform name starting with "clsvm". */
#ifndef CLSVM_TEST_SVM_TEST_H
#define CLSVM_TEST_SVM_TEST_H

#include "icd/icd_test.h"
#include "svm/inline_device.h"

#include <errno.h>
#include <stdint.h>
#include <time.h>

/* ctest treats this exit code as "skipped" (SKIP_RETURN_CODE in svm_tests.cmake). */
#define SVM_TEST_SKIP TEST_SKIP_CODE

/* Soft checks: record a failure and carry on, so one run lists every deviation (useful when
 * pointing the tests at pocl); svm_exit_code() turns the count into the exit status. Hard
 * CHECKs remain for anything later steps depend on. */
static int svm_failures;

#define SVM_FAIL(...)                                                                              \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                                      \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        svm_failures++;                                                                            \
    } while (0)

/* Like CHECK_CL_ERR, but records the failure instead of exiting. */
#define SVM_EXPECT_ERR(expr, want)                                                                 \
    do {                                                                                           \
        cl_int svm_got_ = (expr), svm_want_ = (want);                                              \
        if (svm_got_ != svm_want_)                                                                 \
            SVM_FAIL("%s returned %s (%d), expected %s (%d)", #expr, icd_err_name(svm_got_),       \
                     (int)svm_got_, icd_err_name(svm_want_), (int)svm_want_);                      \
    } while (0)

static inline int svm_exit_code(void)
{
    if (svm_failures) {
        fprintf(stderr, "%d failure(s)\n", svm_failures);
        return 1;
    }
    if (test_exit_code() == TEST_SKIP_CODE) {
        printf("ok, but %d part(s) skipped (see SKIP above)\n", test_parts_skipped_);
        return TEST_SKIP_CODE;
    }
    printf("ok\n");
    return 0;
}

typedef struct svm_env {
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    int is_clsvm;     /* platform name starts with "clsvm" */
    unsigned va_bits; /* CLSVM_VA_BITS as clsvm reads it */
    cl_device_svm_capabilities caps;
    int inline_;    /* the device runs commands on the calling thread (inline_device.h) */
    int any_inline; /* some device of the context does */
} svm_env;

/* CLSVM_VA_BITS the way clsvm parses it (docs/configuration.md: decimal 32..48, anything else
 * means the default 40), so the test and the library agree on where the window must end. */
static inline unsigned svm_va_bits(void)
{
    const char *s = getenv("CLSVM_VA_BITS");
    if (!s || !*s)
        return 40;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 32 || v > 48)
        return 40;
    return (unsigned)v;
}

/* One context with every device of the platform, and a queue on the last of them: with
 * POCL_DEVICES="pthread basic" the basic device is reported first, so it shares the context and
 * its SVM while the commands run on the other device (test_svm_devices uses each device). */
static inline void svm_env_open(svm_env *e)
{
    memset(e, 0, sizeof *e);
    e->platform = icd_test_platform();
    e->is_clsvm = strncmp(icd_platform_name(e->platform), "clsvm", 5) == 0;
    e->va_bits = svm_va_bits();
    cl_device_id dev[8];
    cl_uint n = 0;
    CHECK_CL(clGetDeviceIDs(e->platform, CL_DEVICE_TYPE_ALL, 8, dev, &n));
    CHECK(n >= 1);
    if (n > 8)
        n = 8;
    e->device = dev[n - 1];
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)e->platform, 0};
    cl_int err = CL_SUCCESS;
    e->context = clCreateContext(props, n, dev, NULL, NULL, &err);
    CHECK_CL(err);
    e->queue = icd_test_queue(e->context, e->device, NULL);
    ICD_GET_INFO(clGetDeviceInfo, e->device, CL_DEVICE_SVM_CAPABILITIES, e->caps);
    for (cl_uint i = 0; i < n; i++) {
        int on_caller = device_runs_on_caller(e->context, dev[i]);
        CHECK(on_caller >= 0);
        if (dev[i] == e->device)
            e->inline_ = on_caller;
        e->any_inline |= on_caller;
    }
}

/* A part of a test that cannot work on a device that runs commands on the calling thread:
 * returns 0 and says so when the part must not run there. */
static inline int svm_part_runs(const svm_env *e, const char *part, const char *why)
{
    if (!e->inline_)
        return 1;
    SKIP_PART("%s: %s; %s", part, why, INLINE_DEVICE_WHY);
    return 0;
}

static inline void svm_env_close(svm_env *e);

/* The same for a whole test: release the context and exit 77 (ctest: skipped) with the reason. */
static inline void svm_test_runs(svm_env *e, const char *why)
{
    if (e->inline_) {
        printf("skipped: %s; %s\n", why, INLINE_DEVICE_WHY);
        svm_env_close(e);
        exit(SVM_TEST_SKIP);
    }
}

/* A whole test that needs these SVM capabilities: release the context and exit 77 without them. */
static inline void svm_test_needs(svm_env *e, cl_device_svm_capabilities caps, const char *what)
{
    if ((e->caps & caps) != caps) {
        printf("skipped: no %s\n", what);
        svm_env_close(e);
        exit(SVM_TEST_SKIP);
    }
}

#define SVM_WHY_CONCURRENT "it needs a kernel running while the host works"
#define SVM_WHY_USER_EVENT                                                                         \
    "it completes a user event that a command waits on, which deadlocks pocl 3.1 there (pocl "     \
    "alone too)"

static inline void svm_env_close(svm_env *e)
{
    CHECK_CL(clFinish(e->queue));
    CHECK_CL(clReleaseCommandQueue(e->queue));
    CHECK_CL(clReleaseContext(e->context));
}

/* Every clsvm SVM range must lie below 2^va_bits, the device's addressable width, and, when
 * the /dev/svm shim emulates a driver (CLSVM_SHIM_RANGE=min:max, the devsvm reruns), inside the
 * driver's range. Other platforms (pocl) allocate anywhere, so the check is clsvm-only. */
static inline int svm_in_window(const svm_env *e, const void *p, size_t size)
{
    if (!e->is_clsvm)
        return 1;
    uint64_t lim = (uint64_t)1 << e->va_bits, a = (uint64_t)(uintptr_t)p;
    if (a >= lim || size > lim - a)
        return 0;
    const char *range = getenv("CLSVM_SHIM_RANGE");
    unsigned long long lo, hi;
    if (range && sscanf(range, "%llx:%llx", &lo, &hi) == 2)
        return a >= lo && a < hi && size <= hi - a;
    return 1;
}

static inline void svm_check_window(const svm_env *e, const void *p, size_t size)
{
    CHECK_MSG(svm_in_window(e, p, size),
              "SVM range [%p, +%zu) not below 2^%u or outside CLSVM_SHIM_RANGE", p, size,
              e->va_bits);
}

/* clSVMAlloc that must succeed: non-NULL, inside the window, aligned as asked (0 means the
 * default, the size of long16 = 128 bytes, per clSVMAlloc in the API spec). */
static inline void *svm_alloc(const svm_env *e, cl_svm_mem_flags flags, size_t size, cl_uint align)
{
    void *p = clSVMAlloc(e->context, flags, size, align);
    CHECK_MSG(p != NULL, "clSVMAlloc(flags 0x%llx, size %zu, align %u) returned NULL",
              (unsigned long long)flags, size, align);
    svm_check_window(e, p, size);
    uintptr_t want = align ? align : 128;
    CHECK_MSG((uintptr_t)p % want == 0, "clSVMAlloc(size %zu, align %u) returned %p", size, align,
              p);
    return p;
}

/* The pointer-rule tests' memory: *live a fine-grain allocation of size bytes, *dead one that
 * was freed (inside the window, in no allocation). The rule is clsvm's (other platforms have
 * no window): on another platform the test is skipped. */
static inline void svm_live_and_freed(const svm_env *e, size_t size, unsigned char **live,
                                      unsigned char **dead)
{
    if (!e->is_clsvm) {
        fprintf(stderr, "the pointer rule is clsvm's (other platforms have no window): skipped\n");
        exit(SVM_TEST_SKIP);
    }
    cl_svm_mem_flags fine = CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER;
    *live = svm_alloc(e, fine, size, 0);
    *dead = svm_alloc(e, fine, size, 0);
    clSVMFree(e->context, *dead);
}

static inline cl_command_type svm_event_type(cl_event ev)
{
    cl_command_type t = 0;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_TYPE, t);
    return t;
}

static inline cl_int svm_event_status(cl_event ev)
{
    cl_int s = 0;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_EXECUTION_STATUS, s);
    return s;
}

static inline cl_event svm_user_event(const svm_env *e)
{
    cl_int err = CL_SUCCESS;
    cl_event u = clCreateUserEvent(e->context, &err);
    CHECK_CL(err);
    CHECK(u != NULL);
    return u;
}

/* A short pause that gives a broken implementation the chance to run a command early; the
 * tests never assert on how long anything takes. */
static inline void svm_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Map `size` bytes at `p` for the host (blocking) when the allocation is coarse-grained; fine-
 * grained memory is host-accessible without a map. */
static inline void svm_map(const svm_env *e, cl_svm_mem_flags flags, void *p, size_t size,
                           cl_map_flags how)
{
    if (!(flags & CL_MEM_SVM_FINE_GRAIN_BUFFER))
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, how, p, size, 0, NULL, NULL));
}

static inline void svm_unmap(const svm_env *e, cl_svm_mem_flags flags, void *p)
{
    if (!(flags & CL_MEM_SVM_FINE_GRAIN_BUFFER)) {
        CHECK_CL(clEnqueueSVMUnmap(e->queue, p, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
    }
}

#endif
