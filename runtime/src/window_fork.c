/*
 * window_fork.c: fork() handlers for every lock of the runtime, so that a child forked while
 * other threads allocate, free or write stats can still allocate, free and exit (the exit runs
 * the CLSVM_STATS dump and the ICD's leak report, which take the window locks).
 *
 * Before fork() the forking thread takes, in the order the code nests them, the registry of
 * small-allocation thread caches (window_small_cache.c), the stats registry lock, every open
 * window's lock (the registry lists them all; for each it waits until no commit, decommit or purge
 * runs without the lock) and the devsvm notice lock; after fork() both processes release them. The
 * child, which has only the forking thread, then also asks each window's provider whether its
 * mapping was inherited: a devsvm window was not (VM_DONTCOPY), so it is marked lost and refuses
 * further use with an error instead of touching an address range that the child may by now use for
 * something else; in any other window the slabs of the threads the child does not have are given up
 * (their live slots stay live and can be freed; their free ones serve the child's threads).
 * pthread_once controls need nothing: glibc restarts a once routine interrupted by fork().
 * clsvm_log has no lock of its own (one fprintf per line; glibc resets stdio locks in a child).
 */
#include "window.h"

#include "clsvm/internal/log.h"

#include <unistd.h>

static clsvm_window *held; /* the registry's list while the locks are held */

static void fork_prepare(void)
{
    pthread_mutex_lock(small_registry_lock());
    held = stats_registry_hold();
    for (clsvm_window *w = held; w; w = w->registry_next) {
        pthread_mutex_lock(&w->lock);
        /* Syscalls other threads run without the lock would never end in the child, whose
         * allocations would then wait for their chunks forever: let them finish first. */
        window_quiesce(w);
    }
    pthread_mutex_lock(&window_notice_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&window_notice_lock);
    for (clsvm_window *w = held; w; w = w->registry_next)
        pthread_mutex_unlock(&w->lock);
    stats_registry_release(0);
    pthread_mutex_unlock(small_registry_lock());
}

static void fork_child(void)
{
    pthread_mutex_unlock(&window_notice_lock);
    for (clsvm_window *w = held; w; w = w->registry_next) {
        if (w->prov->forked && w->prov->forked(&w->region)) {
            w->lost_in_fork = getppid();
            small_fork_lost(w);
        } else
            small_fork_child(w); /* the other threads' slabs have no owner here */
        pthread_mutex_unlock(&w->lock);
    }
    stats_registry_release(1);
    pthread_mutex_unlock(small_registry_lock());
}

static pthread_once_t register_once = PTHREAD_ONCE_INIT;

static void register_handlers(void)
{
    if (pthread_atfork(fork_prepare, fork_parent, fork_child))
        clsvm_log(CLSVM_LOG_WARN, "window: pthread_atfork failed; a process forked while "
                                  "another thread uses SVM may hang in its child");
}

void window_fork_register(void)
{
    pthread_once(&register_once, register_handlers);
}

/* At load too, not only at the first window: a child forked before any window opened must
 * still know it is a child when it opens one (CLSVM_STATS then leaves the parent's file). */
__attribute__((constructor)) static void register_at_load(void)
{
    window_fork_register();
}
