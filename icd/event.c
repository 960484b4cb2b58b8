/* event.c: events: wait lists going down, events coming back from enqueues, event queries and
 * clWaitForEvents. An event wrapper holds references on its context (owner) and, unless it is a
 * user event, on its queue (parent), so CL_EVENT_COMMAND_QUEUE/CONTEXT are answered from it.
 * Events of clsvm's host commands (host_command.c) stand on a backend native kernel, or on a
 * completed backend user event when the command ran on the caller's thread (then the wrapper's
 * ext holds its profiling times), and carry the SVM command type they report in the upper half
 * of the wrapper's flags. */
#include "check.h"
#include "host_command.h"
#include "host_ptr.h"
#include "info_answer.h"

#include <stdlib.h>
#include <string.h>

void **clsvm_array_unwrap(cl_uint n, const void *const *in, clsvm_kind kind, void **buf,
                          cl_uint inline_n, int *bad)
{
    *bad = 0;
    if (!in)
        return NULL;
    void **out = buf;
    if (n > inline_n) {
        out = malloc(n * sizeof(void *));
        if (!out) {
            *bad = -1;
            return NULL;
        }
    }
    for (cl_uint i = 0; i < n; i++) {
        out[i] = clsvm_unwrap(in[i], kind);
        if (!out[i])
            *bad = 1;
    }
    return out;
}

void clsvm_array_done(void **arr, void **buf)
{
    if (arr != buf)
        free(arr);
}

cl_int clsvm_evlist_unwrap(cl_uint n, const cl_event *in, clsvm_evlist *out)
{
    int bad;
    out->list = NULL;
    if ((n > 0 && !in) || (n == 0 && in))
        return CL_INVALID_EVENT_WAIT_LIST;
    out->list = (cl_event *)clsvm_array_unwrap(n, (const void *const *)in, CLSVM_EVENT,
                                               (void **)out->inline_, CLSVM_EVLIST_INLINE, &bad);
    if (bad < 0)
        return CL_OUT_OF_HOST_MEMORY;
    if (bad) {
        clsvm_evlist_done(out);
        return CL_INVALID_EVENT_WAIT_LIST;
    }
    return CL_SUCCESS;
}

cl_int clsvm_events_unwrap(cl_uint n, const cl_event *in, clsvm_evlist *out)
{
    if (n == 0 || !in)
        return CL_INVALID_VALUE;
    cl_int err = clsvm_evlist_unwrap(n, in, out);
    return err == CL_INVALID_EVENT_WAIT_LIST ? CL_INVALID_EVENT : err;
}

void clsvm_evlist_done(clsvm_evlist *l)
{
    clsvm_array_done((void **)l->list, (void **)l->inline_);
}

cl_int clsvm_event_out(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event)
{
    if (!event || err != CL_SUCCESS) {
        if (event)
            *event = NULL;
        else if (be_event && err == CL_SUCCESS) /* asked for the queue's tail only */
            clsvm_be->clReleaseEvent(be_event);
        return err;
    }
    clsvm_obj *q = (clsvm_obj *)queue; /* the enqueue succeeded, so queue is valid */
    *event = clsvm_wrap_result(CLSVM_EVENT, be_event, CL_SUCCESS, q->owner, q, &err);
    return err;
}

/* CL_COMMAND_* values fit in 16 bits (0x11F0..0x12xx); the low bits of flags are object flags. */
#define EVENT_TYPE_SHIFT 16

cl_int clsvm_event_out_typed(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event,
                             cl_command_type type)
{
    err = clsvm_event_out(err, queue, be_event, event);
    /* Set before the handle is returned, so no other thread can read flags yet. */
    if (err == CL_SUCCESS && event && *event)
        ((clsvm_obj *)*event)->flags |= (uint32_t)(type & 0xffffu) << EVENT_TYPE_SHIFT;
    return err;
}

cl_int clsvm_event_borrowed(clsvm_obj *q, cl_event be_event, cl_command_type type, cl_event *event)
{
    /* Not clsvm_wrap_result: its failure path would release a reference this wrapper never had. */
    clsvm_obj *e = clsvm_obj_new(CLSVM_EVENT, be_event, q->owner, q);
    *event = (cl_event)e;
    if (!e)
        return CL_OUT_OF_HOST_MEMORY;
    /* Set before the handle is returned, so no other thread can read flags yet. */
    e->flags |= CLSVM_F_BORROWED | (uint32_t)(type & 0xffffu) << EVENT_TYPE_SHIFT;
    return CL_SUCCESS;
}

cl_int CL_API_CALL clsvm_clWaitForEvents(cl_uint num_events, const cl_event *event_list)
{
    clsvm_evlist wl;
    cl_int err = clsvm_events_unwrap(num_events, event_list, &wl);
    if (err != CL_SUCCESS)
        return err;
    err = clsvm_be->clWaitForEvents(num_events, wl.list);
    /* The commands waited for are complete. */
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_ALL), 0))
        clsvm_check_sync(NULL, (void *const *)wl.list, err == CL_SUCCESS ? num_events : 0,
                         "clWaitForEvents");
    clsvm_evlist_done(&wl);
    if (err != CL_SUCCESS)
        clsvm_host_sweep(); /* a failed wait list may have stranded host commands */
    return err;
}

/* clsvm's host commands report the SVM command type they stand for, not the native kernel. */
static cl_int event_command_type(clsvm_obj *e, cl_uint param, size_t size, void *value,
                                 size_t *size_ret)
{
    cl_command_type t = e->flags >> EVENT_TYPE_SHIFT;
    if (!t)
        return clsvm_info_forward(CLSVM_EVENT, e->be, param, 0, size, value, size_ret);
    return clsvm_info_return(&t, sizeof t, size, value, size_ret);
}

static cl_int event_status(clsvm_obj *e, cl_uint param, size_t size, void *value, size_t *size_ret)
{
    cl_int err = clsvm_info_forward(CLSVM_EVENT, e->be, param, 0, size, value, size_ret);
    /* A failed host command: reclaim what the backend's missing callback stranded. */
    cl_int st = CL_COMPLETE;
    if (err == CL_SUCCESS && value && size >= sizeof st)
        memcpy(&st, value, sizeof st); /* value need not be aligned */
    if (st < 0 && (e->flags >> EVENT_TYPE_SHIFT))
        clsvm_host_sweep();
    return err;
}

static const clsvm_info_row event_rows[] = {
    CLSVM_INFO_FN_ROW(CL_EVENT_COMMAND_TYPE, event_command_type),
    CLSVM_INFO_FN_ROW(CL_EVENT_COMMAND_EXECUTION_STATUS, event_status),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetEventInfo, cl_event, cl_event_info, CLSVM_EVENT, event_rows, NULL)

/* An event wrapper's ext: the first backend command of a command clsvm split in parts, or the
 * times of a command clsvm ran on the caller's thread. */
typedef struct event_ext {
    cl_event first;    /* NULL: no parts */
    int host_timed;    /* times answers the profiling queries */
    cl_ulong times[4]; /* QUEUED, SUBMIT, START, END */
} event_ext;

/* A new ext for event, a wrapper just made (set before the handle is returned, so no other
 * thread can read ext yet); NULL when out of memory. */
static event_ext *ext_new(cl_event event)
{
    event_ext *x = calloc(1, sizeof *x);
    if (x)
        ((clsvm_obj *)event)->ext = x;
    return x;
}

int clsvm_event_set_first(cl_event event, cl_event first)
{
    event_ext *x = ext_new(event);
    if (!x)
        return 0;
    x->first = first;
    return 1;
}

cl_ulong *clsvm_event_host_times(cl_event event)
{
    event_ext *x = ext_new(event);
    if (!x)
        return NULL;
    x->host_timed = 1;
    return x->times;
}

void clsvm_event_ext_free(void *ext)
{
    event_ext *x = ext;
    if (x->first)
        clsvm_be->clReleaseEvent(x->first);
}

int clsvm_queue_profiles(const clsvm_obj *q)
{
    cl_command_queue_properties props = 0;
    return clsvm_be->clGetCommandQueueInfo(q->be, CL_QUEUE_PROPERTIES, sizeof props, &props,
                                           NULL) == CL_SUCCESS &&
           (props & CL_QUEUE_PROFILING_ENABLE);
}

/* The profiling answer of a command run on the caller's thread: the times clsvm took, when its
 * queue profiles (as the backend would answer for one of its own commands). */
static cl_int host_profiling(clsvm_obj *e, const event_ext *x, cl_profiling_info param, size_t size,
                             void *value, size_t *size_ret)
{
    int i;
    switch (param) {
    case CL_PROFILING_COMMAND_QUEUED:
        i = 0;
        break;
    case CL_PROFILING_COMMAND_SUBMIT:
        i = 1;
        break;
    case CL_PROFILING_COMMAND_START:
        i = 2;
        break;
    case CL_PROFILING_COMMAND_END:
    case CL_PROFILING_COMMAND_COMPLETE: /* no child commands */
        i = 3;
        break;
    default:
        return CL_INVALID_VALUE;
    }
    if (!clsvm_queue_profiles(e->parent))
        return CL_PROFILING_INFO_NOT_AVAILABLE;
    return clsvm_info_return(&x->times[i], sizeof x->times[i], size, value, size_ret);
}

cl_int CL_API_CALL clsvm_clGetEventProfilingInfo(cl_event event, cl_profiling_info param_name,
                                                 size_t param_value_size, void *param_value,
                                                 size_t *param_value_size_ret)
{
    clsvm_obj *e = clsvm_obj_of(event, CLSVM_EVENT);
    if (!e)
        return CL_INVALID_EVENT;
    cl_int err =
        clsvm_host_info_out(event, param_name, param_value_size, param_value, param_value_size_ret);
    if (err != CL_SUCCESS)
        return err;
    event_ext *x = e->ext;
    if (x && x->host_timed)
        return host_profiling(e, x, param_name, param_value_size, param_value,
                              param_value_size_ret);
    if (!clsvm_be->clGetEventProfilingInfo)
        return CL_INVALID_OPERATION;
    /* A command in parts started when its first part did; it ends with its last (e->be). */
    int from_first =
        x && x->first &&
        (param_name == CL_PROFILING_COMMAND_QUEUED || param_name == CL_PROFILING_COMMAND_SUBMIT ||
         param_name == CL_PROFILING_COMMAND_START);
    if (from_first) {
        /* Answered only once the whole command has: until then the backend's error for it. */
        cl_ulong t;
        err = clsvm_be->clGetEventProfilingInfo(e->be, param_name, sizeof t, &t, NULL);
        if (err != CL_SUCCESS)
            return err;
    }
    return clsvm_be->clGetEventProfilingInfo(from_first ? x->first : e->be, param_name,
                                             param_value_size, param_value, param_value_size_ret);
}
