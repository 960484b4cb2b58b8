/*
 * kernel_args.h: what a kernel wrapper keeps about its arguments (the ext of a kernel; NULL
 * when the backend gives no argument info): the kind of each, and SVM pointers validated but
 * not given to the backend yet.
 *
 * clSetKernelArgSVMPointer validates its pointer at once (the error comes from the set call)
 * but gives it to the backend only when something reads the arguments: a launch or a clone
 * (clsvm_kargs_flush). The backend's answer for an SVM pointer depends only on the argument's
 * index and type, never on the value, so an index where the backend accepted one before
 * (KARG_SVM_OK) accepts every later one; the first SVM pointer of an index, NULL, a pointer
 * outside clsvm's allocations and every call with a check on go to the backend at once.
 * Setting an SVM pointer again leaves the backend's argument exactly as it was: a flush skips
 * the backend for a pointer equal to the last one it was given there (KARG_SENT), which only
 * clSetKernelArg on the index (clsvm_kargs_cancel) can change.
 *
 * An argument is KARG_PENDING only while the kernel is KARGS_DIRTY (a flush clears every pending
 * argument before it marks the kernel clean), so setting a pending argument again only stores
 * the new pointer.
 *
 * Threads: setting arguments of one kernel is not thread-safe (the spec), launches and clones
 * of it are. A flush is made by one thread (dirty: DIRTY -> FLUSHING -> CLEAN) while the
 * others wait; a thread that reads CLEAN (acquire) sees the backend's arguments set.
 */
#ifndef CLSVM_ICD_KERNEL_ARGS_H
#define CLSVM_ICD_KERNEL_ARGS_H

#include "icd.h"

enum { ARG_OTHER, ARG_MEM, ARG_SAMPLER };
enum { KARGS_CLEAN, KARGS_DIRTY, KARGS_FLUSHING };
#define KARG_SVM_OK 1u  /* the backend accepted an SVM pointer at this index */
#define KARG_PENDING 2u /* svm is set and the backend has not been given it */
#define KARG_SENT 4u    /* the backend's last call at this index was SVM pointer `sent` */

typedef struct clsvm_karg {
    _Atomic(const void *) svm;
    _Atomic(const void *) sent;  /* with KARG_SENT: a flush of the same value skips the backend */
    _Atomic unsigned char state; /* KARG_* */
    unsigned char kind;          /* ARG_* */
} clsvm_karg;

typedef struct clsvm_kargs {
    cl_uint n;
    _Atomic int dirty; /* KARGS_*: some argument is KARG_PENDING */
    clsvm_karg arg[];
} clsvm_kargs;

/* Give the backend the pending SVM pointers of kernel k (see above). */
cl_int clsvm_kargs_flush_slow(clsvm_obj *k);

static inline cl_int clsvm_kargs_flush(clsvm_obj *k)
{
    const clsvm_kargs *a = k->ext;
    if (__builtin_expect(a && atomic_load_explicit(&a->dirty, memory_order_acquire), 0))
        return clsvm_kargs_flush_slow(k);
    return CL_SUCCESS;
}

/* After the backend was given argument i of k through clSetKernelArg: a pending SVM pointer
 * there was overwritten (it must not be flushed later), and the backend's value is no SVM
 * pointer clsvm knows. */
static inline void clsvm_kargs_cancel(clsvm_obj *k, cl_uint i)
{
    clsvm_kargs *a = k->ext;
    if (a && i < a->n) {
        unsigned st = atomic_load_explicit(&a->arg[i].state, memory_order_relaxed);
        if (st & (KARG_PENDING | KARG_SENT))
            atomic_store_explicit(&a->arg[i].state,
                                  (unsigned char)(st & ~(KARG_PENDING | KARG_SENT)),
                                  memory_order_relaxed);
    }
}

/* After the backend was given SVM pointer p at index i of k (the set call or a flush); ok: the
 * index may defer the next ones. */
static inline void clsvm_kargs_sent(clsvm_kargs *a, cl_uint i, const void *p, int ok)
{
    clsvm_karg *g = &a->arg[i];
    unsigned st = atomic_load_explicit(&g->state, memory_order_relaxed);
    atomic_store_explicit(&g->sent, p, memory_order_relaxed);
    atomic_store_explicit(
        &g->state, (unsigned char)((st & ~KARG_PENDING) | KARG_SENT | (ok ? KARG_SVM_OK : 0)),
        memory_order_relaxed);
}

#endif
