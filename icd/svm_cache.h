/*
 * svm_cache.h: validation of SVM kernel-argument pointers through a per-thread cache of the
 * allocations found last (svm_cache.c), and the events that invalidate it. The bypass test is
 * inline: it runs on every clSetKernelArgSVMPointer, where a call frame is a measurable share.
 */
#ifndef CLSVM_ICD_SVM_CACHE_H
#define CLSVM_ICD_SVM_CACHE_H

#include "svm.h"

#define CLSVM_SVM_CACHE_ENTRIES 4 /* a kernel's few buffers, set again launch after launch */
#define CLSVM_SVM_CACHE_RUN 8     /* misses in a row after which the cache is mostly bypassed */
#define CLSVM_SVM_CACHE_SAMPLE 16 /* then one check in this many still probes and fills */

typedef struct clsvm_svm_hit {
    uintptr_t base;
    size_t size;          /* the application's view (no red zone guard) */
    const clsvm_obj *ctx; /* the allocation's context */
    uint64_t epoch;       /* ctx's svm_epoch before the lookup that found it */
    uint64_t gen;         /* clsvm_svm_cache_gen before that lookup */
} clsvm_svm_hit;

typedef struct clsvm_svm_cache {
    clsvm_svm_hit e[CLSVM_SVM_CACHE_ENTRIES];
    unsigned next;   /* round-robin victim */
    unsigned misses; /* since the last hit */
} clsvm_svm_cache;

extern _Atomic uint64_t clsvm_svm_cache_gen;
/* initial-exec: the ICD is dlopen'd, and the default model calls __tls_get_addr. */
extern _Thread_local clsvm_svm_cache *clsvm_tl_svm_cache __attribute__((tls_model("initial-exec")));

/* 1 when p lies in a live SVM allocation made in context ctx, as clsvm_svm_lookup_in(ctx, p,
 * NULL) answers (p NULL: 0): from the thread's cache, else looked up and cached. */
int clsvm_svm_cache_probe(clsvm_obj *ctx, const void *p);

/* Is this check to skip the cache (and go straight to clsvm_svm_lookup_in)? Pointers spread
 * over many allocations (a run of misses) mostly do: a miss costs its probe and fill on top of
 * the lookup. Every SAMPLE-th check still probes, so a return to a few buffers is noticed. */
static inline int clsvm_svm_cache_bypassed(void)
{
    clsvm_svm_cache *c = clsvm_tl_svm_cache;
    return c && c->misses >= CLSVM_SVM_CACHE_RUN && ++c->misses % CLSVM_SVM_CACHE_SAMPLE;
}

/* An SVM allocation of ctx was freed: called after the free, before it returns. */
void clsvm_svm_cache_freed(clsvm_obj *ctx);
/* Forget every thread's entries: a context is being destroyed (before its wrapper slot can be
 * reused), or this is a fork() child (the window may be gone). */
void clsvm_svm_cache_invalidate_all(void);

#endif
