/*
 * enqueue_svm.c: the clEnqueueSVM* commands (free, memcpy, fill, map, unmap, migrate).
 *
 * TEMPORARY: plain forwarders to the backend; issue 4 replaces them with clsvm's own
 * implementation over the window (svm.h).
 */
#include "callbacks.h"
#include "forward.h"
#include "svm.h"

cl_int CL_API_CALL clsvm_clEnqueueSVMFree(cl_command_queue command_queue, cl_uint num_svm_pointers,
                                          void *svm_pointers[], clsvm_svm_free_fn pfn_free_func,
                                          void *user_data, cl_uint num_events_in_wait_list,
                                          const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q = clsvm_obj_of(command_queue, CLSVM_QUEUE);
    if (!q)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clEnqueueSVMFree)
        return CL_INVALID_OPERATION;
    clsvm_evlist wl;
    cl_event ev = NULL;
    cl_int err = clsvm_evlist_unwrap(num_events_in_wait_list, event_wait_list, &wl);
    if (err != CL_SUCCESS)
        return err;
    /* The application's callback must receive clsvm's queue, not the backend's. */
    clsvm_svm_free_cb *cb = clsvm_svm_free_cb_new(q, pfn_free_func, user_data, &err);
    if (err == CL_SUCCESS) {
        err = clsvm_be->clEnqueueSVMFree(q->be, num_svm_pointers, svm_pointers,
                                         cb ? clsvm_svm_free_tramp : NULL, cb,
                                         num_events_in_wait_list, wl.list, event ? &ev : NULL);
        if (err != CL_SUCCESS)
            clsvm_svm_free_cb_cancel(cb);
    }
    clsvm_evlist_done(&wl);
    return clsvm_event_out(err, command_queue, ev, event);
}

CLSVM_DEFINE_ENQ(clEnqueueSVMMemcpy, cl_command_queue, command_queue, cl_bool, blocking_copy,
                 void *, dst_ptr, const void *, src_ptr, size_t, size)
CLSVM_DEFINE_ENQ(clEnqueueSVMMemFill, cl_command_queue, command_queue, void *, svm_ptr,
                 const void *, pattern, size_t, pattern_size, size_t, size)
CLSVM_DEFINE_ENQ(clEnqueueSVMMap, cl_command_queue, command_queue, cl_bool, blocking_map,
                 cl_map_flags, flags, void *, svm_ptr, size_t, size)
CLSVM_DEFINE_ENQ(clEnqueueSVMUnmap, cl_command_queue, command_queue, void *, svm_ptr)
CLSVM_DEFINE_ENQ(clEnqueueSVMMigrateMem, cl_command_queue, command_queue, cl_uint, num_svm_pointers,
                 const void **, svm_pointers, const size_t *, sizes, cl_mem_migration_flags, flags)
