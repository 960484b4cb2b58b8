/*
 * window_alloc.c: clsvm_alloc and the frees (clsvm_free, clsvm_free_checked): a slab's slot
 * without the lock when it serves, else the heap block under it with its commits, retention
 * and purge marks, the commit syscalls running with the lock dropped (design: window.c).
 */
#include "window.h"

#include "clsvm/internal/log.h"

#include <stdbool.h>
#include <unistd.h>

/* Bytes the heap block of a size-byte allocation occupies. */
static uint64_t block_bytes(size_t size)
{
    return ((uint64_t)size + HEAP_GRANULE - 1) & ~(uint64_t)(HEAP_GRANULE - 1);
}

/* A window whose mapping this forked child did not inherit (devsvm): no provider call, no
 * access to its range, one error line saying why. */
static int lost(const clsvm_window *w)
{
    if (!w->lost_in_fork)
        return 0;
    CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                   "window: the %s window [%#lx, %#lx) belongs to process %ld, which forked this "
                   "one (%ld): its mapping is not inherited across fork() (VM_DONTCOPY), so its "
                   "allocations are not here, new ones fail and frees are ignored; open a new "
                   "window in the child",
                   w->prov->name, (unsigned long)w->region.base,
                   (unsigned long)(w->region.base + w->region.size), (long)w->lost_in_fork,
                   (long)getpid());
    return 1;
}

static int alloc_any(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                     void **out);

int clsvm_alloc(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag, void **out)
{
    /* The common case in a function of its own, which needs no stack frame: a valid small
     * request this thread's slab serves. Anything else, checked in full, below. */
    if (__builtin_expect(w && out && !w->lost_in_fork && size, 1)) {
        size_t a = align ? align : w->default_align;
        if (window_is_pow2(a) && small_alloc_cached(w, size, a < HEAP_GRANULE ? HEAP_GRANULE : a,
                                                    flags, tag, out) == CLSVM_OK)
            return CLSVM_OK;
    }
    return alloc_any(w, size, align, flags, tag, out);
}

static __attribute__((noinline)) int alloc_any(clsvm_window *w, size_t size, size_t align,
                                               uint32_t flags, void *tag, void **out)
{
    if (out)
        *out = NULL;
    if (!w || !out)
        return CLSVM_ERR_INVALID;
    if (lost(w)) {
        pthread_mutex_lock(&w->lock);
        w->failed_allocs++;
        pthread_mutex_unlock(&w->lock);
        return CLSVM_ERR_RESERVE;
    }
    int rc = CLSVM_OK;
    if (align == 0)
        align = w->default_align;
    if (size == 0 || !window_is_pow2(align) || align > CLSVM_MAX_ALIGN)
        rc = CLSVM_ERR_INVALID;
    else if (size > w->region.size)
        rc = CLSVM_ERR_NOMEM; /* also keeps the heap's rounding far from overflow */
    if (align < HEAP_GRANULE)
        align = HEAP_GRANULE; /* a stronger alignment satisfies the weaker request */

    if (!rc && small_alloc(w, size, align, flags, tag, out) == CLSVM_OK)
        return CLSVM_OK; /* from this thread's slab, usually without the lock */

    uintptr_t addr = 0;
    pthread_mutex_lock(&w->lock);
    if (!rc)
        rc = window_alloc_locked(w, size, align, flags, tag, &addr);
    if (rc)
        w->failed_allocs++;
    else
        small_observe_peak(w);
    window_unlock(w);
    if (!rc)
        *out = (void *)addr;
    return rc;
}

/* heap_alloc, making the lookup map's syscalls without the lock: a start table the block's
 * chunk needs is mapped with the lock dropped (then the heap is asked again: it may have
 * changed meanwhile), and a chunk whose table is being trimmed is waited for. */
static int heap_alloc_unlocked_syscalls(clsvm_window *w, size_t size, size_t align, uint32_t flags,
                                        void *tag, uintptr_t *addr)
{
    for (;;) {
        int rc = heap_alloc(w->heap, size, align, flags, tag, addr);
        if (rc == HEAP_TRIMMING) {
            window_wait_step(w);
        } else if (rc == HEAP_NEED_TABLE) {
            pthread_mutex_unlock(&w->lock);
            void *t = heap_table_new();
            pthread_mutex_lock(&w->lock);
            if (!t)
                return CLSVM_ERR_HOSTMEM;
            if (heap_give_table(w->heap, t) != CLSVM_OK) { /* others stocked enough meanwhile */
                pthread_mutex_unlock(&w->lock);
                heap_table_free(t);
                pthread_mutex_lock(&w->lock);
            }
        } else {
            return rc;
        }
    }
}

/* A heap block hidden while the lock is dropped for it (delta 1, then -1 with the same
 * size and span): validate accounts for it, window_quiesce waits for it. */
static void inflight(clsvm_window *w, size_t size, uint64_t span, int delta)
{
    w->inflight += (uint64_t)(int64_t)delta;
    w->inflight_bytes += (uint64_t)(int64_t)delta * size;
    w->inflight_span += (uint64_t)(int64_t)delta * span;
    if (!w->inflight)
        window_wake(w);
}

/*
 * The block is carved under the lock but stays hidden (lookups and frees do not see it) until
 * its memory is committed. The commit syscalls and NUMA binding run without the lock: the
 * chunks they commit are busy, so another allocation there waits for them (as this one first
 * waits for syscalls other threads run on its chunks), and everything else proceeds.
 */
int window_alloc_locked(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                        uintptr_t *addr)
{
    int rc = heap_alloc_unlocked_syscalls(w, size, align, flags, tag, addr);
    if (rc)
        return rc;
    if (w->busy_ops) { /* hidden in the heap while the lock is dropped: validate counts it */
        inflight(w, size, 0, 1);
        window_wait_not_busy(w, *addr, size);
        inflight(w, size, 0, -1);
    }
    chunk_runs todo;
    chunk_runs_init(&todo);
    rc = commit_map_claim(w->commits, *addr, size, &todo);
    if (!rc) {
        /* Unmarked before the lock is dropped, so no purge can take these pages. */
        purge_allocated(w->purge, *addr, block_bytes(size));
        if (todo.n) {
            uint64_t span = commit_map_span(w->commits, *addr, size);
            inflight(w, size, span, 1);
            w->busy_ops++;
            pthread_mutex_unlock(&w->lock);
            size_t ok = commit_map_commit_runs(w->commits, &todo);
            pthread_mutex_lock(&w->lock);
            w->busy_ops--;
            rc = commit_map_claimed(w->commits, *addr, size, &todo, ok);
            inflight(w, size, span, -1);
            window_wake(w);
        }
    }
    chunk_runs_fini(&todo);
    if (rc) {
        heap_unalloc(w->heap, *addr); /* heap back to where it was */
        return rc;
    }
    heap_show(w->heap, *addr);
    w->allocated += size;
    if (w->allocated > w->peak_allocated)
        w->peak_allocated = w->allocated;
    return CLSVM_OK;
}

/* Release what a freed block held (caller holds the lock). */
static void after_free(clsvm_window *w, const heap_block_info *bi)
{
    uintptr_t lo, hi;
    heap_last_free(w->heap, &lo, &hi);
    /* Marked first: the chunks the release decommits drop their marks again. */
    purge_mark_freed(w->purge, bi->addr, block_bytes(bi->size), lo, hi);
    retain_before_free(w, bi->addr, bi->size);
    commit_map_release(w->commits, bi->addr, bi->size);
    w->allocated -= bi->size;
    if (small_nothing_live(w))
        retain_drop(w, 1); /* nothing live: keep one chunk for an alloc/free loop */
    small_note_retained(w);
    purge_maybe(w->purge);
}

/* Is the block the last allocation on one of its chunks (which its free may decommit)? */
static bool empties_chunk(void *w_, const heap_block_info *bi)
{
    const clsvm_window *w = w_;
    return commit_map_last_user(w->commits, bi->addr, bi->size);
}

/*
 * The free of a heap block hidden by heap_free_or_hide because it empties a chunk (lock held): its
 * chunks are released while the block still occupies its range, so the decommits that empties run
 * (without the lock) before anything can be carved there again; another allocation does not land on
 * those chunks and wait for them. Then the block goes back to the heap and its pages are marked.
 */
static void free_hidden(clsvm_window *w, const heap_block_info *bi)
{
    inflight(w, bi->size, 0, 1);
    retain_before_free(w, bi->addr, bi->size);
    commit_map_release(w->commits, bi->addr, bi->size);
    w->allocated -= bi->size;
    if (w->sysq.n)
        window_run_queued(w); /* drops the lock for the syscalls */
    heap_unalloc(w->heap, bi->addr);
    inflight(w, bi->size, 0, -1);
    uintptr_t lo, hi;
    heap_last_free(w->heap, &lo, &hi);
    purge_mark_freed(w->purge, bi->addr, block_bytes(bi->size), lo, hi);
    /* Chunks that went empty are decommitted: no marks there, and their lookup tables, which
     * held this block's start during the decommit, may give their pages back now. */
    uintptr_t c = w->region.base + ((bi->addr - w->region.base) & ~(CLSVM_COMMIT_CHUNK - 1));
    for (; c < bi->addr + bi->size; c += CLSVM_COMMIT_CHUNK)
        if (!commit_map_count(w->commits, c)) {
            purge_forget(w->purge, c, CLSVM_COMMIT_CHUNK);
            heap_trim(w->heap, c, CLSVM_COMMIT_CHUNK);
        }
    if (small_nothing_live(w))
        retain_drop(w, 1); /* nothing live: keep one chunk for an alloc/free loop */
    small_note_retained(w);
    purge_maybe(w->purge);
}

void window_free_locked(clsvm_window *w, uintptr_t addr)
{
    heap_block_info bi;
    if (heap_free(w->heap, addr, &bi) == CLSVM_OK)
        after_free(w, &bi);
}

/* A free: from a slab without the lock, else from the heap under it. Slabs are made and
 * unmade under the lock, so a heap block found there is never a slab. */
static int free_any(clsvm_window *w, uintptr_t a, bool checked, const void *tag,
                    heap_block_info *bi)
{
    for (;;) {
        int rc = small_free(w, a, checked, tag, bi);
        if (rc != SMALL_PASS)
            return rc;
        pthread_mutex_lock(&w->lock);
        if (small_owns(w, a)) { /* became a slab since: free it there */
            pthread_mutex_unlock(&w->lock);
            continue;
        }
        rc = heap_free_or_hide(w->heap, a, checked, tag, bi, empties_chunk, w);
        if (rc == HEAP_HIDDEN)
            free_hidden(w, bi);
        else if (rc == CLSVM_OK)
            after_free(w, bi);
        window_unlock(w);
        return rc == HEAP_HIDDEN ? CLSVM_OK : rc;
    }
}

int clsvm_free(clsvm_window *w, void *p)
{
    if (!p)
        return CLSVM_OK;
    if (!w)
        return CLSVM_ERR_INVALID;
    uintptr_t a = (uintptr_t)p;
    if (!window_inside(w, a))
        return CLSVM_ERR_NOTFOUND;
    if (lost(w))
        return CLSVM_ERR_RESERVE;
    heap_block_info bi;
    return free_any(w, a, false, NULL, &bi);
}

static int free_checked_any(clsvm_window *w, void *p, const void *tag, clsvm_alloc_info *info);

__attribute__((flatten)) int clsvm_free_checked(clsvm_window *w, void *p, const void *tag,
                                                clsvm_alloc_info *info)
{
    /* The common case: a slab's slot (NULL is never inside). Anything else below. */
    uintptr_t a = (uintptr_t)p;
    if (__builtin_expect(w && window_inside(w, a) && !w->lost_in_fork, 1)) {
        heap_block_info bi;
        int rc = small_free(w, a, true, tag, &bi);
        if (rc != SMALL_PASS) {
            if ((rc == CLSVM_OK || rc == CLSVM_ERR_MISMATCH) && info)
                window_to_alloc_info(&bi, info);
            return rc;
        }
    }
    return free_checked_any(w, p, tag, info);
}

static __attribute__((noinline)) int free_checked_any(clsvm_window *w, void *p, const void *tag,
                                                      clsvm_alloc_info *info)
{
    if (!w)
        return CLSVM_ERR_INVALID;
    uintptr_t a = (uintptr_t)p;
    if (!p || !window_inside(w, a))
        return CLSVM_ERR_NOTFOUND;
    if (lost(w))
        return CLSVM_ERR_RESERVE;
    heap_block_info bi;
    int rc = free_any(w, a, true, tag, &bi);
    if ((rc == CLSVM_OK || rc == CLSVM_ERR_MISMATCH) && info)
        window_to_alloc_info(&bi, info);
    return rc;
}
