/*
 * window_small_cache.c: the per-thread caches of small-allocation slabs: finding or making this
 * thread's cache for a window, giving its slabs up when the thread exits (pthread key
 * destructor), when a fork child loses the thread, or on a stats call (this thread's empty
 * slabs), and the fork child's view of the directory (design: window_small.c).
 */
#include "window_small_internal.h"

#include "clsvm/internal/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

pthread_mutex_t small_reg = PTHREAD_MUTEX_INITIALIZER; /* close vs thread exit */
static pthread_key_t small_key;
static atomic_bool small_key_ok;
static pthread_once_t small_key_once = PTHREAD_ONCE_INIT;
/* initial-exec: the ICD is dlopen'd, and the default model would call __tls_get_addr on every
 * small allocation; one pointer fits glibc's static TLS reserve for dlopen'd libraries. */
_Thread_local small_tc *small_tl_caches __attribute__((tls_model("initial-exec")));

static void retire(clsvm_window *w, small_tc *tc)
{
    small_state *ss = w->small;
    for (unsigned c = 0; c < CLASSES; c++)
        if (tc->cur[c]) {
            slab_abandon(w, tc->cur[c]);
            tc->cur[c] = NULL;
        }
    ss->retired_live += atomic_load_explicit(&tc->live, RLX);
    ss->retired_bytes += atomic_load_explicit(&tc->bytes, RLX);
    atomic_store_explicit(&tc->live, 0, RLX);
    atomic_store_explicit(&tc->bytes, 0, RLX);
    for (small_tc **pp = &ss->tcs; *pp; pp = &(*pp)->w_next)
        if (*pp == tc) {
            *pp = tc->w_next;
            break;
        }
}

static void thread_exit(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&small_reg);
    while (small_tl_caches) {
        small_tc *tc = small_tl_caches;
        small_tl_caches = tc->t_next;
        clsvm_window *w = atomic_load_explicit(&tc->w, ACQ);
        if (w) {
            pthread_mutex_lock(&w->lock);
            retire(w, tc);
            window_unlock(w);
        }
        free(tc);
    }
    pthread_mutex_unlock(&small_reg);
}

static void key_create(void)
{
    atomic_store(&small_key_ok, pthread_key_create(&small_key, thread_exit) == 0);
    if (!atomic_load(&small_key_ok))
        clsvm_log(CLSVM_LOG_WARN, "window: pthread_key_create failed; the small-allocation "
                                  "slabs of exiting threads stay with them");
}

/* When the library is unloaded (dlclose of the ICD), threads that outlive it must not run a
 * destructor in unmapped code at their exit: their caches are then simply not returned. */
__attribute__((destructor)) static void small_unload(void)
{
    if (atomic_exchange(&small_key_ok, false))
        pthread_key_delete(small_key);
}

__attribute__((noinline)) small_tc *tc_find_slow(clsvm_window *w, bool create)
{
    small_tc *tc;
    for (small_tc **pp = &small_tl_caches; (tc = *pp);) {
        clsvm_window *tw = atomic_load_explicit(&tc->w, ACQ);
        if (!tw) { /* its window closed */
            *pp = tc->t_next;
            free(tc);
            continue;
        }
        if (tw == w && tc->id == w->small->id) {
            *pp = tc->t_next; /* to the front */
            tc->t_next = small_tl_caches;
            small_tl_caches = tc;
            return tc;
        }
        pp = &tc->t_next;
    }
    if (!create)
        return NULL;
    pthread_once(&small_key_once, key_create);
    tc = small_zalloc_lines(sizeof *tc);
    if (!tc)
        return NULL;
    atomic_init(&tc->w, w);
    tc->id = w->small->id;
    tc->thread = pthread_self();
    if (atomic_load_explicit(&small_key_ok, ACQ))
        pthread_setspecific(small_key, tc); /* non-NULL: the destructor runs at thread exit */
    pthread_mutex_lock(&w->lock);
    tc->w_next = w->small->tcs;
    w->small->tcs = tc;
    pthread_mutex_unlock(&w->lock);
    tc->t_next = small_tl_caches;
    small_tl_caches = tc;
    return tc;
}

void small_flush_self(clsvm_window *w)
{
    small_tc *tc = find_tc(w, false);
    if (!tc)
        return;
    for (unsigned c = 0; c < CLASSES; c++) {
        small_slab *s = tc->cur[c];
        if (s) {
            slab_collect(s);
            if (slab_free_count(s) == s->nslots) {
                slab_abandon(w, s);
                tc->cur[c] = NULL;
            }
        }
    }
}

void small_fork_child(clsvm_window *w)
{
    pthread_t self = pthread_self();
    for (small_tc *tc = w->small->tcs, *next; tc; tc = next) {
        next = tc->w_next;
        if (!pthread_equal(tc->thread, self)) {
            retire(w, tc); /* that thread does not exist here */
            free(tc);
        }
    }
}

/* The slab structs were copied into the child, the slabs' memory was not: empty the directory
 * (private anonymous pages read zero after MADV_DONTNEED), so that a lookup through it, even
 * one through a copy of the window's view, finds no slab. */
void small_fork_lost(clsvm_window *w)
{
    small_state *ss = w->small;
    if (ss && ss->dir_writable &&
        madvise((void *)ss->dir, ss->nslabs * sizeof *ss->dir, MADV_DONTNEED) != 0)
        memset((void *)ss->dir, 0, ss->nslabs * sizeof *ss->dir);
}

pthread_mutex_t *small_registry_lock(void)
{
    return &small_reg;
}
