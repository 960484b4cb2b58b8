/* queue_tail.c: see queue_tail.h. One small mutex per in-order queue; nothing here calls the
 * backend while holding it (events are retained before and released after). While a command
 * runs on its caller's thread (clsvm_qtail_run_begin..end), enqueues wait in clsvm_qtail_begin
 * on a condition variable. */
#include "queue_tail.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct qtail {
    pthread_mutex_t mu;
    pthread_cond_t ran; /* running dropped to 0 */
    cl_event tail;      /* retained backend event of the last command; NULL: none or forgotten */
    unsigned inflight;  /* enqueues between begin and end */
    int known;          /* tail (NULL: an empty queue) stands for every enqueued command */
    int overlap;        /* two enqueues overlapped since inflight was last 0 */
    int disabled;       /* out of order: no tail ever */
    int running;        /* a command runs on its caller's thread: it is the queue's next one */
    /* Retained, complete backend user event (clsvm_qtail_complete_event): set once, then read
     * without the lock until the queue is destroyed. */
    _Atomic(cl_event) complete;
} qtail;

void *clsvm_qtail_new(cl_command_queue_properties props)
{
    if (props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)
        return NULL;
    qtail *t = calloc(1, sizeof *t);
    if (!t || pthread_mutex_init(&t->mu, NULL) != 0) {
        free(t);
        return NULL;
    }
    if (pthread_cond_init(&t->ran, NULL) != 0) {
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    t->known = 1; /* a new queue is empty */
    return t;
}

void clsvm_qtail_clear(void *state)
{
    qtail *t = state;
    if (t && t->tail) {
        clsvm_be->clReleaseEvent(t->tail);
        t->tail = NULL;
    }
    cl_event complete = t ? atomic_load_explicit(&t->complete, memory_order_relaxed) : NULL;
    if (complete) {
        clsvm_be->clReleaseEvent(complete);
        atomic_store_explicit(&t->complete, NULL, memory_order_relaxed);
    }
}

static qtail *state_of(clsvm_obj *q)
{
    return q ? (qtail *)q->ext : NULL;
}

/* Under t->mu: forget the tail; the old event is returned for release outside the lock. */
static cl_event forget(qtail *t)
{
    cl_event old = t->tail;
    t->tail = NULL;
    t->known = 0;
    return old;
}

void clsvm_qtail_disable(clsvm_obj *q)
{
    qtail *t = state_of(q);
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    t->disabled = 1;
    cl_event old = forget(t);
    pthread_mutex_unlock(&t->mu);
    if (old)
        clsvm_be->clReleaseEvent(old);
}

void clsvm_qtail_begin(clsvm_obj *q)
{
    qtail *t = state_of(q);
    if (!t)
        return;
    pthread_mutex_lock(&t->mu);
    /* Behind a command running on another thread: it comes first in the queue's order. */
    while (t->running)
        pthread_cond_wait(&t->ran, &t->mu);
    if (t->inflight++)
        t->overlap = 1;
    pthread_mutex_unlock(&t->mu);
}

void clsvm_qtail_end(clsvm_obj *q, int enqueued, cl_event ev)
{
    qtail *t = state_of(q);
    if (!t)
        return;
    /* Retained before the lock: the tail must own a reference of its own. */
    int keep = enqueued && ev && clsvm_be->clRetainEvent(ev) == CL_SUCCESS;
    cl_event old = NULL, drop = NULL;
    pthread_mutex_lock(&t->mu);
    if (t->overlap || t->disabled || (enqueued && !keep)) {
        /* Another enqueue ran at the same time (its place in the backend's order is unknown),
         * or this command's event is not known. */
        old = forget(t);
        drop = keep ? ev : NULL;
    } else if (enqueued) {
        old = t->tail;
        t->tail = ev;
        t->known = 1;
    }
    if (--t->inflight == 0)
        t->overlap = 0;
    pthread_mutex_unlock(&t->mu);
    if (old)
        clsvm_be->clReleaseEvent(old);
    if (drop)
        clsvm_be->clReleaseEvent(drop);
}

int clsvm_qtail_done(clsvm_obj *q, cl_event *wait)
{
    *wait = NULL;
    qtail *t = state_of(q);
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    int known = t->known && !t->disabled;
    cl_event ev = known ? t->tail : NULL;
    if (ev)
        clsvm_be->clRetainEvent(ev);
    pthread_mutex_unlock(&t->mu);
    if (!known)
        return 0;
    if (!ev)
        return 1;
    cl_int st = CL_QUEUED;
    if (clsvm_be->clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st, NULL) ==
            CL_SUCCESS &&
        (st == CL_COMPLETE || st < 0)) { /* a failed command is over too */
        clsvm_be->clReleaseEvent(ev);
        return 1;
    }
    *wait = ev;
    return 0;
}

/* Under t->mu: may a command run on its caller's thread now, given that `tail` (retained by the
 * caller, or NULL) is the tail it found ended? */
static int may_run(const qtail *t, cl_event tail)
{
    return t->known && !t->disabled && !t->inflight && !t->running && t->tail == tail;
}

int clsvm_qtail_run_begin(clsvm_obj *q)
{
    qtail *t = state_of(q);
    if (!t)
        return 0;
    pthread_mutex_lock(&t->mu);
    cl_event ev = t->tail;
    int ok = may_run(t, ev);
    if (ok && ev)
        clsvm_be->clRetainEvent(ev);
    pthread_mutex_unlock(&t->mu);
    if (!ok)
        return 0;
    if (ev) {
        cl_int st = CL_QUEUED;
        ok = clsvm_be->clGetEventInfo(ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st,
                                      NULL) == CL_SUCCESS &&
             (st == CL_COMPLETE || st < 0);
    }
    /* Checked again: an enqueue may have come in while the status was asked. The reference held
     * on ev keeps its address from being reused by a newer tail meanwhile. */
    cl_event ended = NULL;
    if (ok) {
        pthread_mutex_lock(&t->mu);
        ok = may_run(t, ev);
        t->running = ok;
        /* An ended tail stands for nothing more than an empty queue does: dropped, so that the
         * next command run here asks the backend nothing. */
        if (ok && ev) {
            ended = ev;
            t->tail = NULL;
        }
        pthread_mutex_unlock(&t->mu);
    }
    if (ended)
        clsvm_be->clReleaseEvent(ended); /* the queue's reference */
    if (ev)
        clsvm_be->clReleaseEvent(ev);
    return ok;
}

void clsvm_qtail_run_end(clsvm_obj *q)
{
    qtail *t = state_of(q);
    pthread_mutex_lock(&t->mu);
    t->running = 0;
    pthread_cond_broadcast(&t->ran);
    pthread_mutex_unlock(&t->mu);
}

cl_event clsvm_qtail_complete_event(clsvm_obj *q)
{
    qtail *t = state_of(q);
    if (!t || !clsvm_be->clCreateUserEvent || !clsvm_be->clSetUserEventStatus)
        return NULL;
    cl_event ev = atomic_load_explicit(&t->complete, memory_order_acquire);
    if (ev)
        return ev;
    /* Made outside the lock; of two threads making one at once, the first to store it wins. */
    cl_int err = CL_SUCCESS;
    ev = clsvm_be->clCreateUserEvent(q->owner->be, &err);
    if (!ev)
        return NULL;
    if (clsvm_be->clSetUserEventStatus(ev, CL_COMPLETE) != CL_SUCCESS) {
        clsvm_be->clReleaseEvent(ev);
        return NULL;
    }
    cl_event none = NULL;
    if (atomic_compare_exchange_strong_explicit(&t->complete, &none, ev, memory_order_acq_rel,
                                                memory_order_acquire))
        return ev; /* the queue's reference */
    clsvm_be->clReleaseEvent(ev);
    return none; /* another thread's, stored first */
}
