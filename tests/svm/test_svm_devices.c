/* test_svm_devices: SVM shared by every device of one context (POCL_DEVICES="pthread basic"
 * gives two): allocations on the context, a kernel on each device's queue, clEnqueueSVM*
 * commands on one device's queue ordered by another device's kernel events, blocking commands
 * on each queue, and a free on one queue after kernels on all of them. Data is read back at
 * every step. Exits 77 when the platform has fewer than two devices.
 *
 * pocl 3.1's basic device (which runs commands on the calling thread) deadlocks, pocl alone too,
 * when a command on it waits for an event that another thread completes (another device's
 * command, a user event): the completing thread runs the basic device's command inline while
 * holding a lock the command needs. So a command for such a device waits for other devices'
 * events on the host first (they are then complete in its wait list); every other device waits
 * through its wait list alone. */
#include "svm/inline_device.h"
#include "svm/svm_test.h"

#include <signal.h>
#include <unistd.h>

static const char *src = "kernel void k_set(global int *a, int base)\n"
                         "{ int i = get_global_id(0); a[i] = base + i; }\n"
                         "kernel void k_add(global int *a, int k) { a[get_global_id(0)] += k; }\n";

enum { N = 2048, MAXDEV = 8 };

typedef struct multi {
    cl_context context;
    cl_uint n;
    cl_device_id dev[MAXDEV];
    cl_command_queue q[MAXDEV];
    int inl[MAXDEV];                    /* the device runs commands on the calling thread */
    cl_kernel set[MAXDEV], add[MAXDEV]; /* one per queue: kernel arguments are not shared */
} multi;

static void kernel_on(multi *m, cl_uint d, cl_kernel k, int *a, int arg, cl_uint nwait,
                      const cl_event *wait, cl_event *ev)
{
    size_t n = N;
    CHECK_CL(clSetKernelArgSVMPointer(k, 0, a));
    CHECK_CL(clSetKernelArg(k, 1, sizeof arg, &arg));
    CHECK_CL(clEnqueueNDRangeKernel(m->q[d], k, 1, NULL, &n, NULL, nwait, wait, ev));
}

static int check_slice(const char *what, int round, cl_uint d, const int *got, int base)
{
    for (int i = 0; i < N; i++)
        if (got[i] != base + i) {
            SVM_FAIL("%s round %d device %u: [%d] = %d, want %d", what, round, d, i, got[i],
                     base + i);
            return 0;
        }
    return 1;
}

/* Before a command on device d waits for these events of other devices. */
static const cl_event *waits(const multi *m, cl_uint d, cl_uint n, const cl_event *ev)
{
    if (m->inl[d])
        CHECK_CL(clWaitForEvents(n, ev));
    return ev;
}

/* Device d's kernel writes slice d of A; device d+1's queue copies it to B when that kernel's
 * event completes; device d adds to it when the copy's event completes; a blocking map on
 * device d+1's queue after all of them shows the sums. */
static void cross_device_chain(multi *m, int *A, int *B)
{
    for (int round = 0; round < 10; round++) {
        cl_event k[MAXDEV], c[MAXDEV], a[MAXDEV];
        for (cl_uint d = 0; d < m->n; d++)
            kernel_on(m, d, m->set[d], A + d * N, (int)(d * 100000) + round, 0, NULL, &k[d]);
        for (cl_uint d = 0; d < m->n; d++) {
            cl_uint o = (d + 1) % m->n;
            CHECK_CL(clEnqueueSVMMemcpy(m->q[o], CL_FALSE, B + d * N, A + d * N, N * sizeof(int), 1,
                                        waits(m, o, 1, &k[d]), &c[d]));
            CHECK_CL(clFlush(m->q[o]));
        }
        for (cl_uint d = 0; d < m->n; d++)
            kernel_on(m, d, m->add[d], B + d * N, 7, 1, waits(m, d, 1, &c[d]), &a[d]);
        for (cl_uint d = 0; d < m->n; d++)
            CHECK_CL(clFlush(m->q[d]));
        CHECK_CL(clEnqueueSVMMap(m->q[1], CL_TRUE, CL_MAP_READ, B, m->n * N * sizeof(int), m->n,
                                 waits(m, 1, m->n, a), NULL));
        for (cl_uint d = 0; d < m->n; d++)
            check_slice("kernel -> other device's memcpy -> kernel", round, d, B + d * N,
                        (int)(d * 100000) + round + 7);
        CHECK_CL(clEnqueueSVMUnmap(m->q[1], B, 0, NULL, NULL));
        for (cl_uint d = 0; d < m->n; d++) {
            CHECK_CL(clReleaseEvent(k[d]));
            CHECK_CL(clReleaseEvent(c[d]));
            CHECK_CL(clReleaseEvent(a[d]));
        }
    }
    for (cl_uint d = 0; d < m->n; d++)
        CHECK_CL(clFinish(m->q[d]));
}

/* On each queue: a kernel, then a blocking memcpy with no wait list (queue order alone must
 * put it after the kernel), and a fill on the next device's queue that this device's kernel
 * then reads. */
static void per_queue_blocking(multi *m, int *A)
{
    int host[N];
    for (int round = 0; round < 10; round++)
        for (cl_uint d = 0; d < m->n; d++) {
            kernel_on(m, d, m->set[d], A, round * 10 + (int)d, 0, NULL, NULL);
            CHECK_CL(clEnqueueSVMMemcpy(m->q[d], CL_TRUE, host, A, sizeof host, 0, NULL, NULL));
            check_slice("kernel -> blocking memcpy", round, d, host, round * 10 + (int)d);
            cl_uint o = (d + 1) % m->n;
            cl_event f;
            int v = 1000 + round;
            CHECK_CL(clEnqueueSVMMemFill(m->q[o], A, &v, sizeof v, sizeof host, 0, NULL, &f));
            kernel_on(m, d, m->add[d], A, -1000 - round, 1, waits(m, d, 1, &f), NULL);
            CHECK_CL(clEnqueueSVMMemcpy(m->q[d], CL_TRUE, host, A, sizeof host, 0, NULL, NULL));
            for (int i = 0; i < N; i++)
                if (host[i] != 0) {
                    SVM_FAIL("fill on device %u -> kernel on device %u, round %d: [%d] = %d", o, d,
                             round, i, host[i]);
                    break;
                }
            CHECK_CL(clReleaseEvent(f));
        }
}

static void CL_CALLBACK note_free(cl_command_queue q, cl_uint n, void *ptrs[], void *user_data)
{
    int *calls = user_data;
    cl_context c = NULL;
    CHECK_CL(clGetCommandQueueInfo(q, CL_QUEUE_CONTEXT, sizeof c, &c, NULL));
    for (cl_uint i = 0; i < n; i++)
        clSVMFree(c, ptrs[i]);
    __atomic_fetch_add(calls, 1, __ATOMIC_RELEASE);
}

/* A free on the last queue that waits for a kernel on every device using the memory. */
static void free_after_all(multi *m)
{
    int *p = clSVMAlloc(m->context, CL_MEM_READ_WRITE, N * sizeof(int), 0);
    CHECK(p != NULL);
    cl_event k[MAXDEV], f;
    for (cl_uint d = 0; d < m->n; d++)
        kernel_on(m, d, m->set[d], p, (int)d, 0, NULL, &k[d]);
    int calls = 0;
    void *ptrs[] = {p};
    CHECK_CL(clEnqueueSVMFree(m->q[m->n - 1], 1, ptrs, note_free, &calls, m->n,
                              waits(m, m->n - 1, m->n, k), &f));
    CHECK_CL(clWaitForEvents(1, &f));
    for (cl_uint d = 0; d < m->n; d++) {
        if (svm_event_status(k[d]) != CL_COMPLETE)
            SVM_FAIL("free completed before the kernel on device %u", d);
        CHECK_CL(clReleaseEvent(k[d]));
    }
    if (__atomic_load_n(&calls, __ATOMIC_ACQUIRE) != 1)
        SVM_FAIL("free callback ran %d times, want 1", calls);
    CHECK_EQ(svm_event_type(f), CL_COMMAND_SVM_FREE);
    CHECK_CL(clReleaseEvent(f));
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "test_svm_devices: no progress for 90 s (deadlock)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(1);
}

int main(void)
{
    signal(SIGALRM, on_alarm);
    alarm(90);
    multi m = {0};
    cl_platform_id p = icd_test_platform();
    CHECK_CL(clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, MAXDEV, m.dev, &m.n));
    if (m.n > MAXDEV)
        m.n = MAXDEV;
    if (m.n < 2) {
        printf("skipped: the platform has %u device (run with POCL_DEVICES=\"pthread basic\")\n",
               m.n);
        return SVM_TEST_SKIP;
    }
    cl_device_svm_capabilities caps = 0;
    for (cl_uint d = 0; d < m.n; d++) {
        char name[256] = "";
        CHECK_CL(clGetDeviceInfo(m.dev[d], CL_DEVICE_NAME, sizeof name, name, NULL));
        ICD_GET_INFO(clGetDeviceInfo, m.dev[d], CL_DEVICE_SVM_CAPABILITIES, caps);
        printf("device %u: %s, SVM capabilities 0x%llx\n", d, name, (unsigned long long)caps);
        if (!(caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER)) {
            printf("skipped: device %u has no fine-grain buffer SVM\n", d);
            return SVM_TEST_SKIP;
        }
    }
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    cl_int err = CL_SUCCESS;
    m.context = clCreateContext(props, m.n, m.dev, NULL, NULL, &err);
    CHECK_CL(err);
    cl_program prog = clCreateProgramWithSource(m.context, 1, &src, NULL, &err);
    CHECK_CL(err);
    CHECK_CL(clBuildProgram(prog, m.n, m.dev, NULL, NULL, NULL));
    for (cl_uint d = 0; d < m.n; d++) {
        m.q[d] = icd_test_queue(m.context, m.dev[d], NULL);
        m.inl[d] = device_runs_on_caller(m.context, m.dev[d]);
        printf("device %u runs commands on the calling thread: %s\n", d, m.inl[d] ? "yes" : "no");
        m.set[d] = icd_test_kernel(prog, "k_set");
        m.add[d] = icd_test_kernel(prog, "k_add");
    }
    int *A = clSVMAlloc(m.context, CL_MEM_READ_WRITE, m.n * N * sizeof(int), 0);
    int *B = clSVMAlloc(m.context, CL_MEM_SVM_FINE_GRAIN_BUFFER, m.n * N * sizeof(int), 0);
    CHECK(A != NULL && B != NULL);
    cross_device_chain(&m, A, B);
    per_queue_blocking(&m, A);
    free_after_all(&m);
    for (cl_uint d = 0; d < m.n; d++) {
        CHECK_CL(clFinish(m.q[d]));
        CHECK_CL(clReleaseKernel(m.set[d]));
        CHECK_CL(clReleaseKernel(m.add[d]));
        CHECK_CL(clReleaseCommandQueue(m.q[d]));
    }
    clSVMFree(m.context, A);
    clSVMFree(m.context, B);
    CHECK_CL(clReleaseProgram(prog));
    CHECK_CL(clReleaseContext(m.context));
    alarm(0);
    return svm_exit_code();
}
