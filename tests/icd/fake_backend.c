/* fake_backend.c: a tiny fake OpenCL ICD used as clsvm's backend (CLSVM_BACKEND=<this .so>) to
 * test clsvm's forwarding layer without pocl, in the manner of the Khronos loader's stub ICD.
 * It logs every call it receives, one line each, naming the handles it was given as
 * "<kind>#<id>" when they are its own objects and "BAD" when they are not (e.g. a clsvm
 * wrapper that clsvm forgot to unwrap). Buffers hold real bytes; commands run at enqueue time.
 * The test reaches the log through fake_backend_log()/fake_backend_live() after dlopen'ing
 * the same library (RTLD_NOLOAD). Only what the forwarding test needs is implemented; the
 * other dispatch entries are NULL. Reference counts are plain ints: single-threaded use only.
 * FAKE_BACKEND_DEVICE picks the device: unset or "cpu" a 64-bit CPU device with host-unified
 * memory, "gpu" a GPU with memory of its own (no host-unified memory), "cpu32" a CPU device
 * with 32 address bits. */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl_icd.h>

#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

enum kind { K_PLATFORM, K_DEVICE, K_CONTEXT, K_QUEUE, K_MEM, K_EVENT, K_COUNT };
static const char *const kind_name[K_COUNT] = {"platform", "device", "context",
                                               "queue",    "mem",    "event"};

struct fake {
    const struct _cl_icd_dispatch *dispatch; /* first, as for every ICD object */
    enum kind kind;
    unsigned id;
    int refs;
    struct fake *ctx, *dev, *queue;
    size_t size;
    unsigned char *data;
    cl_mem_flags flags;
    cl_command_type cmd;
    void(CL_CALLBACK *dtor)(cl_mem, void *);
    void *dtor_ud;
    struct fake *next;
};

static struct _cl_icd_dispatch table;
static struct fake platform = {.dispatch = &table, .kind = K_PLATFORM, .id = 1, .refs = 1};
static struct fake device = {.dispatch = &table, .kind = K_DEVICE, .id = 1, .refs = 1};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake *live; /* every object created by clCreate*, until its last release */
static unsigned next_id[K_COUNT] = {2, 2, 1, 1, 1, 1};
static char logbuf[1 << 16];
static size_t loglen;

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&lock);
    if (loglen < sizeof logbuf - 1) {
        int n = vsnprintf(logbuf + loglen, sizeof logbuf - loglen, fmt, ap);
        if (n > 0)
            loglen += (size_t)n < sizeof logbuf - loglen ? (size_t)n : sizeof logbuf - 1 - loglen;
    }
    pthread_mutex_unlock(&lock);
    va_end(ap);
}

EXPORT const char *fake_backend_log(void)
{
    return logbuf;
}

EXPORT void fake_backend_log_clear(void)
{
    pthread_mutex_lock(&lock);
    loglen = 0;
    logbuf[0] = 0;
    pthread_mutex_unlock(&lock);
}

/* Native kernels (clsvm's host commands): whether the device reports CL_EXEC_NATIVE_KERNEL,
 * and an error clEnqueueNativeKernel returns instead of running the function (0: none). */
static int native_off;
static cl_int native_fail;

EXPORT void fake_backend_native(int available, cl_int fail_with)
{
    native_off = !available;
    native_fail = fail_with;
}

/* Objects created and not yet released for the last time. */
EXPORT int fake_backend_live(void)
{
    int n = 0;
    pthread_mutex_lock(&lock);
    for (struct fake *f = live; f; f = f->next)
        n++;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Is `h` one of ours, of this kind? Never dereferences `h` unless it is. */
static struct fake *own(const void *h, enum kind k)
{
    if (h == &platform)
        return k == K_PLATFORM ? &platform : NULL;
    if (h == &device)
        return k == K_DEVICE ? &device : NULL;
    struct fake *found = NULL;
    pthread_mutex_lock(&lock);
    for (struct fake *f = live; f; f = f->next)
        if (f == h && f->kind == k)
            found = f;
    pthread_mutex_unlock(&lock);
    return found;
}

/* "mem#3", or "BAD" for anything not ours (a thread-local ring of a few names per line). */
static const char *nm(const void *h, enum kind k)
{
    static __thread char ring[8][32];
    static __thread unsigned pos;
    char *s = ring[pos++ % 8];
    struct fake *f = own(h, k);
    if (!h)
        snprintf(s, 32, "NULL");
    else if (!f)
        snprintf(s, 32, "BAD");
    else
        snprintf(s, 32, "%s#%u", kind_name[k], f->id);
    return s;
}

static struct fake *make(enum kind k, struct fake *ctx)
{
    struct fake *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->dispatch = &table;
    f->kind = k;
    f->refs = 1;
    f->ctx = ctx;
    pthread_mutex_lock(&lock);
    f->id = next_id[k]++;
    f->next = live;
    live = f;
    pthread_mutex_unlock(&lock);
    if (ctx)
        ctx->refs++; /* children keep their context, as the spec requires */
    return f;
}

static void drop(struct fake *f);

static cl_int release(const void *h, enum kind k, const char *fn, cl_int invalid)
{
    struct fake *f = own(h, k);
    logf_("%s %s\n", fn, nm(h, k));
    if (!f)
        return invalid;
    if (f == &platform || f == &device)
        return CL_SUCCESS;
    drop(f);
    return CL_SUCCESS;
}

static void drop(struct fake *f)
{
    if (--f->refs > 0)
        return;
    if (f->kind == K_MEM && f->dtor)
        f->dtor((cl_mem)f, f->dtor_ud);
    pthread_mutex_lock(&lock);
    for (struct fake **p = &live; *p; p = &(*p)->next)
        if (*p == f) {
            *p = f->next;
            break;
        }
    pthread_mutex_unlock(&lock);
    logf_("freed %s#%u\n", kind_name[f->kind], f->id);
    struct fake *ctx = f->ctx;
    if (f->queue)
        drop(f->queue);
    free(f->data);
    free(f);
    if (ctx)
        drop(ctx);
}

static cl_int retain(const void *h, enum kind k, const char *fn, cl_int invalid)
{
    struct fake *f = own(h, k);
    logf_("%s %s\n", fn, nm(h, k));
    if (!f)
        return invalid;
    f->refs++;
    return CL_SUCCESS;
}

/* Copy an info answer out with the spec's size rules. */
static cl_int answer(const void *v, size_t n, size_t size, void *out, size_t *ret)
{
    if (out && size < n)
        return CL_INVALID_VALUE;
    if (out)
        memcpy(out, v, n);
    if (ret)
        *ret = n;
    return CL_SUCCESS;
}

#define ANSWER_VAL(type, val)                                                                      \
    do {                                                                                           \
        type v_ = (val);                                                                           \
        return answer(&v_, sizeof v_, size, out, ret);                                             \
    } while (0)
#define ANSWER_STR(s) return answer(s, strlen(s) + 1, size, out, ret)

static cl_int CL_API_CALL f_GetPlatformInfo(cl_platform_id p, cl_platform_info param, size_t size,
                                            void *out, size_t *ret)
{
    logf_("clGetPlatformInfo %s %#x\n", nm(p, K_PLATFORM), param);
    if (!own(p, K_PLATFORM))
        return CL_INVALID_PLATFORM;
    switch (param) {
    case CL_PLATFORM_NAME:
        ANSWER_STR("Fake Backend");
    case CL_PLATFORM_VENDOR:
        ANSWER_STR("clsvm tests");
    case CL_PLATFORM_VERSION:
        ANSWER_STR("OpenCL 3.0 fake");
    case CL_PLATFORM_PROFILE:
        ANSWER_STR("FULL_PROFILE");
    case CL_PLATFORM_EXTENSIONS:
        ANSWER_STR("cl_khr_icd");
    case CL_PLATFORM_ICD_SUFFIX_KHR:
        ANSWER_STR("FAKE");
    case CL_PLATFORM_NUMERIC_VERSION:
        ANSWER_VAL(cl_version, CL_MAKE_VERSION(3, 0, 0));
    default:
        return CL_INVALID_VALUE;
    }
}

/* The device FAKE_BACKEND_DEVICE asks for: 0 cpu, 1 gpu, 2 cpu32. */
static int device_mode(void)
{
    const char *m = getenv("FAKE_BACKEND_DEVICE");
    return !m ? 0 : !strcmp(m, "gpu") ? 1 : !strcmp(m, "cpu32") ? 2 : 0;
}

static cl_device_type device_type(void)
{
    return device_mode() == 1 ? CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_CPU;
}

static cl_int CL_API_CALL f_GetDeviceIDs(cl_platform_id p, cl_device_type type, cl_uint n,
                                         cl_device_id *devs, cl_uint *num)
{
    logf_("clGetDeviceIDs %s %#llx\n", nm(p, K_PLATFORM), (unsigned long long)type);
    if (!own(p, K_PLATFORM))
        return CL_INVALID_PLATFORM;
    if (!(type & (device_type() | CL_DEVICE_TYPE_DEFAULT)))
        return CL_DEVICE_NOT_FOUND;
    if ((n == 0 && devs) || (!devs && !num))
        return CL_INVALID_VALUE;
    if (devs)
        devs[0] = (cl_device_id)&device;
    if (num)
        *num = 1;
    return CL_SUCCESS;
}

static cl_int CL_API_CALL f_GetDeviceInfo(cl_device_id d, cl_device_info param, size_t size,
                                          void *out, size_t *ret)
{
    logf_("clGetDeviceInfo %s %#x\n", nm(d, K_DEVICE), param);
    if (!own(d, K_DEVICE))
        return CL_INVALID_DEVICE;
    switch (param) {
    case CL_DEVICE_TYPE:
        ANSWER_VAL(cl_device_type, device_type());
    case CL_DEVICE_NAME:
        ANSWER_STR("fake device");
    case CL_DEVICE_VENDOR:
        ANSWER_STR("clsvm tests");
    case CL_DEVICE_VERSION:
        ANSWER_STR("OpenCL 3.0 fake");
    case CL_DRIVER_VERSION:
        ANSWER_STR("1.0");
    case CL_DEVICE_PROFILE:
        ANSWER_STR("FULL_PROFILE");
    case CL_DEVICE_OPENCL_C_VERSION:
        ANSWER_STR("OpenCL C 1.2 fake");
    case CL_DEVICE_EXTENSIONS:
        ANSWER_STR("");
    case CL_DEVICE_PLATFORM:
        ANSWER_VAL(cl_platform_id, (cl_platform_id)&platform);
    case CL_DEVICE_PARENT_DEVICE:
        ANSWER_VAL(cl_device_id, NULL);
    case CL_DEVICE_AVAILABLE:
    case CL_DEVICE_COMPILER_AVAILABLE:
    case CL_DEVICE_LINKER_AVAILABLE:
    case CL_DEVICE_ENDIAN_LITTLE:
        ANSWER_VAL(cl_bool, CL_TRUE);
    case CL_DEVICE_HOST_UNIFIED_MEMORY:
        ANSWER_VAL(cl_bool, device_mode() == 1 ? CL_FALSE : CL_TRUE);
    case CL_DEVICE_MAX_COMPUTE_UNITS:
        ANSWER_VAL(cl_uint, 3); /* unusual values the test recognises */
    case CL_DEVICE_MAX_CLOCK_FREQUENCY:
        ANSWER_VAL(cl_uint, 1234);
    case CL_DEVICE_ADDRESS_BITS:
        ANSWER_VAL(cl_uint, device_mode() == 2 ? 32 : 64);
    case CL_DEVICE_MEM_BASE_ADDR_ALIGN:
        ANSWER_VAL(cl_uint, 1024);
    case CL_DEVICE_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, 1);
    case CL_DEVICE_GLOBAL_MEM_SIZE:
        ANSWER_VAL(cl_ulong, 1ull << 30);
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE:
        ANSWER_VAL(cl_ulong, 1ull << 28);
    case CL_DEVICE_SVM_CAPABILITIES:
        ANSWER_VAL(cl_device_svm_capabilities, 0);
    case CL_DEVICE_EXECUTION_CAPABILITIES:
        ANSWER_VAL(cl_device_exec_capabilities,
                   CL_EXEC_KERNEL | (native_off ? 0 : CL_EXEC_NATIVE_KERNEL));
    case CL_DEVICE_NUMERIC_VERSION:
        ANSWER_VAL(cl_version, CL_MAKE_VERSION(3, 0, 0));
    default:
        return CL_INVALID_VALUE;
    }
}

static cl_context CL_API_CALL f_CreateContext(
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

static cl_int CL_API_CALL f_RetainContext(cl_context c)
{
    return retain(c, K_CONTEXT, "clRetainContext", CL_INVALID_CONTEXT);
}

static cl_int CL_API_CALL f_ReleaseContext(cl_context c)
{
    return release(c, K_CONTEXT, "clReleaseContext", CL_INVALID_CONTEXT);
}

static cl_int CL_API_CALL f_GetContextInfo(cl_context c, cl_context_info param, size_t size,
                                           void *out, size_t *ret)
{
    struct fake *f = own(c, K_CONTEXT);
    logf_("clGetContextInfo %s %#x\n", nm(c, K_CONTEXT), param);
    if (!f)
        return CL_INVALID_CONTEXT;
    switch (param) {
    case CL_CONTEXT_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_CONTEXT_NUM_DEVICES:
        ANSWER_VAL(cl_uint, 1);
    case CL_CONTEXT_DEVICES:
        ANSWER_VAL(cl_device_id, (cl_device_id)&device);
    case CL_CONTEXT_PROPERTIES: {
        cl_context_properties p[3] = {CL_CONTEXT_PLATFORM, (cl_context_properties)&platform, 0};
        return answer(p, sizeof p, size, out, ret);
    }
    default:
        return CL_INVALID_VALUE;
    }
}

static cl_command_queue CL_API_CALL f_CreateCommandQueueWithProperties(
    cl_context c, cl_device_id d, const cl_queue_properties *props, cl_int *err)
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

static cl_command_queue CL_API_CALL f_CreateCommandQueue(cl_context c, cl_device_id d,
                                                         cl_command_queue_properties props,
                                                         cl_int *err)
{
    (void)props;
    return f_CreateCommandQueueWithProperties(c, d, NULL, err);
}

static cl_int CL_API_CALL f_RetainCommandQueue(cl_command_queue q)
{
    return retain(q, K_QUEUE, "clRetainCommandQueue", CL_INVALID_COMMAND_QUEUE);
}

static cl_int CL_API_CALL f_ReleaseCommandQueue(cl_command_queue q)
{
    return release(q, K_QUEUE, "clReleaseCommandQueue", CL_INVALID_COMMAND_QUEUE);
}

static cl_int CL_API_CALL f_GetCommandQueueInfo(cl_command_queue q, cl_command_queue_info param,
                                                size_t size, void *out, size_t *ret)
{
    struct fake *f = own(q, K_QUEUE);
    logf_("clGetCommandQueueInfo %s %#x\n", nm(q, K_QUEUE), param);
    if (!f)
        return CL_INVALID_COMMAND_QUEUE;
    switch (param) {
    case CL_QUEUE_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_QUEUE_DEVICE:
        ANSWER_VAL(cl_device_id, (cl_device_id)&device);
    case CL_QUEUE_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_QUEUE_PROPERTIES:
        ANSWER_VAL(cl_command_queue_properties, 0);
    default:
        return CL_INVALID_VALUE;
    }
}

static cl_int CL_API_CALL f_Flush(cl_command_queue q)
{
    logf_("clFlush %s\n", nm(q, K_QUEUE));
    return own(q, K_QUEUE) ? CL_SUCCESS : CL_INVALID_COMMAND_QUEUE;
}

static cl_int CL_API_CALL f_Finish(cl_command_queue q)
{
    logf_("clFinish %s\n", nm(q, K_QUEUE));
    return own(q, K_QUEUE) ? CL_SUCCESS : CL_INVALID_COMMAND_QUEUE;
}

static cl_mem CL_API_CALL f_CreateBuffer(cl_context c, cl_mem_flags flags, size_t size, void *host,
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

static cl_int CL_API_CALL f_RetainMemObject(cl_mem m)
{
    return retain(m, K_MEM, "clRetainMemObject", CL_INVALID_MEM_OBJECT);
}

static cl_int CL_API_CALL f_ReleaseMemObject(cl_mem m)
{
    return release(m, K_MEM, "clReleaseMemObject", CL_INVALID_MEM_OBJECT);
}

static cl_int CL_API_CALL f_GetMemObjectInfo(cl_mem m, cl_mem_info param, size_t size, void *out,
                                             size_t *ret)
{
    struct fake *f = own(m, K_MEM);
    logf_("clGetMemObjectInfo %s %#x\n", nm(m, K_MEM), param);
    if (!f)
        return CL_INVALID_MEM_OBJECT;
    switch (param) {
    case CL_MEM_TYPE:
        ANSWER_VAL(cl_mem_object_type, CL_MEM_OBJECT_BUFFER);
    case CL_MEM_FLAGS:
        ANSWER_VAL(cl_mem_flags, f->flags);
    case CL_MEM_SIZE:
        ANSWER_VAL(size_t, f->size);
    case CL_MEM_HOST_PTR:
        ANSWER_VAL(void *, NULL);
    case CL_MEM_MAP_COUNT:
        ANSWER_VAL(cl_uint, 0);
    case CL_MEM_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    case CL_MEM_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_MEM_ASSOCIATED_MEMOBJECT:
        ANSWER_VAL(cl_mem, NULL);
    case CL_MEM_OFFSET:
        ANSWER_VAL(size_t, 0);
    case CL_MEM_USES_SVM_POINTER:
        ANSWER_VAL(cl_bool, CL_FALSE);
    default:
        return CL_INVALID_VALUE;
    }
}

static cl_int CL_API_CALL f_SetMemObjectDestructorCallback(cl_mem m,
                                                           void(CL_CALLBACK *cb)(cl_mem, void *),
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

static cl_int CL_API_CALL f_EnqueueReadBuffer(cl_command_queue q, cl_mem m, cl_bool blocking,
                                              size_t off, size_t n, void *ptr, cl_uint nw,
                                              const cl_event *wl, cl_event *ev)
{
    struct fake *fq = own(q, K_QUEUE), *fm = own(m, K_MEM);
    logf_("clEnqueueReadBuffer %s %s blocking=%u off=%zu size=%zu waits=%u%s\n", nm(q, K_QUEUE),
          nm(m, K_MEM), blocking, off, n, nw, wait_list_ok(nw, wl) ? "" : " BAD-WAIT-LIST");
    if (!fq)
        return CL_INVALID_COMMAND_QUEUE;
    if (!fm)
        return CL_INVALID_MEM_OBJECT;
    if (!wait_list_ok(nw, wl))
        return CL_INVALID_EVENT_WAIT_LIST;
    if (!ptr || off + n > fm->size || n == 0)
        return CL_INVALID_VALUE;
    memcpy(ptr, fm->data + off, n);
    complete_event(fq, CL_COMMAND_READ_BUFFER, ev);
    return CL_SUCCESS;
}

static cl_int CL_API_CALL f_EnqueueWriteBuffer(cl_command_queue q, cl_mem m, cl_bool blocking,
                                               size_t off, size_t n, const void *ptr, cl_uint nw,
                                               const cl_event *wl, cl_event *ev)
{
    struct fake *fq = own(q, K_QUEUE), *fm = own(m, K_MEM);
    logf_("clEnqueueWriteBuffer %s %s blocking=%u off=%zu size=%zu waits=%u%s\n", nm(q, K_QUEUE),
          nm(m, K_MEM), blocking, off, n, nw, wait_list_ok(nw, wl) ? "" : " BAD-WAIT-LIST");
    if (!fq)
        return CL_INVALID_COMMAND_QUEUE;
    if (!fm)
        return CL_INVALID_MEM_OBJECT;
    if (!wait_list_ok(nw, wl))
        return CL_INVALID_EVENT_WAIT_LIST;
    if (!ptr || off + n > fm->size || n == 0)
        return CL_INVALID_VALUE;
    memcpy(fm->data + off, ptr, n);
    complete_event(fq, CL_COMMAND_WRITE_BUFFER, ev);
    return CL_SUCCESS;
}

/* Runs the function at once on a copy of args, as the spec requires the copy. */
static cl_int CL_API_CALL f_EnqueueNativeKernel(cl_command_queue q, void(CL_CALLBACK *fn)(void *),
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

static cl_int CL_API_CALL f_RetainEvent(cl_event e)
{
    return retain(e, K_EVENT, "clRetainEvent", CL_INVALID_EVENT);
}

static cl_int CL_API_CALL f_ReleaseEvent(cl_event e)
{
    return release(e, K_EVENT, "clReleaseEvent", CL_INVALID_EVENT);
}

static cl_int CL_API_CALL f_GetEventInfo(cl_event e, cl_event_info param, size_t size, void *out,
                                         size_t *ret)
{
    struct fake *f = own(e, K_EVENT);
    logf_("clGetEventInfo %s %#x\n", nm(e, K_EVENT), param);
    if (!f)
        return CL_INVALID_EVENT;
    switch (param) {
    case CL_EVENT_COMMAND_QUEUE:
        ANSWER_VAL(cl_command_queue, (cl_command_queue)f->queue);
    case CL_EVENT_CONTEXT:
        ANSWER_VAL(cl_context, (cl_context)f->ctx);
    case CL_EVENT_COMMAND_TYPE:
        ANSWER_VAL(cl_command_type, f->cmd);
    case CL_EVENT_COMMAND_EXECUTION_STATUS:
        ANSWER_VAL(cl_int, CL_COMPLETE);
    case CL_EVENT_REFERENCE_COUNT:
        ANSWER_VAL(cl_uint, (cl_uint)f->refs);
    default:
        return CL_INVALID_VALUE;
    }
}

static cl_int CL_API_CALL f_WaitForEvents(cl_uint n, const cl_event *list)
{
    logf_("clWaitForEvents %u %s\n", n, n && list ? nm(list[0], K_EVENT) : "-");
    if (n == 0 || !list)
        return CL_INVALID_VALUE;
    return wait_list_ok(n, list) ? CL_SUCCESS : CL_INVALID_EVENT;
}

static cl_int CL_API_CALL f_SetEventCallback(cl_event e, cl_int type,
                                             void(CL_CALLBACK *cb)(cl_event, cl_int, void *),
                                             void *ud)
{
    logf_("clSetEventCallback %s %d\n", nm(e, K_EVENT), type);
    if (!own(e, K_EVENT))
        return CL_INVALID_EVENT;
    if (!cb)
        return CL_INVALID_VALUE;
    cb(e, CL_COMPLETE, ud); /* every fake event is already complete */
    return CL_SUCCESS;
}

static void *CL_API_CALL f_GetExtensionFunctionAddressForPlatform(cl_platform_id p,
                                                                  const char *name)
{
    logf_("clGetExtensionFunctionAddressForPlatform %s %s\n", nm(p, K_PLATFORM), name);
    return NULL;
}

static cl_int CL_API_CALL f_IcdGetPlatformIDs(cl_uint n, cl_platform_id *ids, cl_uint *num)
{
    logf_("clIcdGetPlatformIDsKHR %u\n", n);
    if ((n == 0 && ids) || (!ids && !num))
        return CL_INVALID_VALUE;
    if (ids)
        ids[0] = (cl_platform_id)&platform;
    if (num)
        *num = 1;
    return CL_SUCCESS;
}

static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void fill_table(void)
{
    table.clGetPlatformInfo = f_GetPlatformInfo;
    table.clGetDeviceIDs = f_GetDeviceIDs;
    table.clGetDeviceInfo = f_GetDeviceInfo;
    table.clCreateContext = f_CreateContext;
    table.clRetainContext = f_RetainContext;
    table.clReleaseContext = f_ReleaseContext;
    table.clGetContextInfo = f_GetContextInfo;
    table.clCreateCommandQueue = f_CreateCommandQueue;
    table.clCreateCommandQueueWithProperties = f_CreateCommandQueueWithProperties;
    table.clRetainCommandQueue = f_RetainCommandQueue;
    table.clReleaseCommandQueue = f_ReleaseCommandQueue;
    table.clGetCommandQueueInfo = f_GetCommandQueueInfo;
    table.clFlush = f_Flush;
    table.clFinish = f_Finish;
    table.clCreateBuffer = f_CreateBuffer;
    table.clRetainMemObject = f_RetainMemObject;
    table.clReleaseMemObject = f_ReleaseMemObject;
    table.clGetMemObjectInfo = f_GetMemObjectInfo;
    table.clSetMemObjectDestructorCallback = f_SetMemObjectDestructorCallback;
    table.clEnqueueReadBuffer = f_EnqueueReadBuffer;
    table.clEnqueueWriteBuffer = f_EnqueueWriteBuffer;
    table.clEnqueueNativeKernel = f_EnqueueNativeKernel;
    table.clRetainEvent = f_RetainEvent;
    table.clReleaseEvent = f_ReleaseEvent;
    table.clGetEventInfo = f_GetEventInfo;
    table.clWaitForEvents = f_WaitForEvents;
    table.clSetEventCallback = f_SetEventCallback;
    table.clGetExtensionFunctionAddressForPlatform = f_GetExtensionFunctionAddressForPlatform;
}

/* The only OpenCL symbol a backend needs to export: clsvm finds everything else through it. */
EXPORT void *CL_API_CALL clGetExtensionFunctionAddress(const char *name)
{
    pthread_once(&table_once, fill_table);
    logf_("clGetExtensionFunctionAddress %s\n", name);
    if (!strcmp(name, "clIcdGetPlatformIDsKHR"))
        return (void *)(uintptr_t)f_IcdGetPlatformIDs;
    /* ocl-icd asks for this one by name; answering lets the fake be loaded by the loader
     * directly too, which is how the forwarding test's expectations are checked themselves. */
    if (!strcmp(name, "clGetPlatformInfo"))
        return (void *)(uintptr_t)f_GetPlatformInfo;
    return NULL;
}
