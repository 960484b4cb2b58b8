/* enqueue.c: the enqueue calls that carry handle arrays or lack the usual wait-list/event
 * tail, so they cannot be generated: native kernels, migration, the OpenCL 1.0 marker and
 * wait-for-events. */
#include "icd.h"
#include "queue_tail.h"
#include "svm.h"

#define INLINE_N 16

cl_int CL_API_CALL clsvm_clEnqueueNativeKernel(cl_command_queue command_queue,
                                               void(CL_CALLBACK *user_func)(void *), void *args,
                                               size_t cb_args, cl_uint num_mem_objects,
                                               const cl_mem *mem_list, const void **args_mem_loc,
                                               cl_uint num_events_in_wait_list,
                                               const cl_event *event_wait_list, cl_event *event)
{
    /* The backend writes its own pointers at args_mem_loc in its copy of args; it needs only
     * its own handles in mem_list. */
    void *buf[INLINE_N];
    int bad;
    clsvm_evlist wl;
    cl_event ev = NULL;
    if (CLSVM_CHECK(command_queue) != CL_SUCCESS)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clEnqueueNativeKernel)
        return CL_INVALID_OPERATION;
    /* The backend copies args at once: clsvm's pointer rule for that memory. */
    if (clsvm_svm_host_range(args, cb_args, CL_INVALID_VALUE) != CL_SUCCESS)
        return CL_INVALID_VALUE;
    void **mems = clsvm_array_unwrap(num_mem_objects, (const void *const *)mem_list, CLSVM_MEM, buf,
                                     INLINE_N, &bad);
    if (bad) {
        clsvm_array_done(mems, buf);
        return bad < 0 ? CL_OUT_OF_HOST_MEMORY : CL_INVALID_MEM_OBJECT;
    }
    cl_int err = clsvm_evlist_unwrap(num_events_in_wait_list, event_wait_list, &wl);
    if (err == CL_SUCCESS) {
        clsvm_qtail_begin((clsvm_obj *)command_queue);
        err = clsvm_be->clEnqueueNativeKernel(CLSVM_U(command_queue), user_func, args, cb_args,
                                              num_mem_objects, (cl_mem *)mems, args_mem_loc,
                                              num_events_in_wait_list, wl.list, &ev);
        clsvm_qtail_end((clsvm_obj *)command_queue, err == CL_SUCCESS, ev);
        clsvm_evlist_done(&wl);
        err = clsvm_event_out(err, command_queue, ev, event);
    }
    clsvm_array_done(mems, buf);
    return err;
}

cl_int CL_API_CALL clsvm_clEnqueueMigrateMemObjects(
    cl_command_queue command_queue, cl_uint num_mem_objects, const cl_mem *mem_objects,
    cl_mem_migration_flags flags, cl_uint num_events_in_wait_list, const cl_event *event_wait_list,
    cl_event *event)
{
    void *buf[INLINE_N];
    int bad;
    clsvm_evlist wl;
    cl_event ev = NULL;
    if (CLSVM_CHECK(command_queue) != CL_SUCCESS)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clEnqueueMigrateMemObjects)
        return CL_INVALID_OPERATION;
    void **mems = clsvm_array_unwrap(num_mem_objects, (const void *const *)mem_objects, CLSVM_MEM,
                                     buf, INLINE_N, &bad);
    if (bad) {
        clsvm_array_done(mems, buf);
        return bad < 0 ? CL_OUT_OF_HOST_MEMORY : CL_INVALID_MEM_OBJECT;
    }
    cl_int err = clsvm_evlist_unwrap(num_events_in_wait_list, event_wait_list, &wl);
    if (err == CL_SUCCESS) {
        clsvm_qtail_begin((clsvm_obj *)command_queue);
        err = clsvm_be->clEnqueueMigrateMemObjects(CLSVM_U(command_queue), num_mem_objects,
                                                   (cl_mem *)mems, flags, num_events_in_wait_list,
                                                   wl.list, &ev);
        clsvm_qtail_end((clsvm_obj *)command_queue, err == CL_SUCCESS, ev);
        clsvm_evlist_done(&wl);
        err = clsvm_event_out(err, command_queue, ev, event);
    }
    clsvm_array_done(mems, buf);
    return err;
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
    if (num_events == 0 || !event_list)
        return CL_INVALID_VALUE;
    if (!clsvm_be->clEnqueueBarrierWithWaitList)
        return CL_INVALID_OPERATION;
    cl_int err = clsvm_evlist_unwrap(num_events, event_list, &wl);
    if (err == CL_INVALID_EVENT_WAIT_LIST)
        return CL_INVALID_EVENT;
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
