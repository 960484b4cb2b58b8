/* enqueue.c: the enqueue calls that carry handle arrays or lack the usual wait-list/event
 * tail, so they cannot be generated: native kernels, migration, the OpenCL 1.0 marker and
 * wait-for-events. */
#include "icd.h"
#include "queue_tail.h"
#include "svm.h"

#define INLINE_N 16

/* The unwrapped memory objects and wait list of an enqueue that carries a memory object list. */
typedef struct mem_enqueue {
    void **mems;
    void *buf[INLINE_N];
    clsvm_evlist wl;
} mem_enqueue;

/* The checks in the spec's order: the queue, the backend's function (has_fn), host_err (clsvm's
 * pointer rule for memory the call reads, CL_SUCCESS when none), the memory objects, the wait
 * list. On success, end with mem_enqueue_end. */
static cl_int mem_enqueue_begin(mem_enqueue *m, cl_command_queue queue, int has_fn, cl_int host_err,
                                cl_uint num_mem_objects, const cl_mem *mem_list, cl_uint num_events,
                                const cl_event *wait_list)
{
    int bad;
    if (CLSVM_CHECK(queue) != CL_SUCCESS)
        return CL_INVALID_COMMAND_QUEUE;
    if (!has_fn)
        return CL_INVALID_OPERATION;
    if (host_err != CL_SUCCESS)
        return host_err;
    m->mems = clsvm_array_unwrap(num_mem_objects, (const void *const *)mem_list, CLSVM_MEM, m->buf,
                                 INLINE_N, &bad);
    cl_int err = bad < 0 ? CL_OUT_OF_HOST_MEMORY : bad ? CL_INVALID_MEM_OBJECT : CL_SUCCESS;
    if (err == CL_SUCCESS)
        err = clsvm_evlist_unwrap(num_events, wait_list, &m->wl);
    if (err != CL_SUCCESS)
        clsvm_array_done(m->mems, m->buf);
    else
        clsvm_qtail_begin((clsvm_obj *)queue);
    return err;
}

/* After the backend's enqueue (err, its event ev): the event the application asked for. */
static cl_int mem_enqueue_end(mem_enqueue *m, cl_int err, cl_command_queue queue, cl_event ev,
                              cl_event *event)
{
    clsvm_qtail_end((clsvm_obj *)queue, err == CL_SUCCESS, ev);
    clsvm_evlist_done(&m->wl);
    clsvm_array_done(m->mems, m->buf);
    return clsvm_event_out(err, queue, ev, event);
}

cl_int CL_API_CALL clsvm_clEnqueueNativeKernel(cl_command_queue command_queue,
                                               void(CL_CALLBACK *user_func)(void *), void *args,
                                               size_t cb_args, cl_uint num_mem_objects,
                                               const cl_mem *mem_list, const void **args_mem_loc,
                                               cl_uint num_events_in_wait_list,
                                               const cl_event *event_wait_list, cl_event *event)
{
    /* The backend writes its own pointers at args_mem_loc in its copy of args; it needs only
     * its own handles in mem_list. */
    mem_enqueue m;
    cl_event ev = NULL;
    /* The backend copies args at once: clsvm's pointer rule for that memory. */
    cl_int err =
        mem_enqueue_begin(&m, command_queue, clsvm_be->clEnqueueNativeKernel != NULL,
                          clsvm_svm_host_range(args, cb_args, CL_INVALID_VALUE), num_mem_objects,
                          mem_list, num_events_in_wait_list, event_wait_list);
    if (err != CL_SUCCESS)
        return err;
    err = clsvm_be->clEnqueueNativeKernel(CLSVM_U(command_queue), user_func, args, cb_args,
                                          num_mem_objects, (cl_mem *)m.mems, args_mem_loc,
                                          num_events_in_wait_list, m.wl.list, &ev);
    return mem_enqueue_end(&m, err, command_queue, ev, event);
}

cl_int CL_API_CALL clsvm_clEnqueueMigrateMemObjects(
    cl_command_queue command_queue, cl_uint num_mem_objects, const cl_mem *mem_objects,
    cl_mem_migration_flags flags, cl_uint num_events_in_wait_list, const cl_event *event_wait_list,
    cl_event *event)
{
    mem_enqueue m;
    cl_event ev = NULL;
    cl_int err = mem_enqueue_begin(&m, command_queue, clsvm_be->clEnqueueMigrateMemObjects != NULL,
                                   CL_SUCCESS, num_mem_objects, mem_objects,
                                   num_events_in_wait_list, event_wait_list);
    if (err != CL_SUCCESS)
        return err;
    err = clsvm_be->clEnqueueMigrateMemObjects(CLSVM_U(command_queue), num_mem_objects,
                                               (cl_mem *)m.mems, flags, num_events_in_wait_list,
                                               m.wl.list, &ev);
    return mem_enqueue_end(&m, err, command_queue, ev, event);
}

cl_int CL_API_CALL clsvm_clEnqueueMarker(cl_command_queue command_queue, cl_event *event)
{
    cl_event ev = NULL;
    if (CLSVM_CHECK(command_queue) != CL_SUCCESS)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clEnqueueMarker)
        return CL_INVALID_OPERATION;
    if (!event) /* the 1.1 spec's error; the backend is asked for an event in any case */
        return CL_INVALID_VALUE;
    clsvm_qtail_begin((clsvm_obj *)command_queue);
    cl_int err = clsvm_be->clEnqueueMarker(CLSVM_U(command_queue), &ev);
    clsvm_qtail_end((clsvm_obj *)command_queue, err == CL_SUCCESS, ev);
    return clsvm_event_out(err, command_queue, ev, event);
}

/* As clEnqueueBarrierWithWaitList, the call OpenCL 1.2 replaced it with: pocl 3.1 aborts the
 * process in its own clEnqueueWaitForEvents ("unimplemented"). The barrier also waits for the
 * queue's earlier commands, which an in-order queue does anyway. */
cl_int CL_API_CALL clsvm_clEnqueueWaitForEvents(cl_command_queue command_queue, cl_uint num_events,
                                                const cl_event *event_list)
{
    clsvm_evlist wl;
    if (CLSVM_CHECK(command_queue) != CL_SUCCESS)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clEnqueueBarrierWithWaitList)
        return CL_INVALID_OPERATION;
    cl_int err = clsvm_events_unwrap(num_events, event_list, &wl);
    if (err != CL_SUCCESS)
        return err;
    cl_event ev = NULL;
    clsvm_qtail_begin((clsvm_obj *)command_queue);
    err = clsvm_be->clEnqueueBarrierWithWaitList(CLSVM_U(command_queue), num_events, wl.list, &ev);
    clsvm_qtail_end((clsvm_obj *)command_queue, err == CL_SUCCESS, ev);
    if (ev)
        clsvm_be->clReleaseEvent(ev);
    clsvm_evlist_done(&wl);
    return err == CL_INVALID_EVENT_WAIT_LIST ? CL_INVALID_EVENT : err;
}
