/* host_command.c: host commands as backend native kernels (see host_command.h for why).
 *
 * The argument block handed to clEnqueueNativeKernel is {fn, ticket, queue, data}; the backend
 * copies it at enqueue time and frees its copy with the command, so a command whose wait list
 * fails (and whose function therefore never runs) leaks nothing, except where the command holds
 * its queue (hold_queue): then a ticket records the reference so clsvm_host_sweep() can drop it.
 *
 * Ticket ownership, every transition under its stripe's lock:
 *   PENDING  created by the enqueuer, not listed; the native function may already run (a
 *            device that executes on the enqueuing thread runs it inside the enqueue call)
 *   LISTED   the enqueuer listed it with the command's event, so a sweep can find it
 *   DONE     claimed by the native function or by the sweep; the claimer releases the queue
 * The ticket is freed by whoever sees it last: the native function or the sweep when it was
 * LISTED, else the enqueuer (which then finds it DONE). A command's function and a sweep never
 * both claim it: the sweep claims only commands whose event is negative, which the backend
 * never runs. Tickets sit in lists striped by queue (no global lock). */
#include "host_command.h"
#include "queue_tail.h"

#include "check.h"
#include "fork.h"
#include "clsvm/internal/log.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { T_PENDING, T_LISTED, T_DONE };

typedef struct ticket ticket;
struct ticket {
    clsvm_obj *queue; /* the reference the command holds */
    cl_event ev;      /* the command's backend event, retained while LISTED */
    ticket *prev, *next;
    unsigned stripe;
    int state;
};

/* What the backend copies: the host function, its ticket (or NULL) and the data. */
typedef struct block {
    clsvm_host_fn fn;
    ticket *t;
    clsvm_obj *queue;
    max_align_t data[]; /* the data, aligned for any type */
} block;

/* ---- tickets, striped by queue ---- */
#define STRIPES 64
static struct stripe {
    pthread_mutex_t mu;
    ticket *head;
} stripes[STRIPES];
static pthread_once_t stripes_once = PTHREAD_ONCE_INIT;

static void stripes_init(void)
{
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&stripes[i].mu, NULL);
}

static ticket *ticket_new(clsvm_obj *q)
{
    pthread_once(&stripes_once, stripes_init);
    ticket *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->queue = q;
    t->stripe = (unsigned)(((uintptr_t)q / CLSVM_SLOT_SIZE) % STRIPES);
    t->state = T_PENDING;
    clsvm_obj_retain(q);
    return t;
}

/* Caller holds the stripe's lock. */
static void ticket_unlink(ticket *t)
{
    struct stripe *s = &stripes[t->stripe];
    if (t->prev)
        t->prev->next = t->next;
    else
        s->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    t->prev = t->next = NULL;
}

/* The enqueuer's last step: list t with the command's event, or free it when the command has
 * already run (its function found it PENDING and left it to us). */
static void ticket_publish(ticket *t, cl_event ev)
{
    struct stripe *s = &stripes[t->stripe];
    pthread_mutex_lock(&s->mu);
    int ran = t->state == T_DONE;
    if (!ran) {
        clsvm_be->clRetainEvent(ev);
        t->ev = ev;
        t->prev = NULL;
        t->next = s->head;
        if (s->head)
            s->head->prev = t;
        s->head = t;
        t->state = T_LISTED;
    }
    pthread_mutex_unlock(&s->mu);
    if (ran)
        free(t);
}

/* The native function's claim; returns whether it must free t (it was listed). */
static int ticket_claim(ticket *t)
{
    struct stripe *s = &stripes[t->stripe];
    pthread_mutex_lock(&s->mu);
    int listed = t->state == T_LISTED;
    if (listed)
        ticket_unlink(t);
    t->state = T_DONE;
    pthread_mutex_unlock(&s->mu);
    return listed;
}

static cl_int event_status(cl_event be)
{
    cl_int s = CL_COMPLETE;
    if (clsvm_be->clGetEventInfo(be, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof s, &s, NULL) !=
        CL_SUCCESS)
        return CL_COMPLETE;
    return s;
}

void clsvm_host_sweep(void)
{
    pthread_once(&stripes_once, stripes_init);
    for (int i = 0; i < STRIPES; i++) {
        ticket *dead = NULL;
        pthread_mutex_lock(&stripes[i].mu);
        for (ticket *t = stripes[i].head, *next; t; t = next) {
            next = t->next;
            if (event_status(t->ev) < 0) { /* terminated: its function will never run */
                ticket_unlink(t);
                t->state = T_DONE;
                t->next = dead;
                dead = t;
            }
        }
        pthread_mutex_unlock(&stripes[i].mu);
        for (ticket *t = dead, *next; t; t = next) {
            next = t->next;
            clsvm_be->clReleaseEvent(t->ev);
            clsvm_obj_release(t->queue);
            free(t);
        }
    }
}

/* ---- the command ---- */
static void CL_CALLBACK host_native(void *arg)
{
    block *b = arg;
    ticket *t = b->t;
    int mine = t ? ticket_claim(t) : 0;
    b->fn(b->data);
    if (!t)
        return;
    /* The backend holds its own reference on the queue while this command runs, so dropping
     * the application's last one here cannot make it finish or free the queue under us. */
    cl_event ev = mine ? t->ev : NULL;
    if (mine)
        free(t);
    if (ev)
        clsvm_be->clReleaseEvent(ev);
    clsvm_obj_release(b->queue);
}

static cl_int command_out(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_event ev,
                          cl_event *event);

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

/* Every CPU device runs native kernels; a device that does not cannot run clsvm's SVM commands
 * (nor share memory with the host as they assume). */
static int runs_native(clsvm_obj *q)
{
    cl_device_exec_capabilities caps = 0;
    if (!clsvm_be->clEnqueueNativeKernel || !q->parent ||
        clsvm_be->clGetDeviceInfo(q->parent->be, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps,
                                  &caps, NULL) != CL_SUCCESS)
        return 0;
    return (caps & CL_EXEC_NATIVE_KERNEL) != 0;
}

static void log_no_native(void)
{
    static atomic_int logged;
    if (!atomic_exchange(&logged, 1))
        clsvm_log(CLSVM_LOG_ERROR, "svm: clEnqueueSVM* fail with CL_OUT_OF_RESOURCES: the device "
                                   "runs no native kernels, which clsvm's SVM commands are "
                                   "(use a CPU device) (logged once)");
}

cl_int clsvm_host_command(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                          const cl_event *wait, clsvm_host_fn fn, const void *data, size_t size,
                          int hold_queue, cl_event *event)
{
    if (event)
        *event = NULL;
    if (!runs_native(q)) {
        log_no_native();
        return CL_OUT_OF_RESOURCES;
    }
    clsvm_evlist wl;
    cl_int err = clsvm_evlist_unwrap(nwait, wait, &wl);
    if (err != CL_SUCCESS)
        return err;
    /* Small blocks (everything but a long free list) are built on the stack. */
    _Alignas(max_align_t) unsigned char local[512];
    size_t bsize = offsetof(block, data) + size;
    block *b = bsize <= sizeof local ? (block *)local : malloc(bsize);
    ticket *t = NULL;
    if (!b || (hold_queue && !(t = ticket_new(q)))) {
        if (b != (block *)local)
            free(b);
        clsvm_evlist_done(&wl);
        return CL_OUT_OF_HOST_MEMORY;
    }
    b->fn = fn;
    b->t = t;
    b->queue = q;
    memcpy(b->data, data, size);
    cl_event ev = NULL;
    clsvm_qtail_begin(q);
    err = clsvm_be->clEnqueueNativeKernel(q->be, host_native, b, bsize, 0, NULL, NULL, nwait,
                                          wl.list, &ev);
    clsvm_qtail_end(q, err == CL_SUCCESS, ev);
    clsvm_evlist_done(&wl);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_INUSE), 0))
        clsvm_check_enqueued(q, type, err == CL_SUCCESS ? ev : NULL);
    if (b != (block *)local)
        free(b);
    if (err != CL_SUCCESS) {
        /* Nothing enqueued: the ticket was never seen by a command. */
        if (t) {
            clsvm_obj_release(q);
            free(t);
        }
        return err;
    }
    if (t)
        ticket_publish(t, ev);
    return command_out(q, type, blocking, ev, event);
}

cl_int clsvm_host_order(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_uint nwait,
                        const cl_event *wait, cl_event *event)
{
    if (event)
        *event = NULL;
    /* Nothing to wait for, nobody to tell: later commands are ordered by what came before it
     * anyway, and the host learns the memory is ready only through something that waits for
     * the earlier commands too. */
    if (!blocking && !nwait && !event)
        return CL_SUCCESS;
    /* Blocking, with nothing but the queue's earlier commands to wait for: when the last of them
     * has ended, or is the one to wait for, no marker is needed. An earlier command that failed
     * does not fail this one: its wait list is empty (a marker behind it completes, too). */
    cl_event tail = NULL;
    if (!nwait && !event && (clsvm_qtail_done(q, &tail) || tail)) {
        if (tail) {
            if (clsvm_be->clWaitForEvents(1, &tail) != CL_SUCCESS)
                clsvm_host_sweep(); /* host commands behind the failure never run */
            clsvm_be->clReleaseEvent(tail);
        }
        return CL_SUCCESS;
    }
    clsvm_evlist wl;
    cl_int err = clsvm_evlist_unwrap(nwait, wait, &wl);
    if (err != CL_SUCCESS)
        return err;
    cl_event ev = NULL;
    clsvm_qtail_begin(q);
    err = clsvm_be->clEnqueueMarkerWithWaitList(q->be, nwait, wl.list, &ev);
    clsvm_qtail_end(q, err == CL_SUCCESS, ev);
    clsvm_evlist_done(&wl);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_INUSE), 0))
        clsvm_check_enqueued(q, type, err == CL_SUCCESS ? ev : NULL);
    if (err != CL_SUCCESS)
        return err;
    return command_out(q, type, blocking, ev, event);
}

/* The backend's profiling clock: pocl stamps commands with CLOCK_MONOTONIC_RAW
 * (pocl_gettimemono_ns), and its clGetDeviceAndHostTimer is not implemented for the CPU device
 * (CL_INVALID_OPERATION), so there is no call to ask. */
static cl_ulong backend_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (cl_ulong)ts.tv_sec * 1000000000u + (cl_ulong)ts.tv_nsec;
}

int clsvm_host_now(clsvm_obj *q, cl_command_type type, clsvm_host_fn fn, void *data,
                   cl_event *event, cl_int *err)
{
    if (event)
        *event = NULL;
    /* A device without native kernels refuses the command the usual way. */
    if (!runs_native(q))
        return 0;
    /* The clock is read only for an event of a queue that profiles (three reads cost about as
     * much as a 64-byte copy on a virtual machine); without profiling the event needs no times
     * and no record for them (the backend's user event answers the profiling queries:
     * CL_PROFILING_INFO_NOT_AVAILABLE). */
    int timed = event && clsvm_queue_profiles(q);
    cl_ulong queued = timed ? backend_now() : 0, *times = NULL;
    if (!clsvm_qtail_run_begin(q))
        return 0;
    *err = CL_SUCCESS;
    if (event) {
        /* The backend event behind the application's: complete before anyone can wait on it,
         * so nothing of the backend's ever waits for it to complete (pocl 3.1's basic device
         * deadlocks only when a user event completes while a command waits on it), and a
         * later command with it in its wait list does not wait at all. */
        cl_event be = clsvm_qtail_complete_event(q);
        if (!be) {
            clsvm_qtail_run_end(q);
            return 0; /* the native kernel's event will do */
        }
        *err = clsvm_event_borrowed(q, be, type, event);
        if (*err == CL_SUCCESS && timed && !(times = clsvm_event_host_times(*event))) {
            clsvm_obj_app_release((clsvm_obj *)*event);
            *event = NULL;
            *err = CL_OUT_OF_HOST_MEMORY;
        }
    }
    if (*err == CL_SUCCESS) {
        /* Submitted to the thread that runs it when it starts. */
        cl_ulong start = times ? backend_now() : 0;
        fn(data);
        if (times) {
            times[0] = queued;
            times[1] = times[2] = start;
            times[3] = backend_now();
        }
    }
    clsvm_qtail_run_end(q);
    return 1;
}

/* The common end of both: wait when blocking, hand out (or drop) the event. */
static cl_int command_out(clsvm_obj *q, cl_command_type type, cl_bool blocking, cl_event ev,
                          cl_event *event)
{
    cl_int err;
    if (blocking) {
        err = clsvm_be->clWaitForEvents(1, &ev);
        if (err == CL_SUCCESS && event_status(ev) < 0)
            err = CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
        if (err != CL_SUCCESS) {
            clsvm_host_sweep();
            clsvm_be->clReleaseEvent(ev);
            return CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
        }
    }
    if (!event) {
        if (ev)
            clsvm_be->clReleaseEvent(ev);
        return CL_SUCCESS;
    }
    return clsvm_event_out_typed(CL_SUCCESS, (cl_command_queue)q, ev, event, type);
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
