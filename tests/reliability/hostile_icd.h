/*
 * hostile_icd.h: the fixture and case macros shared by test_hostile_icd's parts
 * (test_hostile_icd.c: fixture and driver; hostile_objects.c, hostile_programs.c,
 * hostile_svm.c: the cases by object kind).
 */
#ifndef CLSVM_TEST_HOSTILE_ICD_H
#define CLSVM_TEST_HOSTILE_ICD_H

/* clSetProgramReleaseCallback is deprecated in 3.0 but still an entry point clsvm implements. */
#define CL_USE_DEPRECATED_OPENCL_2_2_APIS
#include "svm/svm_test.h"

#define LIVE_SIZE 65536

typedef struct fx {
    svm_env e;
    cl_context ctx2;         /* a second context on the same device */
    cl_command_queue queue2; /* in ctx2 */
    cl_mem buf, buf2;        /* 4 KiB, in ctx and ctx2 */
    cl_program prog;         /* built, kernel "k(global int *a, int n)" */
    cl_program unbuilt;      /* created from source, never built */
    cl_kernel kern, kern2;   /* kern2 in ctx2 */
    cl_event uev;            /* a user event, completed */
    cl_sampler sampler;
    unsigned char *live; /* fine-grain SVM, LIVE_SIZE bytes, pattern checked after each case */
    unsigned char *svm;  /* coarse SVM, 4 KiB, in ctx */
    unsigned char *svm2; /* coarse SVM, 4 KiB, in ctx2 */
    /* Released handles of each kind (slots stay dead: icd/object.c's quarantine). */
    cl_context dead_ctx;
    cl_command_queue dead_queue;
    cl_mem dead_mem;
    cl_program dead_prog;
    cl_kernel dead_kern;
    cl_event dead_event;
    cl_sampler dead_sampler;
} fx;

extern int cases, failures, known;
extern const char hostile_src[];

/* After every case: the live allocation is intact and the context answers. */
void after_case(fx *f, const char *what);
void result(fx *f, const char *file, int line, const char *expr, cl_int got, cl_int want,
            cl_int want2);

/* T(want, call): a cl_int call. T2: either of two errors (the spec leaves the order open). */
#define T(want, call) result(f, __FILE__, __LINE__, #call, (call), (want), (want))
#define T2(want, want2, call) result(f, __FILE__, __LINE__, #call, (call), (want), (want2))
/* K(want, call): a known deviation in a file this test's owner may not change (listed in
 * docs/reliability.md): reported, counted apart, not a failure; a note once it is fixed. */
#define K(want, call)                                                                              \
    do {                                                                                           \
        cl_int got_ = (call);                                                                      \
        cases++;                                                                                   \
        if (got_ != (want)) {                                                                      \
            known++;                                                                               \
            fprintf(stderr, "known deviation, %s:%d: %s returned %s, spec: %s\n", __FILE__,        \
                    __LINE__, #call, icd_err_name(got_), icd_err_name(want));                      \
        } else {                                                                                   \
            fprintf(stderr, "%s:%d: %s now meets the spec: make it a T() case\n", __FILE__,        \
                    __LINE__, #call);                                                              \
        }                                                                                          \
        after_case(f, #call);                                                                      \
    } while (0)
/* X(want, call): a call that crashes the process inside the backend because clsvm forwards it
 * unchecked (a generated forwarder, or a file this test's owner may not change; listed in
 * docs/reliability.md). Not executed; counted as a known deviation. */
#define X(want, call)                                                                              \
    do {                                                                                           \
        (void)(want);                                                                              \
        cases++;                                                                                   \
        known++;                                                                                   \
        fprintf(stderr, "known crash, %s:%d, not run: %s\n", __FILE__, __LINE__, #call);           \
    } while (0)
/* O(want, type, release, call): a call returning an object through `err`; on success the object
 * is released; on error it must be NULL. */
#define O(want, type, release, call) O2(want, want, type, release, call)
#define O2(want, want2, type, release, call)                                                       \
    do {                                                                                           \
        err = 12345;                                                                               \
        type o_ = (call);                                                                          \
        cl_int got_ = err;                                                                         \
        if (o_ && got_ != CL_SUCCESS)                                                              \
            got_ = -9999; /* an object together with an error */                                   \
        if (o_)                                                                                    \
            release(o_);                                                                           \
        result(f, __FILE__, __LINE__, #call, got_, (want), (want2));                               \
    } while (0)
/* P(call): clSVMAlloc-like calls that must return NULL; N(call): void calls (documented no-op). */
#define P(call)                                                                                    \
    do {                                                                                           \
        void *p_ = (call);                                                                         \
        if (p_)                                                                                    \
            clSVMFree(f->e.context, p_);                                                           \
        result(f, __FILE__, __LINE__, #call, p_ ? -9999 : CL_SUCCESS, CL_SUCCESS, CL_SUCCESS);     \
    } while (0)
#define N(call)                                                                                    \
    do {                                                                                           \
        call;                                                                                      \
        result(f, __FILE__, __LINE__, #call, CL_SUCCESS, CL_SUCCESS, CL_SUCCESS);                  \
    } while (0)

/* Release a program a wrongly successful call returned. */
static inline void clReleaseProgram_if(cl_program p)
{
    if (p)
        clReleaseProgram(p);
}

static inline void CL_CALLBACK ev_notify(cl_event ev, cl_int status, void *user)
{
    (void)ev, (void)status, (void)user;
}

static inline void CL_CALLBACK native_fn(void *args)
{
    (void)args;
}

/* Wrong-type handles: each object kind passed where another is expected. */
#define AS(type, h) ((type)(void *)(h))

void platform_device_context(fx *f);
void retain_release(fx *f);
void queues_buffers(fx *f);
void programs_kernels(fx *f);
void events(fx *f);
void svm(fx *f);
void extensions(fx *f);

#endif
