/*
 * icd.h: clsvm's internal ICD object model, shared by every file under icd/.
 *
 * Every handle the application sees is a clsvm_obj allocated from one mmap'd slab
 * (object.c). Its first field is clsvm's dispatch table (the ICD loader reads it); it owns
 * exactly one reference on the backend handle `be`. Calls unwrap handles, forward through
 * the backend's dispatch table `clsvm_be`, and wrap what comes back. docs/icd.md has the rules.
 */
#ifndef CLSVM_ICD_H
#define CLSVM_ICD_H

#include <CL/cl_icd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Object kinds; the live tag of an object is CLSVM_TAG(kind), 0 once freed. */
typedef enum clsvm_kind {
    CLSVM_PLATFORM = 1,
    CLSVM_DEVICE,
    CLSVM_CONTEXT,
    CLSVM_QUEUE,
    CLSVM_MEM,
    CLSVM_SAMPLER,
    CLSVM_PROGRAM,
    CLSVM_KERNEL,
    CLSVM_EVENT,
    CLSVM_KIND_COUNT
} clsvm_kind;

#define CLSVM_TAG(kind) (0xc15f0000u | (uint32_t)(kind))

/* Object flags. */
#define CLSVM_F_PERMANENT 1u /* platforms and root devices: retain/release are no-ops */
#define CLSVM_F_MAPPED 2u    /* registered in the backend->wrapper map (object.c) */
/* A kernel of a program built for non-uniform work-groups (ndrange.c); set at creation, since
 * such a program is not rebuilt while it has kernels. */
#define CLSVM_F_NONUNIFORM 4u
/* be is not owned: the parent keeps it alive (events of commands run on the caller's thread,
 * standing on their queue's complete user event), so the wrapper never releases it. */
#define CLSVM_F_BORROWED 8u

typedef struct clsvm_obj clsvm_obj;
struct clsvm_obj {
    const struct _cl_icd_dispatch *dispatch; /* must be first: the loader dispatches on it */
    _Atomic uint32_t tag;                    /* CLSVM_TAG(kind) while alive */
    atomic_int refs;   /* internal references, plus one while app > 0; freed at 0 */
    void *be;          /* backend handle; one backend reference owned (unless CLSVM_F_BORROWED) */
    clsvm_obj *owner;  /* context (platform for devices/contexts); holds a reference */
    clsvm_obj *parent; /* program of a kernel, queue of an event, buffer of a sub-buffer or
                          image, parent device, device of a queue; holds a reference */
    void *ext;         /* kind-specific malloc'd data (kernels: argument kinds), freed with it */
    union {
        clsvm_obj *map_next; /* alive: chain in the backend->wrapper map */
        uint32_t free_next;  /* freed: next slot in the quarantine queue (object.c) */
    };
    _Atomic uint32_t
        app; /* the application's references: clRetainX, clReleaseX, *_REFERENCE_COUNT */
    uint32_t flags;
};

/* A context's devices as the application named them (ext of a context; each holds a reference):
 * pocl 3.1 reports a sub-device's root device in CL_CONTEXT_DEVICES, the spec the sub-device. */
struct clsvm_svm_tally;
typedef struct clsvm_devlist {
    cl_uint n;
    _Atomic cl_ulong svm_max_alloc; /* svm.c's cache of the devices' limit; 0: not known yet */
    _Atomic cl_ulong svm_caps;      /* svm.c's cache of their common SVM capabilities + 1; 0: not
                                       known yet */
    /* svm_count.c: the context's id for thread caches, its per-thread tallies of live SVM
     * allocations, and whether they were folded into refs (the application released it). */
    uint64_t svm_uid;
    _Atomic(struct clsvm_svm_tally *) svm_tallies;
    _Atomic int svm_folded;
    clsvm_obj *dev[];
} clsvm_devlist;

/* The backend's dispatch table (all backend handles share it); set once by backend.c. */
extern const struct _cl_icd_dispatch *clsvm_be;
/* clsvm's dispatch table (dispatch.c). */
extern const struct _cl_icd_dispatch clsvm_dispatch;

/* Slab bounds (object.c): an address is a potential clsvm object iff it lies in the slab on a
 * slot boundary, so handles can be validated without dereferencing arbitrary pointers. The span
 * (0 before the slab exists) is kept rather than the end: one load and one subtraction fewer
 * on every handle check. */
#define CLSVM_SLOT_SIZE 64u
extern uintptr_t clsvm_slab_base, clsvm_slab_span;

/* The wrapper behind handle h if h is a live clsvm object of that kind, else NULL. Live means
 * not yet freed: an object the application released but that other objects still hold (a
 * context kept by its queues or SVM, a program by its kernels) stays a valid handle, as with
 * the backend. A freed slot is reused only after a long quarantine (object.c), so a released
 * handle keeps being rejected. */
static inline clsvm_obj *clsvm_obj_of(const void *h, clsvm_kind kind)
{
    uintptr_t off = (uintptr_t)h - clsvm_slab_base;
    if (off >= clsvm_slab_span || off % CLSVM_SLOT_SIZE)
        return NULL;
    clsvm_obj *o = (clsvm_obj *)h;
    if (atomic_load_explicit(&o->tag, memory_order_acquire) != CLSVM_TAG(kind))
        return NULL;
    /* Inside the slab, whose base is not 0: callers' NULL checks fold into the ones above. */
    if (!o)
        __builtin_unreachable();
    return o;
}

/* Backend handle behind h, or NULL when h is not a live clsvm object of that kind. */
static inline void *clsvm_unwrap(const void *h, clsvm_kind kind)
{
    clsvm_obj *o = clsvm_obj_of(h, kind);
    return o ? o->be : NULL;
}

#define CLSVM_UNWRAPPER(type, kind, fn)                                                            \
    static inline type fn(type h)                                                                  \
    {                                                                                              \
        return (type)clsvm_unwrap(h, kind);                                                        \
    }
CLSVM_UNWRAPPER(cl_platform_id, CLSVM_PLATFORM, clsvm_be_platform)
CLSVM_UNWRAPPER(cl_device_id, CLSVM_DEVICE, clsvm_be_device)
CLSVM_UNWRAPPER(cl_context, CLSVM_CONTEXT, clsvm_be_context)
CLSVM_UNWRAPPER(cl_command_queue, CLSVM_QUEUE, clsvm_be_queue)
CLSVM_UNWRAPPER(cl_mem, CLSVM_MEM, clsvm_be_mem)
CLSVM_UNWRAPPER(cl_sampler, CLSVM_SAMPLER, clsvm_be_sampler)
CLSVM_UNWRAPPER(cl_program, CLSVM_PROGRAM, clsvm_be_program)
CLSVM_UNWRAPPER(cl_kernel, CLSVM_KERNEL, clsvm_be_kernel)
CLSVM_UNWRAPPER(cl_event, CLSVM_EVENT, clsvm_be_event)

/* CLSVM_U(x): the backend handle for a clsvm handle, x itself for every other type. */
#define CLSVM_U1_(x, T, fn)                                                                        \
    T:                                                                                             \
    fn(_Generic((x), T : (x), default : (T)0))
#define CLSVM_U(x)                                                                                 \
    _Generic(                                                                                      \
        (x), CLSVM_U1_(x, cl_platform_id, clsvm_be_platform),                                      \
        CLSVM_U1_(x, cl_device_id, clsvm_be_device), CLSVM_U1_(x, cl_context, clsvm_be_context),   \
        CLSVM_U1_(x, cl_command_queue, clsvm_be_queue), CLSVM_U1_(x, cl_mem, clsvm_be_mem),        \
        CLSVM_U1_(x, cl_sampler, clsvm_be_sampler), CLSVM_U1_(x, cl_program, clsvm_be_program),    \
        CLSVM_U1_(x, cl_kernel, clsvm_be_kernel), CLSVM_U1_(x, cl_event, clsvm_be_event), default  \
        : (x))

/* CLSVM_CHECK(x): for a handle-typed x, CL_SUCCESS if x is a live clsvm object of that type, else
 * the spec's CL_INVALID_<type> (NULL included: pocl 3.1 crashes on some NULL handles);
 * CL_SUCCESS for every other type. */
static inline cl_int clsvm_check(const void *h, clsvm_kind kind, cl_int err)
{
    return clsvm_obj_of(h, kind) ? CL_SUCCESS : err;
}
#define CLSVM_C1_(x, T, kind, err)                                                                 \
    T:                                                                                             \
    clsvm_check(_Generic((x), T : (x), default : (T)0), kind, err)
#define CLSVM_CHECK(x)                                                                             \
    _Generic((x), CLSVM_C1_(x, cl_platform_id, CLSVM_PLATFORM, CL_INVALID_PLATFORM),               \
             CLSVM_C1_(x, cl_device_id, CLSVM_DEVICE, CL_INVALID_DEVICE),                          \
             CLSVM_C1_(x, cl_context, CLSVM_CONTEXT, CL_INVALID_CONTEXT),                          \
             CLSVM_C1_(x, cl_command_queue, CLSVM_QUEUE, CL_INVALID_COMMAND_QUEUE),                \
             CLSVM_C1_(x, cl_mem, CLSVM_MEM, CL_INVALID_MEM_OBJECT),                               \
             CLSVM_C1_(x, cl_sampler, CLSVM_SAMPLER, CL_INVALID_SAMPLER),                          \
             CLSVM_C1_(x, cl_program, CLSVM_PROGRAM, CL_INVALID_PROGRAM),                          \
             CLSVM_C1_(x, cl_kernel, CLSVM_KERNEL, CL_INVALID_KERNEL),                             \
             CLSVM_C1_(x, cl_event, CLSVM_EVENT, CL_INVALID_EVENT), default                        \
             : CL_SUCCESS)

/* ---- object.c: lifetime ---- */
int clsvm_objects_init(void);
/* A new wrapper with refs = 1 and one application reference, owning backend handle be; takes
 * references on owner and parent (either may be NULL). NULL when the slab is exhausted (be is
 * then NOT released). */
clsvm_obj *clsvm_obj_new(clsvm_kind kind, void *be, clsvm_obj *owner, clsvm_obj *parent);
/* Internal references (one wrapper or record holding another). */
void clsvm_obj_retain(clsvm_obj *o);
void clsvm_obj_release(clsvm_obj *o);
/* The application's references, counted apart from clsvm's: retain fails (0) only when the
 * object is being freed; release fails (0) when the application holds none (an over-release),
 * and drops the object when that was the last reference of any kind. */
int clsvm_obj_app_retain(clsvm_obj *o);
int clsvm_obj_app_release(clsvm_obj *o);
/* CL_*_REFERENCE_COUNT: the application's count (1 for platforms and root devices). */
cl_uint clsvm_obj_app_refs(const clsvm_obj *o);
/* Is there a live object of that kind whose parent is parent (e.g. a kernel of a program)? */
int clsvm_obj_has_child(const clsvm_obj *parent, clsvm_kind kind);
/* Release one backend reference of the given kind (used when wrapping fails). */
void clsvm_be_release(clsvm_kind kind, void *be);
/* Entry-point helpers for clRetainX and clReleaseX: CL_SUCCESS, or err when h is not a live object
 * of that kind or (release) the application holds no reference on it. */
cl_int clsvm_retain_handle(const void *h, clsvm_kind kind, cl_int err);
cl_int clsvm_release_handle(const void *h, clsvm_kind kind, cl_int err);
/* Wrap a backend result of a create call: on success a new wrapper, else NULL; *errcode_ret
 * (if any) gets err, or CL_OUT_OF_HOST_MEMORY when no wrapper could be made. */
void *clsvm_wrap_result(clsvm_kind kind, void *be, cl_int err, clsvm_obj *owner, clsvm_obj *parent,
                        cl_int *errcode_ret);
/* The same for a wrapper o the caller made for be (NULL when it could not): with no wrapper,
 * be is released. */
void *clsvm_wrap_made(clsvm_kind kind, void *be, clsvm_obj *o, cl_int err, cl_int *errcode_ret);
/* Replace the n backend handles of that kind in h by wrappers make(h[i], from) made, for calls
 * that return arrays of new objects; when one cannot be made, none is returned: all are released
 * and the result is CL_OUT_OF_HOST_MEMORY. */
cl_int clsvm_wrap_array(void **h, cl_uint n, clsvm_kind kind,
                        clsvm_obj *(*make)(void *be, clsvm_obj *from), clsvm_obj *from);

/* Backend->wrapper map, for handles the backend returns in queries (platforms, devices,
 * queues). Lookups return a wrapper without taking a reference, or NULL. */
clsvm_obj *clsvm_map_find(const void *be, clsvm_kind kind);
/* Like clsvm_obj_new, also entered in the map; but if be already has a wrapper, add an
 * application reference to that one and drop the extra backend reference (backends may return
 * an existing object, e.g. the default device queue). */
clsvm_obj *clsvm_obj_new_mapped(clsvm_kind kind, void *be, clsvm_obj *owner, clsvm_obj *parent);

/* ---- info.c: clGet*Info helpers ---- */
cl_int clsvm_info_return(const void *src, size_t n, size_t size, void *value, size_t *size_ret);
cl_int clsvm_info_handle(const void *h, size_t size, void *value, size_t *size_ret);
cl_int clsvm_info_string(const char *s, size_t size, void *value, size_t *size_ret);
/* A string answer made by printf (CL_OUT_OF_HOST_MEMORY when there is no memory for it). */
__attribute__((format(printf, 4, 5))) cl_int
clsvm_info_format(size_t size, void *value, size_t *size_ret, const char *fmt, ...);
cl_int clsvm_info_uint(cl_uint v, size_t size, void *value, size_t *size_ret);
/* Replace every backend handle of that kind in value[0..bytes) by its wrapper (NULL stays). */
void clsvm_info_map_handles(void *value, size_t bytes, clsvm_kind kind);

/* ---- event.c: wait lists and returned events ---- */
#define CLSVM_EVLIST_INLINE 16
typedef struct clsvm_evlist {
    cl_event *list;
    cl_event inline_[CLSVM_EVLIST_INLINE];
} clsvm_evlist;
/* Unwrap an event wait list into out (CL_INVALID_EVENT_WAIT_LIST on a bad event). */
cl_int clsvm_evlist_unwrap(cl_uint n, const cl_event *in, clsvm_evlist *out);
/* The same for a list of events that is the call's subject, not a wait list (clWaitForEvents,
 * clEnqueueWaitForEvents): CL_INVALID_VALUE when empty, CL_INVALID_EVENT for a bad event. */
cl_int clsvm_events_unwrap(cl_uint n, const cl_event *in, clsvm_evlist *out);
void clsvm_evlist_done(clsvm_evlist *l);
/* After an enqueue: wrap be_event into *event (if requested and err is CL_SUCCESS). */
cl_int clsvm_event_out(cl_int err, cl_command_queue queue, cl_event be_event, cl_event *event);
/* event.c: a command made of several backend commands (a non-uniform NDRange's parts): `first`
 * (a backend event, owned on success) answers the queued, submit and start times of event, a
 * wrapper clsvm_event_out just made. 0 (first not taken) when out of memory. */
int clsvm_event_set_first(cl_event event, cl_event first);
/* object.c's release of an event wrapper's ext. */
void clsvm_event_ext_free(void *ext);
/* Unwrap an array of handles of one kind; buf is used when n <= inline_n, else malloc'd.
 * Returns the array (NULL for in == NULL), sets *bad when an element is not a live object
 * of that kind. Free with clsvm_array_done(result, buf). */
void **clsvm_array_unwrap(cl_uint n, const void *const *in, clsvm_kind kind, void **buf,
                          cl_uint inline_n, int *bad);
void clsvm_array_done(void **arr, void **buf);

/* ---- backend.c ---- */
/* Load the backend once; 0 when clsvm has at least one platform. */
int clsvm_backend_init(void);
cl_uint clsvm_platform_count(void);
clsvm_obj *clsvm_platform_at(cl_uint i);
/* Short backend name for device names, e.g. "pocl" for libpocl.so.2. */
const char *clsvm_backend_name(void);

/* ---- ndrange.c: kernels built for non-uniform work-groups (oclc20_nonuniform) ---- */
/* Their reqd_work_group_size reaches the backend as a work_group_size_hint (the backend would
 * refuse the remainder groups): the required size clsvm kept ({0, 0, 0} when there is none). */
void clsvm_nu_reqd(clsvm_obj *k, size_t reqd[3]);

/* ---- extensions.c ---- */
/* The clGetPlatformInfo and clGetDeviceInfo answer (info_answer.h) for CL_*_EXTENSIONS and
 * CL_*_EXTENSIONS_WITH_VERSION: the backend's extensions that clsvm implements, and for a platform
 * cl_khr_icd, which is clsvm's own. */
cl_int clsvm_ext_info(clsvm_obj *o, cl_uint param, size_t size, void *value, size_t *size_ret);
/* clsvm's function for an extension function name, or NULL unless its extension is listed by
 * `platform` or one of its devices (platform NULL: by any of clsvm's platforms). */
void *clsvm_ext_function(cl_platform_id platform, const char *name);

/* Declare every entry point of the .def with the exact type of its dispatch slot. */
#define CLSVM_DECL_(name) __typeof__(*(cl_api_##name)0) clsvm_##name;
#define CLSVM_HAND(name) CLSVM_DECL_(name)
#define CLSVM_FWD(name, ...) CLSVM_DECL_(name)
#define CLSVM_FWD_HOST(name, ...) CLSVM_DECL_(name)
#define CLSVM_ENQ(name, ...) CLSVM_DECL_(name)
#define CLSVM_ENQ_HOST(name, ...) CLSVM_DECL_(name)
#define CLSVM_ENQ_MAP(name, ...) CLSVM_DECL_(name)
#define CLSVM_CREATE_IN(name, ...) CLSVM_DECL_(name)
#define CLSVM_CREATE_CHILD(name, ...) CLSVM_DECL_(name)
#define CLSVM_RETAIN(name, ...) CLSVM_DECL_(name)
#define CLSVM_RELEASE(name, ...) CLSVM_DECL_(name)
#define CLSVM_NOSUP_INT(name, ...) CLSVM_DECL_(name)
#define CLSVM_NOSUP_OBJ(name, ...) CLSVM_DECL_(name)
#define CLSVM_NOSUP_VOIDP(name)
#include "entrypoints.def"
#undef CLSVM_HAND
#undef CLSVM_FWD
#undef CLSVM_FWD_HOST
#undef CLSVM_ENQ
#undef CLSVM_ENQ_HOST
#undef CLSVM_ENQ_MAP
#undef CLSVM_CREATE_IN
#undef CLSVM_CREATE_CHILD
#undef CLSVM_RETAIN
#undef CLSVM_RELEASE
#undef CLSVM_NOSUP_INT
#undef CLSVM_NOSUP_OBJ
#undef CLSVM_NOSUP_VOIDP

/* Exported to the loader (platform.c). */
__attribute__((visibility("default"))) CL_API_ENTRY cl_int CL_API_CALL
clIcdGetPlatformIDsKHR(cl_uint num_entries, cl_platform_id *platforms, cl_uint *num_platforms);
__attribute__((visibility("default"))) CL_API_ENTRY void *CL_API_CALL
clGetExtensionFunctionAddress(const char *func_name);

#endif
