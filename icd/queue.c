/* queue.c: command queues. A queue wrapper holds references on its context (owner) and device
 * (parent) and is in the backend->wrapper map so CL_QUEUE_DEVICE_DEFAULT can be answered. */
#include "check.h"
#include "info_answer.h"
#include "queue_tail.h"

/* CL_SUCCESS or the spec's error for a bad context or device (the backend may not check). */
static cl_int check_args(cl_context context, cl_device_id device, cl_int *errcode_ret)
{
    cl_int err = CLSVM_CHECK(context);
    if (err == CL_SUCCESS)
        err = CLSVM_CHECK(device);
    if (err != CL_SUCCESS && errcode_ret)
        *errcode_ret = err;
    return err;
}

static cl_command_queue wrap_queue(cl_command_queue be, cl_int err, cl_context context,
                                   cl_device_id device, cl_command_queue_properties props,
                                   cl_int *errcode_ret)
{
    clsvm_obj *q =
        be ? clsvm_obj_new_mapped(CLSVM_QUEUE, be, (clsvm_obj *)context, (clsvm_obj *)device)
           : NULL;
    if (q)
        q->ext = clsvm_qtail_new(props); /* before the handle is handed out */
    return clsvm_wrap_made(CLSVM_QUEUE, be, q, err, errcode_ret);
}

cl_command_queue CL_API_CALL clsvm_clCreateCommandQueue(cl_context context, cl_device_id device,
                                                        cl_command_queue_properties properties,
                                                        cl_int *errcode_ret)
{
    if (check_args(context, device, errcode_ret) != CL_SUCCESS)
        return NULL;
    /* Only host-queue bits are valid here (pocl aborts on CL_QUEUE_ON_DEVICE, see below). */
    if (properties & ~(cl_command_queue_properties)(CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE |
                                                    CL_QUEUE_PROFILING_ENABLE)) {
        if (errcode_ret)
            *errcode_ret = CL_INVALID_VALUE;
        return NULL;
    }
    cl_int err = CL_INVALID_OPERATION;
    cl_command_queue be = NULL;
    if (clsvm_be->clCreateCommandQueue)
        be = clsvm_be->clCreateCommandQueue(CLSVM_U(context), CLSVM_U(device), properties, &err);
    return wrap_queue(be, err, context, device, properties, errcode_ret);
}

/* The spec's checks of the queue properties that pocl 3.1 does not make: it aborts the process
 * on CL_QUEUE_ON_DEVICE ("device side queue is unimplemented") instead of failing. Invalid
 * combinations are CL_INVALID_VALUE; a device queue on a device without device-side enqueue is
 * CL_INVALID_QUEUE_PROPERTIES. Other keys are left to the backend. */
static cl_command_queue_properties queue_bits(const cl_queue_properties *props)
{
    for (; props && props[0]; props += 2)
        if (props[0] == CL_QUEUE_PROPERTIES)
            return (cl_command_queue_properties)props[1];
    return 0;
}

static cl_int check_queue_props(cl_device_id device, const cl_queue_properties *props)
{
    const cl_command_queue_properties known = CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE |
                                              CL_QUEUE_PROFILING_ENABLE | CL_QUEUE_ON_DEVICE |
                                              CL_QUEUE_ON_DEVICE_DEFAULT;
    cl_command_queue_properties bits = 0;
    int has_size = 0;
    for (; props && props[0]; props += 2) {
        if (props[0] == CL_QUEUE_PROPERTIES)
            bits = (cl_command_queue_properties)props[1];
        else if (props[0] == CL_QUEUE_SIZE)
            has_size = 1;
    }
    if ((bits & ~known) ||
        ((bits & CL_QUEUE_ON_DEVICE) && !(bits & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE)) ||
        ((bits & CL_QUEUE_ON_DEVICE_DEFAULT) && !(bits & CL_QUEUE_ON_DEVICE)) ||
        (has_size && !(bits & CL_QUEUE_ON_DEVICE)))
        return CL_INVALID_VALUE;
    if (bits & CL_QUEUE_ON_DEVICE) {
        cl_device_device_enqueue_capabilities caps = 0;
        if (clsvm_be->clGetDeviceInfo(CLSVM_U(device), CL_DEVICE_DEVICE_ENQUEUE_CAPABILITIES,
                                      sizeof caps, &caps, NULL) != CL_SUCCESS ||
            !caps)
            return CL_INVALID_QUEUE_PROPERTIES;
    }
    return CL_SUCCESS;
}

cl_command_queue CL_API_CALL
clsvm_clCreateCommandQueueWithProperties(cl_context context, cl_device_id device,
                                         const cl_queue_properties *properties, cl_int *errcode_ret)
{
    if (check_args(context, device, errcode_ret) != CL_SUCCESS)
        return NULL;
    cl_int err = check_queue_props(device, properties);
    if (err != CL_SUCCESS) {
        if (errcode_ret)
            *errcode_ret = err;
        return NULL;
    }
    err = CL_INVALID_OPERATION;
    cl_command_queue be = NULL;
    if (clsvm_be->clCreateCommandQueueWithProperties)
        be = clsvm_be->clCreateCommandQueueWithProperties(CLSVM_U(context), CLSVM_U(device),
                                                          properties, &err);
    return wrap_queue(be, err, context, device, queue_bits(properties), errcode_ret);
}

static const clsvm_info_row queue_rows[] = {
    CLSVM_INFO_MAPPED_ROW(CL_QUEUE_DEVICE_DEFAULT, CLSVM_QUEUE),
    CLSVM_INFO_END,
};
CLSVM_DEFINE_INFO(clGetCommandQueueInfo, cl_command_queue, cl_command_queue_info, CLSVM_QUEUE,
                  queue_rows, NULL)

/* API spec: CL_INVALID_OPERATION when the device cannot replace its default on-device queue,
 * which is checked before the queue (applications probe with a NULL queue; the generic forwarder
 * would answer CL_INVALID_COMMAND_QUEUE). */
cl_int CL_API_CALL clsvm_clSetDefaultDeviceCommandQueue(cl_context context, cl_device_id device,
                                                        cl_command_queue command_queue)
{
    cl_int err = check_args(context, device, NULL);
    if (err != CL_SUCCESS)
        return err;
    cl_device_device_enqueue_capabilities caps = 0;
    if (clsvm_be->clGetDeviceInfo(CLSVM_U(device), CL_DEVICE_DEVICE_ENQUEUE_CAPABILITIES,
                                  sizeof caps, &caps, NULL) != CL_SUCCESS ||
        !(caps & CL_DEVICE_QUEUE_REPLACEABLE_DEFAULT) || !clsvm_be->clSetDefaultDeviceCommandQueue)
        return CL_INVALID_OPERATION;
    err = CLSVM_CHECK(command_queue);
    if (err != CL_SUCCESS)
        return err;
    return clsvm_be->clSetDefaultDeviceCommandQueue(CLSVM_U(context), CLSVM_U(device),
                                                    CLSVM_U(command_queue));
}

/* OpenCL 1.0's way to switch a queue to out-of-order execution: the queue loses its tail. */
cl_int CL_API_CALL clsvm_clSetCommandQueueProperty(cl_command_queue command_queue,
                                                   cl_command_queue_properties properties,
                                                   cl_bool enable,
                                                   cl_command_queue_properties *old_properties)
{
    clsvm_obj *q = clsvm_obj_of(command_queue, CLSVM_QUEUE);
    if (!q)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_be->clSetCommandQueueProperty)
        return CL_INVALID_OPERATION;
    if (enable && (properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE))
        clsvm_qtail_disable(q); /* before: a command enqueued right after may run out of order */
    return clsvm_be->clSetCommandQueueProperty(q->be, properties, enable, old_properties);
}

/* Forwarded; every command of the queue has completed, so for the checker it is a point where
 * a kernel's out-of-bounds write (or write into freed memory) is complete and can be found. */
cl_int CL_API_CALL clsvm_clFinish(cl_command_queue command_queue)
{
    clsvm_obj *q = clsvm_obj_of(command_queue, CLSVM_QUEUE);
    if (!q)
        return CL_INVALID_COMMAND_QUEUE;
    cl_int err = clsvm_be->clFinish(q->be);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_ALL), 0))
        clsvm_check_sync(err == CL_SUCCESS ? q : NULL, NULL, 0, "clFinish");
    return err;
}
