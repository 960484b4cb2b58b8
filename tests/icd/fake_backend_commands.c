/* fake_backend_commands.c: the fake backend's commands, run at enqueue time: buffer reads and
 * writes, native kernels, flush and finish, and their events (always complete). */
#include "fake_backend.h"

#include <stdlib.h>
#include <string.h>

cl_int CL_API_CALL f_Flush(cl_command_queue q)
{
    logf_("clFlush %s\n", nm(q, K_QUEUE));
    return own(q, K_QUEUE) ? CL_SUCCESS : CL_INVALID_COMMAND_QUEUE;
}

cl_int CL_API_CALL f_Finish(cl_command_queue q)
{
    logf_("clFinish %s\n", nm(q, K_QUEUE));
    return own(q, K_QUEUE) ? CL_SUCCESS : CL_INVALID_COMMAND_QUEUE;
}

/* A completed event for a command run at enqueue time. */
static void complete_event(struct fake *q, cl_command_type cmd, cl_event *ev)
{
    if (!ev)
        return;
    struct fake *e = make(K_EVENT, q->ctx);
    if (e) {
        e->queue = q;
        q->refs++;
        e->cmd = cmd;
    }
    *ev = (cl_event)e;
}

static int wait_list_ok(cl_uint n, const cl_event *list)
{
    if ((n == 0) != (list == NULL))
        return 0;
    for (cl_uint i = 0; i < n; i++)
        if (!own(list[i], K_EVENT))
            return 0;
    return 1;
}

/* clEnqueueRead/WriteBuffer: the same checks, a copy in one direction or the other. */
static cl_int rw_buffer(const char *call, cl_command_type type, cl_command_queue q, cl_mem m,
                        cl_bool blocking, size_t off, size_t n, void *host, int write, cl_uint nw,
                        const cl_event *wl, cl_event *ev)
{
    struct fake *fq = own(q, K_QUEUE), *fm = own(m, K_MEM);
    logf_("%s %s %s blocking=%u off=%zu size=%zu waits=%u%s\n", call, nm(q, K_QUEUE), nm(m, K_MEM),
          blocking, off, n, nw, wait_list_ok(nw, wl) ? "" : " BAD-WAIT-LIST");
    if (!fq)
        return CL_INVALID_COMMAND_QUEUE;
    if (!fm)
        return CL_INVALID_MEM_OBJECT;
    if (!wait_list_ok(nw, wl))
        return CL_INVALID_EVENT_WAIT_LIST;
    if (!host || off + n > fm->size || n == 0)
        return CL_INVALID_VALUE;
    if (write)
        memcpy(fm->data + off, host, n);
    else
        memcpy(host, fm->data + off, n);
    complete_event(fq, type, ev);
    return CL_SUCCESS;
}

cl_int CL_API_CALL f_EnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                       size_t n, void *ptr, cl_uint nw, const cl_event *wl,
                                       cl_event *ev)
{
    return rw_buffer("clEnqueueReadBuffer", CL_COMMAND_READ_BUFFER, q, m, blocking, off, n, ptr, 0,
                     nw, wl, ev);
}

cl_int CL_API_CALL f_EnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking, size_t off,
                                        size_t n, const void *ptr, cl_uint nw, const cl_event *wl,
                                        cl_event *ev)
{
    return rw_buffer("clEnqueueWriteBuffer", CL_COMMAND_WRITE_BUFFER, q, m, blocking, off, n,
                     (void *)ptr, 1, nw, wl, ev);
}

/* Runs the function at once on a copy of args, as the spec requires the copy. */
cl_int CL_API_CALL f_EnqueueNativeKernel(cl_command_queue q, void(CL_CALLBACK *fn)(void *),
                                         void *args, size_t cb_args, cl_uint nmem,
                                         const cl_mem *mems, const void **locs, cl_uint nw,
                                         const cl_event *wl, cl_event *ev)
{
    struct fake *fq = own(q, K_QUEUE);
    logf_("clEnqueueNativeKernel %s size=%zu mems=%u waits=%u%s\n", nm(q, K_QUEUE), cb_args, nmem,
          nw, wait_list_ok(nw, wl) ? "" : " BAD-WAIT-LIST");
    (void)mems;
    (void)locs;
    if (!fq)
        return CL_INVALID_COMMAND_QUEUE;
    if (!fn || (args == NULL) != (cb_args == 0))
        return CL_INVALID_VALUE;
    if (!wait_list_ok(nw, wl))
        return CL_INVALID_EVENT_WAIT_LIST;
    if (native_fail)
        return native_fail;
    void *copy = malloc(cb_args);
    if (!copy)
        return CL_OUT_OF_HOST_MEMORY;
    memcpy(copy, args, cb_args);
    fn(copy);
    free(copy);
    complete_event(fq, CL_COMMAND_NATIVE_KERNEL, ev);
    return CL_SUCCESS;
}

cl_int CL_API_CALL f_WaitForEvents(cl_uint n, const cl_event *list)
{
    logf_("clWaitForEvents %u %s\n", n, n && list ? nm(list[0], K_EVENT) : "-");
    if (n == 0 || !list)
        return CL_INVALID_VALUE;
    return wait_list_ok(n, list) ? CL_SUCCESS : CL_INVALID_EVENT;
}

cl_int CL_API_CALL f_SetEventCallback(cl_event e, cl_int type,
                                      void(CL_CALLBACK *cb)(cl_event, cl_int, void *), void *ud)
{
    logf_("clSetEventCallback %s %d\n", nm(e, K_EVENT), type);
    if (!own(e, K_EVENT))
        return CL_INVALID_EVENT;
    if (!cb)
        return CL_INVALID_VALUE;
    cb(e, CL_COMPLETE, ud); /* every fake event is already complete */
    return CL_SUCCESS;
}
