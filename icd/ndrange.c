/*
 * ndrange.c: clEnqueueNDRangeKernel (and clEnqueueTask), with OpenCL 2.0 non-uniform work-groups on
 * a backend that runs only uniform NDRanges (docs/opencl-c-2.0.md, "Non-uniform work-groups").
 *
 * A kernel of a program built for non-uniform work-groups (CLSVM_F_NONUNIFORM) whose local size
 * does not divide the global size is run as up to 2^work_dim uniform backend launches: in each
 * dimension the full groups, then the remainder group. Each launch is three-dimensional and its
 * global offsets carry, in 16-bit pieces, the address of a descriptor (the application's offset,
 * global and enqueued local sizes, the launch's first group id, the number of groups) from
 * which the program's work-item functions (support.cl, section "Non-uniform work-groups")
 * compute the application's values. Such a program reads every nonzero backend offset as a
 * descriptor, so its launches with a global offset take this path too, even uniform ones.
 * Such a kernel's reqd_work_group_size is clsvm's to enforce (clsvm_nu_reqd): the backend's module
 * does not have it, since the backend would refuse the remainder groups. Everything else goes to
 * the backend unchanged.
 */
#include "check.h"
#include "icd.h"
#include "kernel_args.h"
#include "queue_tail.h"
#include "oclc20/program_state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The layout support.cl's clsvm_nu_desc reads (16 x 64 bits). */
typedef struct nu_desc {
    cl_ulong offsets[3], globals[3], locals[3], group0[3], groups[3], work_dim;
} nu_desc;

#define MAX_PARTS 8

/* A geometry the backend would accept (it reports the errors of the others itself). */
static int valid_geometry(cl_uint dim, const size_t *gs, const size_t *ls)
{
    if (dim < 1 || dim > 3 || !gs)
        return 0;
    for (cl_uint d = 0; d < dim; d++)
        if (!gs[d] || (ls && !ls[d]))
            return 0;
    return 1;
}

/* Does the launch need parts: a remainder group, or a global offset (which the kernel would read
 * as a descriptor's address)? */
static int wants_parts(cl_uint dim, const size_t *off, const size_t *gs, const size_t *ls)
{
    int uneven = 0, offset = 0;
    for (cl_uint d = 0; d < dim; d++) {
        uneven |= ls && gs[d] % ls[d] != 0;
        offset |= off && off[d] != 0;
    }
    return uneven || offset;
}

void clsvm_nu_reqd(clsvm_obj *k, size_t reqd[3])
{
    char name[256];
    size_t n = 0;
    reqd[0] = reqd[1] = reqd[2] = 0;
    if (clsvm_be->clGetKernelInfo(k->be, CL_KERNEL_FUNCTION_NAME, 0, NULL, &n) != CL_SUCCESS)
        return;
    char *s = n <= sizeof name ? name : malloc(n);
    if (s && clsvm_be->clGetKernelInfo(k->be, CL_KERNEL_FUNCTION_NAME, n, s, NULL) == CL_SUCCESS)
        oclc20_reqd(k->parent, s, reqd);
    if (s != name)
        free(s);
}

/* The checks the backend would make of the application's local size, which it never sees. */
static cl_int check_local(void *be_q, void *be_k, cl_uint dim, const size_t *ls)
{
    cl_device_id dev;
    cl_int err = clsvm_be->clGetCommandQueueInfo(be_q, CL_QUEUE_DEVICE, sizeof dev, &dev, NULL);
    size_t max_items[3] = {0}, kernel_max = 0;
    if (err == CL_SUCCESS)
        err = clsvm_be->clGetDeviceInfo(dev, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof max_items,
                                        max_items, NULL);
    if (err == CL_SUCCESS)
        err = clsvm_be->clGetKernelWorkGroupInfo(be_k, dev, CL_KERNEL_WORK_GROUP_SIZE,
                                                 sizeof kernel_max, &kernel_max, NULL);
    if (err != CL_SUCCESS)
        return err;
    size_t total = 1;
    for (cl_uint d = 0; d < dim; d++) {
        if (ls[d] > max_items[d])
            return CL_INVALID_WORK_ITEM_SIZE;
        if (ls[d] > kernel_max / total)
            return CL_INVALID_WORK_GROUP_SIZE;
        total *= ls[d];
    }
    return CL_SUCCESS;
}

static void CL_CALLBACK free_descs(cl_event ev, cl_int status, void *descs)
{
    (void)ev;
    (void)status;
    free(descs);
}

/* One dimension's parts: the full groups and the remainder group (either may be absent). */
typedef struct dim_parts {
    int n;
    size_t global[2], local[2], group0[2];
} dim_parts;

static void split_dim(dim_parts *p, size_t g, const size_t *ls, cl_uint d)
{
    p->n = 0;
    if (!ls) { /* the backend chooses the local size of the one uniform part */
        p->global[0] = g;
        p->local[0] = p->group0[0] = 0;
        p->n = 1;
        return;
    }
    size_t l = ls[d], full = g / l, rem = g % l;
    if (full) {
        p->global[p->n] = full * l;
        p->local[p->n] = l;
        p->group0[p->n++] = 0;
    }
    if (rem) {
        p->global[p->n] = rem;
        p->local[p->n] = rem;
        p->group0[p->n++] = full;
    }
}

static cl_int enqueue_parts(void *be_q, void *be_k, cl_uint dim, const size_t *off,
                            const size_t *gs, const size_t *ls, cl_uint nwait, const cl_event *wait,
                            cl_event *ev_out, cl_event *first_out)
{
    for (cl_uint d = 0; d < dim; d++)
        if (off && off[d] > SIZE_MAX - gs[d])
            return CL_INVALID_GLOBAL_OFFSET;
    if (ls) {
        cl_int err = check_local(be_q, be_k, dim, ls);
        if (err != CL_SUCCESS)
            return err;
    }
    dim_parts p[3];
    for (cl_uint d = 0; d < 3; d++) {
        if (d < dim) {
            split_dim(&p[d], gs[d], ls, d);
        } else {
            p[d] = (dim_parts){.n = 1, .global = {1}, .local = {ls ? 1 : 0}};
        }
    }
    size_t n = (size_t)p[0].n * p[1].n * p[2].n;
    nu_desc *descs = calloc(n, sizeof *descs);
    /* The last part waits for the others, so that its event stands for the whole NDRange. */
    cl_event *wl = malloc((nwait + MAX_PARTS) * sizeof *wl);
    /* The device reads the descriptors in place: their addresses must fit in 48 bits. */
    if (!descs || !wl || (uintptr_t)(descs + n) >> 48) {
        free(descs);
        free(wl);
        return descs && wl ? CL_OUT_OF_RESOURCES : CL_OUT_OF_HOST_MEMORY;
    }
    if (nwait)
        memcpy(wl, wait, nwait * sizeof *wl);
    cl_event evs[MAX_PARTS];
    cl_int err = CL_SUCCESS;
    size_t done = 0;
    for (; done < n && err == CL_SUCCESS; done++) {
        size_t i[3] = {done % p[0].n, done / p[0].n % p[1].n, done / p[0].n / p[1].n};
        nu_desc *ds = &descs[done];
        size_t bgs[3], bls[3], boff[3];
        for (int d = 0; d < 3; d++) {
            int in = (cl_uint)d < dim;
            ds->offsets[d] = in && off ? off[d] : 0;
            ds->globals[d] = in ? gs[d] : 1;
            ds->locals[d] = in ? (ls ? ls[d] : 0) : 1;
            ds->group0[d] = p[d].group0[i[d]];
            ds->groups[d] = in ? (ls ? gs[d] / ls[d] + (gs[d] % ls[d] != 0) : 0) : 1;
            bgs[d] = p[d].global[i[d]];
            bls[d] = p[d].local[i[d]];
            boff[d] = ((uintptr_t)ds >> (16 * d)) & 0xffff;
        }
        ds->work_dim = dim;
        int last = done + 1 == n;
        err = clsvm_be->clEnqueueNDRangeKernel(be_q, be_k, 3, boff, bgs, ls ? bls : NULL,
                                               nwait + (last ? (cl_uint)done : 0),
                                               nwait || (last && done) ? wl : NULL, &evs[done]);
        if (err == CL_SUCCESS && !last)
            wl[nwait + done] = evs[done];
    }
    if (err != CL_SUCCESS) {
        done--; /* the failed part enqueued nothing */
        /* Parts already enqueued read the descriptors until they complete. */
        if (done)
            clsvm_be->clWaitForEvents((cl_uint)done, evs);
        for (size_t j = 0; j < done; j++)
            clsvm_be->clReleaseEvent(evs[j]);
        free(descs);
        free(wl);
        return err;
    }
    cl_event last = evs[n - 1];
    if (!clsvm_be->clSetEventCallback ||
        clsvm_be->clSetEventCallback(last, CL_COMPLETE, free_descs, descs) != CL_SUCCESS) {
        clsvm_be->clWaitForEvents(1, &last);
        free(descs);
    }
    /* The first part's event keeps the NDRange's queued/submit/start times (the last part's
     * are later). */
    for (size_t j = first_out && n > 1 ? 1 : 0; j + 1 < n; j++)
        clsvm_be->clReleaseEvent(evs[j]);
    if (first_out)
        *first_out = n > 1 ? evs[0] : NULL;
    free(wl);
    if (ev_out)
        *ev_out = last;
    else
        clsvm_be->clReleaseEvent(last);
    return CL_SUCCESS;
}

/* What a kernel launch (NDRange or task) does around the backend's enqueue: the checks that
 * look at the kernel's SVM arguments, the wait list unwrapped, the queue's tail tracked.
 * supported: the backend has the entry point (else CL_INVALID_OPERATION after the handles). */
typedef struct launch {
    clsvm_obj *q, *k;
    clsvm_evlist wl;
    void *ha; /* the hostaccess check's opened allocations */
} launch;

static cl_int launch_begin(launch *l, int supported, cl_command_queue queue, cl_kernel kernel,
                           cl_uint nwait, const cl_event *wait)
{
    l->q = clsvm_obj_of(queue, CLSVM_QUEUE);
    l->k = clsvm_obj_of(kernel, CLSVM_KERNEL);
    if (!l->q)
        return CL_INVALID_COMMAND_QUEUE;
    if (!l->k)
        return CL_INVALID_KERNEL;
    if (!supported)
        return CL_INVALID_OPERATION;
    /* SVM pointers set since the last launch (kernel_args.h); only an out-of-memory backend
     * fails here. */
    cl_int err = clsvm_kargs_flush(l->k);
    if (err != CL_SUCCESS)
        return err;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_STALE), 0))
        clsvm_check_kernel_enqueue(l->k, l->k->be);
    err = clsvm_evlist_unwrap(nwait, wait, &l->wl);
    if (err != CL_SUCCESS)
        return err;
    l->ha = __builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0)
                ? clsvm_check_ha_kernel_begin(l->k)
                : NULL;
    clsvm_qtail_begin(l->q);
    return CL_SUCCESS;
}

/* After the backend's enqueue returned err with event ev. */
static void launch_end(launch *l, cl_command_type type, cl_int err, cl_event ev)
{
    if (l->ha)
        clsvm_check_ha_kernel_end(l->ha, err, ev);
    clsvm_qtail_end(l->q, err == CL_SUCCESS, ev);
    clsvm_evlist_done(&l->wl);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_COMMANDS), 0))
        clsvm_check_kernel_enqueued(l->q, l->k, type, err == CL_SUCCESS ? ev : NULL);
}

cl_int CL_API_CALL clsvm_clEnqueueNDRangeKernel(cl_command_queue command_queue, cl_kernel kernel,
                                                cl_uint work_dim, const size_t *global_work_offset,
                                                const size_t *global_work_size,
                                                const size_t *local_work_size,
                                                cl_uint num_events_in_wait_list,
                                                const cl_event *event_wait_list, cl_event *event)
{
    launch l;
    cl_int err = launch_begin(&l, clsvm_be->clEnqueueNDRangeKernel != NULL, command_queue, kernel,
                              num_events_in_wait_list, event_wait_list);
    if (err != CL_SUCCESS)
        return err;
    clsvm_obj *q = l.q, *k = l.k;
    cl_event ev = NULL, first = NULL;
    const size_t *ls = local_work_size;
    size_t reqd[3];
    if ((k->flags & CLSVM_F_NONUNIFORM) && valid_geometry(work_dim, global_work_size, ls)) {
        /* The backend does not know the kernel's required work-group size (check_module in
         * oclc20/spir.c removes it), so clsvm checks it and uses it when no local size is given. */
        clsvm_nu_reqd(k, reqd);
        if (reqd[0] && !ls)
            ls = reqd;
        /* A dimension the launch does not have has a local size of 1. */
        for (cl_uint d = 0; reqd[0] && d < 3; d++)
            if ((d < work_dim ? ls[d] : 1) != reqd[d])
                err = CL_INVALID_WORK_GROUP_SIZE;
        if (err == CL_SUCCESS && wants_parts(work_dim, global_work_offset, global_work_size, ls))
            err = enqueue_parts(q->be, k->be, work_dim, global_work_offset, global_work_size, ls,
                                num_events_in_wait_list, l.wl.list, &ev, event ? &first : NULL);
        else if (err == CL_SUCCESS)
            err = clsvm_be->clEnqueueNDRangeKernel(q->be, k->be, work_dim, NULL, global_work_size,
                                                   ls, num_events_in_wait_list, l.wl.list, &ev);
    } else
        err = clsvm_be->clEnqueueNDRangeKernel(q->be, k->be, work_dim, global_work_offset,
                                               global_work_size, local_work_size,
                                               num_events_in_wait_list, l.wl.list, &ev);
    launch_end(&l, CL_COMMAND_NDRANGE_KERNEL, err, ev);
    err = clsvm_event_out(err, command_queue, ev, event);
    if (first && (err != CL_SUCCESS || !clsvm_event_set_first(*event, first)))
        clsvm_be->clReleaseEvent(first);
    return err;
}

/* clEnqueueTask: forwarded like the generated enqueues (forward.h; the event's command type is
 * the backend's), with the checks an NDRange gets: a task is a kernel launch too, whose SVM
 * arguments the device reaches (stale, hostaccess, inuse, the kernel-end red zone check). */
cl_int CL_API_CALL clsvm_clEnqueueTask(cl_command_queue command_queue, cl_kernel kernel,
                                       cl_uint num_events_in_wait_list,
                                       const cl_event *event_wait_list, cl_event *event)
{
    launch l;
    cl_event ev = NULL;
    cl_int err = launch_begin(&l, clsvm_be->clEnqueueTask != NULL, command_queue, kernel,
                              num_events_in_wait_list, event_wait_list);
    if (err != CL_SUCCESS)
        return err;
    err = clsvm_be->clEnqueueTask(l.q->be, l.k->be, num_events_in_wait_list, l.wl.list, &ev);
    launch_end(&l, CL_COMMAND_TASK, err, ev);
    return clsvm_event_out(err, command_queue, ev, event);
}
