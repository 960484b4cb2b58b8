/*
 * window_syscalls.c: the window's syscalls that run without its lock: decommits, purges and
 * lookup-table trims queued under the lock and run by window_unlock with their chunks busy, and
 * the waits for them (design: window.c, "Locking").
 */
#include "window.h"

#include "heap_map.h"

#include <stdlib.h>

/* A decommitted range holds no allocation: its lookup tables can give their pages back, and
 * its pages are no longer resident. */
void window_after_decommit(void *w_, uintptr_t addr, size_t len)
{
    clsvm_window *w = w_;
    heap_trim(w->heap, addr, len);
    purge_forget(w->purge, addr, len);
}

/* Queue a syscall on [addr, addr + len) for window_unlock, its chunks busy meanwhile (lock
 * held). Non-zero when there is no memory to queue it: the caller then runs it at once. */
static int sysq_push(clsvm_window *w, int kind, uintptr_t addr, size_t len)
{
    sys_queue *q = &w->sysq;
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 8;
        sys_op *ops = realloc(q->ops, cap * sizeof *ops);
        if (!ops)
            return CLSVM_ERR_HOSTMEM;
        q->ops = ops;
        q->cap = cap;
    }
    q->ops[q->n++] = (sys_op){addr, len, kind};
    if (kind != SYS_TRIM)
        commit_map_busy_add(w->commits, addr, len, 1);
    w->busy_ops++;
    return CLSVM_OK;
}

/* The chunks are empty: no mark of theirs may be purged any more; the lookup tables are
 * trimmed after the decommit (window_unlock). */
int window_queue_decommit(void *w_, uintptr_t addr, size_t len)
{
    clsvm_window *w = w_;
    int rc = sysq_push(w, SYS_DECOMMIT, addr, len);
    if (!rc)
        purge_forget(w->purge, addr, len);
    return rc;
}

int window_queue_purge(void *w_, uintptr_t addr, size_t len)
{
    return sysq_push(w_, SYS_PURGE, addr, len);
}

/* The pages of a lookup table with no block start (heap_trim): until the trim has run, the heap
 * refuses to start a block in its chunk (HEAP_TRIMMING). */
int window_queue_trim(void *w_, void *addr, size_t len)
{
    return sysq_push(w_, SYS_TRIM, (uintptr_t)addr, len);
}

/*
 * The queued decommits and purges run here, without the lock: another thread's allocation or
 * free does not wait for them, except an allocation over one of their chunks (busy), which
 * waits in window_alloc_locked. Lock held on entry and return.
 */
void window_run_queued(clsvm_window *w)
{
    while (w->sysq.n) {
        sys_queue q = w->sysq;
        w->sysq = (sys_queue){0};
        pthread_mutex_unlock(&w->lock);
        for (size_t i = 0; i < q.n; i++)
            if (q.ops[i].kind == SYS_DECOMMIT)
                commit_map_decommit_now(w->commits, q.ops[i].addr, q.ops[i].len);
            else if (q.ops[i].kind == SYS_PURGE)
                w->prov->purge(&w->region, q.ops[i].addr, q.ops[i].len); /* logs a failure */
            else
                heap_map_syscalls.trim((void *)q.ops[i].addr, q.ops[i].len);
        pthread_mutex_lock(&w->lock);
        for (size_t i = 0; i < q.n; i++) {
            if (q.ops[i].kind == SYS_TRIM) {
                heap_trim_done(w->heap, (void *)q.ops[i].addr);
                continue;
            }
            if (q.ops[i].kind == SYS_DECOMMIT) /* queues the trims of tables left empty */
                heap_trim(w->heap, q.ops[i].addr, q.ops[i].len);
            commit_map_busy_add(w->commits, q.ops[i].addr, q.ops[i].len, -1);
        }
        w->busy_ops -= q.n;
        if (!w->sysq.ops) /* keep the buffer for the next ops */
            w->sysq = (sys_queue){q.ops, 0, q.cap};
        else
            free(q.ops);
        window_wake(w);
    }
}

void window_unlock(clsvm_window *w)
{
    if (w->sysq.n)
        window_run_queued(w);
    pthread_mutex_unlock(&w->lock);
}

/* One step of waiting for queued or running syscalls to end. Ops still queued (by this thread
 * earlier under the same lock, or left by a path that unlocked without running them) are run
 * here: nobody else would. */
void window_wait_step(clsvm_window *w)
{
    if (w->sysq.n)
        window_run_queued(w);
    else {
        w->waiters++;
        pthread_cond_wait(&w->idle, &w->lock);
        w->waiters--;
    }
}

/* Wait for busy chunks of [addr, addr + len) (all of them, and every queued op, if len is 0). */
void window_wait_not_busy(clsvm_window *w, uintptr_t addr, size_t len)
{
    while (len ? commit_map_busy(w->commits, addr, len) : w->busy_ops || w->inflight)
        window_wait_step(w);
}

void window_quiesce(clsvm_window *w)
{
    window_wait_not_busy(w, 0, 0);
}
