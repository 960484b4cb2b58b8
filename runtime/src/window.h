/*
 * window.h: internals shared by window.c and the other window_*.c (the public API and its
 * parts), window_commit.c (per-chunk commit counts) and stats.c (JSON and the CLSVM_STATS
 * registry). Not installed.
 */
#ifndef CLSVM_WINDOW_H
#define CLSVM_WINDOW_H

#include "clsvm/runtime.h"
#include "heap.h"
#include "provider.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

/*
 * commit_map: how many live allocations overlap each CLSVM_COMMIT_CHUNK of the window. A chunk
 * is committed exactly while its count is non-zero. Counts live in a two-level table whose
 * leaves (8 GiB of window each) are allocated on first use and freed when empty, so a 128 TiB
 * window costs 128 KiB of top-level pointers and nothing else up front.
 * Not thread-safe: the window lock serialises calls.
 */
typedef struct commit_map commit_map;

int commit_map_create(const provider *prov, provider_region *region, commit_map **out);
void commit_map_destroy(commit_map *cm);

/*
 * Count [addr, addr + len) as used by one more allocation; commit the chunks whose count goes
 * 0 -> 1, adjacent ones in one call. On error (CLSVM_ERR_COMMIT, CLSVM_ERR_HOSTMEM) partial
 * commits are undone and nothing changes. The syscalls run under the caller's lock: the window
 * uses the three steps below instead, so that they run without it.
 */
int commit_map_acquire(commit_map *cm, uintptr_t addr, size_t len);

/* Runs of chunks to commit (address order). */
typedef struct chunk_run {
    uintptr_t addr;
    size_t len;
} chunk_run;
typedef struct chunk_runs {
    chunk_run *run, inline_run[4];
    size_t n, cap;
} chunk_runs;
static inline void chunk_runs_init(chunk_runs *t)
{
    t->run = t->inline_run;
    t->n = 0;
    t->cap = sizeof t->inline_run / sizeof t->inline_run[0];
}
static inline void chunk_runs_fini(chunk_runs *t)
{
    if (t->run != t->inline_run)
        free(t->run);
}

/*
 * commit_map_acquire in three steps, so that the syscalls run without the window lock:
 * claim (lock held): count the range, list in todo the runs of chunks that were empty and mark
 * them busy (no other allocation may use them until they are committed); commit_runs (no lock:
 * it reads only the immutable provider and region): the commits and NUMA binding, returning
 * how many runs succeeded; claimed (lock held): clear busy and, if a run failed, undo the claim
 * (decommitting what was committed) and return CLSVM_ERR_COMMIT.
 */
int commit_map_claim(commit_map *cm, uintptr_t addr, size_t len, chunk_runs *todo);
size_t commit_map_commit_runs(const commit_map *cm, const chunk_runs *todo);
int commit_map_claimed(commit_map *cm, uintptr_t addr, size_t len, const chunk_runs *todo,
                       size_t ok);

/* A chunk is busy while a syscall on it runs without the lock (commit, decommit, purge); an
 * allocation over it waits (window_alloc.c). busy_add counts one more (delta 1) or one less (-1)
 * on each chunk of the range. */
void commit_map_busy_add(commit_map *cm, uintptr_t addr, size_t len, int delta);
bool commit_map_busy(const commit_map *cm, uintptr_t addr, size_t len);
uint64_t commit_map_busy_total(const commit_map *cm);

/* The provider's decommit with the fault hook and the once-logged failure (no bookkeeping). */
void commit_map_decommit_now(commit_map *cm, uintptr_t addr, size_t len);

/* Chunks emptied by a release are decommitted through queue(user, addr, len) (0: queued; the
 * window runs it without the lock, with the chunks marked busy), else at once followed by
 * fn(user, addr, len) (the window trims the heap's lookup tables and forgets purge marks). */
void commit_map_on_decommit(commit_map *cm, void (*fn)(void *user, uintptr_t addr, size_t len),
                            int (*queue)(void *user, uintptr_t addr, size_t len), void *user);

/* Undo one acquire of the same range; decommit chunks whose count goes 1 -> 0. */
void commit_map_release(commit_map *cm, uintptr_t addr, size_t len);

typedef struct commit_stats {
    uint64_t committed; /* bytes */
    uint64_t commits;   /* provider commit calls */
    uint64_t decommits; /* provider decommit calls */
} commit_stats;

void commit_map_get_stats(const commit_map *cm, commit_stats *st);

/* CLSVM_OK when every chunk of [addr, addr + len) has a non-zero count. */
int commit_map_covers(const commit_map *cm, uintptr_t addr, size_t len);

/*
 * Check the table: leaf counters match their counts, no empty leaf is kept, the committed
 * total matches, and the counts sum to expected_sum (chunks spanned, summed over allocations).
 */
int commit_map_validate(const commit_map *cm, uint64_t expected_sum);

/* Visit each run of adjacent committed chunks in address order (stats.c's map); stop when fn
 * returns non-zero. Caller holds the window lock. */
typedef int (*commit_run_fn)(uintptr_t addr, uint64_t len, void *user);
void commit_map_foreach_run(const commit_map *cm, commit_run_fn fn, void *user);

/* Chunks [addr, addr + len) spans (len > 0), for callers computing expected_sum. */
uint64_t commit_map_span(const commit_map *cm, uintptr_t addr, size_t len);

/* Does a chunk of [addr, addr + len) (an allocation's range, len > 0) count exactly one user? */
bool commit_map_last_user(const commit_map *cm, uintptr_t addr, size_t len);

/* Allocations (and retention pins) overlapping the chunk holding addr; 0 outside the window. */
uint32_t commit_map_count(const commit_map *cm, uintptr_t addr);

/* Empty chunks the window keeps committed: 32 chunks of 2 MiB (bounds: window_retain.c). */
#define RETAIN_CHUNKS 32

typedef struct retained_chunks {
    uintptr_t chunk[RETAIN_CHUNKS]; /* bases, oldest first; each holds one commit count */
    unsigned count;
} retained_chunks;

/*
 * purge_map (window_purge.c): which free pages of committed chunks may still be resident, and
 * returning them to the OS (provider->purge) once they exceed the window's retain limit.
 * NULL when the provider cannot purge; every function accepts NULL. Caller holds the lock.
 */
typedef struct purge_map purge_map;

/* queue(user, addr, len): purge that run later without the lock (0: queued), else now. */
int purge_map_create(const provider *prov, provider_region *region, uint64_t limit,
                     int (*queue)(void *user, uintptr_t addr, size_t len), void *user,
                     purge_map **out);
void purge_map_destroy(purge_map *pm);
/* The block [addr, addr + len) (len rounded to the heap granule) was freed into the free block
 * [lo, hi): mark the whole pages of [lo, hi) it touches. */
void purge_mark_freed(purge_map *pm, uintptr_t addr, uint64_t len, uintptr_t lo, uintptr_t hi);
/* [addr, addr + len) (rounded to the granule) was allocated: unmark the pages it overlaps. */
void purge_allocated(purge_map *pm, uintptr_t addr, uint64_t len);
/* The chunks [addr, addr + len) were decommitted: unmark their pages. */
void purge_forget(purge_map *pm, uintptr_t addr, uint64_t len);
/* Beyond the threshold (which adapts to reuse, limit / 4 .. limit), purge the chunks marked longest
 * ago until half of it is left. */
void purge_maybe(purge_map *pm);

typedef struct purge_stats {
    uint64_t retained;  /* bytes of marked pages: freed, on committed chunks, not yet purged */
    uint64_t purges;    /* provider purge calls */
    uint64_t purged;    /* bytes they returned */
    uint64_t threshold; /* bytes marked beyond which the next free purges */
} purge_stats;

void purge_get_stats(const purge_map *pm, purge_stats *st);

/* Syscalls queued under the window lock, run without it (window_unlock). A trim's range is a
 * lookup table's pages (host memory), not window chunks: it marks no chunk busy. */
enum { SYS_DECOMMIT, SYS_PURGE, SYS_TRIM };
typedef struct sys_op {
    uintptr_t addr;
    size_t len;
    int kind;
} sys_op;
typedef struct sys_queue {
    sys_op *ops;
    size_t n, cap;
} sys_queue;

struct clsvm_window {
    pthread_mutex_t lock; /* guards heap, commits and the counters below */
    pthread_cond_t idle;  /* broadcast when chunks stop being busy */
    unsigned waiters;     /* threads waiting on idle */
    uint64_t busy_ops;    /* syscalls queued or running on busy chunks (commit runs count one) */
    sys_queue sysq;       /* decommits, purges and table trims to run once the lock is dropped */
    /* Heap blocks carved but not yet committed and shown (window_alloc_locked), their bytes,
     * and the chunks counted for them so far. */
    uint64_t inflight, inflight_bytes, inflight_span;
    const provider *prov;
    provider_region region;
    heap *heap;
    struct heap_map *map; /* the heap's lookup map of the region: clsvm_lookup's shortcut */
    commit_map *commits;
    unsigned va_bits;
    size_t default_align;
    uint64_t allocated; /* requested bytes of live allocations (mirrors the heap's count) */
    uint64_t peak_allocated;
    uint64_t failed_allocs;
    retained_chunks retained;           /* window_retain.c */
    purge_map *purge;                   /* window_purge.c */
    struct small_state *small;          /* window_small*.c */
    _Atomic uintptr_t *small_dir;       /* its directory: lookups read it without small */
    struct clsvm_window *registry_next; /* stats.c's list of open windows */
    pid_t lost_in_fork; /* in a forked child without the mapping: the parent's pid, else 0 */
};

/*
 * clsvm_window_open() with an explicit provider instead of cfg->provider: the seam where the
 * devsvm provider plugs in, and where tests inject a provider whose commits fail.
 */
int window_open_with(const clsvm_config *cfg, const provider *prov, clsvm_window **out);

/* window_retain.c (caller holds w->lock). Before the heap block [addr, addr + size) is freed
 * and its chunks released: keep the chunks it empties committed, within the bound. */
void retain_before_free(clsvm_window *w, uintptr_t addr, size_t size);
/* Release all but the newest keep retained chunks (decommitting those now empty). */
void retain_drop(clsvm_window *w, unsigned keep);
/* CLSVM_OK if every retained chunk is inside the window and committed (logs otherwise). */
int retain_validate(clsvm_window *w);

/* CLSVM_OK if marked pages match the counters, lie on committed chunks and hold no live
 * allocation (blocks rounded up to granule). */
int purge_validate(clsvm_window *w, uint64_t granule);

/* window_alloc.c, lock held: the heap, commit and purge steps of an allocation (counted in
 * allocated and peak; the caller counts a failure), and of the free of a heap block at addr. The
 * allocation may drop the lock and take it again (to wait for busy chunks, and around its
 * commit syscalls); the free queues its syscalls for window_unlock. */
int window_alloc_locked(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                        uintptr_t *addr);
void window_free_locked(clsvm_window *w, uintptr_t addr);
/* window_syscalls.c. Unlock w->lock after running the queued syscalls without it (taking it again
 * to finish them): every path that may free, drop retained chunks or purge unlocks through here. */
void window_unlock(clsvm_window *w);
/* Lock held: wait until no chunk is busy and nothing is queued (fork, close). */
void window_quiesce(clsvm_window *w);

/* Heap granule: every block starts on a 64-byte line, so allocations that different threads
 * (or a device and the host) use never share a cache line. It equals the default alignment
 * (128) rather than the line: with a 64-byte granule every default-aligned buffer of up to
 * 64 bytes left a 64-byte hole behind it, a second heap record per allocation. */
#define HEAP_GRANULE 128

/* window_syscalls.c, lock held. The commit map's and the heap's callbacks (open_window
 * installs them; w is the window): what a decommit leaves behind, and the queueing of a
 * decommit, a purge and a lookup table's trim for window_unlock (0: queued). */
void window_after_decommit(void *w, uintptr_t addr, size_t len);
int window_queue_decommit(void *w, uintptr_t addr, size_t len);
int window_queue_purge(void *w, uintptr_t addr, size_t len);
int window_queue_trim(void *w, void *addr, size_t len);
/* Run the queued syscalls without the lock (lock held on entry and return). */
void window_run_queued(clsvm_window *w);
/* One step of waiting for queued or running syscalls to end (running those still queued). */
void window_wait_step(clsvm_window *w);
/* Wait for busy chunks of [addr, addr + len) (all of them, and every queued op, if len is 0). */
void window_wait_not_busy(clsvm_window *w, uintptr_t addr, size_t len);

/* Busy chunks were cleared or an allocation left the in-flight count: wake the waiters. */
static inline void window_wake(clsvm_window *w)
{
    if (w->waiters)
        pthread_cond_broadcast(&w->idle);
}

static inline int window_is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

static inline int window_inside(const clsvm_window *w, uintptr_t a)
{
    return a >= w->region.base && a - w->region.base < w->region.size;
}

static inline void window_to_alloc_info(const heap_block_info *b, clsvm_alloc_info *info)
{
    info->base = (void *)b->addr;
    info->size = b->size;
    info->flags = b->flags;
    info->tag = b->tag;
}

/*
 * window_small*.c: allocations of up to 1 KiB from per-thread slabs, without the window lock in
 * the common case. SMALL_PASS: not a small request, or not an address of a slab: take the heap
 * path. small_alloc, small_free and small_lookup take no lock of their own but may take
 * w->lock; the functions marked "lock held" expect the caller to hold it.
 */
#define SMALL_PASS 1
typedef struct small_state small_state;
typedef struct small_counts_t {
    uint64_t live, bytes;       /* small allocations and their requested bytes */
    uint64_t slabs, slab_bytes; /* slabs: heap blocks counted as live by the heap */
} small_counts_t;
int small_create(clsvm_window *w);
void small_destroy(clsvm_window *w);
int small_alloc(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag, void **out);
/* small_alloc's common case alone (no lock, no new cache, no slab change): a valid request
 * (size > 0, align a power of two of at least 128) or SMALL_PASS. */
int small_alloc_cached(clsvm_window *w, size_t size, size_t align, uint32_t flags, void *tag,
                       void **out);
/* checked: CLSVM_ERR_MISMATCH (and *info) for an interior pointer or another tag. */
int small_free(clsvm_window *w, uintptr_t a, bool checked, const void *tag, heap_block_info *info);
int small_lookup(clsvm_window *w, uintptr_t a, heap_block_info *info);
/* Is a inside a live small allocation with this tag and flags below flags_below? false also
 * when a is in no slab. */
bool small_is_in(const void *dir, uintptr_t wbase, uintptr_t a, const void *tag,
                 uint32_t flags_below); /* dir, wbase: the window's small_dir and region.base */
int small_owns(const clsvm_window *w, uintptr_t a); /* lock held: a is inside a slab */
int small_is_slab_tag(const clsvm_window *w, const void *tag);
void small_counts(const clsvm_window *w, small_counts_t *c); /* lock held */
uint64_t small_observe_peak(clsvm_window *w);   /* lock held: update and return the peak */
bool small_nothing_live(const clsvm_window *w); /* lock held: no allocation is live */
void small_note_retained(clsvm_window *w);      /* lock held: after retained chunks change */
void small_flush_self(clsvm_window *w);         /* lock held: give back this thread's empty slabs */
/* lock held: visit the live slots of the slab at base; non-zero when fn stopped the walk. */
int small_foreach_slab(const clsvm_window *w, uintptr_t base,
                       int (*fn)(const heap_block_info *, void *), void *user);
int small_validate(clsvm_window *w);    /* lock held; exact only while no small call runs */
void small_fork_child(clsvm_window *w); /* lock held, in a fork child */
void small_fork_lost(clsvm_window *w);  /* lock held, in a fork child without the window */
pthread_mutex_t *small_registry_lock(void);

/* Largest alignment clsvm_alloc() accepts. */
#define CLSVM_MAX_ALIGN ((uint64_t)1 << 30)

/* stats.c: track open windows so CLSVM_STATS can dump them at exit. */
void stats_register_window(clsvm_window *w);
/* Called by clsvm_window_close() before teardown; writes CLSVM_STATS if set. */
void stats_unregister_window(clsvm_window *w);

/* window_fork.c: lock the registry and return the open windows (before fork()); release it
 * after fork() (in_child: the child forgets the parent's closed windows and, unless the
 * CLSVM_STATS path names the pid, writes no dump over its parent's). */
clsvm_window *stats_registry_hold(void);
void stats_registry_release(int in_child);

/* Install the fork handlers of window_fork.c (once per process, at the first window). */
void window_fork_register(void);
/* Guards clsvm_window_open()'s memory of the last devsvm fallback notice. */
extern pthread_mutex_t window_notice_lock;

#endif
