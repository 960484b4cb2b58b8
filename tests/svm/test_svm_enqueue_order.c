/* test_svm_enqueue_order: the clEnqueueSVM* commands are real queue commands, whatever the
 * implementation does inside (clsvm runs them on the host, ordered by the backend queue):
 *   - in-order queue: kernels and SVM commands interleaved without waits see each other's data;
 *   - out-of-order queue: a chain ordered only by events (fill -> memcpy -> kernel -> map);
 *   - a failed wait-list event (negative user-event status): the command does nothing (no copy,
 *     no free callback) and its event reports a negative status;
 *   - the queue released by the application while a free (with and without callback) is
 *     pending: the command still runs, the callback gets the queue handle, nothing hangs;
 *   - a blocking memcpy waits for a user event another thread completes;
 *   - many small non-blocking commands in a row, then clFinish (no lost or reordered work). */
#include "svm/svm_test.h"

#include <pthread.h>

static const char *src = "kernel void k_iota(global int *a) { int i = get_global_id(0); a[i] = "
                         "3 * i; }\n"
                         "kernel void k_twice(global int *a) { a[get_global_id(0)] *= 2; }\n";

enum { N = 4096 };

static void in_order_chain(const svm_env *e, cl_program prog)
{
    cl_kernel iota = icd_test_kernel(prog, "k_iota"), twice = icd_test_kernel(prog, "k_twice");
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    int *b = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    int *host = malloc(N * sizeof(int));
    CHECK(host != NULL);
    size_t n = N;
    for (int round = 0; round < 20; round++) {
        static const int zero = 0;
        CHECK_CL(
            clEnqueueSVMMemFill(e->queue, b, &zero, sizeof zero, N * sizeof(int), 0, NULL, NULL));
        CHECK_CL(clSetKernelArgSVMPointer(iota, 0, a));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, iota, 1, NULL, &n, NULL, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, b, a, N * sizeof(int), 0, NULL, NULL));
        CHECK_CL(clSetKernelArgSVMPointer(twice, 0, b));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, twice, 1, NULL, &n, NULL, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, b, N * sizeof(int), 0, NULL, NULL));
        for (int i = 0; i < N; i++)
            if (host[i] != 6 * i) {
                SVM_FAIL("in-order round %d: host[%d] = %d, want %d", round, i, host[i], 6 * i);
                break;
            }
    }
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
    free(host);
    CHECK_CL(clReleaseKernel(iota));
    CHECK_CL(clReleaseKernel(twice));
}

static void out_of_order_chain(const svm_env *e, cl_program prog)
{
    cl_command_queue_properties qp = 0;
    ICD_GET_INFO(clGetDeviceInfo, e->device, CL_DEVICE_QUEUE_ON_HOST_PROPERTIES, qp);
    if (!(qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)) {
        SKIP_PART("out-of-order chain: the device has no out-of-order queues");
        return;
    }
    const cl_queue_properties props[] = {CL_QUEUE_PROPERTIES,
                                         CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
    cl_command_queue q = icd_test_queue(e->context, e->device, props);
    cl_kernel twice = icd_test_kernel(prog, "k_twice");
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    int *b = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    size_t n = N;
    for (int round = 0; round < 10; round++) {
        cl_event gate = svm_user_event(e), e1, e2, e3, e4;
        int v = 7 + round;
        CHECK_CL(clEnqueueSVMMemFill(q, a, &v, sizeof v, N * sizeof(int), 1, &gate, &e1));
        CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, b, a, N * sizeof(int), 1, &e1, &e2));
        CHECK_CL(clSetKernelArgSVMPointer(twice, 0, b));
        CHECK_CL(clEnqueueNDRangeKernel(q, twice, 1, NULL, &n, NULL, 1, &e2, &e3));
        CHECK_CL(clEnqueueSVMMap(q, CL_FALSE, CL_MAP_READ, b, N * sizeof(int), 1, &e3, &e4));
        CHECK_CL(clFlush(q));
        svm_sleep_ms(5);
        if (svm_event_status(e4) == CL_COMPLETE)
            SVM_FAIL("out-of-order round %d: map completed before its gated chain", round);
        CHECK_CL(clSetUserEventStatus(gate, CL_COMPLETE));
        CHECK_CL(clWaitForEvents(1, &e4));
        CHECK_EQ(svm_event_type(e4), CL_COMMAND_SVM_MAP);
        CHECK_EQ(svm_event_status(e1), CL_COMPLETE);
        for (int i = 0; i < N; i++)
            if (b[i] != 2 * v) {
                SVM_FAIL("out-of-order round %d: b[%d] = %d, want %d", round, i, b[i], 2 * v);
                break;
            }
        CHECK_CL(clEnqueueSVMUnmap(q, b, 0, NULL, NULL));
        CHECK_CL(clFinish(q));
        cl_event evs[] = {gate, e1, e2, e3, e4};
        for (int i = 0; i < 5; i++)
            CHECK_CL(clReleaseEvent(evs[i]));
    }
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
    CHECK_CL(clReleaseKernel(twice));
    CHECK_CL(clReleaseCommandQueue(q));
}

typedef struct free_seen {
    cl_context context;
    int calls;
    cl_command_queue queue;
    void *ptr;
} free_seen;

static void CL_CALLBACK free_cb(cl_command_queue q, cl_uint n, void *ptrs[], void *user_data)
{
    free_seen *s = user_data;
    s->queue = q;
    s->ptr = n ? ptrs[0] : NULL;
    for (cl_uint i = 0; i < n; i++)
        clSVMFree(s->context, ptrs[i]);
    __atomic_fetch_add(&s->calls, 1, __ATOMIC_RELEASE);
}

static void failed_wait_event(const svm_env *e)
{
    unsigned char *src = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 256, 0);
    unsigned char *dst = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 256, 0);
    void *victim = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 64, 0);
    memset(src, 0xAB, 256);
    memset(dst, 0x00, 256);
    cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
    cl_event u = svm_user_event(e), ecopy = NULL, efree = NULL;
    free_seen seen = {e->context, 0, NULL, NULL};
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, dst, src, 256, 1, &u, &ecopy));
    CHECK_CL(clEnqueueSVMFree(q, 1, &victim, free_cb, &seen, 1, &u, &efree));
    CHECK_CL(clFlush(q));
    CHECK_CL(clSetUserEventStatus(u, -1234));
    /* Both commands end with a negative status (or, where a backend completes commands whose
     * wait list failed, at least without doing the work); wait without clWaitForEvents, which
     * reports the failure as an error. */
    for (int i = 0; i < 500; i++) {
        cl_int s1 = svm_event_status(ecopy), s2 = svm_event_status(efree);
        if ((s1 < 0 || s1 == CL_COMPLETE) && (s2 < 0 || s2 == CL_COMPLETE))
            break;
        svm_sleep_ms(10);
    }
    cl_int s1 = svm_event_status(ecopy), s2 = svm_event_status(efree);
    if (s1 >= 0 && s1 != CL_COMPLETE)
        SVM_FAIL("memcpy after a failed wait event never finished (status %d)", s1);
    if (s2 >= 0 && s2 != CL_COMPLETE)
        SVM_FAIL("free after a failed wait event never finished (status %d)", s2);
    for (int i = 0; i < 256; i++)
        if (dst[i] != 0) {
            SVM_FAIL("memcpy ran although its wait event failed");
            break;
        }
    if (seen.calls != 0)
        SVM_FAIL("free callback ran although its wait event failed");
    else
        clSVMFree(e->context, victim);
    CHECK_CL(clReleaseEvent(ecopy));
    CHECK_CL(clReleaseEvent(efree));
    CHECK_CL(clReleaseEvent(u));
    clFinish(q); /* may report the failed commands; the queue must still be usable */
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, dst, src, 256, 0, NULL, NULL));
    CHECK(dst[255] == 0xAB);
    CHECK_CL(clReleaseCommandQueue(q));
    clSVMFree(e->context, src);
    clSVMFree(e->context, dst);
}

static void queue_released_while_pending(const svm_env *e)
{
    for (int with_cb = 0; with_cb < 2; with_cb++) {
        cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
        void *p = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 1 << 16, 0);
        free_seen seen = {e->context, 0, NULL, NULL};
        cl_event u = svm_user_event(e), ev = NULL;
        CHECK_CL(clEnqueueSVMFree(q, 1, &p, with_cb ? free_cb : NULL, with_cb ? &seen : NULL, 1, &u,
                                  &ev));
        cl_command_queue qv = q;
        CHECK_CL(clReleaseCommandQueue(q)); /* the event still holds the queue */
        CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_EQ(svm_event_type(ev), CL_COMMAND_SVM_FREE);
        CHECK_CL(clReleaseEvent(ev)); /* may drop the last reference on the queue */
        CHECK_CL(clReleaseEvent(u));
        if (with_cb && (seen.calls != 1 || seen.queue != qv || seen.ptr != p))
            SVM_FAIL("free callback after queue release: %d calls, queue %p (want %p), ptr %p "
                     "(want %p)",
                     seen.calls, (void *)seen.queue, (void *)qv, seen.ptr, p);
    }
    /* And with no event at all: only clsvm holds the queue until the command has run. */
    cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
    void *p = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 1 << 16, 0);
    free_seen seen = {e->context, 0, NULL, NULL};
    cl_event u = svm_user_event(e);
    CHECK_CL(clEnqueueSVMFree(q, 1, &p, free_cb, &seen, 1, &u, NULL));
    CHECK_CL(clFlush(q));
    CHECK_CL(clReleaseCommandQueue(q));
    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    for (int i = 0; i < 500 && __atomic_load_n(&seen.calls, __ATOMIC_ACQUIRE) == 0; i++)
        svm_sleep_ms(10);
    if (seen.calls != 1 || seen.ptr != p)
        SVM_FAIL("free callback on a released queue without event: %d calls", seen.calls);
    CHECK_CL(clReleaseEvent(u));
}

typedef struct releaser {
    cl_event u;
} releaser;

static void *release_later(void *arg)
{
    releaser *r = arg;
    svm_sleep_ms(30);
    CHECK_CL(clSetUserEventStatus(r->u, CL_COMPLETE));
    return NULL;
}

static void blocking_waits_for_other_thread(const svm_env *e)
{
    unsigned char *a = svm_alloc(e, CL_MEM_READ_WRITE, 1024, 0);
    unsigned char host[1024], back[1024];
    memset(host, 0x5A, sizeof host);
    releaser r = {svm_user_event(e)};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, release_later, &r) == 0);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, host, sizeof host, 1, &r.u, NULL));
    CHECK_EQ(svm_event_status(r.u), CL_COMPLETE);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, back, a, sizeof back, 0, NULL, NULL));
    CHECK(memcmp(back, host, sizeof host) == 0);
    CHECK_CL(clReleaseEvent(r.u));
    clSVMFree(e->context, a);
}

static void many_small_commands(const svm_env *e)
{
    enum { M = 2000 };
    unsigned *a = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 64 * sizeof(unsigned), 0);
    unsigned *b = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 64 * sizeof(unsigned), 0);
    for (unsigned i = 0; i < M; i++) {
        /* a = i; b = a: after the loop both hold M - 1 only if nothing was reordered. */
        CHECK_CL(
            clEnqueueSVMMemFill(e->queue, a, &i, sizeof i, 64 * sizeof(unsigned), 0, NULL, NULL));
        CHECK_CL(
            clEnqueueSVMMemcpy(e->queue, CL_FALSE, b, a, 64 * sizeof(unsigned), 0, NULL, NULL));
    }
    CHECK_CL(clFinish(e->queue));
    for (int i = 0; i < 64; i++)
        if (a[i] != M - 1 || b[i] != M - 1) {
            SVM_FAIL("after %d fill+copy pairs: a[%d] = %u, b[%d] = %u, want %u", M, i, a[i], i,
                     b[i], M - 1);
            break;
        }
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    in_order_chain(&e, prog);
    if (svm_part_runs(&e, "out-of-order chain gated by a user event", SVM_WHY_USER_EVENT))
        out_of_order_chain(&e, prog);
    failed_wait_event(&e);
    if (svm_part_runs(&e, "queue released while a free waits for a user event", SVM_WHY_USER_EVENT))
        queue_released_while_pending(&e);
    if (svm_part_runs(&e, "blocking memcpy completed by another thread", SVM_WHY_USER_EVENT))
        blocking_waits_for_other_thread(&e);
    many_small_commands(&e);
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
