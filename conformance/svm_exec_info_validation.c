/* svm_exec_info_validation: clSetKernelExecInfo (OpenCL 3.0 API 5.9.2, 5.6.1) as clsvm checks
 * it: CL_KERNEL_EXEC_INFO_SVM_PTRS lists (whole allocations and interior pointers) are accepted
 * and replaced, and each invalid use returns the spec's error code.
 *
 * Named after what it checks: whether the list reaches the device cannot be seen here. A CPU
 * device shares the host's address space, so a kernel dereferencing an SVM pointer it was never
 * told about (the targets below, reached through pointers stored in an argument) reads the
 * right value whatever clSetKernelExecInfo did; the kernel runs only show that valid lists are
 * usable. Shown once by breaking the build on purpose: with clsvm_clSetKernelExecInfo
 * forwarding every call without validation, this test failed with
 * "clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof(void *) + 1, two) returned 0,
 * expected -30". */
#include "conf.h"

static const char *src = "typedef struct ref { global int *target; int add; } ref;\n"
                         "kernel void k_indirect(global ref *refs)\n"
                         "{\n"
                         "    uint i = get_global_id(0);\n"
                         "    refs[i].target[i] += refs[i].add;\n"
                         "}\n";

typedef struct ref {
    cl_int *target;
    cl_int add;
} ref;

enum { NTARGET = 4, N = 64 };

int main(void)
{
    conf_env e;
    conf_open(&e);
    cl_program p = conf_program(&e, src, NULL);
    cl_kernel k = conf_kernel(p, "k_indirect");
    ref *refs = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(ref));
    cl_int *t[NTARGET];
    for (int j = 0; j < NTARGET; j++) {
        t[j] = conf_alloc(&e, CL_MEM_READ_WRITE, N * sizeof(cl_int));
        CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, t[j], N * sizeof(cl_int), 0, NULL,
                                 NULL));
        for (int i = 0; i < N; i++)
            t[j][i] = 1000 * j;
        CHECK_CL(clEnqueueSVMUnmap(e.queue, t[j], 0, NULL, NULL));
    }
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, refs));
    /* Two rounds: first targets 0 and 1, then 2 and 3, each round naming its own set (the second
     * call replaces the first list). */
    for (int round = 0; round < 2; round++) {
        CHECK_CL(
            clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_WRITE, refs, N * sizeof(ref), 0, NULL, NULL));
        for (int i = 0; i < N; i++) {
            refs[i].target = t[2 * round + i % 2];
            refs[i].add = i + 1;
        }
        CHECK_CL(clEnqueueSVMUnmap(e.queue, refs, 0, NULL, NULL));
        void *ptrs[2] = {t[2 * round], t[2 * round + 1]};
        CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof ptrs, ptrs));
        conf_run(&e, k, N);
    }
    for (int j = 0; j < NTARGET; j++) {
        CHECK_CL(clEnqueueSVMMap(e.queue, CL_TRUE, CL_MAP_READ, t[j], N * sizeof(cl_int), 0, NULL,
                                 NULL));
        for (int i = 0; i < N; i++) {
            cl_int want = 1000 * j + (i % 2 == j % 2 ? i + 1 : 0);
            CHECK_MSG(t[j][i] == want, "target %d [%d] = %d, want %d", j, i, t[j][i], want);
        }
        CHECK_CL(clEnqueueSVMUnmap(e.queue, t[j], 0, NULL, NULL));
    }
    /* Interior pointers are SVM pointers too. */
    void *inner[1] = {t[0] + 5};
    CHECK_CL(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof inner, inner));

    /* Errors: a size that is not a whole pointer list, a non-NULL size with no list, an unknown
     * param_name, an invalid kernel; an exec-info boolean of the wrong size. */
    void *two[2] = {t[0], t[1]};
    CHECK_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof(void *) + 1, two),
              CL_INVALID_VALUE);
    CHECK_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof two, NULL),
              CL_INVALID_VALUE);
    CHECK_ERR(clSetKernelExecInfo(k, 0x1234, sizeof two, two), CL_INVALID_VALUE);
    CHECK_ERR(clSetKernelExecInfo(NULL, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof two, two),
              CL_INVALID_KERNEL);
    cl_bool no = CL_FALSE;
    CHECK_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM, 1, &no),
              CL_INVALID_VALUE);
    /* Without fine-grain system SVM a malloc'd pointer is not an SVM pointer. */
    if (!conf_has(&e, CL_DEVICE_SVM_FINE_GRAIN_SYSTEM)) {
        void *m = malloc(16);
        CHECK(m);
        void *bad[2] = {t[0], m};
        CHECK_ERR(clSetKernelExecInfo(k, CL_KERNEL_EXEC_INFO_SVM_PTRS, sizeof bad, bad),
                  CL_INVALID_VALUE);
        free(m);
    }
    CHECK_CL(clFinish(e.queue));
    for (int j = 0; j < NTARGET; j++)
        clSVMFree(e.context, t[j]);
    clSVMFree(e.context, refs);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(p));
    conf_close(&e);
    printf("ok\n");
    return 0;
}
