/* callbacks.c: the callback trampolines (see callbacks.h) and the callback-registering entry
 * points that need nothing else: clSetEventCallback, clSetMemObjectDestructorCallback,
 * clSetContextDestructorCallback, clSetProgramReleaseCallback. */
#include "callbacks.h"
#include "oclc20/program_state.h"

#include <stdlib.h>

/* ---- build/compile/link notification ---- */
struct clsvm_notify {
    clsvm_program_fn fn;
    void *user_data;
    clsvm_obj *program;
    atomic_int refs; /* one for the caller, one for the pending callback */
    atomic_int fired;
};

clsvm_notify *clsvm_notify_new(clsvm_obj *program, clsvm_program_fn fn, void *user_data,
                               cl_int *err)
{
    *err = CL_SUCCESS;
    if (!fn)
        return NULL;
    clsvm_notify *n = malloc(sizeof *n);
    if (!n) {
        *err = CL_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    n->fn = fn;
    n->user_data = user_data;
    n->program = program;
    atomic_init(&n->refs, 2);
    atomic_init(&n->fired, 0);
    clsvm_obj_retain(program);
    return n;
}

static void notify_unref(clsvm_notify *n)
{
    if (atomic_fetch_sub(&n->refs, 1) == 1) {
        clsvm_obj_release(n->program);
        free(n);
    }
}

void CL_CALLBACK clsvm_notify_tramp(cl_program be_program, void *record)
{
    clsvm_notify *n = record;
    /* clLinkProgram may call back before it returns the new program's handle. */
    oclc20_be_publish(n->program, be_program, 1);
    atomic_store(&n->fired, 1);
    n->fn((cl_program)n->program, n->user_data);
    notify_unref(n);
}

void clsvm_notify_finish(clsvm_notify *n, cl_int err)
{
    if (!n)
        return;
    /* A failed call that has not called back will not: backends report build failures
     * (CL_BUILD_PROGRAM_FAILURE...) through the callback before returning. */
    if (err != CL_SUCCESS && !atomic_load(&n->fired))
        notify_unref(n);
    notify_unref(n);
}

/* ---- event callbacks: the record keeps the event wrapper alive until it has fired ---- */
typedef struct event_cb {
    void(CL_CALLBACK *fn)(cl_event, cl_int, void *);
    void *user_data;
    clsvm_obj *event;
} event_cb;

static void CL_CALLBACK event_tramp(cl_event be_event, cl_int status, void *record)
{
    event_cb *cb = record;
    (void)be_event;
    cb->fn((cl_event)cb->event, status, cb->user_data);
    clsvm_obj_release(cb->event);
    free(cb);
}

cl_int CL_API_CALL clsvm_clSetEventCallback(cl_event event, cl_int type,
                                            void(CL_CALLBACK *fn)(cl_event, cl_int, void *),
                                            void *user_data)
{
    clsvm_obj *e = clsvm_obj_of(event, CLSVM_EVENT);
    if (!e)
        return CL_INVALID_EVENT;
    if (!fn)
        return CL_INVALID_VALUE;
    event_cb *cb = malloc(sizeof *cb);
    if (!cb)
        return CL_OUT_OF_HOST_MEMORY;
    *cb = (event_cb){fn, user_data, e};
    clsvm_obj_retain(e);
    cl_int err = clsvm_be->clSetEventCallback(e->be, type, event_tramp, cb);
    if (err != CL_SUCCESS) {
        clsvm_obj_release(e);
        free(cb);
    }
    return err;
}

/* ---- destructor callbacks: the record carries the handle value only ---- */
typedef struct dtor_cb {
    void(CL_CALLBACK *fn)(void *, void *);
    void *user_data;
    void *handle;
} dtor_cb;

static dtor_cb *dtor_new(void *fn, void *user_data, void *handle)
{
    dtor_cb *cb = malloc(sizeof *cb);
    if (cb) {
        cb->fn = (void(CL_CALLBACK *)(void *, void *))fn;
        cb->user_data = user_data;
        cb->handle = handle;
    }
    return cb;
}

/* The backend calls back with its handle; the application's function gets clsvm's. One
 * trampoline per handle type, so each function is called through its own type. */
#define DTOR_TRAMP(name, handle_type)                                                              \
    static void CL_CALLBACK name(handle_type be, void *record)                                     \
    {                                                                                              \
        dtor_cb *cb = record;                                                                      \
        (void)be;                                                                                  \
        ((void(CL_CALLBACK *)(handle_type, void *))cb->fn)((handle_type)cb->handle,                \
                                                           cb->user_data);                         \
        free(cb);                                                                                  \
    }
DTOR_TRAMP(mem_dtor_tramp, cl_mem)
DTOR_TRAMP(ctx_dtor_tramp, cl_context)
DTOR_TRAMP(program_release_tramp, cl_program)

/* Register cb with the backend for be, an object of that kind. */
static cl_int dtor_register(clsvm_kind kind, void *be, dtor_cb *cb)
{
    switch (kind) {
    case CLSVM_MEM:
        return clsvm_be->clSetMemObjectDestructorCallback(be, mem_dtor_tramp, cb);
    case CLSVM_CONTEXT:
        return clsvm_be->clSetContextDestructorCallback(be, ctx_dtor_tramp, cb);
    default:
        return clsvm_be->clSetProgramReleaseCallback(be, program_release_tramp, cb);
    }
}

/* clSet{MemObjectDestructor,ContextDestructor,ProgramRelease}Callback: has_fn says whether the
 * backend has the call. A program's backend program is held: a build on another thread may
 * replace it. */
static cl_int dtor_set(clsvm_kind kind, const void *handle, cl_int invalid, int has_fn, void *fn,
                       void *user_data)
{
    clsvm_obj *o = clsvm_obj_of(handle, kind);
    if (!o)
        return invalid;
    if (!fn)
        return CL_INVALID_VALUE;
    if (!has_fn)
        return CL_INVALID_OPERATION;
    void *be = kind == CLSVM_PROGRAM ? oclc20_be_hold(o) : o->be;
    if (!be)
        return invalid;
    dtor_cb *cb = dtor_new(fn, user_data, o);
    cl_int err = cb ? dtor_register(kind, be, cb) : CL_OUT_OF_HOST_MEMORY;
    if (err != CL_SUCCESS)
        free(cb);
    if (kind == CLSVM_PROGRAM)
        clsvm_be->clReleaseProgram(be);
    return err;
}

cl_int CL_API_CALL clsvm_clSetMemObjectDestructorCallback(cl_mem memobj,
                                                          void(CL_CALLBACK *fn)(cl_mem, void *),
                                                          void *user_data)
{
    return dtor_set(CLSVM_MEM, memobj, CL_INVALID_MEM_OBJECT,
                    clsvm_be->clSetMemObjectDestructorCallback != NULL, (void *)fn, user_data);
}

cl_int CL_API_CALL clsvm_clSetContextDestructorCallback(cl_context context,
                                                        void(CL_CALLBACK *fn)(cl_context, void *),
                                                        void *user_data)
{
    return dtor_set(CLSVM_CONTEXT, context, CL_INVALID_CONTEXT,
                    clsvm_be->clSetContextDestructorCallback != NULL, (void *)fn, user_data);
}

cl_int CL_API_CALL clsvm_clSetProgramReleaseCallback(cl_program program, clsvm_program_fn fn,
                                                     void *user_data)
{
    return dtor_set(CLSVM_PROGRAM, program, CL_INVALID_PROGRAM,
                    clsvm_be->clSetProgramReleaseCallback != NULL, (void *)fn, user_data);
}
