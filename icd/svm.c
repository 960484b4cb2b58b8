/*
 * svm.c: clsvm's own SVM (docs/svm.md): the process-wide window, clSVMAlloc/clSVMFree,
 * the device's SVM capabilities and max allocation size, and validation of SVM kernel arguments
 * (clSetKernelArgSVMPointer, clSetKernelExecInfo) before they reach the backend.
 *
 * Every SVM byte comes from one window (runtime/) shared by all contexts; the backend never
 * allocates SVM. An allocation's tag is the context wrapper that made it, and is counted on it
 * (svm_count.h: per thread while the application holds the context, as a reference after), so
 * a context the application released stays valid until its last SVM is freed (the spec:
 * releasing a context frees none of its SVM). A backend device that addresses the host's
 * memory (a CPU device) uses the same memory at the same address, so pointers are forwarded raw
 * once validated; devices that cannot report no SVM.
 *
 * Locking: none here beyond pthread_once; allocation takes the window mutex, lookup no lock.
 */
#include "svm.h"

#include "check.h"
#include "kernel_args.h"
#include "svm_count.h"
#include "clsvm/internal/log.h"
#include "clsvm/internal/lookup.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static pthread_once_t window_once = PTHREAD_ONCE_INIT;
/* Set once by open_window(); read without the once by paths that must not open a window just
 * to find nothing in it (frees, lookups, the exit report). */
static _Atomic(clsvm_window *) svm_window;
static cl_device_svm_capabilities svm_caps;
static uint64_t svm_window_size, svm_max_align;
static uintptr_t svm_window_base;
/* The window's small-allocation lookup view, set before svm_window: the kernel-argument fast
 * path reads it at a fixed address once svm_window says the window is open. */
static clsvm_small_view svm_small_view;

static void open_window(void)
{
    clsvm_config cfg;
    clsvm_config_init(&cfg);
    clsvm_window *w = NULL;
    int rc = clsvm_window_open(&cfg, &w);
    if (rc != CLSVM_OK || !w) {
        /* The window has logged the cause (a fault, an unusable forced devsvm, no room below
         * 2^va_bits, ...) with its fix: this line says only what it means here. */
        clsvm_log(CLSVM_LOG_ERROR,
                  "svm: no SVM window (%s%s): the device reports no SVM capabilities and "
                  "clSVMAlloc returns NULL",
                  clsvm_status_str(rc),
                  rc == CLSVM_ERR_HOSTMEM ? "" : "; the 'window:' error above says why");
        return;
    }
    clsvm_window_info info;
    clsvm_window_get_info(w, &info);
    svm_window_size = info.size;
    svm_window_base = (uintptr_t)info.base;
    svm_max_align = info.max_align;
    svm_small_view = clsvm_lookup_small_view(w);
    /* Fine-grain system SVM means "any host pointer is device-addressable": true for the CPU
     * backend only when the window (the device's address range) covers all of user space. */
    svm_caps = CL_DEVICE_SVM_COARSE_GRAIN_BUFFER | CL_DEVICE_SVM_FINE_GRAIN_BUFFER |
               CL_DEVICE_SVM_ATOMICS | (info.va_bits >= 47 ? CL_DEVICE_SVM_FINE_GRAIN_SYSTEM : 0);
    atomic_store_explicit(&svm_window, w, memory_order_release);
}

clsvm_window *clsvm_svm_window(void)
{
    pthread_once(&window_once, open_window);
    return atomic_load_explicit(&svm_window, memory_order_acquire);
}

/* The window if it was opened already: no allocation can exist otherwise. */
static clsvm_window *window_if_open(void)
{
    return atomic_load_explicit(&svm_window, memory_order_acquire);
}

/* ---- which devices can use clsvm's SVM ---- */

/* Does backend device be reach the window: does it address the host's memory directly, at the
 * host's addresses, up to the window's end? SVM pointers go to its kernels raw, so a device with
 * memory of its own (a discrete GPU) cannot, until a driver path maps the window for it. Why
 * not is said once per reason at info level. */
static int device_reaches_window(void *be)
{
    cl_device_type type = 0;
    cl_bool unified = CL_FALSE;
    cl_uint bits = 0;
    if (clsvm_be->clGetDeviceInfo(be, CL_DEVICE_TYPE, sizeof type, &type, NULL) != CL_SUCCESS)
        type = 0;
    if (clsvm_be->clGetDeviceInfo(be, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof unified, &unified,
                                  NULL) != CL_SUCCESS)
        unified = CL_FALSE;
    if (clsvm_be->clGetDeviceInfo(be, CL_DEVICE_ADDRESS_BITS, sizeof bits, &bits, NULL) !=
        CL_SUCCESS)
        bits = 0;
    if (!(type & CL_DEVICE_TYPE_CPU) && !unified) {
        CLSVM_LOG_ONCE(CLSVM_LOG_INFO,
                       "svm: a backend device is no CPU device and does not share the host's "
                       "memory (CL_DEVICE_HOST_UNIFIED_MEMORY false): it cannot address SVM "
                       "memory, so it reports no SVM capabilities (clsvm has no driver path for "
                       "such devices yet)");
        return 0;
    }
    unsigned long long end = (unsigned long long)(svm_window_base + svm_window_size - 1);
    if (bits == 0 || (bits < 64 && (end >> bits) != 0)) {
        CLSVM_LOG_ONCE(CLSVM_LOG_INFO,
                       "svm: a backend device has %u address bits, too few for the SVM window "
                       "(which ends at %#llx): it reports no SVM capabilities",
                       bits, end);
        return 0;
    }
    return 1;
}

cl_device_svm_capabilities clsvm_svm_device_caps(void *be_dev)
{
    return clsvm_svm_window() && device_reaches_window(be_dev) ? svm_caps : 0;
}

static pthread_once_t platform_caps_once = PTHREAD_ONCE_INIT;
static cl_device_svm_capabilities platform_caps;

static void platform_caps_init(void)
{
    cl_device_svm_capabilities caps = svm_caps;
    for (cl_uint i = 0; caps && i < clsvm_platform_count(); i++) {
        cl_uint n = 0;
        void *plat = clsvm_platform_at(i)->be;
        if (clsvm_be->clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || !n)
            continue;
        cl_device_id *d = malloc(n * sizeof *d);
        if (!d || clsvm_be->clGetDeviceIDs(plat, CL_DEVICE_TYPE_ALL, n, d, NULL) != CL_SUCCESS)
            caps = 0;
        for (cl_uint j = 0; caps && j < n; j++)
            if (!device_reaches_window(d[j]))
                caps = 0;
        free(d);
    }
    platform_caps = caps;
}

cl_device_svm_capabilities clsvm_svm_caps(void)
{
    if (!clsvm_svm_window())
        return 0;
    pthread_once(&platform_caps_once, platform_caps_init);
    return platform_caps;
}

static cl_device_svm_capabilities context_caps_slow(const clsvm_obj *ctx)
{
    clsvm_devlist *l = ctx->ext;
    if (!clsvm_svm_window())
        return 0;
    if (!l)
        return clsvm_svm_caps();
    cl_device_svm_capabilities caps = svm_caps;
    for (cl_uint i = 0; caps && i < l->n; i++)
        if (!device_reaches_window(l->dev[i]->be))
            caps = 0;
    atomic_store_explicit(&l->svm_caps, caps + 1, memory_order_relaxed);
    return caps;
}

/* Cached in the context: a device's answers never change, and clSVMAlloc and every SVM kernel
 * argument ask. The cache is read before the window's pthread_once (a cached answer implies
 * an open window) and inlined into those hot paths. */
static inline cl_device_svm_capabilities context_caps(const clsvm_obj *ctx)
{
    const clsvm_devlist *l = ctx->ext;
    cl_ulong known = l ? atomic_load_explicit(&l->svm_caps, memory_order_relaxed) : 0;
    return known ? (cl_device_svm_capabilities)(known - 1) : context_caps_slow(ctx);
}

cl_device_svm_capabilities clsvm_svm_context_caps(const clsvm_obj *ctx)
{
    return context_caps(ctx);
}

cl_int clsvm_svm_max_alloc(cl_device_id be_dev, cl_ulong *out)
{
    cl_ulong v = 0;
    cl_int err =
        clsvm_be->clGetDeviceInfo(be_dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof v, &v, NULL);
    if (err != CL_SUCCESS)
        return err;
    if (clsvm_svm_window() && v > svm_window_size)
        v = svm_window_size;
    *out = v;
    return CL_SUCCESS;
}

cl_bool clsvm_svm_lookup(const void *p, clsvm_alloc_info *info)
{
    return clsvm_svm_lookup_in(NULL, p, info);
}

/* The application's view of an allocation: without the red zone guard the checker may have
 * put after it (its length is in the flags' top bits; 0 when the check is off). 0 when p lies
 * in that guard, which is no part of the allocation for any pointer rule, or when the
 * allocation is freed and only kept in the checker's quarantine (CLSVM_CHECK_KEPT). */
__attribute__((noinline)) static int checked_view(clsvm_alloc_info *in, const void *p)
{
    int freed = (in->flags & CLSVM_CHECK_KEPT) && clsvm_check_in_quarantine(in->base);
    in->size -= in->flags >> CLSVM_CHECK_GUARD_SHIFT;
    in->flags &= CLSVM_CHECK_KEPT - 1;
    return !freed && (uintptr_t)p - (uintptr_t)in->base < in->size;
}

static inline int user_view(clsvm_alloc_info *in, const void *p)
{
    return __builtin_expect(in->flags < CLSVM_CHECK_KEPT, 1) || checked_view(in, p);
}

static inline cl_bool lookup_in(clsvm_obj *ctx, const void *p, clsvm_alloc_info *info)
{
    clsvm_window *w = window_if_open();
    clsvm_alloc_info in;
    if (!w || !p || clsvm_lookup(w, p, &in) != CLSVM_OK || (ctx && in.tag != ctx) ||
        !user_view(&in, p))
        return CL_FALSE;
    if (info)
        *info = in;
    return CL_TRUE;
}

cl_bool clsvm_svm_lookup_in(clsvm_obj *ctx, const void *p, clsvm_alloc_info *info)
{
    return lookup_in(ctx, p, info);
}

int clsvm_svm_window_open(void)
{
    return window_if_open() != NULL;
}

cl_int clsvm_svm_host_range(const void *p, size_t size, cl_int err)
{
    clsvm_window *w = window_if_open(); /* no window: no SVM pointer can exist */
    uintptr_t a = (uintptr_t)p;
    size_t n = size ? size : 1;
    if (!w || !p)
        return CL_SUCCESS;
    if (a + n < a)
        return err;
    if (a >= svm_window_base + svm_window_size || a + n <= svm_window_base)
        return CL_SUCCESS; /* host memory */
    /* Inside the window only the bytes of one live allocation are mapped for sure. */
    clsvm_alloc_info in;
    if (!clsvm_svm_lookup(p, &in))
        return err;
    return n <= in.size - (size_t)(a - (uintptr_t)in.base) ? CL_SUCCESS : err;
}

/* The checker forgets (and checks the guard of) what a free will free, before its memory can
 * be reused; of racing frees, the first forgets it. 1 or 0: the free's result (the checker
 * keeps it in quarantine, or it was freed already); -1: go on and free it. */
static __attribute__((noinline, cold)) int checker_free(clsvm_window *w, clsvm_obj *ctx, void *p)
{
    clsvm_alloc_info pre;
    int kept; /* 1: the checker frees it later (quarantine); -1: freed already */
    if (w && clsvm_lookup(w, p, &pre) == CLSVM_OK && pre.base == p && (!ctx || pre.tag == ctx)) {
        /* First: the guard check and the quarantine's poisoning read and write the memory. */
        clsvm_check_ha_forget(p);
        if ((kept = clsvm_check_forget(p)) != 0) {
            if (kept > 0) /* freed for the application: its context may go */
                clsvm_svm_count(pre.tag, -1);
            return kept > 0;
        }
    }
    return -1;
}

/* A free that freed nothing: say why (once per reason). */
static __attribute__((noinline, cold)) cl_bool free_refused(void *p, int rc,
                                                            const clsvm_alloc_info *in)
{
    if (rc == CLSVM_ERR_RESERVE)
        return CL_FALSE; /* a fork() child without the window's mapping: the window said why */
    if (rc != CLSVM_ERR_MISMATCH)
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "svm: free of %p ignored: not SVM memory allocated by clsvm (or already "
                       "freed); the heap is unchanged",
                       p);
    else if (in->base != p)
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "svm: free of %p ignored: it points %zu bytes into the allocation at %p; "
                       "free the pointer clSVMAlloc returned",
                       p, (size_t)((char *)p - (char *)in->base), in->base);
    else
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "svm: clSVMFree of %p ignored: it was allocated in another context; pass "
                       "the context given to clSVMAlloc",
                       p);
    return CL_FALSE;
}

/* Flattened: the window's checked free is inlined here (its uncommon paths stay calls). */
__attribute__((flatten)) cl_bool clsvm_svm_free_ptr(clsvm_obj *ctx, void *p)
{
    /* Freeing NULL is a no-op, as for clSVMFree and free(). */
    if (!p)
        return CL_TRUE;
    clsvm_window *w = window_if_open();
    clsvm_alloc_info in;
    int kept;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_ALL), 0) &&
        (kept = checker_free(w, ctx, p)) >= 0)
        return (cl_bool)kept;
    /* Checked and freed in one step: of two racing frees of one pointer exactly one wins, and a
     * free can never hit a new allocation that reused the address in between. */
    int rc = w ? clsvm_free_checked(w, p, ctx, &in) : CLSVM_ERR_NOTFOUND;
    /* Only the checker sets flags from CLSVM_CHECK_KEPT up (user_view changes nothing below). */
    if ((rc == CLSVM_OK || rc == CLSVM_ERR_MISMATCH) &&
        __builtin_expect(in.flags >= CLSVM_CHECK_KEPT, 0))
        user_view(&in, in.base);
    if (__builtin_expect(rc == CLSVM_OK, 1)) {
        clsvm_svm_count(in.tag, -1);
        return CL_TRUE;
    }
    return free_refused(p, rc, &in);
}

/* ---- clSVMAlloc / clSVMFree ---- */

#define SVM_ACCESS_FLAGS (CL_MEM_READ_WRITE | CL_MEM_WRITE_ONLY | CL_MEM_READ_ONLY)
#define SVM_VALID_FLAGS (SVM_ACCESS_FLAGS | CL_MEM_SVM_FINE_GRAIN_BUFFER | CL_MEM_SVM_ATOMICS)

/* clSVMAlloc reports failure only as NULL; say why once per reason at info level. */
enum { R_CONTEXT, R_FLAGS, R_ACCESS, R_ATOMICS, R_CAPS, R_SIZE, R_ALIGN, R_NOMEM, R_COUNT };
static const char *const refusal_text[R_COUNT] = {
    [R_CONTEXT] = "invalid context",
    [R_FLAGS] = "flags outside READ_WRITE/WRITE_ONLY/READ_ONLY/SVM_FINE_GRAIN_BUFFER/SVM_ATOMICS",
    [R_ACCESS] = "more than one of READ_WRITE, WRITE_ONLY, READ_ONLY",
    [R_ATOMICS] = "SVM_ATOMICS without SVM_FINE_GRAIN_BUFFER",
    [R_CAPS] = "no SVM, or fine-grain or atomics requested but not supported, on a device of the "
               "context (no window, or a device that cannot address host memory)",
    [R_SIZE] = "size 0 or above CL_DEVICE_MAX_MEM_ALLOC_SIZE",
    [R_ALIGN] = "alignment not a power of two or above the window's maximum (1 GiB)",
    [R_NOMEM] = "the SVM window has no free range that fits (or pages could not be committed)",
};
static atomic_int refusal_logged[R_COUNT];

static __attribute__((noinline, cold)) void *refuse(int why)
{
    if (!atomic_exchange(&refusal_logged[why], 1))
        clsvm_log(CLSVM_LOG_INFO, "svm: clSVMAlloc returns NULL: %s (logged once)",
                  refusal_text[why]);
    return NULL;
}

/* The smallest CL_DEVICE_MAX_MEM_ALLOC_SIZE of the context's devices (the spec: "greater than
 * ... for any device in context" fails). The window size bounds it in any case. A device's
 * limit never changes, so the first clSVMAlloc of a context asks the backend and caches the
 * answer in the context (a backend query per allocation was a third of its cost). */
static cl_ulong context_max_alloc(const clsvm_obj *c)
{
    clsvm_devlist *l = c->ext;
    cl_ulong lim = l ? atomic_load_explicit(&l->svm_max_alloc, memory_order_relaxed) : 0;
    if (lim)
        return lim;
    lim = svm_window_size;
    cl_bool complete = CL_TRUE;
    for (cl_uint i = 0; l && i < l->n; i++) {
        cl_ulong v = 0;
        if (clsvm_svm_max_alloc(l->dev[i]->be, &v) != CL_SUCCESS)
            complete = CL_FALSE; /* ask again next time */
        else if (v < lim)
            lim = v;
    }
    if (l && complete)
        atomic_store_explicit(&l->svm_max_alloc, lim, memory_order_relaxed);
    return lim;
}

/* clSVMAlloc with the checker on: a red zone guard after the block (its length in the flags'
 * top bits, see user_view) and a record of where it was made. */
static __attribute__((noinline, cold)) void *
checked_alloc(clsvm_window *w, clsvm_obj *c, cl_svm_mem_flags flags, size_t size, cl_uint alignment)
{
    size_t guard = clsvm_check_on(CLSVM_CHECK_REDZONE) ? clsvm_check_guard(size) : 0;
    if (clsvm_check_on(CLSVM_CHECK_HOSTACCESS))
        alignment = (cl_uint)clsvm_check_ha_align(alignment);
    uint32_t tagged = (uint32_t)flags | (uint32_t)guard << CLSVM_CHECK_GUARD_SHIFT |
                      (clsvm_check_on(CLSVM_CHECK_QUARANTINE) ? CLSVM_CHECK_KEPT : 0);
    void *p = NULL;
    if (size + guard < size || clsvm_alloc(w, size + guard, alignment, tagged, c, &p) != CLSVM_OK) {
        clsvm_svm_count(c, -1);
        return refuse(R_NOMEM);
    }
    clsvm_check_alloc_done(p, size, guard, (uint32_t)flags);
    if (clsvm_check_on(CLSVM_CHECK_HOSTACCESS))
        clsvm_check_ha_alloc(p, size, guard, (uint32_t)flags);
    return p;
}

__attribute__((flatten)) void *CL_API_CALL clsvm_clSVMAlloc(cl_context context,
                                                            cl_svm_mem_flags flags, size_t size,
                                                            cl_uint alignment)
{
    clsvm_obj *c = clsvm_obj_of(context, CLSVM_CONTEXT);
    if (!c)
        return refuse(R_CONTEXT);
    if (flags & ~(cl_svm_mem_flags)SVM_VALID_FLAGS)
        return refuse(R_FLAGS);
    cl_svm_mem_flags access = flags & SVM_ACCESS_FLAGS;
    if (access & (access - 1))
        return refuse(R_ACCESS);
    if ((flags & CL_MEM_SVM_ATOMICS) && !(flags & CL_MEM_SVM_FINE_GRAIN_BUFFER))
        return refuse(R_ATOMICS);
    clsvm_window *w = window_if_open(); /* without pthread_once's call once it is open */
    if (__builtin_expect(!w, 0))
        w = clsvm_svm_window();
    cl_device_svm_capabilities caps = w ? context_caps(c) : 0;
    if (!w || !caps ||
        ((flags & CL_MEM_SVM_FINE_GRAIN_BUFFER) && !(caps & CL_DEVICE_SVM_FINE_GRAIN_BUFFER)) ||
        ((flags & CL_MEM_SVM_ATOMICS) && !(caps & CL_DEVICE_SVM_ATOMICS)))
        return refuse(R_CAPS);
    if (size == 0 || size > context_max_alloc(c))
        return refuse(R_SIZE);
    /* Chosen in docs/svm.md: any power of two up to the window's max_align; 0 means
     * the window default (128 = sizeof(long16)). */
    if ((alignment & (alignment - 1)) || alignment > svm_max_align)
        return refuse(R_ALIGN);
    /* Counted before the pointer exists, so no free racing with the return (a bogus free of a
     * guessed address) can uncount it first. */
    clsvm_svm_count(c, +1);
    void *p = NULL;
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_ALL), 0))
        return checked_alloc(w, c, flags, size, alignment);
    if (clsvm_alloc(w, size, alignment, (uint32_t)flags, c, &p) != CLSVM_OK) {
        clsvm_svm_count(c, -1);
        return refuse(R_NOMEM);
    }
    return p;
}

void CL_API_CALL clsvm_clSVMFree(cl_context context, void *svm_pointer)
{
    if (!svm_pointer)
        return;
    clsvm_obj *c = clsvm_obj_of(context, CLSVM_CONTEXT);
    if (!c) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "svm: clSVMFree with an invalid context ignored");
        return;
    }
    clsvm_svm_free_ptr(c, svm_pointer);
}

/* ---- kernel arguments ---- */

/* An SVM pointer the kernel of context ctx may use: inside a live allocation of ctx, or any
 * address when every host pointer is device-addressable (fine-grain system SVM). */
static int usable_svm_pointer(clsvm_obj *ctx, const void *p)
{
    if (clsvm_svm_lookup_in(ctx, p, NULL))
        return 1;
    return p && (context_caps(ctx) & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM);
}

/* The checks that look at kernel arguments as they are set (check_stale.c, check_alloc.c):
 * with one on, every SVM argument goes to the backend at once, past them. */
#define ARG_CHECKS (CLSVM_CHECK_REDZONE | CLSVM_CHECK_QUARANTINE | CLSVM_CHECK_KERNEL_ARGS)

/* Keep p, validated, for the backend's next launch of the kernel (kernel_args.h). */
static inline cl_int defer_svm_arg(clsvm_kargs *a, clsvm_karg *g, unsigned st, const void *p)
{
    atomic_store_explicit(&g->svm, p, memory_order_relaxed);
    if (!(st & KARG_PENDING))
        atomic_store_explicit(&g->state, (unsigned char)(st | KARG_PENDING), memory_order_relaxed);
    if (atomic_load_explicit(&a->dirty, memory_order_relaxed) != KARGS_DIRTY)
        atomic_store_explicit(&a->dirty, KARGS_DIRTY, memory_order_release);
    return CL_SUCCESS;
}

/* clSetKernelArgSVMPointer's general path. */
__attribute__((noinline)) static cl_int set_svm_arg(clsvm_obj *k, cl_uint arg_index,
                                                    const void *arg_value)
{
    /* API spec: CL_INVALID_OPERATION when the context's devices support no SVM. */
    if (!clsvm_be->clSetKernelArgSVMPointer || !context_caps(k->owner))
        return CL_INVALID_OPERATION;
    /* NULL is a valid SVM pointer value (a kernel may test it); anything else must be ours. */
    int ours = arg_value && lookup_in(k->owner, arg_value, NULL);
    if (arg_value && !ours && !(context_caps(k->owner) & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
        return CL_INVALID_ARG_VALUE;
    clsvm_kargs *a = k->ext;
    if (ours && a && arg_index < a->n) {
        clsvm_karg *g = &a->arg[arg_index];
        unsigned st = atomic_load_explicit(&g->state, memory_order_relaxed);
        if (st & KARG_SVM_OK)
            return defer_svm_arg(a, g, st, arg_value);
    }
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_REDZONE | CLSVM_CHECK_QUARANTINE), 0))
        clsvm_check_kernel_uses(k->be, arg_value);
    cl_int err = clsvm_be->clSetKernelArgSVMPointer(k->be, arg_index, arg_value);
    /* A failed set leaves a pending pointer in place. The checks are set once per process:
     * with one on, no index is ever marked for deferring. */
    if (err == CL_SUCCESS && a && arg_index < a->n)
        clsvm_kargs_sent(a, arg_index, arg_value, !clsvm_check_on(ARG_CHECKS));
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_KERNEL_ARGS), 0) && err == CL_SUCCESS)
        clsvm_check_kernel_arg(k, arg_index, arg_value);
    return err;
}

/* The common call, a small allocation of the kernel's context set where the backend took an SVM
 * pointer before, is validated here and given to the backend at the next launch: the backend's
 * own call cost as much as clsvm's check. Straight-line, with only tail calls (flattened: the
 * runtime's small lookup is inlined by link-time optimisation); everything else takes the
 * general path. KARG_SVM_OK implies what the general path checked first: the checks are off and
 * the context has SVM. NULL lies outside the window: the lookup says no. */
__attribute__((flatten)) cl_int CL_API_CALL clsvm_clSetKernelArgSVMPointer(cl_kernel kernel,
                                                                           cl_uint arg_index,
                                                                           const void *arg_value)
{
    clsvm_obj *k = clsvm_obj_of(kernel, CLSVM_KERNEL);
    if (!k)
        return CL_INVALID_KERNEL;
    /* The lookup first, the argument's state after it: fewer values live across the lookup. */
    if (__builtin_expect(window_if_open() && clsvm_lookup_small_in(&svm_small_view, arg_value,
                                                                   k->owner, CLSVM_CHECK_KEPT),
                         1)) {
        clsvm_kargs *a = k->ext;
        if (__builtin_expect(a && arg_index < a->n, 1)) {
            clsvm_karg *g = &a->arg[arg_index];
            unsigned st = atomic_load_explicit(&g->state, memory_order_relaxed);
            /* Set again before a launch: pending already, so the kernel is dirty already. */
            if (__builtin_expect(
                    (st & (KARG_SVM_OK | KARG_PENDING)) == (KARG_SVM_OK | KARG_PENDING), 1)) {
                atomic_store_explicit(&g->svm, arg_value, memory_order_relaxed);
                return CL_SUCCESS;
            }
            if (st & KARG_SVM_OK)
                return defer_svm_arg(a, g, st, arg_value);
        }
    }
    return set_svm_arg(k, arg_index, arg_value);
}

cl_int CL_API_CALL clsvm_clSetKernelExecInfo(cl_kernel kernel, cl_kernel_exec_info param_name,
                                             size_t param_value_size, const void *param_value)
{
    clsvm_obj *k = clsvm_obj_of(kernel, CLSVM_KERNEL);
    if (!k)
        return CL_INVALID_KERNEL;
    if (!clsvm_be->clSetKernelExecInfo)
        return CL_INVALID_OPERATION;
    switch (param_name) {
    case CL_KERNEL_EXEC_INFO_SVM_PTRS: {
        /* (0, NULL) is the empty set (clears an earlier list); a size without a list or a
         * size that is not a whole number of pointers is invalid. */
        if ((param_value_size && !param_value) || param_value_size % sizeof(void *))
            return CL_INVALID_VALUE;
        void *const *ptrs = param_value;
        for (size_t i = 0; i < param_value_size / sizeof(void *); i++)
            if (!usable_svm_pointer(k->owner, ptrs[i]))
                return CL_INVALID_VALUE;
        if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_REDZONE | CLSVM_CHECK_QUARANTINE), 0))
            for (size_t i = 0; i < param_value_size / sizeof(void *); i++)
                clsvm_check_kernel_uses(k->be, ptrs[i]);
        break;
    }
    case CL_KERNEL_EXEC_INFO_SVM_FINE_GRAIN_SYSTEM:
        if (!param_value || param_value_size != sizeof(cl_bool))
            return CL_INVALID_VALUE;
        if (*(const cl_bool *)param_value &&
            !(clsvm_svm_context_caps(k->owner) & CL_DEVICE_SVM_FINE_GRAIN_SYSTEM))
            return CL_INVALID_OPERATION;
        break;
    default:
        return CL_INVALID_VALUE;
    }
    cl_int err = clsvm_be->clSetKernelExecInfo(k->be, param_name, param_value_size, param_value);
    if (__builtin_expect(clsvm_check_on(CLSVM_CHECK_KERNEL_ARGS), 0) && err == CL_SUCCESS &&
        param_name == CL_KERNEL_EXEC_INFO_SVM_PTRS)
        clsvm_check_kernel_exec_ptrs(k, param_value, param_value_size / sizeof(void *));
    return err;
}

/* ---- leak report ---- */

typedef struct leak_sum {
    unsigned long long count, bytes;
} leak_sum;

static int add_leak(const clsvm_alloc_info *info, void *user)
{
    leak_sum *s = user;
    clsvm_alloc_info in = *info;
    user_view(&in, in.base);
    s->count++;
    s->bytes += in.size;
    return 0;
}

/* A destructor rather than atexit() so it also runs when the loader dlclose's clsvm. The
 * window itself stays mapped: backend threads may still be running at this point. */
__attribute__((destructor)) static void report_leaks(void)
{
    clsvm_window *w = window_if_open();
    if (w && clsvm_check_on(CLSVM_CHECK_ALL))
        clsvm_check_at_exit();
    if (!w || !clsvm_log_enabled(CLSVM_LOG_INFO))
        return;
    leak_sum s = {0, 0};
    clsvm_window_foreach(w, add_leak, &s);
    if (s.count)
        clsvm_log(CLSVM_LOG_INFO, "svm: at exit %llu SVM allocation(s), %llu bytes, never freed",
                  s.count, s.bytes);
    else
        clsvm_log(CLSVM_LOG_INFO, "svm: at exit every SVM allocation was freed");
}
