/* inline_device.h: does a device execute its commands on the thread that makes it run them
 * (pocl's basic device) rather than on threads of its own? Shared by the SVM tests and the
 * conformance subset, which skip what cannot work on such a device: a kernel that waits for
 * the host while the host thread is the one running it, and, with pocl 3.1, completing a user
 * event that a command waits on (pocl's basic device deadlocks in clSetUserEventStatus there,
 * pocl alone too). Probed with a native kernel, not guessed from the device name. */
#ifndef CLSVM_TEST_INLINE_DEVICE_H
#define CLSVM_TEST_INLINE_DEVICE_H

#include <CL/cl.h>
#include <pthread.h>

typedef struct inline_probe {
    pthread_t where;
    int ran;
} inline_probe;

static void CL_CALLBACK inline_probe_fn(void *arg)
{
    inline_probe *p = *(inline_probe **)arg;
    p->where = pthread_self();
    p->ran = 1;
}

/* 1 when a native kernel enqueued and finished from this thread ran on this thread; 0 when it
 * ran elsewhere or the device runs no native kernels; -1 when the probe itself failed. */
static inline int device_runs_on_caller(cl_context c, cl_device_id d)
{
    cl_device_exec_capabilities caps = 0;
    if (clGetDeviceInfo(d, CL_DEVICE_EXECUTION_CAPABILITIES, sizeof caps, &caps, NULL) !=
        CL_SUCCESS)
        return -1;
    if (!(caps & CL_EXEC_NATIVE_KERNEL))
        return 0;
    cl_int err = CL_SUCCESS;
    cl_command_queue q = clCreateCommandQueueWithProperties(c, d, NULL, &err);
    if (!q)
        return -1;
    inline_probe probe = {0}, *p = &probe;
    err = clEnqueueNativeKernel(q, inline_probe_fn, &p, sizeof p, 0, NULL, NULL, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(q);
    clReleaseCommandQueue(q);
    if (err != CL_SUCCESS || !probe.ran)
        return -1;
    return pthread_equal(probe.where, pthread_self()) ? 1 : 0;
}

#define INLINE_DEVICE_WHY "the device runs commands on the calling thread (pocl's basic device)"

#endif
