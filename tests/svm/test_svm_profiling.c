/* test_svm_profiling: the profiling times of an SVM command's event tell the truth about the
 * work clsvm did for it. A 256 MiB clEnqueueSVMMemcpy's START..END must span at least half the
 * time the same copy takes when the host does it (best of six, before and after: the machine is
 * shared; a span that does not bracket the copy is near 0), and QUEUED <= SUBMIT <= START <= END; a
 * fill's and a map's times are ordered the same way, and a memcpy queued behind a long kernel
 * starts after the kernel ends. */
#include "svm/svm_test.h"

static const char *src = "kernel void k_busy(global int *a, int n)\n"
                         "{ int s = 0; for (int i = 0; i < n; i++) s += i ^ s; a[0] = s; }\n";

enum { BIG = 256 << 20 };

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Best of three host copies of BIG bytes, in ns; leaves b zeroed. */
static double host_copy(unsigned char *a, unsigned char *b)
{
    double best = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = now_ns();
        memcpy(b, a, BIG);
        double t = now_ns() - t0;
        if (t < best)
            best = t;
        memset(b, 0, BIG);
    }
    return best;
}

typedef struct prof {
    cl_ulong queued, submit, start, end;
} prof;

static prof times(cl_event ev, const char *what)
{
    prof p;
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_QUEUED, p.queued);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_SUBMIT, p.submit);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_START, p.start);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_END, p.end);
    if (!(p.queued <= p.submit && p.submit <= p.start && p.start <= p.end))
        SVM_FAIL("%s: QUEUED %llu SUBMIT %llu START %llu END %llu are not in order", what,
                 (unsigned long long)p.queued, (unsigned long long)p.submit,
                 (unsigned long long)p.start, (unsigned long long)p.end);
    return p;
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    const cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl_command_queue q = icd_test_queue(e.context, e.device, props);
    unsigned char *a = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, BIG, 0);
    unsigned char *b = svm_alloc(&e, CL_MEM_SVM_FINE_GRAIN_BUFFER, BIG, 0);
    memset(a, 0x3C, BIG);
    memset(b, 0, BIG);
    double host_best = host_copy(a, b);
    /* The copy's span: at least the host's best time for the same copy, less 10% for noise. */
    cl_event ev;
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, b, a, BIG, 0, NULL, &ev));
    CHECK(b[0] == 0x3C && b[BIG - 1] == 0x3C);
    prof p = times(ev, "256 MiB memcpy");
    double span = (double)(p.end - p.start), after = host_copy(a, b);
    if (after < host_best)
        host_best = after;
    printf("256 MiB memcpy: START..END %.2f ms, host memcpy %.2f ms\n", span / 1e6,
           host_best / 1e6);
    /* Half the best host time: other tests share the machine; a span that does not bracket
     * the copy is near 0. */
    if (span < 0.5 * host_best)
        SVM_FAIL("256 MiB memcpy: START..END %.2f ms, shorter than the copy (%.2f ms)", span / 1e6,
                 host_best / 1e6);
    CHECK_CL(clReleaseEvent(ev));

    static const unsigned char pat[4] = {1, 2, 3, 4};
    CHECK_CL(clEnqueueSVMMemFill(q, b, pat, sizeof pat, BIG, 0, NULL, &ev));
    CHECK_CL(clWaitForEvents(1, &ev));
    p = times(ev, "256 MiB fill");
    if (p.end - p.start < 1000000) /* 256 MiB cannot be written in under 1 ms */
        SVM_FAIL("256 MiB fill: START..END %llu ns", (unsigned long long)(p.end - p.start));
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clEnqueueSVMMap(q, CL_TRUE, CL_MAP_READ, a, 4096, 0, NULL, &ev));
    times(ev, "map");
    CHECK_CL(clReleaseEvent(ev));

    /* Behind a long kernel on the in-order queue: START after the kernel's END. */
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k_busy");
    int n = 1 << 24;
    size_t one = 1;
    cl_event kev;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    CHECK_CL(clSetKernelArg(k, 1, sizeof n, &n));
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &one, NULL, 0, NULL, &kev));
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, b, a + 64, 64, 0, NULL, &ev));
    CHECK_CL(clFinish(q));
    prof pk = times(kev, "kernel"), pc = times(ev, "memcpy after the kernel");
    if (pc.start < pk.end)
        SVM_FAIL("memcpy queued behind a kernel started at %llu, before the kernel ended (%llu)",
                 (unsigned long long)pc.start, (unsigned long long)pk.end);
    CHECK_CL(clReleaseEvent(kev));
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    clSVMFree(e.context, a);
    clSVMFree(e.context, b);
    CHECK_CL(clReleaseCommandQueue(q));
    svm_env_close(&e);
    return svm_exit_code();
}
