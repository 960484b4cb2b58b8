/* test_svm_fast_path: map, unmap and migrate do no work on a CPU device, so clsvm orders them
 * with a backend marker, or enqueues nothing when a command is not blocking and has neither a
 * wait list nor an event. Whatever the path, the guarantees stay:
 *   - a blocking map with no wait list and no event, queued behind a long kernel, returns after
 *     the kernel (its last store is visible), and so does a blocking memcpy;
 *   - an unmap and a migrate with nothing to order, then a blocking memcpy: data of the kernel
 *     before them;
 *   - a map / unmap / migrate whose wait event fails ends with a negative status;
 *   - a blocking map with no wait list and no event waits for the queue's last command whatever
 *     enqueued it (a native kernel, an SVM fill, clEnqueueWaitForEvents or a marker waiting on
 *     a user event), also while other threads enqueue on the same queue. clsvm answers such a
 *     map from the queue's tail (queue_tail.h): leaving clEnqueueWaitForEvents out of the tail
 *     fails behind_a_user_event (checked by hand); trusting the tail while two threads enqueue
 *     at once can fail threads_on_one_queue (a race: not every run). */
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS /* clEnqueueWaitForEvents */
#include "svm/inline_device.h"
#include "svm/svm_test.h"

#include <stdatomic.h>
#include <time.h>

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

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct slow_write {
    int *where;
    int value;
} slow_write;

static void CL_CALLBACK slow_write_fn(void *arg)
{
    slow_write *w = arg;
    sleep_ms(50);
    *(volatile int *)w->where = w->value;
}

/* Each kind of command, enqueued without an event, then a blocking map: the map must come after
 * the command's store. */
static void behind_every_kind(const svm_env *e)
{
    size_t big = 32u << 20;
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, big, 0);
    for (int round = 1; round <= 3; round++) {
        a[0] = 0;
        slow_write w = {a, round};
        CHECK_CL(clEnqueueNativeKernel(e->queue, slow_write_fn, &w, sizeof w, 0, NULL, NULL, 0,
                                       NULL, NULL));
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, 4096, 0, NULL, NULL));
        if (a[0] != round)
            SVM_FAIL("round %d: blocking map returned before a native kernel ended (a[0] = %d)",
                     round, a[0]);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
        int pattern = 100 + round;
        CHECK_CL(clEnqueueSVMMemFill(e->queue, a, &pattern, sizeof pattern, big, 0, NULL, NULL));
        CHECK_CL(clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, big, 0, NULL, NULL));
        if (a[big / sizeof *a - 1] != pattern)
            SVM_FAIL("round %d: blocking map returned before a 32 MiB fill ended", round);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
    }
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
}

typedef struct mapper {
    const svm_env *e;
    void *p;
    atomic_int done;
    cl_int err;
} mapper;

static void *map_thread(void *arg)
{
    mapper *m = arg;
    m->err = clEnqueueSVMMap(m->e->queue, CL_TRUE, CL_MAP_READ, m->p, 64, 0, NULL, NULL);
    atomic_store(&m->done, 1);
    return NULL;
}

/* The queue waits on a user event (clEnqueueWaitForEvents, or a marker with a wait list): a
 * blocking map from another thread must not return before the event completes. */
static void behind_a_user_event(const svm_env *e, int use_marker)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    cl_event u = svm_user_event(e);
    if (use_marker)
        CHECK_CL(clEnqueueMarkerWithWaitList(e->queue, 1, &u, NULL));
    else
        CHECK_CL(clEnqueueWaitForEvents(e->queue, 1, &u));
    CHECK_CL(clFlush(e->queue));
    mapper m = {.e = e, .p = a};
    pthread_t t;
    if (pthread_create(&t, NULL, map_thread, &m) != 0)
        SVM_FAIL("pthread_create");
    sleep_ms(200);
    if (atomic_load(&m.done))
        SVM_FAIL("a blocking map returned while the queue waited on a user event (%s)",
                 use_marker ? "marker" : "clEnqueueWaitForEvents");
    CHECK_CL(clSetUserEventStatus(u, CL_COMPLETE));
    pthread_join(t, NULL);
    CHECK_CL(m.err);
    CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
    CHECK_CL(clReleaseEvent(u));
    CHECK_CL(clFinish(e->queue));
    clSVMFree(e->context, a);
}

/* The queue's last command failed (its wait event did): a blocking map with an empty wait list
 * still succeeds, as it did when such a map was a backend marker (a marker behind the failed
 * command completes). Answering from a failed tail must not turn this into an error. */
static void behind_a_failed_command(const svm_env *e)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    cl_event u = svm_user_event(e), m;
    CHECK_CL(clEnqueueMarkerWithWaitList(e->queue, 1, &u, &m));
    CHECK_CL(clFlush(e->queue));
    CHECK_CL(clSetUserEventStatus(u, -55));
    for (int i = 0; i < 2; i++) {
        cl_int err = clEnqueueSVMMap(e->queue, CL_TRUE, CL_MAP_READ, a, 64, 0, NULL, NULL);
        if (err != CL_SUCCESS)
            SVM_FAIL("map %d behind a failed command: %d, expected CL_SUCCESS", i, err);
        CHECK_CL(clEnqueueSVMUnmap(e->queue, a, 0, NULL, NULL));
    }
    if (svm_event_status(m) >= 0)
        SVM_FAIL("the marker behind a failed user event has status %d", svm_event_status(m));
    CHECK_CL(clReleaseEvent(m));
    CHECK_CL(clReleaseEvent(u));
    clFinish(e->queue);
    clSVMFree(e->context, a);
}

typedef struct racer {
    const svm_env *e;
    int *slot;
    int rounds, bad;
    cl_int err;
} racer;

static void *race_thread(void *arg)
{
    racer *r = arg;
    for (int i = 1; i <= r->rounds && r->err == CL_SUCCESS; i++) {
        slow_write w = {r->slot, i};
        r->err = clEnqueueNativeKernel(r->e->queue, slow_write_fn, &w, sizeof w, 0, NULL, NULL, 0,
                                       NULL, NULL);
        if (r->err == CL_SUCCESS)
            r->err = clEnqueueSVMMap(r->e->queue, CL_TRUE, CL_MAP_READ, r->slot, sizeof(int), 0,
                                     NULL, NULL);
        if (r->err == CL_SUCCESS && *(volatile int *)r->slot != i)
            r->bad++;
    }
    return NULL;
}

/* Two threads enqueue on one queue at once, each a slow store then a blocking map: each map must
 * see its own thread's store, whatever the other thread enqueued in between. */
static void threads_on_one_queue(const svm_env *e)
{
    int *a = svm_alloc(e, CL_MEM_READ_WRITE, 4096, 0);
    racer r[2] = {{e, &a[0], 6, 0, CL_SUCCESS}, {e, &a[16], 6, 0, CL_SUCCESS}};
    pthread_t t[2];
    a[0] = a[16] = 0;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, race_thread, &r[i]) != 0)
            SVM_FAIL("pthread_create");
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        CHECK_CL(r[i].err);
        if (r[i].bad)
            SVM_FAIL("thread %d: %d blocking maps returned before its own store", i, r[i].bad);
    }
    CHECK_CL(clFinish(e->queue));
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
    behind_every_kind(&e);
    behind_a_failed_command(&e);
    /* pocl 3.1's basic device deadlocks when a user event a command waits on completes, and when
     * two threads enqueue on one of its queues at once (inside pocl_update_event_running). */
    if (device_runs_on_caller(e.context, e.device) == 0) {
        threads_on_one_queue(&e);
        behind_a_user_event(&e, 0);
        behind_a_user_event(&e, 1);
    } else {
        SKIP_PART("two threads on one queue, and maps behind a user event: %s", INLINE_DEVICE_WHY);
    }
    CHECK_CL(clReleaseKernel(k));
    CHECK_CL(clReleaseProgram(prog));
    svm_env_close(&e);
    return svm_exit_code();
}
