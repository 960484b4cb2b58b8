/*
 * svm_count.h: how many SVM allocations each context has live, so that a context the
 * application released stays valid until its last SVM allocation is freed (the spec: releasing
 * a context frees none of its SVM), without clSVMAlloc and clSVMFree writing a cache line that
 * every thread shares (docs/svm.md "Context lifetime").
 *
 * While the application holds a reference on the context, that reference keeps it alive and
 * each thread only counts its allocations minus its frees in a tally of its own (one per thread
 * and context, plain stores on its own cache line). When the application's last reference goes,
 * clsvm_svm_count_fold() sums the tallies into that many internal references on the context;
 * from then on each allocation and free of that context takes or drops a reference.
 *
 * An update stores an odd sequence number, reads the context's `folded` flag, updates the tally
 * and stores the next (even) number. The fold sets the flag, makes every thread of the process
 * execute a full memory barrier (membarrier, PRIVATE_EXPEDITED), then waits for each odd number
 * to move on before summing: every update either saw the flag (and counted with a reference
 * instead) or is complete and summed. Where membarrier is unavailable no tally is made and
 * every allocation holds a reference, as before.
 */
#ifndef CLSVM_ICD_SVM_COUNT_H
#define CLSVM_ICD_SVM_COUNT_H

#include "icd.h"

#include <pthread.h>
#include <stdint.h>

typedef struct clsvm_svm_tally {
    _Atomic uint64_t seq;  /* odd while its thread updates delta */
    _Atomic int64_t delta; /* allocations minus frees of this thread in the context */
    pthread_t thread;      /* whose: a thread that ended hands its tally to the next with its id */
    struct clsvm_svm_tally *next; /* the context's tallies */
    struct clsvm_svm_tally *all;  /* every tally ever made (fork child, pool) */
} clsvm_svm_tally;

/* This thread's tally for the context with id clsvm_svm_tl_uid (0: none yet). initial-exec:
 * the ICD is dlopen'd, and the default model would call __tls_get_addr on every allocation. */
extern _Thread_local uint64_t clsvm_svm_tl_uid __attribute__((tls_model("initial-exec")));
extern _Thread_local clsvm_svm_tally *clsvm_svm_tl_tally __attribute__((tls_model("initial-exec")));

/* The calling thread's tally for context c (made on first use), remembered in the thread's
 * cache; NULL when c is counted with references (folded, no device list, no membarrier, out of
 * memory). */
clsvm_svm_tally *clsvm_svm_tally_find(clsvm_obj *c);

/* Count d (+1 or -1) SVM allocations of context c: in this thread's tally while the
 * application holds c, else as references (+1 before the allocation exists, -1 after its free;
 * the -1 may destroy c). */
static inline void clsvm_svm_count(clsvm_obj *c, int d)
{
    clsvm_devlist *l = c->ext;
    clsvm_svm_tally *t = clsvm_svm_tl_tally;
    if (__builtin_expect(!l || clsvm_svm_tl_uid != l->svm_uid, 0))
        t = clsvm_svm_tally_find(c);
    if (t) {
        uint64_t s = atomic_load_explicit(&t->seq, memory_order_relaxed) | 1;
        atomic_store_explicit(&t->seq, s, memory_order_relaxed);
        /* Only the compiler must keep the order: the fold's membarrier orders the processor. */
        atomic_signal_fence(memory_order_seq_cst);
        int folded = atomic_load_explicit(&l->svm_folded, memory_order_relaxed);
        if (__builtin_expect(!folded, 1))
            atomic_store_explicit(&t->delta,
                                  atomic_load_explicit(&t->delta, memory_order_relaxed) + d,
                                  memory_order_relaxed);
        atomic_store_explicit(&t->seq, s + 1, memory_order_release);
        if (__builtin_expect(!folded, 1))
            return;
    }
    if (d > 0)
        clsvm_obj_retain(c);
    else
        clsvm_obj_release(c);
}

/* The application's last reference on context c is about to be dropped: turn its tallies into
 * references (once; later allocations count with references). */
void clsvm_svm_count_fold(clsvm_obj *c);
/* Context list l is being freed: its tallies go back to the pool. */
void clsvm_svm_count_forget(clsvm_devlist *l);
/* New device list l: its id and state. */
void clsvm_svm_count_init(clsvm_devlist *l);

#endif
