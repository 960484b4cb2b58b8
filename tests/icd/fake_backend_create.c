/* fake_backend_create.c: the fake backend's object lifetimes: clCreate* of contexts, queues and
 * buffers, clRetain* and clRelease* of every kind, and the buffer destructor callback. */
#include "fake_backend.h"

#include <stdlib.h>
#include <string.h>

cl_context CL_API_CALL f_CreateContext(
    const cl_context_properties *props, cl_uint n, const cl_device_id *devs,
    void(CL_CALLBACK *cb)(const char *, const void *, size_t, void *), void *ud, cl_int *err)
{
    (void)cb;
    (void)ud;
    const void *plat = NULL;
    for (const cl_context_properties *p = props; p && p[0]; p += 2)
        if (p[0] == CL_CONTEXT_PLATFORM)
            plat = (const void *)p[1];
    int ok = n == 1 && devs && own(devs[0], K_DEVICE) && (!props || own(plat, K_PLATFORM));
    struct fake *c = ok ? make(K_CONTEXT, NULL) : NULL;
    logf_("clCreateContext platform=%s devices=%u:%s -> %s\n", props ? nm(plat, K_PLATFORM) : "-",
          n, devs && n ? nm(devs[0], K_DEVICE) : "-", c ? nm(c, K_CONTEXT) : "error");
    if (c)
        c->dev = &device;
    if (err)
        *err = c ? CL_SUCCESS : CL_INVALID_DEVICE;
    return (cl_context)c;
}

cl_int CL_API_CALL f_RetainContext(cl_context c)
{
    return retain(c, K_CONTEXT, "clRetainContext", CL_INVALID_CONTEXT);
}

cl_int CL_API_CALL f_ReleaseContext(cl_context c)
{
    return release(c, K_CONTEXT, "clReleaseContext", CL_INVALID_CONTEXT);
}

cl_command_queue CL_API_CALL f_CreateCommandQueueWithProperties(cl_context c, cl_device_id d,
                                                                const cl_queue_properties *props,
                                                                cl_int *err)
{
    (void)props;
    struct fake *ctx = own(c, K_CONTEXT);
    struct fake *q = ctx && own(d, K_DEVICE) ? make(K_QUEUE, ctx) : NULL;
    logf_("clCreateCommandQueueWithProperties %s %s -> %s\n", nm(c, K_CONTEXT), nm(d, K_DEVICE),
          q ? nm(q, K_QUEUE) : "error");
    if (q)
        q->dev = &device;
    if (err)
        *err = q ? CL_SUCCESS : ctx ? CL_INVALID_DEVICE : CL_INVALID_CONTEXT;
    return (cl_command_queue)q;
}

cl_command_queue CL_API_CALL f_CreateCommandQueue(cl_context c, cl_device_id d,
                                                  cl_command_queue_properties props, cl_int *err)
{
    (void)props;
    return f_CreateCommandQueueWithProperties(c, d, NULL, err);
}

cl_int CL_API_CALL f_RetainCommandQueue(cl_command_queue q)
{
    return retain(q, K_QUEUE, "clRetainCommandQueue", CL_INVALID_COMMAND_QUEUE);
}

cl_int CL_API_CALL f_ReleaseCommandQueue(cl_command_queue q)
{
    return release(q, K_QUEUE, "clReleaseCommandQueue", CL_INVALID_COMMAND_QUEUE);
}

cl_mem CL_API_CALL f_CreateBuffer(cl_context c, cl_mem_flags flags, size_t size, void *host,
                                  cl_int *err)
{
    struct fake *ctx = own(c, K_CONTEXT);
    cl_int e = !ctx ? CL_INVALID_CONTEXT : size == 0 ? CL_INVALID_BUFFER_SIZE : CL_SUCCESS;
    struct fake *m = e == CL_SUCCESS ? make(K_MEM, ctx) : NULL;
    if (m) {
        m->size = size;
        m->flags = flags;
        m->data = calloc(1, size);
        if (host && (flags & CL_MEM_COPY_HOST_PTR))
            memcpy(m->data, host, size);
    }
    logf_("clCreateBuffer %s flags=%#llx size=%zu -> %s\n", nm(c, K_CONTEXT),
          (unsigned long long)flags, size, m ? nm(m, K_MEM) : "error");
    if (err)
        *err = e;
    return (cl_mem)m;
}

cl_int CL_API_CALL f_RetainMemObject(cl_mem m)
{
    return retain(m, K_MEM, "clRetainMemObject", CL_INVALID_MEM_OBJECT);
}

cl_int CL_API_CALL f_ReleaseMemObject(cl_mem m)
{
    return release(m, K_MEM, "clReleaseMemObject", CL_INVALID_MEM_OBJECT);
}

cl_int CL_API_CALL f_SetMemObjectDestructorCallback(cl_mem m, void(CL_CALLBACK *cb)(cl_mem, void *),
                                                    void *ud)
{
    struct fake *f = own(m, K_MEM);
    logf_("clSetMemObjectDestructorCallback %s\n", nm(m, K_MEM));
    if (!f)
        return CL_INVALID_MEM_OBJECT;
    if (!cb || f->dtor) /* one callback is all the forwarding test needs */
        return CL_INVALID_VALUE;
    f->dtor = cb;
    f->dtor_ud = ud;
    return CL_SUCCESS;
}

cl_int CL_API_CALL f_RetainEvent(cl_event e)
{
    return retain(e, K_EVENT, "clRetainEvent", CL_INVALID_EVENT);
}

cl_int CL_API_CALL f_ReleaseEvent(cl_event e)
{
    return release(e, K_EVENT, "clReleaseEvent", CL_INVALID_EVENT);
}
