/*
 * svm_cache.c: a per-thread cache of the SVM allocations a thread's kernel-argument checks found
 * last (clSetKernelArgSVMPointer, clSetKernelExecInfo), so that a pointer into a buffer set again
 * is validated without the window's lookup (docs/svm.md, "Kernel arguments").
 *
 * An entry remembers an allocation (base, size, context) with two stamps read before the lookup
 * that found it: its context's free epoch (clsvm_devlist.svm_epoch, bumped after every free of
 * that context's SVM, before the free returns) and a process generation (bumped when a context is
 * destroyed, so a new context in the old one's wrapper slot starts clean, and in a fork() child).
 * A hit needs both stamps unchanged, so an allocation freed before the check began is never
 * reported live: the free's bump happens before its return, and a lookup that read the bumped
 * epoch sees the allocation gone. A check racing with the free may see it live, as the lookup
 * itself may. A free in another context changes nothing here (each context has its own epoch);
 * any free of the context invalidates all of the thread's entries for it, which only costs a
 * lookup.
 *
 * Only the owning thread reads or writes its cache, so entries need no locking. The cache is
 * malloc'd on a thread's first miss and freed by a pthread key destructor at thread exit; its
 * pointer is initial-exec TLS (the ICD is dlopen'd: the default model calls __tls_get_addr).
 */
#include "svm_cache.h"

#include "svm.h"

#include <pthread.h>
#include <stdlib.h>

_Atomic uint64_t clsvm_svm_cache_gen = 1;
_Thread_local clsvm_svm_cache *clsvm_tl_svm_cache;
static pthread_key_t cache_key;
static int cache_key_ok;
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

static void cache_free(void *c)
{
    free(c);
    clsvm_tl_svm_cache = NULL;
}

static void key_create(void)
{
    cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

/* The thread's cache, made on first use; NULL when it cannot have one. */
static clsvm_svm_cache *cache_get(void)
{
    pthread_once(&cache_key_once, key_create);
    clsvm_svm_cache *c;
    if (!cache_key_ok || !(c = calloc(1, sizeof *c)))
        return NULL;
    if (pthread_setspecific(cache_key, c) != 0) {
        free(c);
        return NULL;
    }
    return clsvm_tl_svm_cache = c;
}

int clsvm_svm_cache_probe(clsvm_obj *ctx, const void *p)
{
    clsvm_devlist *l = ctx->ext;
    if (!l)
        return clsvm_svm_lookup_in(ctx, p, NULL); /* no epoch: nothing to cache under */
    /* Both stamps before anything is looked up (see above). */
    uint64_t epoch = atomic_load_explicit(&l->svm_epoch, memory_order_acquire);
    uint64_t gen = atomic_load_explicit(&clsvm_svm_cache_gen, memory_order_acquire);
    uintptr_t a = (uintptr_t)p;
    clsvm_svm_cache *c = clsvm_tl_svm_cache;
    if (c) {
        for (int i = 0; i < CLSVM_SVM_CACHE_ENTRIES; i++) {
            const clsvm_svm_hit *h = &c->e[i];
            if (a - h->base < h->size && h->ctx == ctx && h->epoch == epoch && h->gen == gen) {
                c->misses = 0;
                return 1;
            }
        }
        if (c->misses < CLSVM_SVM_CACHE_RUN)
            c->misses++;
    } else if (!(c = cache_get())) {
        return clsvm_svm_lookup_in(ctx, p, NULL);
    }
    clsvm_alloc_info in;
    if (!clsvm_svm_lookup_in(ctx, p, &in))
        return 0;
    c->e[c->next++ % CLSVM_SVM_CACHE_ENTRIES] =
        (clsvm_svm_hit){(uintptr_t)in.base, in.size, ctx, epoch, gen};
    return 1;
}

void clsvm_svm_cache_freed(clsvm_obj *ctx)
{
    clsvm_devlist *l = ctx->ext;
    if (l)
        atomic_fetch_add_explicit(&l->svm_epoch, 1, memory_order_release);
}

void clsvm_svm_cache_invalidate_all(void)
{
    atomic_fetch_add_explicit(&clsvm_svm_cache_gen, 1, memory_order_release);
}
