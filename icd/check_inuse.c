/*
 * check_inuse.c: the free-while-in-use check (CLSVM_CHECK=inuse, docs/checker.md). Each command
 * enqueued with SVM memory (a kernel's SVM arguments and exec-info pointers, a memcpy's, fill's
 * or map's range) leaves a record of the allocations it uses; a free of one of them while the
 * record's command is not complete is reported with both sides.
 *
 * When is a command complete? A callback on its backend event (CL_COMPLETE) marks the record;
 * it only takes this file's lock: it may run on a backend thread or, on a device that runs
 * commands on the calling thread, inside any backend call, so it never calls the backend. The
 * backend may let a waiter go on before it runs callbacks, so the points where the
 * application knows its commands are complete mark records too: clFinish(q) (q's records),
 * clWaitForEvents (the events', and in an in-order queue those enqueued before them). A free
 * command (clEnqueueSVMFree) runs after the earlier commands of its in-order queue and after
 * its wait list, so it skips those records; a clSVMFree on the application's thread asks the
 * backend for the status of a record still open before it reports it.
 * A record is freed (its retained event released) on an application thread once complete and
 * its callback has run: never from the callback or a free command.
 *
 * Locking: one mutex, a leaf: the backend is called outside it.
 */
#include "check.h"
#include "icd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL_NAME 64
#define MAX_RANGES 16

typedef struct range {
    const void *base; /* the allocation */
    uint64_t serial;
    size_t lo, hi; /* the bytes used, offsets from base, hi exclusive */
} range;

typedef struct cmd {
    struct cmd *next;
    cl_event ev; /* backend event, retained until the record is freed */
    const clsvm_obj *queue;
    int in_order;
    int done;       /* complete: the callback ran, or a point of synchronisation says so */
    int cb_pending; /* the callback may still run and touch the record */
    int pins;       /* a free is asking the backend about it: keep it */
    uint64_t seq;   /* enqueue order */
    unsigned type;  /* CL_COMMAND_* */
    char kernel[KERNEL_NAME];
    size_t n;
    range r[];
} cmd;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cmd *head;
static uint64_t next_seq = 1;

/* The free command under way on this thread. */
typedef struct free_site {
    const struct free_site *outer; /* the free command this one runs inside, if any */
    const clsvm_obj *queue;
    uint64_t seq; /* records before it */
    int nframes;
    void *frames[CLSVM_CHECK_FRAMES];
    unsigned nwait;
    cl_event wait[]; /* backend events of its wait list */
} free_site;
static _Thread_local const free_site *cur_site;

/* What clsvm_check_uses gave for this thread's next host command. */
static _Thread_local struct pending_uses {
    const clsvm_obj *queue;
    unsigned type, n;
    const void *p[2];
    size_t size[2];
} pend;

static const char *type_name(unsigned type)
{
    switch (type) {
    case CL_COMMAND_NDRANGE_KERNEL:
        return "clEnqueueNDRangeKernel";
    case CL_COMMAND_TASK:
        return "clEnqueueTask";
    case CL_COMMAND_SVM_MEMCPY:
        return "clEnqueueSVMMemcpy";
    case CL_COMMAND_SVM_MEMFILL:
        return "clEnqueueSVMMemFill";
    case CL_COMMAND_SVM_MAP:
        return "clEnqueueSVMMap";
    default:
        return "a command";
    }
}

/* Free the records that are complete and whose callback has run (application thread only). */
static void reap(void)
{
    cmd *dead = NULL;
    pthread_mutex_lock(&lock);
    for (cmd **c = &head; *c;) {
        cmd *x = *c;
        if (x->done && !x->cb_pending && !x->pins) {
            *c = x->next;
            x->next = dead;
            dead = x;
        } else
            c = &x->next;
    }
    pthread_mutex_unlock(&lock);
    for (cmd *x = dead, *next; x; x = next) {
        next = x->next;
        clsvm_be->clReleaseEvent(x->ev);
        free(x);
    }
}

static void CL_CALLBACK command_done(cl_event ev, cl_int status, void *data)
{
    cmd *c = data;
    (void)ev;
    (void)status;
    /* A kernel could have written past the allocations it was given: look now, while the
     * record is still ours (cb_pending), at the guards of the allocations it used. */
    if (c->kernel[0] && clsvm_check_on(CLSVM_CHECK_REDZONE)) {
        char when[KERNEL_NAME + 32];
        snprintf(when, sizeof when, "the end of kernel %s", c->kernel);
        for (size_t i = 0; i < c->n; i++)
            clsvm_check_guard_of(c->r[i].base, c->r[i].serial, when);
    }
    pthread_mutex_lock(&lock);
    c->done = 1;
    c->cb_pending = 0;
    pthread_mutex_unlock(&lock);
}

/* Record a command using n ranges (n >= 1), enqueued on q with backend event ev. */
static void record(clsvm_obj *q, unsigned type, const char *kernel, const range *r, size_t n,
                   cl_event ev)
{
    reap();
    cmd *c = calloc(1, sizeof *c + n * sizeof *r);
    if (!c || clsvm_be->clRetainEvent(ev) != CL_SUCCESS) {
        free(c);
        return; /* unrecorded: a free of its memory goes unchecked */
    }
    cl_command_queue_properties props = 0;
    if (clsvm_be->clGetCommandQueueInfo(q->be, CL_QUEUE_PROPERTIES, sizeof props, &props, NULL) !=
        CL_SUCCESS)
        props = CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE; /* unknown: no order assumed */
    c->ev = ev;
    c->queue = q;
    c->in_order = !(props & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE);
    c->type = type;
    c->cb_pending = 1;
    snprintf(c->kernel, sizeof c->kernel, "%s", kernel ? kernel : "");
    c->n = n;
    memcpy(c->r, r, n * sizeof *r);
    pthread_mutex_lock(&lock);
    c->seq = next_seq++;
    c->next = head;
    head = c;
    pthread_mutex_unlock(&lock);
    /* Outside the lock: the callback runs at once (on this thread) if ev is complete. */
    if (clsvm_be->clSetEventCallback(ev, CL_COMPLETE, command_done, c) != CL_SUCCESS) {
        pthread_mutex_lock(&lock);
        c->done = 1;
        c->cb_pending = 0;
        pthread_mutex_unlock(&lock);
    }
}

/* The range [p, p + size) as a use of the allocation it lies in; 0 when none the checker knows. */
static int range_of(const void *p, size_t size, range *out)
{
    clsvm_check_alloc a;
    if (!clsvm_check_which(p, &a))
        return 0;
    out->base = a.base;
    out->serial = a.serial;
    out->lo = (size_t)((const char *)p - (const char *)a.base);
    out->hi = out->lo + (size ? size : 1);
    return 1;
}

void clsvm_check_uses(clsvm_obj *q, unsigned type, const void *a, size_t na, const void *b,
                      size_t nb)
{
    pend.queue = q;
    pend.type = type;
    pend.n = b ? 2 : 1;
    pend.p[0] = a;
    pend.size[0] = na;
    pend.p[1] = b;
    pend.size[1] = nb;
}

void clsvm_check_enqueued(clsvm_obj *q, unsigned type, void *ev)
{
    /* Only the ranges given for this very command (a command refused before its enqueue leaves
     * its ranges behind: another queue's or type's command does not take them). */
    int mine = pend.queue == q && pend.type == type;
    unsigned n = mine ? pend.n : 0;
    pend.queue = NULL;
    range r[2];
    size_t k = 0;
    for (unsigned i = 0; ev && i < n; i++)
        k += (size_t)range_of(pend.p[i], pend.size[i], &r[k]);
    if (k)
        record(q, type, NULL, r, k, ev);
}

void clsvm_check_kernel_enqueued(clsvm_obj *q, clsvm_obj *k, unsigned type, void *ev)
{
    size_t n = 0;
    clsvm_check_alloc *a = ev ? clsvm_check_kernel_allocs(k, &n) : NULL;
    range r[MAX_RANGES];
    size_t m = 0;
    for (size_t i = 0; i < n && m < MAX_RANGES; i++) {
        clsvm_check_alloc now;
        size_t j = 0;
        while (j < m && r[j].base != a[i].base)
            j++;
        /* Once each, and only allocations still live: a stale one is the stale check's. */
        if (j < m || !clsvm_check_which(a[i].base, &now) || now.serial != a[i].serial)
            continue;
        r[m++] = (range){a[i].base, a[i].serial, 0, a[i].size};
    }
    free(a);
    if (!m)
        return;
    char name[KERNEL_NAME] = "";
    if (clsvm_be->clGetKernelInfo(k->be, CL_KERNEL_FUNCTION_NAME, sizeof name, name, NULL) !=
        CL_SUCCESS)
        snprintf(name, sizeof name, "(a kernel whose name is longer than %d bytes)",
                 KERNEL_NAME - 1);
    record(q, type, name, r, m, ev);
}

/* Mark c and, in its in-order queue, the records enqueued before it complete (lock held). */
static void mark_through(const cmd *c)
{
    for (cmd *x = head; x; x = x->next)
        if (x == c || (c->in_order && x->queue == c->queue && x->seq < c->seq))
            x->done = 1;
}

void clsvm_check_sync(clsvm_obj *q, void *const *be, unsigned n, const char *when)
{
    if (clsvm_check_on(CLSVM_CHECK_INUSE)) {
        pthread_mutex_lock(&lock);
        for (cmd *x = head; x; x = x->next) {
            if (q && x->queue == q)
                x->done = 1;
            for (unsigned i = 0; i < n; i++)
                if (x->ev == be[i])
                    mark_through(x);
        }
        pthread_mutex_unlock(&lock);
        reap();
    }
    if (clsvm_check_on(CLSVM_CHECK_REDZONE))
        clsvm_check_guards_all(when);
    if (clsvm_check_on(CLSVM_CHECK_QUARANTINE))
        clsvm_check_quarantine_all(when, 0);
}

void *clsvm_check_free_site(clsvm_obj *q, unsigned nwait, const void *const *wait)
{
    if (!clsvm_check_on(CLSVM_CHECK_INUSE | CLSVM_CHECK_QUARANTINE))
        return NULL;
    free_site *s = calloc(1, sizeof *s + nwait * sizeof(cl_event));
    if (!s)
        return NULL;
    s->queue = q;
    s->nframes = clsvm_check_capture(s->frames);
    for (unsigned i = 0; i < nwait; i++)
        s->wait[s->nwait++] = clsvm_unwrap(wait[i], CLSVM_EVENT);
    pthread_mutex_lock(&lock);
    s->seq = next_seq;
    pthread_mutex_unlock(&lock);
    return s;
}

void clsvm_check_free_run(void *site, int begin)
{
    free_site *s = site;
    /* A free callback may enqueue a free that runs inside it (a device that runs commands on
     * the calling thread): the outer one is current again after it. */
    if (begin) {
        s->outer = cur_site;
        cur_site = s;
        return;
    }
    if (cur_site == s)
        cur_site = s->outer;
    free(s);
}

int clsvm_check_free_frames(void **frames)
{
    const free_site *s = cur_site;
    if (!s)
        return clsvm_check_capture(frames);
    memcpy(frames, s->frames, (size_t)s->nframes * sizeof *frames);
    return s->nframes;
}

/* Does c use bytes of allocation base (serial)? Which: *lo..*hi. */
static int uses(const cmd *c, const void *base, uint64_t serial, size_t *lo, size_t *hi)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->r[i].base == base && c->r[i].serial == serial) {
            *lo = c->r[i].lo;
            *hi = c->r[i].hi;
            return 1;
        }
    return 0;
}

/* Is c ordered before the free command s runs (lock held)? Its queue's earlier commands in
 * order, its wait list and what comes before those in their in-order queues. */
static int before_site(const cmd *c, const free_site *s)
{
    if (c->in_order && c->queue == s->queue && c->seq < s->seq)
        return 1;
    for (unsigned i = 0; i < s->nwait; i++)
        for (const cmd *w = head; w; w = w->next)
            if (w->ev == s->wait[i] &&
                (w == c || (w->in_order && w->queue == c->queue && c->seq < w->seq)))
                return 1;
    return 0;
}

static const char *status_name(cl_int st)
{
    switch (st) {
    case CL_QUEUED:
        return "queued";
    case CL_SUBMITTED:
        return "submitted";
    case CL_RUNNING:
        return "running";
    default:
        return "not complete";
    }
}

void clsvm_check_inuse_free(const void *base, size_t size, uint64_t serial, void *const *frames,
                            int nframes)
{
    const free_site *s = cur_site;
    enum { MAX_REPORTS = 4 };
    cmd *found[MAX_REPORTS];
    int nfound = 0;
    pthread_mutex_lock(&lock);
    size_t lo, hi;
    for (cmd *c = head; c && nfound < MAX_REPORTS; c = c->next)
        if (!c->done && uses(c, base, serial, &lo, &hi) && !(s && before_site(c, s))) {
            c->pins++;
            found[nfound++] = c;
        }
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nfound; i++) {
        cmd *c = found[i];
        /* On the application's thread the backend may be asked: the event may be complete with
         * its callback still to come. Never from a free command (inside the backend). */
        cl_int st = CL_QUEUED;
        if (!s && clsvm_be->clGetEventInfo(c->ev, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof st, &st,
                                           NULL) != CL_SUCCESS)
            st = CL_COMPLETE;
        if (st <= CL_COMPLETE) {
            pthread_mutex_lock(&lock);
            c->done = 1;
            c->pins--;
            pthread_mutex_unlock(&lock);
            continue;
        }
        char what[256], where[2048], cmdtext[256];
        uses(c, base, serial, &lo, &hi);
        if (c->kernel[0])
            snprintf(cmdtext, sizeof cmdtext, "kernel %s (%s)", c->kernel, type_name(c->type));
        else
            snprintf(cmdtext, sizeof cmdtext, "%s of bytes %zu..%zu", type_name(c->type), lo,
                     hi - 1);
        snprintf(what, sizeof what,
                 "SVM allocation %p (%zu bytes) freed by %s while a command still uses it", base,
                 size, s ? "clEnqueueSVMFree" : "clSVMFree");
        snprintf(where, sizeof where, "  the command: %s on queue %p, %s%s\n", cmdtext,
                 (const void *)c->queue, s ? "enqueued before and " : "",
                 s ? "not complete when the free command ran" : status_name(st));
        clsvm_check_put_frames(where, sizeof where, s ? "free enqueued at" : "freed at", frames,
                               nframes);
        pthread_mutex_lock(&lock);
        c->pins--;
        pthread_mutex_unlock(&lock);
        clsvm_check_report(CLSVM_CHECK_INUSE, what, where,
                           "wait for the command (clFinish, clWaitForEvents, or its event in "
                           "clEnqueueSVMFree's wait list) before freeing: a free does not wait "
                           "for the commands that use the memory");
    }
}

void clsvm_check_inuse_atfork(int take)
{
    if (take)
        pthread_mutex_lock(&lock);
    else
        pthread_mutex_unlock(&lock);
}
