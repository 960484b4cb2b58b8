/*
 * window.c: the window of runtime.h as a whole, and its life: config defaults, open (provider
 * selection), close. The window sits on a provider (provider.h), the heap (heap.h) and the
 * per-chunk commit counts (window_commit.c); the rest of its API is in window_alloc.c (alloc,
 * free), window_lookup.c (lookups), window_info.c (info, stats, foreach), window_validate.c
 * and window_syscalls.c (the syscalls that run without the lock, and the waits for them).
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
#include "clsvm/internal/log.h"

#include <stdlib.h>
#include <string.h>

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
    if (!window_is_pow2(cfg->default_align) || cfg->default_align > CLSVM_MAX_ALIGN) {
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
        heap_defer_syscalls(w->heap, window_queue_trim, w);
        rc = heap_add_range(w->heap, w->region.base, (size_t)w->region.size);
        w->map = heap_range_map(w->heap, w->region.base);
    }
    if (!rc)
        rc = commit_map_create(prov, &w->region, &w->commits);
    if (!rc)
        rc =
            purge_map_create(prov, &w->region, cfg->retain_limit, window_queue_purge, w, &w->purge);
    if (!rc)
        rc = small_create(w);
    if (rc)
        goto fail;
    commit_map_on_decommit(w->commits, window_after_decommit, window_queue_decommit, w);

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
