/* test_svm_fast_events: the events of memcpy and fill commands that clsvm ran on the caller's
 * thread stand on one backend event their queue keeps (docs/svm.md, "SVM commands"), so they
 * must stay usable for as long as the application holds them, whatever it releases first:
 *   - many events of one queue, released in an order unlike their creation, each answering its
 *     type, queue, context, status and reference count up to its release;
 *   - events that outlive their queue (released by the application) still answer, wait, serve
 *     in another queue's wait list and in clSetEventCallback, and are released after it;
 *   - retained and released again by the application, an event stays until its last release;
 *   - the same from several threads, each with its own queue, releasing queues and events in
 *     turn (TSan: no race on the shared backend event);
 *   - a released event handle is rejected (CL_INVALID_EVENT) while later events are made. */
#include "svm/svm_test.h"

#include <pthread.h>
#include <stdatomic.h>

enum { N = 200 };

static void check_event(const svm_env *e, cl_event ev, cl_command_queue q, cl_command_type type,
                        const char *what)
{
    cl_command_queue eq = NULL;
    cl_context ec = NULL;
    cl_uint refs = 0;
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_COMMAND_QUEUE, eq);
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_CONTEXT, ec);
    ICD_GET_INFO(clGetEventInfo, ev, CL_EVENT_REFERENCE_COUNT, refs);
    if (svm_event_type(ev) != type || eq != q || ec != e->context || refs != 1 ||
        svm_event_status(ev) != CL_COMPLETE)
        SVM_FAIL("%s: type 0x%x queue %p (want %p) context %p refs %u status %d", what,
                 (unsigned)svm_event_type(ev), (void *)eq, (void *)q, (void *)ec, refs,
                 svm_event_status(ev));
}

/* Half memcpy, half fill, on queue q; a[i] gets byte i. */
static void make_events(cl_command_queue q, unsigned char *a, unsigned char *b, cl_event *ev)
{
    for (int i = 0; i < N; i++) {
        unsigned char v = (unsigned char)i;
        if (i % 2)
            CHECK_CL(clEnqueueSVMMemcpy(q, CL_FALSE, b + i, a + i, 1, 0, NULL, &ev[i]));
        else
            CHECK_CL(clEnqueueSVMMemFill(q, b + i, &v, 1, 1, 0, NULL, &ev[i]));
    }
}

static void CL_CALLBACK note_status(cl_event ev, cl_int status, void *user)
{
    (void)ev;
    *(volatile cl_int *)user = status + 1000;
}

static void outlive_queue(const svm_env *e)
{
    unsigned char *a = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N, 0);
    unsigned char *b = svm_alloc(e, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N, 0);
    for (int i = 0; i < N; i++)
        a[i] = (unsigned char)i;
    memset(b, 0xEE, N);
    cl_command_queue q = icd_test_queue(e->context, e->device, NULL);
    cl_event ev[N];
    make_events(q, a, b, ev);
    CHECK_CL(clWaitForEvents(N, ev));
    for (int i = 0; i < N; i++)
        if (b[i] != (unsigned char)i)
            SVM_FAIL("command %d wrote %d", i, b[i]);
    /* Every third one now, in reverse; the others after the queue is gone. */
    for (int i = N - 1; i >= 0; i -= 3) {
        check_event(e, ev[i], q, i % 2 ? CL_COMMAND_SVM_MEMCPY : CL_COMMAND_SVM_MEMFILL, "early");
        CHECK_CL(clReleaseEvent(ev[i]));
    }
    /* A released handle is dead, whatever comes after it. */
    cl_event dead = ev[N - 1], more;
    CHECK_CL(clEnqueueSVMMemFill(q, b, a, 1, 1, 0, NULL, &more));
    SVM_EXPECT_ERR(clRetainEvent(dead), CL_INVALID_EVENT);
    SVM_EXPECT_ERR(clWaitForEvents(1, &dead), CL_INVALID_EVENT);
    CHECK_CL(clRetainEvent(ev[0])); /* held twice by the application */
    CHECK_CL(clReleaseCommandQueue(q));

    for (int i = 1; i < N; i++) { /* ev[0], retained, is checked below */
        if ((N - 1 - i) % 3 == 0)
            continue;
        check_event(e, ev[i], q, i % 2 ? CL_COMMAND_SVM_MEMCPY : CL_COMMAND_SVM_MEMFILL,
                    "after the queue's release");
    }
    CHECK_CL(clWaitForEvents(1, &more));
    /* In another queue's wait list, and with a callback. */
    volatile cl_int seen = 0;
    CHECK_CL(clSetEventCallback(ev[2], CL_COMPLETE, note_status, (void *)&seen));
    cl_event wl[2] = {ev[2], more};
    a[0] = 77;
    CHECK_CL(clEnqueueSVMMemcpy(e->queue, CL_TRUE, b, a, 1, 2, wl, NULL));
    if (b[0] != 77)
        SVM_FAIL("memcpy waiting on a dead queue's events copied %d", b[0]);
    for (int i = 0; i < 200 && seen == 0; i++)
        svm_sleep_ms(5);
    if (seen != CL_COMPLETE + 1000)
        SVM_FAIL("callback on an event of a released queue: status %d", (int)seen - 1000);
    CHECK_CL(clReleaseEvent(more));
    for (int i = 1; i < N; i++)
        if ((N - 1 - i) % 3 != 0)
            CHECK_CL(clReleaseEvent(ev[i]));
    /* ev[0]: held twice by the application. */
    cl_uint refs = 0;
    ICD_GET_INFO(clGetEventInfo, ev[0], CL_EVENT_REFERENCE_COUNT, refs);
    if (refs != 2)
        SVM_FAIL("event retained once more: refs %u", refs);
    CHECK_CL(clReleaseEvent(ev[0]));
    ICD_GET_INFO(clGetEventInfo, ev[0], CL_EVENT_REFERENCE_COUNT, refs);
    if (refs != 1 || svm_event_status(ev[0]) != CL_COMPLETE)
        SVM_FAIL("event retained twice, released once: refs %u status %d", refs,
                 svm_event_status(ev[0]));
    CHECK_CL(clReleaseEvent(ev[0]));
    SVM_EXPECT_ERR(clReleaseEvent(ev[0]), CL_INVALID_EVENT);
    clSVMFree(e->context, a);
    clSVMFree(e->context, b);
}

typedef struct worker {
    const svm_env *e;
    int id;
    _Atomic int *bad;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    unsigned char *a =
        clSVMAlloc(w->e->context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N, 0);
    unsigned char *b =
        clSVMAlloc(w->e->context, CL_MEM_READ_WRITE | CL_MEM_SVM_FINE_GRAIN_BUFFER, N, 0);
    if (!a || !b) {
        atomic_fetch_add(w->bad, 1);
        return NULL;
    }
    for (int i = 0; i < N; i++)
        a[i] = (unsigned char)(i + w->id);
    for (int round = 0; round < 5; round++) {
        cl_int err = CL_SUCCESS;
        cl_command_queue q =
            clCreateCommandQueueWithProperties(w->e->context, w->e->device, NULL, &err);
        if (!q) {
            atomic_fetch_add(w->bad, 1);
            break;
        }
        cl_event ev[N];
        make_events(q, a, b, ev);
        if (round % 2)
            clReleaseCommandQueue(q);
        if (clWaitForEvents(N, ev) != CL_SUCCESS)
            atomic_fetch_add(w->bad, 1);
        for (int i = 0; i < N; i++) {
            cl_int st = CL_QUEUED;
            if (clGetEventInfo(ev[i], CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL) !=
                    CL_SUCCESS ||
                st != CL_COMPLETE || clReleaseEvent(ev[i]) != CL_SUCCESS)
                atomic_fetch_add(w->bad, 1);
            if (b[i] != (unsigned char)(i % 2 ? i + w->id : i))
                atomic_fetch_add(w->bad, 1);
        }
        if (!(round % 2))
            clReleaseCommandQueue(q);
    }
    clSVMFree(w->e->context, a);
    clSVMFree(w->e->context, b);
    return NULL;
}

static void threads(const svm_env *e)
{
    enum { T = 3 };
    _Atomic int bad = 0;
    worker w[T];
    pthread_t t[T];
    for (int i = 0; i < T; i++) {
        w[i] = (worker){e, i + 1, &bad};
        CHECK(pthread_create(&t[i], NULL, work, &w[i]) == 0);
    }
    for (int i = 0; i < T; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    if (atomic_load(&bad))
        SVM_FAIL("%d wrong answer(s) from threads making and releasing events and queues",
                 atomic_load(&bad));
}

int main(void)
{
    svm_env e;
    svm_env_open(&e);
    outlive_queue(&e);
    threads(&e);
    svm_env_close(&e);
    return svm_exit_code();
}
