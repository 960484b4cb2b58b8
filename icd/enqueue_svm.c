/*
 * enqueue_svm.c: the clEnqueueSVM* commands (free, memcpy, fill, map, unmap, migrate), clsvm's
 * own: validated here against the window (svm.h) and executed as host commands
 * (host_command.h), never by the backend's SVM commands, whose handling of memory they did not
 * allocate differs between backend versions (pocl 3.1 aborts in SVM free, newer pocl crashes in
 * SVM fill). On a CPU backend host and device share the memory, so map, unmap and migrate move
 * no data: they are ordering points with real events. Memcpy, fill and a free without callback
 * with no wait list run on the caller's thread when the queue has nothing before them
 * (clsvm_host_now).
 *
 * Pointer rule (docs/svm.md): a range that starts in a live allocation must belong to the
 * queue's context and end inside that allocation; a range touching the window outside every
 * live allocation is CL_INVALID_VALUE; a range outside the window is host memory, accepted for
 * memcpy and fill (the spec lets both work on any host memory) and, for the other commands,
 * only when the device reports fine-grain system SVM.
 */
#include "callbacks.h"
#include "check.h"
#include "host_command.h"
#include "svm_fill.h"
#include "svm.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- pointer validation ---- */
static pthread_once_t win_once = PTHREAD_ONCE_INIT;
static uintptr_t win_base, win_size;

static void win_init(void)
{
    clsvm_window *w = clsvm_svm_window();
    if (w) {
        clsvm_window_info wi;
        clsvm_window_get_info(w, &wi);
        win_base = wi.base;
        win_size = (uintptr_t)wi.size;
    }
}

/* Does [a, a + n) (n >= 1) overlap the window? */
static int touches_window(uintptr_t a, size_t n)
{
    pthread_once(&win_once, win_init);
    return win_size && a < win_base + win_size && win_base < a + n;
}

/* CL_SUCCESS when [p, p + size) may be used by a command of context ctx (size 0: the byte at p).
 * host_ok: memory outside the window is acceptable whatever the capabilities. On success with
 * an allocation, *ai (if given) describes it; otherwise ai->base is NULL. */
static cl_int check_range(clsvm_obj *ctx, const void *p, size_t size, int host_ok,
                          clsvm_alloc_info *ai)
{
    clsvm_alloc_info tmp;
    if (!ai)
        ai = &tmp;
    ai->base = NULL;
    uintptr_t a = (uintptr_t)p;
    size_t n = size ? size : 1;
    if (!p || a + n < a)
        return CL_INVALID_VALUE;
    if (clsvm_svm_lookup(p, ai)) {
        size_t off = a - (uintptr_t)ai->base;
        if (ai->tag != (void *)ctx || n > ai->size - off)
            return CL_INVALID_VALUE;
        return CL_SUCCESS;
    }
    ai->base = NULL;
    /* Inside the window but not allocated: freed, never allocated, or another allocation's
     * slack; the pages may not even be committed. */
    if (touches_window(a, n))
        return CL_INVALID_VALUE;
    if (host_ok || (clsvm_svm_context_caps(ctx) & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
        return CL_SUCCESS;
    return CL_INVALID_VALUE;
}

/* Queue, SVM support (OpenCL 3.0: CL_INVALID_OPERATION when the device supports no SVM: no
 * window, or a context whose devices cannot address it), then wait list; *qo gets the queue
 * wrapper. */
static cl_int check_queue(cl_command_queue queue, cl_uint n, const cl_event *list, clsvm_obj **qo)
{
    *qo = clsvm_obj_of(queue, CLSVM_QUEUE);
    if (!*qo)
        return CL_INVALID_COMMAND_QUEUE;
    if (!clsvm_svm_context_caps((*qo)->owner))
        return CL_INVALID_OPERATION;
    return clsvm_host_waitlist_check(*qo, n, list);
}

/* A command refused before it is enqueued: the application gets no event. */
static cl_int refused(cl_int err, cl_event *event)
{
    if (event)
        *event = NULL;
    return err;
}

/* A command at most this large runs on the caller's thread when the queue has nothing before it
 * (clsvm_host_now): a megabyte is copied in about the time the backend round trip it saves
 * takes (docs/svm.md). A larger one keeps the caller and other threads' enqueues on the queue,
 * which wait for it, from being held up for its whole length. */
#define NOW_MAX ((size_t)1 << 20)

/* ---- clEnqueueSVMFree ---- */
typedef struct free_cmd {
    clsvm_obj *queue; /* held by the host command (hold_queue) until this has run */
    clsvm_svm_free_fn fn;
    void *user_data;
    void *check; /* the checker's record of where it was enqueued (NULL: checks off) */
    cl_uint n;
    void *ptrs[]; /* a copy: the application may reuse its array once the call returns */
} free_cmd;

static void free_work(void *data)
{
    free_cmd *f = data;
    if (__builtin_expect(f->check != NULL, 0))
        clsvm_check_free_run(f->check, 1);
    if (f->fn) /* the callback owns the freeing (API spec, clEnqueueSVMFree) */
        f->fn((cl_command_queue)f->queue, f->n, f->ptrs, f->user_data);
    else
        for (cl_uint i = 0; i < f->n; i++)
            if (f->ptrs[i])
                clsvm_svm_free_ptr(f->queue->owner, f->ptrs[i]);
    if (__builtin_expect(f->check != NULL, 0))
        clsvm_check_free_run(f->check, 0);
}

cl_int CL_API_CALL clsvm_clEnqueueSVMFree(cl_command_queue command_queue, cl_uint num_svm_pointers,
                                          void *svm_pointers[], clsvm_svm_free_fn pfn_free_func,
                                          void *user_data, cl_uint num_events_in_wait_list,
                                          const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    /* clEnqueueSVMFree's error list has no CL_INVALID_CONTEXT row: an event of another
     * context is an invalid wait-list event there. */
    if (err == CL_INVALID_CONTEXT)
        err = CL_INVALID_EVENT_WAIT_LIST;
    if (err == CL_SUCCESS && (num_svm_pointers == 0) != (svm_pointers == NULL))
        err = CL_INVALID_VALUE;
    if (err != CL_SUCCESS)
        return refused(err, event);
    size_t fsize = sizeof(free_cmd) + (size_t)num_svm_pointers * sizeof(void *);
    free_cmd *f = malloc(fsize);
    if (!f)
        return refused(CL_OUT_OF_HOST_MEMORY, event);
    f->queue = q;
    f->fn = pfn_free_func;
    f->user_data = user_data;
    f->check = NULL;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_ALL), 0))
        f->check =
            clsvm_check_free_site(q, num_events_in_wait_list, (const void *const *)event_wait_list);
    f->n = num_svm_pointers;
    if (num_svm_pointers)
        memcpy(f->ptrs, svm_pointers, (size_t)num_svm_pointers * sizeof(void *));
    /* Not with a callback: it may enqueue on this queue, which waits for the running command. */
    if (!num_events_in_wait_list && !pfn_free_func &&
        clsvm_host_now(q, CL_COMMAND_SVM_FREE, free_work, f, event, &err)) {
        free(f);
        return err;
    }
    err = clsvm_host_command(q, CL_COMMAND_SVM_FREE, CL_FALSE, num_events_in_wait_list,
                             event_wait_list, free_work, f, fsize, 1, event);
    if (__builtin_expect(f->check != NULL, 0) && err != CL_SUCCESS)
        clsvm_check_free_run(f->check, 0); /* never to run */
    free(f);
    return err;
}

/* ---- clEnqueueSVMMemcpy ---- */
typedef struct copy_cmd {
    void *dst;
    const void *src;
    size_t size;
} copy_cmd;

static void copy_work(void *data)
{
    copy_cmd *c = data;
    int ha = c->size && __builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0);
    if (ha) /* the device's access, not the host's: coarse-grain memory open meanwhile */
        clsvm_check_ha_use(c->dst, 1), clsvm_check_ha_use(c->src, 1);
    if (c->size)
        memcpy(c->dst, c->src, c->size);
    if (ha)
        clsvm_check_ha_use(c->dst, -1), clsvm_check_ha_use(c->src, -1);
}

cl_int CL_API_CALL clsvm_clEnqueueSVMMemcpy(cl_command_queue command_queue, cl_bool blocking_copy,
                                            void *dst_ptr, const void *src_ptr, size_t size,
                                            cl_uint num_events_in_wait_list,
                                            const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    if (err == CL_SUCCESS)
        err = check_range(q->owner, dst_ptr, size, 1, NULL);
    if (err == CL_SUCCESS)
        err = check_range(q->owner, src_ptr, size, 1, NULL);
    /* Both ranges are known not to wrap. An empty copy overlaps nothing. */
    uintptr_t d = (uintptr_t)dst_ptr, s = (uintptr_t)src_ptr;
    if (err == CL_SUCCESS && size && d < s + size && s < d + size)
        err = CL_MEM_COPY_OVERLAP;
    if (err != CL_SUCCESS)
        return refused(err, event);
    copy_cmd c = {dst_ptr, src_ptr, size};
    if (!num_events_in_wait_list && size <= NOW_MAX &&
        clsvm_host_now(q, CL_COMMAND_SVM_MEMCPY, copy_work, &c, event, &err))
        return err;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_INUSE), 0))
        clsvm_check_uses(q, CL_COMMAND_SVM_MEMCPY, dst_ptr, size, src_ptr, size);
    return clsvm_host_command(q, CL_COMMAND_SVM_MEMCPY, blocking_copy, num_events_in_wait_list,
                              event_wait_list, copy_work, &c, sizeof c, 0, event);
}

/* ---- clEnqueueSVMMemFill ---- */
typedef struct fill_cmd {
    unsigned char *dst;
    size_t size, psize;
    unsigned char pattern[128]; /* a copy: the pattern may be reused once the call returns */
} fill_cmd;

static void fill_work(void *data)
{
    fill_cmd *f = data;
    int ha = f->size && __builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0);
    if (ha) /* the device's access, as for copy_work */
        clsvm_check_ha_use(f->dst, 1);
    clsvm_fill_pattern(f->dst, f->size, f->pattern, f->psize);
    if (ha)
        clsvm_check_ha_use(f->dst, -1);
}

cl_int CL_API_CALL clsvm_clEnqueueSVMMemFill(cl_command_queue command_queue, void *svm_ptr,
                                             const void *pattern, size_t pattern_size, size_t size,
                                             cl_uint num_events_in_wait_list,
                                             const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    /* API spec, clEnqueueSVMMemFill: pattern NULL, pattern_size not a power of two in 1..128,
     * svm_ptr not aligned to pattern_size, size not a multiple of it: CL_INVALID_VALUE. */
    if (err == CL_SUCCESS && (!pattern || pattern_size == 0 || pattern_size > 128 ||
                              (pattern_size & (pattern_size - 1)) ||
                              (uintptr_t)svm_ptr % pattern_size || size % pattern_size))
        err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS)
        err = check_range(q->owner, svm_ptr, size, 1, NULL);
    if (err != CL_SUCCESS)
        return refused(err, event);
    fill_cmd f = {svm_ptr, size, pattern_size, {0}};
    memcpy(f.pattern, pattern, pattern_size);
    if (!num_events_in_wait_list && size <= NOW_MAX &&
        clsvm_host_now(q, CL_COMMAND_SVM_MEMFILL, fill_work, &f, event, &err))
        return err;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_INUSE), 0))
        clsvm_check_uses(q, CL_COMMAND_SVM_MEMFILL, svm_ptr, size, NULL, 0);
    /* Only the pattern bytes in use are copied along. */
    return clsvm_host_command(q, CL_COMMAND_SVM_MEMFILL, CL_FALSE, num_events_in_wait_list,
                              event_wait_list, fill_work, &f,
                              offsetof(fill_cmd, pattern) + pattern_size, 0, event);
}

/* ---- clEnqueueSVMMap / Unmap ---- */
cl_int CL_API_CALL clsvm_clEnqueueSVMMap(cl_command_queue command_queue, cl_bool blocking_map,
                                         cl_map_flags flags, void *svm_ptr, size_t size,
                                         cl_uint num_events_in_wait_list,
                                         const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    /* Memory Map Flags table: three bits; WRITE_INVALIDATE_REGION excludes READ and WRITE. */
    const cl_map_flags rw = CL_MAP_READ | CL_MAP_WRITE;
    if (err == CL_SUCCESS &&
        ((flags & ~(rw | CL_MAP_WRITE_INVALIDATE_REGION)) ||
         ((flags & CL_MAP_WRITE_INVALIDATE_REGION) && (flags & rw)) || size == 0))
        err = CL_INVALID_VALUE;
    if (err == CL_SUCCESS)
        err = check_range(q->owner, svm_ptr, size, 0, NULL);
    if (err != CL_SUCCESS)
        return refused(err, event);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_INUSE), 0))
        clsvm_check_uses(q, CL_COMMAND_SVM_MAP, svm_ptr, size, NULL, 0);
    err = clsvm_host_order(q, CL_COMMAND_SVM_MAP, blocking_map, num_events_in_wait_list,
                           event_wait_list, event);
    /* Open from the enqueue on: the host may not touch it before the map completes anyway. */
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0) && err == CL_SUCCESS)
        clsvm_check_ha_map(svm_ptr, 1);
    return err;
}

cl_int CL_API_CALL clsvm_clEnqueueSVMUnmap(cl_command_queue command_queue, void *svm_ptr,
                                           cl_uint num_events_in_wait_list,
                                           const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    if (err == CL_SUCCESS)
        err = check_range(q->owner, svm_ptr, 0, 0, NULL);
    if (err != CL_SUCCESS)
        return refused(err, event);
    /* Closed at the enqueue: the host may not touch it once the unmap is enqueued. */
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_HOSTACCESS), 0))
        clsvm_check_ha_map(svm_ptr, -1);
    return clsvm_host_order(q, CL_COMMAND_SVM_UNMAP, CL_FALSE, num_events_in_wait_list,
                            event_wait_list, event);
}

/* ---- clEnqueueSVMMigrateMem ---- */
cl_int CL_API_CALL clsvm_clEnqueueSVMMigrateMem(cl_command_queue command_queue,
                                                cl_uint num_svm_pointers, const void **svm_pointers,
                                                const size_t *sizes, cl_mem_migration_flags flags,
                                                cl_uint num_events_in_wait_list,
                                                const cl_event *event_wait_list, cl_event *event)
{
    clsvm_obj *q;
    cl_int err = check_queue(command_queue, num_events_in_wait_list, event_wait_list, &q);
    if (err == CL_SUCCESS &&
        (num_svm_pointers == 0 || !svm_pointers ||
         (flags & ~(cl_mem_migration_flags)(CL_MIGRATE_MEM_OBJECT_HOST |
                                            CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED))))
        err = CL_INVALID_VALUE;
    /* sizes NULL or sizes[i] 0: the whole allocation containing svm_pointers[i]. */
    for (cl_uint i = 0; err == CL_SUCCESS && i < num_svm_pointers; i++)
        err = check_range(q->owner, svm_pointers[i], sizes ? sizes[i] : 0, 0, NULL);
    if (err != CL_SUCCESS)
        return refused(err, event);
    return clsvm_host_order(q, CL_COMMAND_SVM_MIGRATE_MEM, CL_FALSE, num_events_in_wait_list,
                            event_wait_list, event);
}
