/*
 * check_stale.c: the stale kernel argument check (CLSVM_CHECK=stale, docs/checker.md). For each
 * kernel wrapper it keeps the SVM pointers set as arguments (clSetKernelArgSVMPointer) and as
 * exec-info pointers (CL_KERNEL_EXEC_INFO_SVM_PTRS), each with the allocation it was in then;
 * clEnqueueNDRangeKernel and clEnqueueTask report those whose allocation has been freed since
 * (or freed and another allocated at the address: its serial differs). The inuse, hostaccess
 * and kernel-end red zone checks read the same record (clsvm_check_kernel_allocs): what a kernel
 * enqueued uses.
 *
 * Kernels are keyed by their wrapper's address, which a later kernel may reuse: a new kernel's
 * entry is reset when it is made (clsvm_check_kernel_new). A released kernel's entry stays until
 * then (a few pointers per kernel).
 * Locking: one mutex, a leaf; check_alloc.c's lock and the backend are used outside it.
 */
#include "check.h"
#include "svm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXEC_SLOT 0x80000000u /* slot of exec-info pointer i: EXEC_SLOT + i */

typedef struct use {
    uint32_t slot;
    const void *p;
    clsvm_check_alloc then; /* base NULL: not in an allocation the checker knew */
} use;

typedef struct kstate {
    struct kstate *next;
    const void *kernel;
    size_t n, cap;
    use *u;
} kstate;

#define NBUCKETS 256
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static kstate *buckets[NBUCKETS];

static kstate **slot_of(const void *kernel)
{
    kstate **k = &buckets[((uintptr_t)kernel >> 6) % NBUCKETS];
    while (*k && (*k)->kernel != kernel)
        k = &(*k)->next;
    return k;
}

/* The kernel's state, made if missing; NULL when out of memory. Lock held. */
static kstate *state(const void *kernel)
{
    kstate **k = slot_of(kernel);
    if (!*k) {
        *k = calloc(1, sizeof **k);
        if (*k)
            (*k)->kernel = kernel;
    }
    return *k;
}

/* Drop the uses whose slot matches (all exec-info slots when exec is set). Lock held. */
static void drop(kstate *k, uint32_t slot, int exec)
{
    size_t kept = 0;
    for (size_t i = 0; i < k->n; i++)
        if (exec ? k->u[i].slot < EXEC_SLOT : k->u[i].slot != slot)
            k->u[kept++] = k->u[i];
    k->n = kept;
}

static void add(kstate *k, uint32_t slot, const void *p, const clsvm_check_alloc *then)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 8;
        use *u = realloc(k->u, cap * sizeof *u);
        if (!u)
            return; /* out of memory: this pointer goes unchecked */
        k->u = u;
        k->cap = cap;
    }
    k->u[k->n++] = (use){slot, p, *then};
}

void clsvm_check_kernel_new(const void *kernel, const void *src)
{
    pthread_mutex_lock(&lock);
    kstate *k = state(kernel), **s = src ? slot_of(src) : NULL;
    if (k) {
        k->n = 0;
        for (size_t i = 0; s && *s && i < (*s)->n; i++)
            add(k, (*s)->u[i].slot, (*s)->u[i].p, &(*s)->u[i].then);
    }
    pthread_mutex_unlock(&lock);
}

void clsvm_check_kernel_arg(const void *kernel, uint32_t index, const void *p)
{
    clsvm_check_alloc then = {NULL, 0, 0};
    int known = clsvm_check_which(p, &then);
    pthread_mutex_lock(&lock);
    kstate *k = state(kernel);
    if (k) {
        drop(k, index, 0);
        if (known)
            add(k, index, p, &then);
    }
    pthread_mutex_unlock(&lock);
}

void clsvm_check_kernel_exec_ptrs(const void *kernel, void *const *ptrs, size_t n)
{
    clsvm_check_alloc *then = n ? calloc(n, sizeof *then) : NULL;
    if (n && !then)
        return;
    for (size_t i = 0; i < n; i++)
        if (!clsvm_check_which(ptrs[i], &then[i]))
            then[i].base = NULL;
    pthread_mutex_lock(&lock);
    kstate *k = state(kernel);
    if (k) {
        drop(k, 0, 1);
        for (size_t i = 0; i < n; i++)
            if (then[i].base)
                add(k, EXEC_SLOT + (uint32_t)i, ptrs[i], &then[i]);
    }
    pthread_mutex_unlock(&lock);
    free(then);
}

clsvm_check_alloc *clsvm_check_kernel_allocs(const void *kernel, size_t *n)
{
    clsvm_check_alloc *out = NULL;
    *n = 0;
    pthread_mutex_lock(&lock);
    kstate **k = slot_of(kernel);
    if (*k && (*k)->n && (out = malloc((*k)->n * sizeof *out))) {
        *n = (*k)->n;
        for (size_t i = 0; i < *n; i++)
            out[i] = (*k)->u[i].then;
    }
    pthread_mutex_unlock(&lock);
    return out;
}

void clsvm_check_kernel_enqueue(const void *kernel, void *be_kernel)
{
    use *copy = NULL;
    size_t n = 0;
    pthread_mutex_lock(&lock);
    kstate **k = slot_of(kernel);
    if (*k && (*k)->n && (copy = malloc((*k)->n * sizeof *copy))) {
        n = (*k)->n;
        memcpy(copy, (*k)->u, n * sizeof *copy);
    }
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n; i++) {
        const use *u = &copy[i];
        clsvm_check_alloc now;
        int live = clsvm_check_which(u->p, &now);
        if (live && now.base == u->then.base && now.serial == u->then.serial)
            continue;
        char name[64] = "";
        if (clsvm_be->clGetKernelInfo(be_kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name,
                                      NULL) != CL_SUCCESS)
            snprintf(name, sizeof name, "(a kernel whose name is longer than 63 bytes)");
        char what[256], where[512], which[48];
        if (u->slot >= EXEC_SLOT)
            snprintf(which, sizeof which, "exec-info SVM pointer %u", u->slot - EXEC_SLOT);
        else
            snprintf(which, sizeof which, "argument %u", u->slot);
        snprintf(what, sizeof what, "kernel %s enqueued with a stale SVM pointer: %s is %p", name,
                 which, u->p);
        snprintf(where, sizeof where,
                 "  when set, %p was in the SVM allocation %p (%zu bytes), which has been freed "
                 "since%s\n",
                 u->p, u->then.base, u->then.size,
                 live ? "; the address now lies in another allocation made after that free" : "");
        clsvm_check_report(CLSVM_CHECK_STALE, what, where,
                           "set the argument (or exec info) again with a live allocation before "
                           "enqueueing; a kernel keeps the pointer value, not the memory");
    }
    free(copy);
}

void clsvm_check_stale_atfork(int take)
{
    if (take)
        pthread_mutex_lock(&lock);
    else
        pthread_mutex_unlock(&lock);
}
