/* svm_sample.h: the set-up every SVM sample shares and none of them is about: the size
 * argument, picking the platform, building the embedded kernel, error checks, and recording
 * where the SVM allocations lie (for clsvm: checking they are inside the device's window).
 *
 * The platform is chosen by name prefix from CLSVM_SAMPLE_PLATFORM (default "clsvm"), so the
 * same binaries run on any OpenCL 2.0+ platform with SVM, e.g. pocl:
 *   OCL_ICD_VENDORS=/etc/OpenCL/vendors/pocl.icd CLSVM_SAMPLE_PLATFORM=Portable svm-bst
 * Exit status: 0 = result verified, 1 = wrong result or error, 2 = usage,
 * 77 = the device lacks a capability the sample needs (ctest reports that as skipped). */
#ifndef CLSVM_SAMPLES_SVM_SAMPLE_H
#define CLSVM_SAMPLES_SVM_SAMPLE_H

#include <CL/cl.h>

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SAMPLE_SKIP 77

typedef struct sample {
    const char *name; /* program name for messages */
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    cl_program program;
    cl_device_svm_capabilities caps;
    int is_clsvm;     /* platform name starts with "clsvm": the window check applies */
    unsigned va_bits; /* clsvm's window lies below 2^va_bits (CLSVM_VA_BITS, default 40) */
    uintptr_t lo, hi; /* lowest and highest-but-one address of the SVM allocations recorded */
} sample;

/* Report a failure and leave: samples stop at the first thing they cannot recover from. */
#define SAMPLE_FAIL(s, ...)                                                                        \
    do {                                                                                           \
        fprintf(stderr, "%s: FAIL: ", (s)->name);                                                  \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        exit(1);                                                                                   \
    } while (0)

#define CHECK(s, cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            SAMPLE_FAIL(s, __VA_ARGS__);                                                           \
    } while (0)

#define CHECK_CL(s, expr)                                                                          \
    do {                                                                                           \
        cl_int check_err_ = (expr);                                                                \
        if (check_err_ != CL_SUCCESS)                                                              \
            SAMPLE_FAIL(s, "%s:%d: %s returned %d", __FILE__, __LINE__, #expr, (int)check_err_);   \
    } while (0)

/* argv[1], if given, is the problem size: a positive decimal number up to `max`. */
static inline size_t sample_size(const char *name, int argc, char **argv, size_t def, size_t max)
{
    if (argc < 2)
        return def;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(argv[1], &end, 10);
    if (argc > 2 || errno || *end || end == argv[1] || v == 0 || v > max) {
        fprintf(stderr, "usage: %s [size]   (size: 1..%zu, default %zu)\n", name, max, def);
        exit(2);
    }
    return (size_t)v;
}

/* CLSVM_VA_BITS as clsvm reads it (docs/configuration.md: decimal digits only, 32..48;
 * anything else, " 44" and "+44" included, means 40). A sample is a plain OpenCL application,
 * so it cannot ask clsvm's option table. */
static inline unsigned sample_va_bits(void)
{
    const char *s = getenv("CLSVM_VA_BITS");
    unsigned v = 0;
    if (!s || !*s)
        return 40;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 48)
            return 40;
        v = v * 10 + (unsigned)(*s - '0');
    }
    return v < 32 || v > 48 ? 40 : v;
}

static inline const char *sample_platform_prefix(void)
{
    const char *p = getenv("CLSVM_SAMPLE_PLATFORM");
    return p && *p ? p : "clsvm";
}

/* The first platform whose name starts with the prefix; on a miss, say what there is. */
static inline cl_platform_id sample_pick_platform(sample *s)
{
    cl_platform_id ids[16];
    cl_uint n = 0;
    cl_int err = clGetPlatformIDs(16, ids, &n);
    if (err != CL_SUCCESS)
        n = 0; /* the loader says CL_PLATFORM_NOT_FOUND_KHR when it finds no vendor */
    if (n > 16)
        n = 16;
    const char *want = sample_platform_prefix();
    for (cl_uint i = 0; i < n; i++) {
        char name[256] = "";
        clGetPlatformInfo(ids[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        if (strncmp(name, want, strlen(want)) == 0)
            return ids[i];
    }
    fprintf(stderr, "%s: no OpenCL platform named \"%s...\" (set CLSVM_SAMPLE_PLATFORM); found:\n",
            s->name, want);
    for (cl_uint i = 0; i < n; i++) {
        char name[256] = "";
        clGetPlatformInfo(ids[i], CL_PLATFORM_NAME, sizeof name, name, NULL);
        fprintf(stderr, "  %s\n", name);
    }
    if (!n)
        fprintf(stderr, "  (none: check OCL_ICD_VENDORS or /etc/OpenCL/vendors)\n");
    exit(1);
}

/* Platform, first device, context and in-order queue. A device without the SVM capabilities
 * in `need` makes the sample exit with SAMPLE_SKIP: there is nothing to show on it. */
static inline void sample_open(sample *s, const char *name, cl_device_svm_capabilities need)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->va_bits = sample_va_bits();
    s->lo = UINTPTR_MAX;
    s->platform = sample_pick_platform(s);
    char pname[256] = "";
    CHECK_CL(s, clGetPlatformInfo(s->platform, CL_PLATFORM_NAME, sizeof pname, pname, NULL));
    s->is_clsvm = strncmp(pname, "clsvm", 5) == 0;
    CHECK_CL(s, clGetDeviceIDs(s->platform, CL_DEVICE_TYPE_ALL, 1, &s->device, NULL));
    CHECK_CL(
        s, clGetDeviceInfo(s->device, CL_DEVICE_SVM_CAPABILITIES, sizeof s->caps, &s->caps, NULL));
    if ((s->caps & need) != need) {
        printf("%s: skipped: the device's SVM capabilities 0x%llx lack 0x%llx\n", name,
               (unsigned long long)s->caps, (unsigned long long)(need & ~s->caps));
        exit(SAMPLE_SKIP);
    }
    cl_int err = CL_SUCCESS;
    s->context = clCreateContext(NULL, 1, &s->device, NULL, NULL, &err);
    CHECK_CL(s, err);
    s->queue = clCreateCommandQueueWithProperties(s->context, s->device, NULL, &err);
    CHECK_CL(s, err);
    char dname[256] = "";
    CHECK_CL(s, clGetDeviceInfo(s->device, CL_DEVICE_NAME, sizeof dname, dname, NULL));
    printf("%s: platform %s, device %s\n", name, pname, dname);
}

/* Build the kernel source embedded at build time (kernels/<name>.cl); show the log on error. */
static inline void sample_build(sample *s, const char *source, const char *options)
{
    cl_int err = CL_SUCCESS;
    s->program = clCreateProgramWithSource(s->context, 1, &source, NULL, &err);
    CHECK_CL(s, err);
    err = clBuildProgram(s->program, 1, &s->device, options, NULL, NULL);
    if (err != CL_SUCCESS) {
        char log[8192] = "";
        clGetProgramBuildInfo(s->program, s->device, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log,
                              NULL);
        SAMPLE_FAIL(s, "clBuildProgram returned %d:\n%s", (int)err, log);
    }
}

static inline cl_kernel sample_kernel(sample *s, const char *name)
{
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(s->program, name, &err);
    CHECK_CL(s, err);
    return k;
}

/* clSVMAlloc that must succeed. Every allocation is recorded in [lo, hi); on clsvm it must lie
 * below 2^va_bits, which is the whole point of clsvm (a device with fewer address bits than
 * the CPU can reach it). Other platforms allocate anywhere, so there it is only recorded. */
static inline void *sample_svm_alloc(sample *s, cl_svm_mem_flags flags, size_t size)
{
    void *p = clSVMAlloc(s->context, flags, size, 0);
    CHECK(s, p != NULL, "clSVMAlloc(flags 0x%llx, %zu bytes) returned NULL",
          (unsigned long long)flags, size);
    uintptr_t a = (uintptr_t)p;
    if (a < s->lo)
        s->lo = a;
    if (a + size > s->hi)
        s->hi = a + size;
    if (s->is_clsvm) {
        uint64_t lim = (uint64_t)1 << s->va_bits;
        CHECK(s, (uint64_t)a < lim && size <= lim - (uint64_t)a,
              "SVM allocation [%p, +%zu) is not below 2^%u", p, size, s->va_bits);
    }
    return p;
}

static inline void sample_print_range(const sample *s)
{
    if (s->lo >= s->hi)
        return;
    printf("%s: SVM allocations lie in [%#" PRIxPTR ", %#" PRIxPTR ")", s->name, s->lo, s->hi);
    if (s->is_clsvm)
        printf(", all below 2^%u as clsvm promises", s->va_bits);
    printf("\n");
}

static inline void sample_close(sample *s)
{
    CHECK_CL(s, clFinish(s->queue));
    if (s->program)
        clReleaseProgram(s->program);
    clReleaseCommandQueue(s->queue);
    clReleaseContext(s->context);
}

/* A small deterministic generator (xorshift64*), so every run checks the same data. */
static inline uint64_t sample_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Fisher-Yates shuffle of 0..n-1 into perm. */
static inline void sample_permutation(size_t *perm, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(sample_rand(&seed) % i);
        size_t t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

#endif
