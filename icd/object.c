/*
 * object.c: lifetime of clsvm objects.
 *
 * Slab: every wrapper is a 64-byte slot of one mmap'd region (reserved once, pages touched on
 * demand). Membership of an arbitrary pointer is then an address-range check plus a tag read,
 * which is what clSetKernelArg needs to recognise a cl_mem/cl_sampler value without
 * dereferencing foreign memory. Freed slots keep their memory (tag cleared) and wait in a FIFO
 * quarantine: a slot is handed out again only when more than SLAB_QUARANTINE freed slots wait,
 * so a released handle is rejected until at least SLAB_QUARANTINE other objects have been freed
 * after it. The handle is the slot's address (the loader reads the dispatch table through it),
 * so it cannot carry a generation; delaying reuse is what keeps identities apart. Allocation
 * from never-used slots takes no lock; the quarantine queue has one mutex (slab_lock).
 *
 * Map: platforms, devices and queues are also in a small mutex-protected hash map from backend
 * handle to wrapper, for backend handles returned by queries (CL_CONTEXT_DEVICES...). Only
 * creation, destruction and those queries touch it; the enqueue path never does.
 *
 * Counts: refs counts clsvm's internal references plus one for all of the application's, which
 * app counts (clRetain, clRelease and CL_*_REFERENCE_COUNT see only app). An application
 * release below zero is refused instead of dropping a reference some other object (an SVM
 * allocation, a kernel, a pending callback) still needs.
 *
 * Invariants: a live object's refs >= 1; it holds one reference on owner and parent (if set)
 * and one backend reference on be (if set and not CLSVM_F_BORROWED); those are dropped, child
 * first, when refs hits 0.
 */
#include "icd.h"

#include "fork.h"
#include "clsvm/internal/log.h"
#include "queue_tail.h"
#include "svm_count.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>

#define SLAB_SLOTS (1u << 22) /* 4 Mi objects, 256 MiB of address space */
/* Freed slots wait until this many others were freed after them (16 MiB of slots at most are
 * touched for it), so a stale handle stays detectably dead across 262,144 later releases. */
#define SLAB_QUARANTINE (1u << 18)

_Static_assert(sizeof(clsvm_obj) <= CLSVM_SLOT_SIZE, "a clsvm object must fit its slab slot");

uintptr_t clsvm_slab_base, clsvm_slab_span;
static atomic_uint slab_bump = 1; /* next never-used slot; slot 0 is never used */
/* The quarantine: a FIFO of freed slots linked through free_next (0 ends it). */
static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t slab_free_head, slab_free_tail;
/* Written under slab_lock; read without it by allocations while the quarantine fills, which take
 * a never-used slot without the lock (a stale count only defers reuse). */
static _Atomic uint32_t slab_free_count;

/* The slab in transparent huge pages where the system allows it (advice only): until the
 * quarantine is full every new object is a never-used slot, and a first touch of a 4 KiB page
 * per 64 objects costs more than the object (about 11 us per page on a VM, where the hypervisor
 * pays for each new page). A 2 MiB page is one fault per 32,768 objects; the slab is aligned to
 * 2 MiB so its pages can be huge ones. */
#define SLAB_HUGE ((size_t)2 << 20)

int clsvm_objects_init(void)
{
    size_t bytes = (size_t)SLAB_SLOTS * CLSVM_SLOT_SIZE;
    char *m = mmap(NULL, bytes + SLAB_HUGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -1;
    char *p = (char *)(((uintptr_t)m + SLAB_HUGE - 1) & ~(uintptr_t)(SLAB_HUGE - 1));
    if (p > m)
        munmap(m, (size_t)(p - m));
    munmap(p + bytes, SLAB_HUGE - (size_t)(p - m));
    madvise(p, bytes, MADV_HUGEPAGE);
    clsvm_slab_base = (uintptr_t)p;
    clsvm_slab_span = bytes;
    return 0;
}

static clsvm_obj *slot_at(uint32_t i)
{
    return (clsvm_obj *)(clsvm_slab_base + (uintptr_t)i * CLSVM_SLOT_SIZE);
}

/* The oldest freed slot if more than keep wait (keep 0: any), else NULL. */
static clsvm_obj *quarantine_pop(uint32_t keep)
{
    clsvm_obj *o = NULL;
    if (atomic_load_explicit(&slab_free_count, memory_order_relaxed) <= keep)
        return NULL;
    pthread_mutex_lock(&slab_lock);
    uint32_t n = atomic_load_explicit(&slab_free_count, memory_order_relaxed);
    if (n > keep) {
        o = slot_at(slab_free_head);
        slab_free_head = o->free_next;
        atomic_store_explicit(&slab_free_count, n - 1, memory_order_relaxed);
        if (n == 1)
            slab_free_tail = 0;
        else /* the next slot handed out, out of every cache after waiting its turn */
            __builtin_prefetch(slot_at(slab_free_head), 1);
    }
    pthread_mutex_unlock(&slab_lock);
    return o;
}

static clsvm_obj *slab_alloc(void)
{
    clsvm_obj *o = quarantine_pop(SLAB_QUARANTINE);
    if (o)
        return o;
    uint32_t i = atomic_fetch_add(&slab_bump, 1);
    if (i < SLAB_SLOTS) {
        __builtin_prefetch(slot_at(i + 1), 1); /* likely the next object's */
        return slot_at(i);
    }
    atomic_store(&slab_bump, SLAB_SLOTS);
    /* Every slot handed out: shorten the quarantine rather than fail while slots are free. */
    o = quarantine_pop(0);
    if (!o)
        CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                       "icd: more than %u live OpenCL objects; creation fails with "
                       "CL_OUT_OF_HOST_MEMORY; release objects (events especially) you no "
                       "longer need",
                       SLAB_SLOTS - 1);
    return o;
}

static void slab_free(clsvm_obj *o)
{
    uint32_t i = (uint32_t)(((uintptr_t)o - clsvm_slab_base) / CLSVM_SLOT_SIZE);
    pthread_mutex_lock(&slab_lock);
    o->free_next = 0;
    if (slab_free_tail)
        slot_at(slab_free_tail)->free_next = i;
    else
        slab_free_head = i;
    slab_free_tail = i;
    atomic_store_explicit(&slab_free_count,
                          atomic_load_explicit(&slab_free_count, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    pthread_mutex_unlock(&slab_lock);
}

/* ---- backend->wrapper map ---- */
#define MAP_BUCKETS 1024
static clsvm_obj *map_bucket[MAP_BUCKETS];
static pthread_mutex_t map_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t map_hash(const void *be)
{
    uintptr_t x = (uintptr_t)be;
    return (size_t)((x >> 4) ^ (x >> 16)) % MAP_BUCKETS;
}

static clsvm_obj *map_find_locked(const void *be, clsvm_kind kind)
{
    for (clsvm_obj *o = map_bucket[map_hash(be)]; o; o = o->map_next)
        if (o->be == be && atomic_load(&o->tag) == CLSVM_TAG(kind))
            return o;
    return NULL;
}

clsvm_obj *clsvm_map_find(const void *be, clsvm_kind kind)
{
    if (!be)
        return NULL;
    pthread_mutex_lock(&map_lock);
    clsvm_obj *o = map_find_locked(be, kind);
    pthread_mutex_unlock(&map_lock);
    return o;
}

static void map_remove(clsvm_obj *o)
{
    pthread_mutex_lock(&map_lock);
    for (clsvm_obj **pp = &map_bucket[map_hash(o->be)]; *pp; pp = &(*pp)->map_next) {
        if (*pp == o) {
            *pp = o->map_next;
            break;
        }
    }
    pthread_mutex_unlock(&map_lock);
}

/* ---- lifetime ---- */
void clsvm_be_release(clsvm_kind kind, void *be)
{
    const struct _cl_icd_dispatch *d = clsvm_be;
    switch (kind) {
    case CLSVM_DEVICE:
        if (d->clReleaseDevice)
            d->clReleaseDevice(be);
        break;
    case CLSVM_CONTEXT:
        d->clReleaseContext(be);
        break;
    case CLSVM_QUEUE:
        d->clReleaseCommandQueue(be);
        break;
    case CLSVM_MEM:
        d->clReleaseMemObject(be);
        break;
    case CLSVM_SAMPLER:
        d->clReleaseSampler(be);
        break;
    case CLSVM_PROGRAM:
        d->clReleaseProgram(be);
        break;
    case CLSVM_KERNEL:
        d->clReleaseKernel(be);
        break;
    case CLSVM_EVENT:
        d->clReleaseEvent(be);
        break;
    default:
        break; /* platforms are not reference counted */
    }
}

clsvm_obj *clsvm_obj_new(clsvm_kind kind, void *be, clsvm_obj *owner, clsvm_obj *parent)
{
    clsvm_obj *o = slab_alloc();
    if (!o)
        return NULL;
    o->dispatch = &clsvm_dispatch;
    atomic_store_explicit(&o->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&o->app, 1, memory_order_relaxed);
    o->be = be;
    o->owner = owner;
    o->parent = parent;
    o->ext = NULL;
    o->map_next = NULL;
    o->flags = 0;
    if (owner)
        clsvm_obj_retain(owner);
    if (parent)
        clsvm_obj_retain(parent);
    /* Publish last: a concurrent clSetKernelArg scan must not see a half-built object. */
    atomic_store_explicit(&o->tag, CLSVM_TAG(kind), memory_order_release);
    return o;
}

static clsvm_kind kind_of(clsvm_obj *o)
{
    return (clsvm_kind)(atomic_load_explicit(&o->tag, memory_order_relaxed) & 0xffffu);
}

/* One more internal reference unless o is already being freed (refs 0): 0 then. */
static int retain_if_alive(clsvm_obj *o)
{
    int n = atomic_load_explicit(&o->refs, memory_order_relaxed);
    while (n > 0)
        if (atomic_compare_exchange_weak_explicit(&o->refs, &n, n + 1, memory_order_acquire,
                                                  memory_order_relaxed))
            return 1;
    return 0;
}

/* Turn one internal reference the caller took into an application reference: the
 * application's references together hold one of refs, so keep it if the application had none,
 * else give it back. */
static void app_adopt(clsvm_obj *o)
{
    if (atomic_fetch_add_explicit(&o->app, 1, memory_order_relaxed) != 0)
        clsvm_obj_release(o);
}

clsvm_obj *clsvm_obj_new_mapped(clsvm_kind kind, void *be, clsvm_obj *owner, clsvm_obj *parent)
{
    /* Lookup and insert under one lock so two threads cannot wrap the same handle twice. */
    pthread_mutex_lock(&map_lock);
    clsvm_obj *o = map_find_locked(be, kind);
    /* A wrapper whose last reference is going (map_remove waits for the lock) is not reused.
     * The reference taken under the lock becomes the application's after it (adopting may
     * release, which may need the lock). */
    int permanent = o && (o->flags & CLSVM_F_PERMANENT);
    if (o && (permanent || retain_if_alive(o))) {
        pthread_mutex_unlock(&map_lock);
        clsvm_be_release(kind, be);
        if (!permanent)
            app_adopt(o);
        return o;
    }
    o = clsvm_obj_new(kind, be, owner, parent);
    if (o) {
        size_t h = map_hash(be);
        o->map_next = map_bucket[h];
        map_bucket[h] = o;
        o->flags |= CLSVM_F_MAPPED;
    }
    pthread_mutex_unlock(&map_lock);
    return o;
}

void clsvm_obj_retain(clsvm_obj *o)
{
    if (!(o->flags & CLSVM_F_PERMANENT))
        atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

int clsvm_obj_app_retain(clsvm_obj *o)
{
    if (o->flags & CLSVM_F_PERMANENT)
        return 1;
    /* Take a reference first, so the object cannot be freed meanwhile. */
    if (!retain_if_alive(o))
        return 0;
    app_adopt(o);
    return 1;
}

int clsvm_obj_app_release(clsvm_obj *o)
{
    if (o->flags & CLSVM_F_PERMANENT)
        return 1;
    uint32_t n = atomic_load_explicit(&o->app, memory_order_relaxed);
    do {
        if (n == 0)
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(&o->app, &n, n - 1, memory_order_relaxed,
                                                    memory_order_relaxed));
    if (n == 1) {
        /* Its SVM allocations were counted per thread while the application's reference kept
         * the context alive: from now on they hold references of their own. */
        if (kind_of(o) == CLSVM_CONTEXT)
            clsvm_svm_count_fold(o);
        clsvm_obj_release(o);
    }
    return 1;
}

cl_uint clsvm_obj_app_refs(const clsvm_obj *o)
{
    if (o->flags & CLSVM_F_PERMANENT)
        return 1;
    return atomic_load_explicit(&o->app, memory_order_relaxed);
}

void clsvm_obj_release(clsvm_obj *o)
{
    if (o->flags & CLSVM_F_PERMANENT)
        return;
    if (atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    clsvm_kind kind = kind_of(o);
    if (o->flags & CLSVM_F_MAPPED)
        map_remove(o);
    /* Backend object first (its destructor callbacks still see a live wrapper), then the
     * references this object held on its context and parent. */
    if (kind == CLSVM_QUEUE)
        clsvm_qtail_clear(o->ext);
    if (kind == CLSVM_EVENT && o->ext)
        clsvm_event_ext_free(o->ext);
    if (o->be && !(o->flags & CLSVM_F_BORROWED))
        clsvm_be_release(kind, o->be);
    clsvm_obj *owner = o->owner, *parent = o->parent;
    if (kind == CLSVM_CONTEXT && o->ext) {
        clsvm_devlist *l = o->ext;
        for (cl_uint i = 0; i < l->n; i++)
            clsvm_obj_release(l->dev[i]);
        clsvm_svm_count_forget(l);
    }
    free(o->ext);
    atomic_store_explicit(&o->tag, 0, memory_order_release);
    slab_free(o);
    if (parent)
        clsvm_obj_release(parent);
    if (owner)
        clsvm_obj_release(owner);
}

int clsvm_obj_has_child(const clsvm_obj *parent, clsvm_kind kind)
{
    /* A scan of the slab: builds are rare and slow, and a counter in every program would need a
     * field the 64-byte slot does not have. A slot being freed or reused meanwhile gives a stale
     * answer for a call the specification leaves undefined (a build racing clCreateKernel). */
    uint32_t end = atomic_load_explicit(&slab_bump, memory_order_acquire);
    if (end > SLAB_SLOTS)
        end = SLAB_SLOTS;
    for (uint32_t i = 1; i < end; i++) {
        clsvm_obj *o = slot_at(i);
        if (atomic_load_explicit(&o->tag, memory_order_acquire) == CLSVM_TAG(kind) &&
            __atomic_load_n(&o->parent, __ATOMIC_RELAXED) == parent)
            return 1;
    }
    return 0;
}

cl_int clsvm_retain_handle(const void *h, clsvm_kind kind, cl_int err)
{
    clsvm_obj *o = clsvm_obj_of(h, kind);
    return o && clsvm_obj_app_retain(o) ? CL_SUCCESS : err;
}

cl_int clsvm_release_handle(const void *h, clsvm_kind kind, cl_int err)
{
    clsvm_obj *o = clsvm_obj_of(h, kind);
    if (!o)
        return err;
    if (!clsvm_obj_app_release(o)) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "icd: release of %p refused: the application holds no reference on it "
                       "(released once too often); it stays alive for the objects that use it",
                       h);
        return err;
    }
    return CL_SUCCESS;
}

void *clsvm_wrap_made(clsvm_kind kind, void *be, clsvm_obj *o, cl_int err, cl_int *errcode_ret)
{
    if (be && !o) {
        clsvm_be_release(kind, be);
        err = CL_OUT_OF_HOST_MEMORY;
    } else if (!be && err == CL_SUCCESS) {
        err = CL_OUT_OF_RESOURCES; /* a backend that returns NULL without an error */
    }
    if (errcode_ret)
        *errcode_ret = err;
    return o;
}

void *clsvm_wrap_result(clsvm_kind kind, void *be, cl_int err, clsvm_obj *owner, clsvm_obj *parent,
                        cl_int *errcode_ret)
{
    clsvm_obj *o = be ? clsvm_obj_new(kind, be, owner, parent) : NULL;
    return clsvm_wrap_made(kind, be, o, err, errcode_ret);
}

cl_int clsvm_wrap_array(void **h, cl_uint n, clsvm_kind kind,
                        clsvm_obj *(*make)(void *be, clsvm_obj *from), clsvm_obj *from)
{
    for (cl_uint i = 0; i < n; i++) {
        clsvm_obj *o = make(h[i], from);
        if (!o) {
            for (cl_uint j = i; j < n; j++)
                clsvm_be_release(kind, h[j]);
            for (cl_uint j = 0; j < i; j++)
                clsvm_obj_release(h[j]);
            return CL_OUT_OF_HOST_MEMORY;
        }
        h[i] = o;
    }
    return CL_SUCCESS;
}

/* ---- fork() (fork.h): the map lock is held across fork() so the child finds it free ---- */
/* Both locks are leaves (neither is taken while holding the other or another clsvm lock). */
void clsvm_objects_atfork_prepare(void)
{
    pthread_mutex_lock(&map_lock);
    pthread_mutex_lock(&slab_lock);
}

void clsvm_objects_atfork_release(void)
{
    pthread_mutex_unlock(&slab_lock);
    pthread_mutex_unlock(&map_lock);
}
