/*
 * svm_count.c: per-thread tallies of live SVM allocations per context, and their fold into the
 * context's reference count when the application releases it (svm_count.h explains why and
 * how the two sides stay in step).
 *
 * Tallies are type-stable: made once (64-byte aligned, on a line of their own), listed on their
 * context, pooled when it goes and reused for the next, never freed. So a thread's cache may
 * keep pointing at a pooled tally: it names the context by id, and a context's id is never
 * reused. A thread that ended leaves its tally listed; the next thread with the same pthread_t
 * (the same thread descriptor, so the first one is gone) continues it. Lock: tally_lock guards
 * the pool and the list of all tallies; a context's list is pushed without it and read only by
 * its fold and its destruction.
 */
#include "svm_count.h"

#include "fork.h"

#include "clsvm/internal/barrier.h"
#include "clsvm/internal/log.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

_Thread_local uint64_t clsvm_svm_tl_uid __attribute__((tls_model("initial-exec")));
_Thread_local clsvm_svm_tally *clsvm_svm_tl_tally __attribute__((tls_model("initial-exec")));

static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static clsvm_svm_tally *tally_pool, *tally_all;
static _Atomic uint64_t next_uid = 1;

#define FOLD_BIAS (1 << 30)

void clsvm_svm_count_init(clsvm_devlist *l)
{
    l->svm_uid = atomic_fetch_add_explicit(&next_uid, 1, memory_order_relaxed);
    atomic_init(&l->svm_tallies, NULL);
    atomic_init(&l->svm_folded, 0);
}

static clsvm_svm_tally *tally_new(void)
{
    if (!clsvm_barrier_ok())
        return NULL;
    pthread_mutex_lock(&tally_lock);
    clsvm_svm_tally *t = tally_pool;
    if (t) {
        tally_pool = t->next;
    } else if ((t = aligned_alloc(64, 64)) != NULL) {
        _Static_assert(sizeof *t <= 64, "a tally fits one cache line");
        memset(t, 0, 64);
        t->all = tally_all;
        tally_all = t;
    }
    pthread_mutex_unlock(&tally_lock);
    if (t) {
        atomic_store_explicit(&t->seq, 0, memory_order_relaxed);
        atomic_store_explicit(&t->delta, 0, memory_order_relaxed);
        t->thread = pthread_self();
    }
    return t;
}

clsvm_svm_tally *clsvm_svm_tally_find(clsvm_obj *c)
{
    clsvm_devlist *l = c->ext;
    if (!l || atomic_load_explicit(&l->svm_folded, memory_order_relaxed))
        return NULL;
    pthread_t self = pthread_self();
    clsvm_svm_tally *head = atomic_load_explicit(&l->svm_tallies, memory_order_acquire), *t;
    for (t = head; t; t = t->next)
        if (pthread_equal(t->thread, self))
            break;
    if (!t) {
        t = tally_new();
        if (!t)
            return NULL;
        do
            t->next = head;
        while (!atomic_compare_exchange_weak_explicit(&l->svm_tallies, &head, t,
                                                      memory_order_seq_cst, memory_order_acquire));
    }
    /* Folded before this tally was listed (the fold did not see it, nor wait for it): count
     * with references. Sequentially consistent with the fold's flag and list reads. */
    if (atomic_load_explicit(&l->svm_folded, memory_order_seq_cst))
        return NULL;
    clsvm_svm_tl_uid = l->svm_uid;
    clsvm_svm_tl_tally = t;
    return t;
}

/* Wait until t's thread is not inside an update: its sequence number is even or has moved on. */
static void wait_update(const clsvm_svm_tally *t)
{
    uint64_t s = atomic_load_explicit(&t->seq, memory_order_acquire);
    for (unsigned spins = 0; (s & 1) && atomic_load_explicit(&t->seq, memory_order_acquire) == s;
         spins++)
        if (spins > 64)
            sched_yield(); /* preempted in the middle of the update: a few instructions left */
}

void clsvm_svm_count_fold(clsvm_obj *c)
{
    clsvm_devlist *l = c->ext;
    /* Once: the caller is the application's last reference going, and a context revived by
     * clRetainContext after that stays counted with references. */
    if (!l || atomic_load_explicit(&l->svm_folded, memory_order_relaxed))
        return;
    /* Frees that see the flag drop references at once, possibly many before the sum is added:
     * a bias keeps the count from reaching zero meanwhile (it exceeds any live count a
     * window can hold in practice: 2^30 allocations of 128 bytes are 128 GiB). */
    atomic_fetch_add_explicit(&c->refs, FOLD_BIAS, memory_order_relaxed);
    if (atomic_exchange_explicit(&l->svm_folded, 1, memory_order_seq_cst)) {
        atomic_fetch_sub_explicit(&c->refs, FOLD_BIAS, memory_order_relaxed);
        return; /* folded by a concurrent release of a revived context */
    }
    int64_t sum = 0;
    clsvm_svm_tally *head = atomic_load_explicit(&l->svm_tallies, memory_order_seq_cst);
    if (head) {
        clsvm_barrier_all();
        for (clsvm_svm_tally *t = head; t; t = t->next) {
            wait_update(t);
            sum += atomic_load_explicit(&t->delta, memory_order_acquire);
        }
    }
    /* Each free follows its allocation's count, so the sum is the live count. The caller's
     * (the application's) reference is still held: this cannot reach zero. */
    if (sum < 0)
        sum = 0;
    if (sum > FOLD_BIAS)
        CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                       "svm: a released context has more than %d live SVM "
                       "allocations: it may be destroyed before they are freed",
                       FOLD_BIAS);
    atomic_fetch_add_explicit(&c->refs, (int)(sum < FOLD_BIAS ? sum : FOLD_BIAS) - FOLD_BIAS,
                              memory_order_relaxed);
}

void clsvm_svm_count_forget(clsvm_devlist *l)
{
    clsvm_svm_tally *t = atomic_exchange_explicit(&l->svm_tallies, NULL, memory_order_acquire);
    if (!t)
        return;
    pthread_mutex_lock(&tally_lock);
    while (t) {
        clsvm_svm_tally *next = t->next;
        t->next = tally_pool;
        tally_pool = t;
        t = next;
    }
    pthread_mutex_unlock(&tally_lock);
}

void clsvm_svm_count_atfork_prepare(void)
{
    pthread_mutex_lock(&tally_lock);
}

void clsvm_svm_count_atfork_parent(void)
{
    pthread_mutex_unlock(&tally_lock);
}

void clsvm_svm_count_atfork_child(void)
{
    /* The forking thread is not inside an update; every other thread is gone. */
    for (clsvm_svm_tally *t = tally_all; t; t = t->all) {
        uint64_t s = atomic_load_explicit(&t->seq, memory_order_relaxed);
        if (s & 1)
            atomic_store_explicit(&t->seq, s + 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&tally_lock);
}
