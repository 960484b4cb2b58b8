/* host_command.c: host commands ordered by the backend's queue (see host_command.h for the
 * mechanism). Only portable backend calls are used: user events, markers and barriers with wait
 * lists, CL_COMPLETE event callbacks and clSetUserEventStatus from inside a callback.
 *
 * Failed wait lists. The spec calls a CL_COMPLETE callback also when the command terminates
 * with an error, but pocl 3.1 calls callbacks only on an exact status match, so when a wait
 * event fails, M fails and its callback never runs. B waits on M as well as on U, so the
 * application still sees the failure at once; the record (and the queue reference it holds) is
 * reclaimed by clsvm_host_sweep(), which the failure paths call (a failed wait, a negative
 * status query). To find records, pending commands sit in lists striped by queue (no global
 * lock: commands of one queue share a stripe, others rarely do). */
#include "host_command.h"

#include "fork.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct host_cmd host_cmd;
struct host_cmd {
    clsvm_host_fn fn;
    void *arg;
    cl_event user;    /* U: completed by the callback; gates the returned event */
    cl_event marker;  /* M: completes when the wait list has */
    clsvm_obj *queue; /* held until the work is done: fn may hand the queue to the app */
    host_cmd *prev, *next;
    unsigned stripe;
    int listed; /* in its stripe's list; whoever unlinks it (callback or sweep) finishes it */
    cl_uint nwait;
    cl_event wait[]; /* backend wait events, retained: their status decides whether to run */
};

/* ---- pending commands, striped by queue ---- */
#define STRIPES 64
static struct stripe {
    pthread_mutex_t mu;
    host_cmd *head;
} stripes[STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&stripes[i].mu, NULL);
}

static void pending_add(host_cmd *h)
{
    pthread_once(&stripes_once, stripes_init);
    h->stripe = (unsigned)(((uintptr_t)h->queue / CLSVM_SLOT_SIZE) % STRIPES);
    struct stripe *s = &stripes[h->stripe];
    pthread_mutex_lock(&s->mu);
    h->prev = NULL;
    h->next = s->head;
    if (s->head)
        s->head->prev = h;
    s->head = h;
    h->listed = 1;
    pthread_mutex_unlock(&s->mu);
}

/* Caller holds the stripe's lock. */
static void pending_unlink(host_cmd *h)
{
    struct stripe *s = &stripes[h->stripe];
    if (h->prev)
        h->prev->next = h->next;
    else
        s->head = h->next;
    if (h->next)
        h->next->prev = h->prev;
    h->prev = h->next = NULL;
    h->listed = 0;
}

/* Take h out of the pending list; 0 when the sweep already did (then the sweep finishes it). */
static int pending_claim(host_cmd *h)
{
    struct stripe *s = &stripes[h->stripe];
    pthread_mutex_lock(&s->mu);
    int mine = h->listed;
    if (mine)
        pending_unlink(h);
    pthread_mutex_unlock(&s->mu);
    return mine;
}

cl_int clsvm_host_waitlist_check(clsvm_obj *q, cl_uint n, const cl_event *list)
{
    if ((n > 0 && !list) || (n == 0 && list))
        return CL_INVALID_EVENT_WAIT_LIST;
    for (cl_uint i = 0; i < n; i++) {
        clsvm_obj *e = clsvm_obj_of(list[i], CLSVM_EVENT);
        if (!e)
            return CL_INVALID_EVENT_WAIT_LIST;
        if (e->owner != q->owner)
            return CL_INVALID_CONTEXT;
    }
    return CL_SUCCESS;
}

static void host_cmd_free(host_cmd *h)
{
    for (cl_uint i = 0; i < h->nwait; i++)
        clsvm_be->clReleaseEvent(h->wait[i]);
    if (h->marker)
        clsvm_be->clReleaseEvent(h->marker);
    if (h->user)
        clsvm_be->clReleaseEvent(h->user);
    /* Last: if this is the queue's last reference, the backend may flush or finish it, which
     * must not wait for this command (U is already set when called from the callback). */
    if (h->queue)
        clsvm_obj_release(h->queue);
    free(h);
}

/* Do (status CL_COMPLETE) or abandon (negative) the work, release U, free the record. */
static void host_cmd_finish(host_cmd *h, cl_int status)
{
    h->fn(h->arg, status);
    clsvm_be->clSetUserEventStatus(h->user, status < 0 ? status : CL_COMPLETE);
    host_cmd_free(h);
}

static cl_int event_status(cl_event be)
{
    cl_int s = CL_COMPLETE;
    if (clsvm_be->clGetEventInfo(be, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, NULL) !=
        CL_SUCCESS)
        return CL_COMPLETE;
    return s;
}

/* Runs when M completes (or, on backends that follow the spec, terminates). The wait events'
 * own statuses are checked too: the work runs only if every one of them completed. */
static void CL_CALLBACK host_cmd_run(cl_event marker, cl_int status, void *record)
{
    host_cmd *h = record;
    (void)marker;
    if (!pending_claim(h))
        return;
    for (cl_uint i = 0; i < h->nwait && status >= 0; i++) {
        cl_int s = event_status(h->wait[i]);
        if (s < 0)
            status = s;
    }
    if (status > 0) /* not a CL_COMPLETE callback; treat as a failure */
        status = CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
    host_cmd_finish(h, status);
}

void clsvm_host_sweep(void)
{
    pthread_once(&stripes_once, stripes_init);
    for (int i = 0; i < STRIPES; i++) {
        host_cmd *dead = NULL;
        pthread_mutex_lock(&stripes[i].mu);
        for (host_cmd *h = stripes[i].head, *next; h; h = next) {
            next = h->next;
            /* A failed M stays failed and never calls back (pocl 3.1): the record is ours. */
            if (event_status(h->marker) < 0) {
                pending_unlink(h);
                h->next = dead;
                dead = h;
            }
        }
        pthread_mutex_unlock(&stripes[i].mu);
        for (host_cmd *h = dead, *next; h; h = next) {
            next = h->next;
            host_cmd_finish(h, CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
        }
    }
}

static int queue_in_order(clsvm_obj *q)
{
    cl_command_queue_properties p = 0;
    if (clsvm_be->clGetCommandQueueInfo(q->be, CL_QUEUE_PROPERTIES, sizeof p, &p, NULL) !=
        CL_SUCCESS)
        return 1; /* a barrier is correct either way */
    return !(p & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);
}

cl_int clsvm_host_command(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                          const cl_event *wait, clsvm_host_fn fn, void *arg, cl_event *event)
{
    if (event)
        *event = NULL;
    host_cmd *h = calloc(1, sizeof *h + (size_t)nwait * sizeof(cl_event));
    if (!h)
        return CL_OUT_OF_HOST_MEMORY;
    h->fn = fn;
    h->arg = arg;
    h->queue = q;
    clsvm_obj_retain(q);
    for (; h->nwait < nwait; h->nwait++) {
        h->wait[h->nwait] = clsvm_unwrap(wait[h->nwait], CLSVM_EVENT);
        clsvm_be->clRetainEvent(h->wait[h->nwait]);
    }
    cl_int err = CL_SUCCESS;
    h->user = clsvm_be->clCreateUserEvent(q->owner->be, &err);
    if (!h->user) {
        host_cmd_free(h);
        return err != CL_SUCCESS ? err : CL_OUT_OF_RESOURCES;
    }
    err = clsvm_be->clEnqueueMarkerWithWaitList(q->be, nwait, nwait ? h->wait : NULL, &h->marker);
    if (err != CL_SUCCESS) {
        h->marker = NULL;
        host_cmd_free(h);
        return err;
    }
    /* B waits on U (the work is done) and on M (so a failed wait list fails B at once). On an
     * in-order queue a barrier keeps every later command behind the work; on an out-of-order
     * queue later commands depend on it only through its event, so a marker. */
    cl_event b = NULL, gate[2] = {h->user, h->marker};
    if (queue_in_order(q))
        err = clsvm_be->clEnqueueBarrierWithWaitList(q->be, 2, gate, &b);
    else
        err = clsvm_be->clEnqueueMarkerWithWaitList(q->be, 2, gate, &b);
    if (err != CL_SUCCESS) {
        /* M is enqueued but harmless: nothing hangs on it. */
        host_cmd_free(h);
        return err;
    }
    /* Registered last: the callback may run at once (M may be complete already); the record
     * must be complete and findable by then. */
    pending_add(h);
    cl_event user = h->user;
    err = clsvm_be->clSetEventCallback(h->marker, CL_COMPLETE, host_cmd_run, h);
    if (err != CL_SUCCESS) {
        /* Unblock B as failed so nothing waits forever; the work is not done. */
        if (pending_claim(h)) {
            clsvm_be->clSetUserEventStatus(user, CL_OUT_OF_RESOURCES);
            host_cmd_free(h);
        }
        clsvm_be->clReleaseEvent(b);
        return CL_OUT_OF_RESOURCES;
    }
    /* From here on h belongs to the callback (or to the sweep). */
    if (blocking) {
        err = clsvm_be->clWaitForEvents(1, &b);
        if (err != CL_SUCCESS) {
            clsvm_host_sweep();
            clsvm_be->clReleaseEvent(b);
            return CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
        }
    }
    if (!event) {
        clsvm_be->clReleaseEvent(b);
        return CL_SUCCESS;
    }
    return clsvm_event_out_typed(CL_SUCCESS, (cl_command_queue)q, b, event, type);
}

/* ---- fork() (fork.h) ----
 * The child starts with empty lists and fresh stripe locks rather than holding all 64 stripes
 * across fork(): a pending command belongs to the parent's backend queue, whose events never
 * complete in the child (pocl's threads are not there), so the child has nothing to finish. */
void clsvm_host_atfork_child(void)
{
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&stripes[i].mu, NULL);
        stripes[i].head = NULL;
    }
}
