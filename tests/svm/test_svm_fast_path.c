/* test_svm_fast_path: map, unmap and migrate do no work on a CPU device, so clsvm orders them
 * with a backend marker, or enqueues nothing when a command is not blocking and has neither a
 * wait list nor an event. Whatever the path, the guarantees stay:
 *   - a blocking map with no wait list and no event, queued behind a long kernel, returns after
 *     the kernel (its last store is visible), and so does a blocking memcpy;
 *   - an unmap and a migrate with nothing to order, then a blocking memcpy: data of the kernel
 *     before them;
 *   - a map / unmap / migrate whose wait event fails ends with a negative status. */
#include "svm/svm_test.h"

static const char *src = "kernel void k_slow(global int *a, int n)\n"
                         "{ int s = 1; for (int i = 0; i < n; i++) s = s * 3 + i;\n"
                         "  a[1] = s; a[0] = 42; }\n";

static void behind_a_kernel(const svm_env *e, cl_kernel k)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    int host[2];
    int n = 1 << 25;
    size_t one = 1;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    CHECK_CL(clSetKernelArg(k, 1, sizeof n, &n));
    for (int round = 0; round < 3; round++) {
        a[0] = 0;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, 4096, 0, NULL, NULL));
        if (a[0] != 42)
            SVM_FAIL("round %d: blocking map returned before the kernel ended (a[0] = %d)", round,
                     a[0]);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
        a[0] = 0;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, k, 1, NULL, &one, NULL, 0, NULL, NULL));
        const void *ptrs[] = {a};
        CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 1, ptrs, NULL, 0, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, a, sizeof host, 0, NULL, NULL));
        if (host[0] != 42)
            SVM_FAIL("round %d: blocking memcpy after a migrate read %d before the kernel ended",
                     round, host[0]);
    }
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
}

static void failed_waits(const svm_env *e)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    cl_event u = svm_user_event(e), ev[3];
    const void *ptrs[] = {a};
    CHECK_CL(clEnqueueSVMMap(e->queue, CL_FALSE, CL_MAP_WRITE, a, 4096, 1, &u, &ev[0]));
    CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 1, &u, &ev[1]));
    CHECK_CL(clEnqueueSVMMigrateMem(e->queue, 1, ptrs, NULL, 0, 1, &u, &ev[2]));
    CHECK_CL(clFlush(e->queue));
    CHECK_CL(clSetUserEventStatus(u, -55));
    static const char *const name[3] = {"map", "unmap", "migrate"};
    for (int i = 0; i < 3; i++) {
        clWaitForEvents(1, &ev[i]); /* reports the failure */
        if (svm_event_status(ev[i]) >= 0)
            SVM_FAIL("%s after a failed wait event: status %d", name[i], svm_event_status(ev[i]));
        CHECK_CL(clReleaseEvent(ev[i]));
    }
    /* Not tested: a blocking map whose wait event another thread fails while it waits; pocl
     * 3.1 aborts in pocl_update_event_failed there (pocl alone too). */
    CHECK_CL(clReleaseEvent(u));
    clFinish(e->queue); /* may report the failed commands */
    clSVMFree(e->context, a);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel k = icd_test_kernel(prog, "k_slow");
    behind_a_kernel(&e, k);
    failed_waits(&e);
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
