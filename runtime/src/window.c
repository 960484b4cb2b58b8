/*
 * window.c: the public window API of runtime.h — open/close, alloc/free/lookup/foreach,
 * info, stats and validate — on top of a provider (provider.h), the heap (heap.h) and the
 * per-chunk commit counts (window_commit.c).
 * Provider selection (clsvm_config.provider, CLSVM_WINDOW): reserve; devsvm, or failure with one
 * error line; auto = devsvm if usable, else reserve with one line saying why (docs/dev-svm.md).
 *
 * Retention: some chunks emptied by frees stay committed (bounds in window_retain.c), so
 * alloc/free cycles do not decommit (mmap) and recommit (mprotect) their chunks every time.
 * Purge: free pages of chunks that stay committed go back to the OS once more than
 * cfg.retain_limit bytes of them wait, a quarter of that while they are not reused
 * (window_purge.c).
 *
 * Locking: one mutex per window guards the heap, the commit table and the counters. It is
 * held for one heap operation, not for the commit, decommit and purge syscalls: those run with
 * their chunks marked busy (an allocation over a busy chunk waits on the condition variable
 * idle), commits by the allocating thread itself (window_alloc_locked), decommits and purges
 * queued under the lock and run by window_unlock. The heap's lookup tables make no syscall
 * under it either: a new table is mapped by the allocating thread with the lock dropped, and
 * a table's trim is queued like a purge (an allocation starting in its chunk waits for it).
 * clsvm_lookup() takes no lock at all (it reads the heap's lookup map, whose entries are
 * seqlocks). fork() handlers (window_fork.c) hold every window's lock across fork(), once no
 * syscall is in flight, so a child finds them free. Small allocations come from per-thread
 * slabs in front of it (window_small.c).
 * Invariants (clsvm_window_validate): every live allocation lies in [base, base + size), below
 * 2^va_bits, on committed chunks; chunk counts, heap counters and window counters agree.
 */
#include "window.h"

#include "config.h"
#include "fault.h"
#include "heap_map.h"
#include "clsvm/internal/log.h"
#include "clsvm/internal/lookup.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Heap granule: every block starts on a 64-byte line, so allocations that different threads
 * (or a device and the host) use never share a cache line. It equals the default alignment
 * (128) rather than the line: with a 64-byte granule every default-aligned buffer of up to
 * 64 bytes left a 64-byte hole behind it, a second heap record per allocation. */
#define HEAP_GRANULE 128
#define MIN_WINDOW ((uint64_t)64 << 20)
#define DEFAULT_ALIGN 128                 /* OpenCL long16 */
#define RETAIN_LIMIT ((uint64_t)64 << 20) /* glibc's largest trim threshold on 64-bit */

const char *clsvm_status_str(int status)
{
    switch (status) {
    case CLSVM_OK:
        return "success";
    case CLSVM_ERR_INVALID:
        return "invalid argument";
    case CLSVM_ERR_NOMEM:
        return "window exhausted";
    case CLSVM_ERR_NOTFOUND:
        return "not a live allocation";
    case CLSVM_ERR_COMMIT:
        return "the OS refused to commit pages";
    case CLSVM_ERR_RESERVE:
        return "no window could be reserved";
    case CLSVM_ERR_HOSTMEM:
        return "out of host memory for metadata";
    case CLSVM_ERR_MISMATCH:
        return "not the base of the allocation, or another owner's";
    default:
        return "unknown status";
    }
}

void clsvm_config_init(clsvm_config *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->va_bits = (unsigned)clsvm_option_int(CLSVM_OPT_VA_BITS);
    cfg->window_size = (uint64_t)clsvm_option_int(CLSVM_OPT_WINDOW_SIZE);
    cfg->min_window_size = MIN_WINDOW;
    cfg->default_align = DEFAULT_ALIGN;
    cfg->provider = clsvm_option_str(CLSVM_OPT_WINDOW);
    cfg->device = clsvm_option_str(CLSVM_OPT_DEVICE);
    cfg->retain_limit = RETAIN_LIMIT;
}

static int open_window(const clsvm_config *cfg, const provider *prov, provider_failure *failure,
                       clsvm_window **out);

pthread_mutex_t window_notice_lock = PTHREAD_MUTEX_INITIALIZER;

static int is_pow2(uint64_t x)
{
    return x && !(x & (x - 1));
}

enum { PICK_RESERVE, PICK_DEVSVM, PICK_AUTO, PICK_BAD };

static int pick_provider(const char *name)
{
    if (!name || !strcmp(name, "auto"))
        return PICK_AUTO;
    if (!strcmp(name, "reserve"))
        return PICK_RESERVE;
    if (!strcmp(name, "devsvm"))
        return PICK_DEVSVM;
    clsvm_log(CLSVM_LOG_ERROR, "window: unknown provider '%s' (expected auto, devsvm or reserve)",
              name);
    return PICK_BAD;
}

static int check_config(const clsvm_config *cfg)
{
    if (cfg->va_bits < 32 || cfg->va_bits > 48) {
        clsvm_log(CLSVM_LOG_ERROR, "window: va_bits %u is outside 32..48", cfg->va_bits);
        return CLSVM_ERR_INVALID;
    }
    if (cfg->window_size < CLSVM_COMMIT_CHUNK) {
        clsvm_log(CLSVM_LOG_ERROR, "window: window_size %llu is below one 2 MiB chunk",
                  (unsigned long long)cfg->window_size);
        return CLSVM_ERR_INVALID;
    }
    if (!is_pow2(cfg->default_align) || cfg->default_align > CLSVM_MAX_ALIGN) {
        clsvm_log(CLSVM_LOG_ERROR, "window: default_align %zu is not a power of two up to 1 GiB",
                  cfg->default_align);
        return CLSVM_ERR_INVALID;
    }
    return CLSVM_OK;
}

/* The "reserve" fault site (CLSVM_FAULT): one per window open, whichever providers it tries,
 * and named as what it is, not as a provider's failure. */
static int reserve_fault_hit(void)
{
    if (!clsvm_fault_hit(CLSVM_FAULT_RESERVE))
        return 0;
    clsvm_log(CLSVM_LOG_ERROR, "window: no window opened: CLSVM_FAULT injected a failure at the "
                               "reserve site (a test hook; unset CLSVM_FAULT)");
    return 1;
}

int clsvm_window_open(const clsvm_config *cfg, clsvm_window **out)
{
    clsvm_config defaults;
    if (!out)
        return CLSVM_ERR_INVALID;
    *out = NULL;
    if (!cfg) {
        clsvm_config_init(&defaults);
        cfg = &defaults;
    }
    clsvm_options_log_once();
    int pick = pick_provider(cfg->provider);
    if (pick == PICK_BAD)
        return CLSVM_ERR_INVALID;
    if (reserve_fault_hit())
        return CLSVM_ERR_RESERVE;
    if (pick == PICK_RESERVE)
        return open_window(cfg, &provider_reserve, NULL, out);

    /* devsvm first; its failure is described, not logged, so the user sees one line. */
    provider_failure why = {CLSVM_LOG_WARN, ""};
    int rc = open_window(cfg, &provider_devsvm, &why, out);
    if (rc == CLSVM_OK || !why.why[0])
        return rc; /* opened, or failed for a reason already logged (host memory, ...) */
    if (pick == PICK_DEVSVM) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window: provider devsvm was requested but is unusable: %s; no window opened "
                  "(CLSVM_WINDOW=auto would fall back to reserve)",
                  why.why);
        return CLSVM_ERR_RESERVE;
    }
    /* auto: one line per distinct reason, not one per window; a missing device is the
     * normal case on most machines, hence info level. */
    static char told[sizeof why.why];
    pthread_mutex_lock(&window_notice_lock);
    int repeat = !strcmp(told, why.why);
    if (!repeat)
        memcpy(told, why.why, sizeof told);
    pthread_mutex_unlock(&window_notice_lock);
    if (!repeat)
        clsvm_log(why.level, "window: devsvm unavailable: %s; using reserve", why.why);
    return open_window(cfg, &provider_reserve, NULL, out);
}

int window_open_with(const clsvm_config *cfg, const provider *prov, clsvm_window **out)
{
    if (out)
        *out = NULL;
    if (cfg && prov && out && reserve_fault_hit())
        return CLSVM_ERR_RESERVE;
    return open_window(cfg, prov, NULL, out);
}

/* A decommitted range holds no allocation: its lookup tables can give their pages back, and
 * its pages are no longer resident. */
static void after_decommit(void *w_, uintptr_t addr, size_t len)
{
    clsvm_window *w = w_;
    heap_trim(w->heap, addr, len);
    purge_forget(w->purge, addr, len);
}

/* Busy chunks were cleared or an allocation left the in-flight count: wake the waiters. */
static void wake(clsvm_window *w)
{
    if (w->waiters)
        pthread_cond_broadcast(&w->idle);
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
static int queue_decommit(void *w_, uintptr_t addr, size_t len)
{
    clsvm_window *w = w_;
    int rc = sysq_push(w, SYS_DECOMMIT, addr, len);
    if (!rc)
        purge_forget(w->purge, addr, len);
    return rc;
}

static int queue_purge(void *w_, uintptr_t addr, size_t len)
{
    return sysq_push(w_, SYS_PURGE, addr, len);
}

/* The pages of a lookup table with no block start (heap_trim): until the trim has run, the heap
 * refuses to start a block in its chunk (HEAP_TRIMMING). */
static int queue_trim(void *w_, void *addr, size_t len)
{
    return sysq_push(w_, SYS_TRIM, (uintptr_t)addr, len);
}

/*
 * The queued decommits and purges run here, without the lock: another thread's allocation or
 * free does not wait for them, except an allocation over one of their chunks (busy), which
 * waits in window_alloc_locked. Lock held on entry and return.
 */
static void run_queued(clsvm_window *w)
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
        wake(w);
    }
}

void window_unlock(clsvm_window *w)
{
    if (w->sysq.n)
        run_queued(w);
    pthread_mutex_unlock(&w->lock);
}

/* One step of waiting for queued or running syscalls to end. Ops still queued (by this thread
 * earlier under the same lock, or left by a path that unlocked without running them) are run
 * here: nobody else would. */
static void wait_step(clsvm_window *w)
{
    if (w->sysq.n)
        run_queued(w);
    else {
        w->waiters++;
        pthread_cond_wait(&w->idle, &w->lock);
        w->waiters--;
    }
}

/* Wait for busy chunks of [addr, addr + len) (all of them, and every queued op, if len is 0). */
static void wait_not_busy(clsvm_window *w, uintptr_t addr, size_t len)
{
    while (len ? commit_map_busy(w->commits, addr, len) : w->busy_ops || w->inflight)
        wait_step(w);
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
            wait_step(w);
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

void window_quiesce(clsvm_window *w)
{
    wait_not_busy(w, 0, 0);
}

/* Bytes the heap block of a size-byte allocation occupies. */
static uint64_t block_bytes(size_t size)
{
    return ((uint64_t)size + HEAP_GRANULE - 1) & ~(uint64_t)(HEAP_GRANULE - 1);
}

/* failure non-NULL: a map failure the provider describes there is not logged here. */
static int open_window(const clsvm_config *cfg, const provider *prov, provider_failure *failure,
                       clsvm_window **out)
{
    if (!cfg || !prov || !out)
        return CLSVM_ERR_INVALID;
    *out = NULL;
    int rc = check_config(cfg);
    if (rc)
        return rc;

    clsvm_window *w = calloc(1, sizeof *w);
    if (!w)
        return CLSVM_ERR_HOSTMEM;
    if (pthread_mutex_init(&w->lock, NULL)) {
        free(w);
        return CLSVM_ERR_HOSTMEM;
    }
    if (pthread_cond_init(&w->idle, NULL)) {
        pthread_mutex_destroy(&w->lock);
        free(w);
        return CLSVM_ERR_HOSTMEM;
    }
    w->prov = prov;
    w->va_bits = cfg->va_bits;
    w->default_align = cfg->default_align;

    /* A caller asking for less than the minimum gets exactly what it asked for, or nothing. */
    uint64_t min =
        cfg->min_window_size < cfg->window_size ? cfg->min_window_size : cfg->window_size;
    provider_request req = {cfg->va_bits, cfg->window_size, min, cfg->device, failure};
    rc = prov->map(&req, &w->region);
    if (rc && failure && failure->why[0])
        goto fail; /* the caller reports it */
    if (rc) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window: no %s window of at least %llu MiB fits below 2^%u; lower "
                  "CLSVM_WINDOW_SIZE or raise CLSVM_VA_BITS",
                  prov->name, (unsigned long long)(min >> 20), cfg->va_bits);
        goto fail;
    }
    /* Trust no provider with the one promise the device depends on. */
    if (w->region.base % CLSVM_COMMIT_CHUNK || w->region.size % CLSVM_COMMIT_CHUNK ||
        !w->region.size || w->region.size > ((uint64_t)1 << cfg->va_bits) ||
        w->region.base > ((uint64_t)1 << cfg->va_bits) - w->region.size) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window: provider %s mapped [%#lx, +%#llx): not below 2^%u or not 2 MiB "
                  "aligned; refusing it",
                  prov->name, (unsigned long)w->region.base, (unsigned long long)w->region.size,
                  cfg->va_bits);
        rc = CLSVM_ERR_RESERVE;
        goto fail;
    }
    rc = heap_create(HEAP_GRANULE, &w->heap);
    if (!rc) {
        heap_hide_new(w->heap); /* shown once committed (clsvm_alloc) */
        heap_defer_syscalls(w->heap, queue_trim, w);
        rc = heap_add_range(w->heap, w->region.base, (size_t)w->region.size);
        w->map = heap_range_map(w->heap, w->region.base);
    }
    if (!rc)
        rc = commit_map_create(prov, &w->region, &w->commits);
    if (!rc)
        rc = purge_map_create(prov, &w->region, cfg->retain_limit, queue_purge, w, &w->purge);
    if (!rc)
        rc = small_create(w);
    if (rc)
        goto fail;
    commit_map_on_decommit(w->commits, after_decommit, queue_decommit, w);

    clsvm_log(CLSVM_LOG_INFO, "window: %s [%#lx, %#lx) %llu MiB, va_bits %u", prov->name,
              (unsigned long)w->region.base, (unsigned long)(w->region.base + w->region.size),
              (unsigned long long)(w->region.size >> 20), w->va_bits);
    if (w->region.size < (cfg->window_size & ~(CLSVM_COMMIT_CHUNK - 1)))
        clsvm_log(CLSVM_LOG_WARN,
                  "window: only %llu MiB of the %llu MiB asked for fit below 2^%u; the window "
                  "shrank",
                  (unsigned long long)(w->region.size >> 20),
                  (unsigned long long)(cfg->window_size >> 20), w->va_bits);
    window_fork_register();
    stats_register_window(w);
    *out = w;
    return CLSVM_OK;

fail:
    purge_map_destroy(w->purge);
    commit_map_destroy(w->commits);
    if (w->heap)
        heap_destroy(w->heap);
    if (w->region.size)
        prov->release(&w->region);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return rc;
}

void clsvm_window_close(clsvm_window *w)
{
    if (!w)
        return;
    stats_unregister_window(w);
    small_destroy(w);
    purge_map_destroy(w->purge);
    commit_map_destroy(w->commits);
    heap_destroy(w->heap);
    w->prov->release(&w->region);
    free(w->sysq.ops);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

void clsvm_window_get_info(const clsvm_window *w, clsvm_window_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    if (!w)
        return;
    /* Immutable after open: no lock needed. */
    info->base = w->region.base;
    info->size = w->region.size;
    info->va_bits = w->va_bits;
    info->commit_chunk = CLSVM_COMMIT_CHUNK;
    info->max_align = CLSVM_MAX_ALIGN;
    info->provider = w->prov->name;
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
        if (is_pow2(a) && small_alloc_cached(w, size, a < HEAP_GRANULE ? HEAP_GRANULE : a, flags,
                                             tag, out) == CLSVM_OK)
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
    if (size == 0 || !is_pow2(align) || align > CLSVM_MAX_ALIGN)
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

/* A heap block hidden while the lock is dropped for it (delta 1, then -1 with the same
 * size and span): validate accounts for it, window_quiesce waits for it. */
static void inflight(clsvm_window *w, size_t size, uint64_t span, int delta)
{
    w->inflight += (uint64_t)(int64_t)delta;
    w->inflight_bytes += (uint64_t)(int64_t)delta * size;
    w->inflight_span += (uint64_t)(int64_t)delta * span;
    if (!w->inflight)
        wake(w);
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
        wait_not_busy(w, *addr, size);
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
            wake(w);
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
        run_queued(w); /* drops the lock for the syscalls */
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

static int inside(const clsvm_window *w, uintptr_t a)
{
    return a >= w->region.base && a - w->region.base < w->region.size;
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
    if (!inside(w, a))
        return CLSVM_ERR_NOTFOUND;
    if (lost(w))
        return CLSVM_ERR_RESERVE;
    heap_block_info bi;
    return free_any(w, a, false, NULL, &bi);
}

static void to_alloc_info(const heap_block_info *b, clsvm_alloc_info *info);
static int free_checked_any(clsvm_window *w, void *p, const void *tag, clsvm_alloc_info *info);

__attribute__((flatten)) int clsvm_free_checked(clsvm_window *w, void *p, const void *tag,
                                                clsvm_alloc_info *info)
{
    /* The common case: a slab's slot (NULL is never inside). Anything else below. */
    uintptr_t a = (uintptr_t)p;
    if (__builtin_expect(w && inside(w, a) && !w->lost_in_fork, 1)) {
        heap_block_info bi;
        int rc = small_free(w, a, true, tag, &bi);
        if (rc != SMALL_PASS) {
            if ((rc == CLSVM_OK || rc == CLSVM_ERR_MISMATCH) && info)
                to_alloc_info(&bi, info);
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
    if (!p || !inside(w, a))
        return CLSVM_ERR_NOTFOUND;
    if (lost(w))
        return CLSVM_ERR_RESERVE;
    heap_block_info bi;
    int rc = free_any(w, a, true, tag, &bi);
    if ((rc == CLSVM_OK || rc == CLSVM_ERR_MISMATCH) && info)
        to_alloc_info(&bi, info);
    return rc;
}

static void to_alloc_info(const heap_block_info *b, clsvm_alloc_info *info)
{
    info->base = (void *)b->addr;
    info->size = b->size;
    info->flags = b->flags;
    info->tag = b->tag;
}

clsvm_small_view clsvm_lookup_small_view(const clsvm_window *w)
{
    return (clsvm_small_view){w->region.base, w->region.size, (const void *)w->small_dir};
}

int clsvm_lookup_small_in(const clsvm_small_view *v, const void *p, const void *tag,
                          uint32_t flags_below)
{
    uintptr_t off = (uintptr_t)p - v->base; /* one compare: below base wraps around */
    return off < v->size && small_is_in(v->dir, v->base, (uintptr_t)p, tag, flags_below);
}

int clsvm_lookup_small_is(const clsvm_window *w, const void *p, const void *tag,
                          uint32_t flags_below)
{
    clsvm_small_view v = clsvm_lookup_small_view(w);
    return clsvm_lookup_small_in(&v, p, tag, flags_below);
}

/* Out of line, with a result of its own: the small path stays short, and a caller that inlines
 * clsvm_lookup keeps its small result in registers. */
__attribute__((noinline)) static int lookup_heap(clsvm_window *w, uintptr_t a, heap_block_info *b)
{
    int rc = heap_map_lookup(w->map, a, b);
    if (!rc && small_is_slab_tag(w, b->tag))
        rc = CLSVM_ERR_NOTFOUND; /* a slab the directory no longer (or not yet) names */
    return rc;
}

int clsvm_lookup(clsvm_window *w, const void *p, clsvm_alloc_info *info)
{
    if (!w)
        return CLSVM_ERR_INVALID;
    uintptr_t a = (uintptr_t)p;
    if (!inside(w, a) || w->lost_in_fork)
        return CLSVM_ERR_NOTFOUND; /* cheap reject; nothing is here */
    heap_block_info b; /* no lock: both lookups are safe against concurrent alloc and free */
    int rc = small_lookup(w, a, &b);
    if (__builtin_expect(rc == SMALL_PASS, 0)) {
        heap_block_info hb;
        rc = lookup_heap(w, a, &hb);
        if (!rc && info)
            to_alloc_info(&hb, info);
        return rc;
    }
    if (!rc && info)
        to_alloc_info(&b, info);
    return rc;
}

typedef struct live_walk {
    const clsvm_window *w;
    int (*fn)(const heap_block_info *, void *);
    void *user;
} live_walk;

static int walk_block(const heap_block_info *b, void *user)
{
    live_walk *lw = user;
    if (small_is_slab_tag(lw->w, b->tag))
        return small_foreach_slab(lw->w, b->addr, lw->fn, lw->user);
    return lw->fn(b, lw->user);
}

/* heap_foreach over live allocations: a slab's live slots instead of the slab (lock held). */
static void foreach_live(const clsvm_window *w, int (*fn)(const heap_block_info *, void *),
                         void *user)
{
    live_walk lw = {w, fn, user};
    heap_foreach(w->heap, walk_block, &lw);
}

typedef struct snapshot {
    clsvm_alloc_info *items;
    size_t n, cap;
} snapshot;

static int snapshot_add(const heap_block_info *b, void *user)
{
    snapshot *s = user;
    if (s->n == s->cap)
        return 1;
    to_alloc_info(b, &s->items[s->n++]);
    return 0;
}

typedef struct direct_visit {
    clsvm_visit_fn fn;
    void *user;
} direct_visit;

static int visit_direct(const heap_block_info *b, void *user)
{
    direct_visit *d = user;
    clsvm_alloc_info info;
    to_alloc_info(b, &info);
    return d->fn(&info, d->user);
}

/* Live allocations: the heap's blocks, slabs replaced by their live slots (lock held). */
static uint64_t live_count(const clsvm_window *w, const heap_stats *hs)
{
    small_counts_t c;
    small_counts(w, &c);
    return hs->live - c.slabs + c.live;
}

/* The callback runs on a snapshot, without the lock, so it may call back into the window
 * (lookup, even free). Only if the snapshot cannot be allocated does it run under the lock. */
void clsvm_window_foreach(clsvm_window *w, clsvm_visit_fn fn, void *user)
{
    if (!w || !fn)
        return;
    pthread_mutex_lock(&w->lock);
    heap_stats hs;
    heap_get_stats(w->heap, &hs);
    /* Room for small allocations other threads make during the walk (they take no lock). */
    snapshot s = {NULL, 0, (size_t)live_count(w, &hs)};
    s.cap += s.cap ? 64 : 0;
    s.items = s.cap ? malloc(s.cap * sizeof *s.items) : NULL;
    if (s.cap && !s.items) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "window: foreach without a snapshot (out of memory); "
                                       "the callback runs under the window lock");
        direct_visit d = {fn, user};
        foreach_live(w, visit_direct, &d);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    if (s.cap)
        foreach_live(w, snapshot_add, &s);
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < s.n; i++)
        if (fn(&s.items[i], user))
            break;
    free(s.items);
}

void clsvm_window_get_stats(clsvm_window *w, clsvm_stats *st)
{
    if (!st)
        return;
    memset(st, 0, sizeof *st);
    if (!w)
        return;
    heap_stats hs;
    commit_stats cs;
    purge_stats ps;
    small_counts_t sc;
    pthread_mutex_lock(&w->lock);
    if (!w->lost_in_fork) {
        small_flush_self(w); /* this thread's empty slabs go back to the heap */
        retain_drop(w, 0);   /* so `committed` reports exactly what live allocations need */
        small_note_retained(w);
    }
    heap_get_stats(w->heap, &hs);
    commit_map_get_stats(w->commits, &cs);
    purge_get_stats(w->purge, &ps);
    small_counts(w, &sc);
    st->peak_allocated = small_observe_peak(w);
    st->failed_allocs = w->failed_allocs;
    window_unlock(w);
    st->reserved = w->region.size;
    st->committed = cs.committed;
    st->allocated = hs.used_bytes - sc.slab_bytes + sc.bytes;
    st->live_allocations = hs.live - sc.slabs + sc.live;
    st->free_bytes = hs.free_bytes;
    st->free_ranges = hs.free_blocks;
    st->largest_free = hs.largest_free;
    st->commits = cs.commits;
    st->decommits = cs.decommits;
    st->retained = ps.retained;
    st->purges = ps.purges;
    st->purged = ps.purged;
    st->purge_threshold = ps.threshold;
}

typedef struct check_state {
    const clsvm_window *w;
    uint64_t live, used, span_sum;
    int bad;
} check_state;

static int check_block(const heap_block_info *b, void *user)
{
    check_state *s = user;
    const clsvm_window *w = s->w;
    uintptr_t lim = (uintptr_t)1 << w->va_bits;
    if (b->size == 0 || b->addr < w->region.base ||
        b->size > w->region.base + w->region.size - b->addr || b->addr + b->size > lim) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: allocation %#lx+%zu outside the window",
                  (unsigned long)b->addr, b->size);
        s->bad = 1;
        return 1;
    }
    if (commit_map_covers(w->commits, b->addr, b->size) != CLSVM_OK) {
        clsvm_log(CLSVM_LOG_ERROR, "window validate: allocation %#lx+%zu is not committed",
                  (unsigned long)b->addr, b->size);
        s->bad = 1;
        return 1;
    }
    s->live++;
    s->used += b->size;
    s->span_sum += commit_map_span(w->commits, b->addr, b->size);
    return 0;
}

int clsvm_window_validate(clsvm_window *w)
{
    if (!w)
        return CLSVM_ERR_INVALID;
    pthread_mutex_lock(&w->lock);
    int rc = heap_validate_hidden(w->heap, w->inflight);
    check_state s = {w, 0, 0, 0, 0};
    heap_stats hs;
    if (!rc) {
        heap_foreach(w->heap, check_block, &s);
        heap_get_stats(w->heap, &hs);
        rc = s.bad ? CLSVM_ERR_INVALID : CLSVM_OK;
    }
    /* Blocks being committed by other threads are hidden from the walk and not yet counted. */
    if (!rc && (hs.live != s.live + w->inflight || hs.used_bytes != s.used + w->inflight_bytes ||
                hs.used_bytes != w->allocated + w->inflight_bytes ||
                hs.range_bytes != w->region.size || w->allocated > w->peak_allocated)) {
        clsvm_log(CLSVM_LOG_ERROR,
                  "window validate: counters disagree (heap live %llu used %llu range %llu, "
                  "walked live %llu used %llu, window size %llu allocated %llu peak %llu)",
                  (unsigned long long)hs.live, (unsigned long long)hs.used_bytes,
                  (unsigned long long)hs.range_bytes, (unsigned long long)s.live,
                  (unsigned long long)s.used, (unsigned long long)w->region.size,
                  (unsigned long long)w->allocated, (unsigned long long)w->peak_allocated);
        rc = CLSVM_ERR_INVALID;
    }
    if (!rc)
        rc = small_validate(w);
    if (!rc)
        rc = retain_validate(w);
    if (!rc)
        rc = purge_validate(w, HEAP_GRANULE);
    if (!rc)
        rc = commit_map_validate(w->commits, s.span_sum + w->retained.count + w->inflight_span);
    pthread_mutex_unlock(&w->lock);
    return rc;
}
