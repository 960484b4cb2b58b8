/* test_svm_fast_copy: clEnqueueSVMMemcpy, clEnqueueSVMMemFill and clEnqueueSVMFree (without a
 * callback) with an empty wait list on an in-order queue whose earlier commands have all ended:
 * clsvm does the work on the caller's thread before returning (docs/svm.md, "SVM commands").
 * Whatever the path, the guarantees stay:
 *   - the data is right (patterns of every size, memcpy in both directions, host memory);
 *   - on an idle queue such a command has completed when the call returns (even while another
 *     queue's kernel keeps every compute unit busy), and its event
 *     reports CL_COMPLETE, its type, queue and context, and profiling times in order on the
 *     backend's clock (after an earlier kernel's END, before a later marker's QUEUED) that
 *     bracket the work; no times on a queue without profiling ("completed on return" is clsvm's
 *     choice, skipped elsewhere; through a backend native kernel, the mechanism before, the
 *     command waits for a device thread and fails it on the pthread device);
 *   - behind a long kernel a memcpy sees the kernel's result and a fill lands after it, and a
 *     kernel after a fast command sees its data;
 *   - a command whose wait event fails still fails (nothing copied), and a command after a
 *     failed one still runs;
 *   - two threads enqueuing on one queue keep each thread's order (data checked). */
#include "svm/svm_test.h"

#include <pthread.h>

static const char *src = "kernel void k_slow(global int *a, int n)\n"
                         "{ int s = 1; for (int i = 0; i < n; i++) s = s * 3 + i;\n"
                         "  a[1] = s; a[0] = 42; }\n"
                         "kernel void k_twice(global int *a) { a[1] = 2 * a[0]; }\n";

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Every pattern size, memcpy between SVM and host memory both ways, sizes on both sides of the
 * caller-thread limit (1 MiB): the bytes written and nothing beyond. */
static void right_data(const svm_env *e)
{
    size_t sizes[] = {64, 4096, (size_t)1 << 20, ((size_t)1 << 20) + 128};
    size_t cap = ((size_t)1 << 20) + 256;
    unsigned char *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, cap, 0);
    unsigned char *h = malloc(cap);
    CHECK(h != NULL);
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        for (size_t ps = 1; ps <= 128 && n % ps == 0; ps *= 2) {
            unsigned char pat[128];
            for (size_t i = 0; i < ps; i++)
                pat[i] = (unsigned char)(ps * 7 + i * 13 + 1);
            memset(a, 0xEE, cap);
            CHECK_CL(clEnqueueSVMMemFill(e->queue, a, pat, ps, n, 0, NULL, NULL));
            CHECK_CL(clFinish(e->queue));
            size_t bad = cap;
            for (size_t i = 0; i < n && bad == cap; i++)
                if (a[i] != pat[i % ps])
                    bad = i;
            if (bad != cap || a[n] != 0xEE)
                SVM_FAIL("fill of %zu bytes, pattern %zu: byte %zu wrong or byte %zu written", n,
                         ps, bad, n);
        }
        for (size_t i = 0; i < n; i++)
            h[i] = (unsigned char)(i * 31 + n);
        memset(a, 0, cap);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, a, h, n, 0, NULL, NULL));
        if (memcmp(a, h, n) != 0 || a[n] != 0)
            SVM_FAIL("blocking memcpy host -> SVM of %zu bytes: wrong data", n);
        memset(h, 0, cap);
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, h, a, n, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        for (size_t i = 0; i < n; i++)
            if (h[i] != (unsigned char)(i * 31 + n)) {
                SVM_FAIL("non-blocking memcpy SVM -> host of %zu bytes: byte %zu wrong", n, i);
                break;
            }
    }
    free(h);
    clSVMFree(e->context, a);
}

/* On an idle in-order queue the command has completed when the call returns (clsvm only), even
 * while every compute unit of the device runs another queue's kernel: the work does not wait for
 * a device thread. */
static void done_on_return(const svm_env *e, cl_kernel slow)
{
    if (!e->is_clsvm) {
        SKIP_PART("completed on return: clsvm's choice (other platforms run the command later)");
        return;
    }
    cl_uint cus = 1;
    ICD_GET_INFO(clGetDeviceInfo, e->device, CL_DEVICE_MAX_COMPUTE_UNITS, cus);
    cl_command_queue busy = icd_test_queue(e->context, e->device, NULL);
    int *scratch = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    int n = 1 << 23;
    size_t groups = 4 * (size_t)cus, one = 1;
    CHECK_CL(clSetKernelArgSVMPointer(slow, 0, scratch));
    CHECK_CL(clSetKernelArg(slow, 1, sizeof n, &n));
    CHECK_CL(clEnqueueNDRangeKernel(busy, slow, 1, NULL, &groups, &one, 0, NULL, NULL));
    CHECK_CL(clFlush(busy));
    svm_sleep_ms(20); /* the device's threads are in the kernel now */
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    int host[16];
    int late = 0;
    for (int i = 0; i < 20; i++) {
        cl_event ev[2];
        int v = 1000 + i;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &v, sizeof v, 64, 0, NULL, &ev[0]));
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, host, a, sizeof host, 0, NULL, &ev[1]));
        /* Read before anything waits: the work was done in the calls. */
        int status[2] = {svm_event_status(ev[0]), svm_event_status(ev[1])};
        int copied = host[15];
        if (status[0] != CL_COMPLETE || status[1] != CL_COMPLETE || copied != v)
            late++;
        CHECK_CL(clWaitForEvents(2, ev));
        if (host[0] != v || host[15] != v)
            SVM_FAIL("round %d: fill then memcpy gave %d, %d instead of %d", i, host[0], host[15],
                     v);
        CHECK_CL(clReleaseEvent(ev[0]));
        CHECK_CL(clReleaseEvent(ev[1]));
    }
    if (late)
        SVM_FAIL("%d of 20 fill+memcpy pairs on an idle queue had not completed on return while "
                 "another queue kept the device busy",
                 late);
    CHECK_CL(clFinish(busy));
    CHECK_CL(clReleaseCommandQueue(busy));
    clSVMFree(e->context, scratch);
    /* A free: the memory is gone on return (clsvm's pointer rule refuses freed window memory). */
    void *p = svm_alloc(e, CL_MEM_READ_WRITE, 256, 0);
    void *ptrs[] = {p};
    cl_event fev;
    CHECK_CL(clEnqueueSVMFree(e->queue, 1, ptrs, NULL, NULL, 0, NULL, &fev));
    if (svm_event_status(fev) != CL_COMPLETE)
        SVM_FAIL("free on an idle queue: status %d on return", svm_event_status(fev));
    if (svm_event_type(fev) != CL_COMMAND_SVM_FREE)
        SVM_FAIL("free event type 0x%x", (unsigned)svm_event_type(fev));
    CHECK_CL(clReleaseEvent(fev));
    SVM_EXPECT_ERR(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, p, 4, 0, NULL, NULL),
                   CL_INVALID_VALUE);
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
}

typedef struct prof {
    cl_ulong q, s, st, end;
} prof;

static prof times(cl_event ev, const char *what)
{
    prof p;
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_QUEUED, p.q);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_SUBMIT, p.s);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_START, p.st);
    ICD_GET_INFO(clGetEventProfilingInfo, ev, CL_PROFILING_COMMAND_END, p.end);
    if (!(p.q <= p.s && p.s <= p.st && p.st <= p.end))
        SVM_FAIL("%s: QUEUED %llu SUBMIT %llu START %llu END %llu not in order", what,
                 (unsigned long long)p.q, (unsigned long long)p.s, (unsigned long long)p.st,
                 (unsigned long long)p.end);
    return p;
}

static void CL_CALLBACK note_status(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    *(volatile cl_int *)user = status + 1000;
}

/* The event of each command: type, queue, context, status, reference count, profiling. */
static void event_answers(const svm_env *e, cl_kernel slow)
{
    const cl_queue_properties props[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    cl_command_queue q = icd_test_queue(e->context, e->device, props);
    size_t big = (size_t)1 << 20;
    unsigned char *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, big, 0);
    unsigned char *b = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, big, 0);
    memset(a, 0x5A, big);
    /* A kernel first, finished: the commands' times must come after its END (same clock). */
    int n = 1 << 16;
    size_t one = 1;
    cl_event kev;
    CHECK_CL(clSetKernelArgSVMPointer(slow, 0, b));
    CHECK_CL(clSetKernelArg(slow, 1, sizeof n, &n));
    CHECK_CL(clEnqueueNDRangeKernel(q, slow, 1, NULL, &one, NULL, 0, NULL, &kev));
    CHECK_CL(clFinish(q));
    prof pk = times(kev, "kernel");
    CHECK_CL(clReleaseEvent(kev));

    double best = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = now_ns();
        memcpy(b, a, big);
        double t = now_ns() - t0;
        if (t < best)
            best = t;
    }
    memset(b, 0, big);
    static const unsigned char pat[4] = {9, 8, 7, 6};
    cl_event ev[3];
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, b, a, big, 0, NULL, &ev[0]));
    CHECK_CL(clEnqueueSVMMemFill(q, a, pat, sizeof pat, 64, 0, NULL, &ev[1]));
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, b + 64, a, 64, 0, NULL, &ev[2]));
    cl_event mev;
    CHECK_CL(clEnqueueMarkerWithWaitList(q, 0, NULL, &mev));
    CHECK_CL(clWaitForEvents(3, ev));
    CHECK_CL(clFinish(q));
    if (b[0] != 0x5A || b[big - 1] != 0x5A || b[64] != 9 || b[67] != 6)
        SVM_FAIL("1 MiB memcpy, fill, 64 B memcpy: data %d %d %d %d", b[0], b[big - 1], b[64],
                 b[67]);
    prof pm = times(mev, "marker after the commands");
    static const cl_command_type want[3] = {CL_COMMAND_SVM_MEMCPY, CL_COMMAND_SVM_MEMFILL,
                                            CL_COMMAND_SVM_MEMCPY};
    static const char *const name[3] = {"1 MiB blocking memcpy", "64 B fill",
                                        "64 B non-blocking memcpy"};
    cl_ulong prev_end = pk.end;
    for (int i = 0; i < 3; i++) {
        cl_command_queue eq = NULL;
        cl_context ec = NULL;
        cl_uint refs = 0;
        ICD_GET_INFO(clGetEventInfo, ev[i], CL_EVENT_COMMAND_QUEUE, eq);
        ICD_GET_INFO(clGetEventInfo, ev[i], CL_EVENT_CONTEXT, ec);
        ICD_GET_INFO(clGetEventInfo, ev[i], CL_EVENT_REFERENCE_COUNT, refs);
        if (svm_event_type(ev[i]) != want[i] || eq != q || ec != e->context || refs != 1 ||
            svm_event_status(ev[i]) != CL_COMPLETE)
            SVM_FAIL("%s: type 0x%x queue %p context %p refs %u status %d", name[i],
                     (unsigned)svm_event_type(ev[i]), (void *)eq, (void *)ec, refs,
                     svm_event_status(ev[i]));
        prof p = times(ev[i], name[i]);
        /* Enqueued one after the other on one queue, each after the kernel ended and (clsvm:
         * done on return) before the marker was enqueued: all on the backend's clock. */
        if (p.q < prev_end || (e->is_clsvm && p.end > pm.q))
            SVM_FAIL("%s: QUEUED %llu .. END %llu not between the previous END %llu and the "
                     "next marker's QUEUED %llu",
                     name[i], (unsigned long long)p.q, (unsigned long long)p.end,
                     (unsigned long long)prev_end, (unsigned long long)pm.q);
        prev_end = p.end;
        if (i == 0 && (double)(p.end - p.st) < 0.5 * best)
            SVM_FAIL("1 MiB memcpy: START..END %llu ns, shorter than half a host copy (%.0f ns)",
                     (unsigned long long)(p.end - p.st), best);
        cl_ulong c = 0;
        cl_int err =
            clGetEventProfilingInfo(ev[i], CL_PROFILING_COMMAND_COMPLETE, sizeof c, &c, NULL);
        if (err == CL_SUCCESS && c < p.end)
            SVM_FAIL("%s: COMPLETE %llu before END %llu", name[i], (unsigned long long)c,
                     (unsigned long long)p.end);
        SVM_EXPECT_ERR(clGetEventProfilingInfo(ev[i], CL_PROFILING_COMMAND_END, 4, &c, NULL),
                       CL_INVALID_VALUE);
    }
    /* The events work as events: a callback, a later command's wait list. */
    volatile cl_int seen = 0;
    CHECK_CL(clSetEventCallback(ev[1], CL_COMPLETE, note_status, (void *)&seen));
    CHECK_CL(clEnqueueSVMMemcpy(q, CL_TRUE, b, a, 4, 2, ev, NULL));
    CHECK_CL(clFinish(q));
    for (int i = 0; i < 200 && seen == 0; i++)
        svm_sleep_ms(5);
    if (seen != CL_COMPLETE + 1000)
        SVM_FAIL("callback on a fill's event: status %d", (int)seen - 1000);
    if (b[0] != 9)
        SVM_FAIL("memcpy waiting on the events copied %d", b[0]);
    for (int i = 0; i < 3; i++)
        CHECK_CL(clReleaseEvent(ev[i]));
    CHECK_CL(clReleaseEvent(mev));

    /* A queue without profiling answers no times, as for any command. */
    CHECK_CL(clEnqueueSVMMemFill(e->queue, a, pat, sizeof pat, 64, 0, NULL, &ev[0]));
    CHECK_CL(clWaitForEvents(1, ev));
    cl_ulong t;
    SVM_EXPECT_ERR(clGetEventProfilingInfo(ev[0], CL_PROFILING_COMMAND_START, sizeof t, &t, NULL),
                   CL_PROFILING_INFO_NOT_AVAILABLE);
    CHECK_CL(clReleaseEvent(ev[0]));
    CHECK_CL(clReleaseCommandQueue(q));
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
}

/* Behind a long kernel (not finished): a blocking and a non-blocking memcpy read its result,
 * a fill lands after its store; after a fast fill a kernel reads the filled value. */
static void behind_a_kernel(const svm_env *e, cl_kernel slow, cl_kernel twice)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0);
    int host[2];
    int n = 1 << 24;
    size_t one = 1;
    CHECK_CL(clSetKernelArgSVMPointer(slow, 0, a));
    CHECK_CL(clSetKernelArg(slow, 1, sizeof n, &n));
    CHECK_CL(clSetKernelArgSVMPointer(twice, 0, a));
    for (int round = 0; round < 3; round++) {
        a[0] = 0;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, slow, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clFlush(e->queue));
        host[0] = -1;
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, a, sizeof host, 0, NULL, NULL));
        if (host[0] != 42)
            SVM_FAIL("round %d: blocking memcpy behind a kernel read %d", round, host[0]);

        a[0] = 0;
        cl_event ev;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, slow, 1, NULL, &one, NULL, 0, NULL, NULL));
        host[0] = -1;
        CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, host, a, sizeof host, 0, NULL, &ev));
        CHECK_CL(clWaitForEvents(1, &ev));
        CHECK_CL(clReleaseEvent(ev));
        if (host[0] != 42)
            SVM_FAIL("round %d: non-blocking memcpy behind a kernel read %d", round, host[0]);

        a[0] = 0;
        int seven = 7 + round;
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, slow, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &seven, sizeof seven, 16, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        if (a[0] != seven)
            SVM_FAIL("round %d: fill behind a kernel ran before it (a[0] = %d)", round, a[0]);

        /* The queue is idle: the fill may run at once, the kernel after it must see it. */
        int v = 100 + round;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &v, sizeof v, 16, 0, NULL, NULL));
        CHECK_CL(clEnqueueNDRangeKernel(e->queue, twice, 1, NULL, &one, NULL, 0, NULL, NULL));
        CHECK_CL(clFinish(e->queue));
        if (a[1] != 2 * v)
            SVM_FAIL("round %d: a kernel after a fill read %d, expected %d", round, a[1] / 2, v);
    }
    clSVMFree(e->context, a);
}

/* A wait event fails: the command never runs; a command after it with no wait list still does
 * (it only follows the failed one in the queue). */
static void failed_wait(const svm_env *e)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0);
    int host[4] = {-1, -1, -1, -1};
    a[0] = 11;
    cl_event u = svm_user_event(e), ev[2];
    int v = 5;
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_FALSE, host, a, sizeof host, 1, &u, &ev[0]));
    CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &v, sizeof v, 16, 1, &u, &ev[1]));
    CHECK_CL(clFlush(e->queue));
    CHECK_CL(clSetUserEventStatus(u, -55));
    for (int i = 0; i < 2; i++) {
        clWaitForEvents(1, &ev[i]); /* reports the failure */
        if (svm_event_status(ev[i]) >= 0)
            SVM_FAIL("%s after a failed wait event: status %d", i ? "fill" : "memcpy",
                     svm_event_status(ev[i]));
        CHECK_CL(clReleaseEvent(ev[i]));
    }
    if (host[0] != -1 || a[0] != 11)
        SVM_FAIL("commands whose wait event failed did work: host[0] %d, a[0] %d", host[0], a[0]);
    /* Behind the failed commands, with no wait list: done. */
    cl_int err = clEnqueueSVMMemcpy(e->queue, CL_TRUE, host, a, sizeof host, 0, NULL, NULL);
    if (err != CL_SUCCESS || host[0] != 11)
        SVM_FAIL("blocking memcpy behind failed commands: %d, host[0] %d", err, host[0]);
    CHECK_CL(clReleaseEvent(u));
    clFinish(e->queue); /* may report the failed commands */
    clSVMFree(e->context, a);
}

typedef struct racer {
    const svm_env *e;
    cl_kernel twice;
    int *mine;
    int rounds, bad;
    cl_int err;
} racer;

/* Fill mine[0..3] with i, a kernel writes mine[1] = 2 * mine[0], a memcpy moves mine[0..3] to
 * mine[8..11], a blocking memcpy reads both back: each step must see the one before it. */
static void *race_thread(void *arg)
{
    racer *r = arg;
    int *m = r->mine;
    size_t one = 1;
    for (int i = 1; i <= r->rounds && r->err == CL_SUCCESS; i++) {
        int back[12];
        r->err = clEnqueueSVMMemFill(r->e->queue, m, &i, sizeof i, 16, 0, NULL, NULL);
        if (r->err == CL_SUCCESS)
            r->err =
                clEnqueueNDRangeKernel(r->e->queue, r->twice, 1, NULL, &one, NULL, 0, NULL, NULL);
        if (r->err == CL_SUCCESS)
            r->err = clEnqueueSVMMemcpy(r->e->queue, CL_FALSE, m + 8, m, 16, 0, NULL, NULL);
        if (r->err == CL_SUCCESS)
            r->err = clEnqueueSVMMemcpy(r->e->queue, CL_TRUE, back, m, sizeof back, 0, NULL, NULL);
        if (r->err == CL_SUCCESS &&
            (back[0] != i || back[1] != 2 * i || back[8] != i || back[9] != 2 * i))
            r->bad++;
    }
    return NULL;
}

/* Two threads enqueue on one queue at once: each thread's commands keep their order. */
static void threads_on_one_queue(const svm_env *e, cl_program prog)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, 4096, 0);
    racer r[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        r[i] = (racer){e, icd_test_kernel(prog, "k_twice"), a + 256 * i, 300, 0, CL_SUCCESS};
        CHECK_CL(clSetKernelArgSVMPointer(r[i].twice, 0, r[i].mine));
    }
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, race_thread, &r[i]) != 0)
            SVM_FAIL("pthread_create");
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_CL(r[i].err);
        if (r[i].bad)
            SVM_FAIL("thread %d: %d of %d rounds saw its commands out of order", i, r[i].bad,
                     r[i].rounds);
        CHECK_CL(clReleaseKernel(r[i].twice));
    }
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    cl_program prog = icd_test_program(e.context, e.device, src, NULL);
    cl_kernel slow = icd_test_kernel(prog, "k_slow"), twice = icd_test_kernel(prog, "k_twice");
    right_data(&e);
    done_on_return(&e, slow);
    event_answers(&e, slow);
    behind_a_kernel(&e, slow, twice);
    failed_wait(&e);
    /* pocl 3.1's basic device deadlocks when two threads enqueue on one of its queues at once. */
    if (svm_part_runs(&e, "two threads on one queue", "pocl 3.1 deadlocks in it"))
        threads_on_one_queue(&e, prog);
    CHECK_CL(clReleaseKernel(slow));
    CHECK_CL(clReleaseKernel(twice));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
