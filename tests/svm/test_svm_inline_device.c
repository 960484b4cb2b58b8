/* test_svm_inline_device: clEnqueueSVM* commands on a device that executes commands on the
 * thread that makes it run them (pocl's basic device, POCL_DEVICES=basic), where a host
 * command that calls back into the backend from inside the backend deadlocks. Also runs on any
 * other device. Every step checks data read back:
 *   - rounds of kernel -> blocking memcpy -> blocking map, host write, unmap -> fill -> kernel
 *     -> blocking memcpy back, on an in-order queue with no waits in between;
 *   - non-blocking commands chained by kernel events, a free with callback, clFinish;
 *   - the same chain on an out-of-order queue, ordered by events only;
 *   - a wait event that fails after the enqueue: the command does no work and fails.
 * A watchdog turns a deadlock into a failure that says where it stopped. */
#include "svm/inline_device.h"
#include "svm/svm_test.h"

#include <signal.h>
#include <unistd.h>

static const char *src = "kernel void k_iota(global int *a, int k)\n"
                         "{ int i = get_global_id(0); a[i] = k * i; }\n"
                         "kernel void k_add(global int *a, int k) { a[get_global_id(0)] += k; }\n";

enum { N = 1024 };

static const char *volatile step = "start";

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_svm_inline_device: no progress for 60 s (deadlock) at: ";
    ssize_t r = write(2, msg, sizeof msg - 1);
    r = write(2, step, strlen(step));
    r = write(2, "\n", 1);
    (void)r;
    _exit(1);
}

static void run_kernel(cl_command_queue q, cl_kernel k, int *a, int arg, cl_uint nwait,
                       const cl_event *wait, cl_event *ev)
{
    size_t n = N;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    CHECK_CL(clSetKernelArg(k, 1, sizeof arg, &arg));
    CHECK_CL(clEnqueueNDRangeKernel(q, k, 1, NULL, &n, NULL, nwait, wait, ev));
}

static void expect(const char *what, int round, const int *got, int mul, int add)
{
    for (int i = 0; i < N; i++)
        if (got[i] != mul * i + add) {
            SVM_FAIL("%s round %d: [%d] = %d, want %d", what, round, i, got[i], mul * i + add);
            return;
        }
}

static void blocking_rounds(const svm_env *e, cl_kernel iota, cl_kernel add)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    int *b = svm_alloc(e, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    int host[N];
    for (int round = 0; round < 50; round++) {
        step = "blocking rounds: kernel + blocking memcpy";
        run_kernel(e->queue, iota, a, round, 0, NULL, NULL);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, b, a, sizeof host, 0, NULL, NULL));
        step = "blocking rounds: blocking map";
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE, b, sizeof host, 0,
                                 NULL, NULL));
        expect("memcpy after kernel", round, b, round, 0);
        b[0] = -1;
        step = "blocking rounds: unmap, fill, kernel, blocking memcpy";
        CHECK_CL(clEnqueueSVMUnmap(e->queue, b, 0, NULL, NULL));
        int v = 5;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &v, sizeof v, sizeof host, 0, NULL, NULL));
        run_kernel(e->queue, add, a, round, 0, NULL, NULL);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, a, sizeof host, 0, NULL, NULL));
        expect("fill then kernel", round, host, 0, 5 + round);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, b, sizeof(int), 0, NULL, NULL));
        if (host[0] != -1)
            SVM_FAIL("round %d: host write between map and unmap lost (%d)", round, host[0]);
    }
    step = "blocking rounds: clFinish";
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
}

static void CL_CALLBACK count_free(cl_command_queue q, cl_uint n, void *ptrs[], void *user_data)
{
    (void)q;
    int *calls = user_data;
    cl_context c = NULL;
    CHECK_CL(clGetCommandQueueInfo(q, CL_QUEUE_CONTEXT, sizeof c, &c, NULL));
    for (cl_uint i = 0; i < n; i++)
        clSVMFree(c, ptrs[i]);
    __atomic_fetch_add(calls, 1, __ATOMIC_RELEASE);
}

/* Non-blocking commands ordered by kernel events only; on an out-of-order queue nothing else
 * orders them. */
static void event_chain(const svm_env *e, cl_command_queue q, cl_kernel iota, cl_kernel add,
                        const char *what)
{
    int *a = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, N * sizeof(int), 0);
    int *b = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, N * sizeof(int), 0);
    int *victim = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 64, 0);
    int calls = 0;
    for (int round = 0; round < 20; round++) {
        step = what;
        cl_event k1, c1, k2, m1, f1;
        run_kernel(q, iota, a, 3, 0, NULL, &k1);
        CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, b, a, N * sizeof(int), 1, &k1, &c1));
        run_kernel(q, add, b, round, 1, &c1, &k2);
        CHECK_CL(clEnqueueSVMMap(q, CL_FALSE, CL_MAP_READ, b, N * sizeof(int), 1, &k2, &m1));
        CHECK_CL(clWaitForEvents(1, &m1));
        expect(what, round, b, 3, round);
        CHECK_EQ(svm_event_type(c1), CL_COMMAND_SVM_MEMCPY);
        CHECK_CL(clEnqueueSVMUnmap(q, b, 1, &m1, NULL));
        if (round == 19) {
            void *ptrs[] = {victim};
            CHECK_CL(clEnqueueSVMFree(q, 1, ptrs, count_free, &calls, 1, &m1, &f1));
            CHECK_CL(clWaitForEvents(1, &f1));
            CHECK_CL(clReleaseEvent(f1));
        }
        CHECK_CL(clFinish(q));
        cl_event all[] = {k1, c1, k2, m1};
        for (int i = 0; i < 4; i++)
            CHECK_CL(clReleaseEvent(all[i]));
    }
    if (__atomic_load_n(&calls, __ATOMIC_ACQUIRE) != 1)
        SVM_FAIL("%s: free callback ran %d times, want 1", what, calls);
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
}

/* A wait event that fails after the enqueue (failing a user event does not deadlock pocl's
 * basic device; completing one does): no copy, a negative status, the queue still usable. */
static void failed_wait(const svm_env *e)
{
    step = "failed wait list";
    unsigned char *src_ = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 256, 0);
    unsigned char *dst = svm_alloc(e, CL_MEM_SVM_FINE_GRAIN_BUFFER, 256, 0);
    memset(src_, 0xAB, 256);
    memset(dst, 0, 256);
    cl_event u = svm_user_event(e), ev;
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, dst, src_, 256, 1, &u, &ev));
    CHECK_CL(clSetUserEventStatus(u, -77));
    if (clWaitForEvents(1, &ev) == CL_SUCCESS)
        SVM_FAIL("clWaitForEvents on a memcpy whose wait event failed returned CL_SUCCESS");
    if (svm_event_status(ev) >= 0)
        SVM_FAIL("memcpy whose wait event failed: status %d", svm_event_status(ev));
    if (dst[0] != 0 || dst[255] != 0)
        SVM_FAIL("memcpy ran although its wait event failed");
    CHECK_CL(clReleaseEvent(ev));
    CHECK_CL(clReleaseEvent(u));
    clFinish(e->queue); /* may report the failed command */
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, dst, src_, 256, 0, NULL, NULL));
    CHECK_EQ(dst[255], 0xAB);
    clSVMFree(e->context, src_);
    clSVMFree(e->context, dst);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(60);
    svm_env e;
    svm_env_open(&e);
    printf("device runs commands on the calling thread: %s\n",
           device_runs_on_caller(e.context, e.device) ? "yes" : "no");
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel iota = icd_test_kernel(prog, "k_iota"), add = icd_test_kernel(prog, "k_add");
    blocking_rounds(&e, iota, add);
    event_chain(&e, e.queue, iota, add, "in-order event chain");
    cl_command_queue_properties qp = 0;
    ICD_GET_INFO(clGetDeviceInfo, e.device, CL_DEVICE_QUEUE_ON_HOST_PROPERTIES, qp);
    if (qp & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) {
        const cl_queue_properties props[] = {CL_QUEUE_PROPERTIES,
                                             CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
        cl_command_queue ooo = icd_test_queue(e.context, e.device, props);
        event_chain(&e, ooo, iota, add, "out-of-order event chain");
        CHECK_CL(clReleaseCommandQueue(ooo));
    } else {
        printf("no out-of-order queues: that part not run\n");
    }
    failed_wait(&e);
    step = "teardown";
    CHECK_CL(clReleaseKernel(iota));
    CHECK_CL(clReleaseKernel(add));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    alarm(0);
    return svm_exit_code();
}
