/*
 * window_reserve.c: the "reserve" provider. It finds a hole in /proc/self/maps that lies
 * entirely inside [floor, limit) — floor = max(vm.mmap_min_addr, 2 MiB), limit = min(2^va_bits,
 * end of user space) — and reserves it with an anonymous PROT_NONE, MAP_NORESERVE mapping, so
 * the window costs address space but no memory until chunks are committed.
 *
 * Placement: the highest hole that fits wins (low addresses are where non-PIE binaries and
 * brk live; high ones are the top-down mmap area, which has the most room), keeping a guard
 * gap from every neighbour, a larger one above [heap] (brk grows up) and below [stack] (the
 * stack grows down). The base is 2 MiB aligned, 1 GiB aligned when the size allows.
 * MAP_FIXED_NOREPLACE never clobbers a mapping; kernels older than 4.17 treat it as a plain
 * hint, so the returned address is always compared with the hint. EEXIST means another thread
 * mapped into the hole since we read the maps: rescan. When nothing fits the size is halved
 * down to the minimum (libhsakmt does the same for its SVM aperture).
 * Cost: O(number of mappings) per attempt, a handful of attempts per window.
 */
#include "provider.h"

#include "clsvm/runtime.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000 /* Linux 4.17; older kernels read it as a hint */
#endif

#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

#define MIN_FLOOR (2 * MiB)       /* never below this, whatever vm.mmap_min_addr says */
#define GUARD_ANY (16 * MiB)      /* slack next to every neighbouring mapping */
#define GUARD_GROWING (256 * MiB) /* above [heap] and below [stack], which grow */
#define GUARD_STACK_MAX (1 * GiB) /* cap when RLIMIT_STACK is huge or unlimited */
#define MAX_RACES 8               /* rescans after EEXIST before giving up on a size */
#define MAX_ATTEMPTS 32           /* placement attempts per size (skipped holes) */

enum { VMA_PLAIN, VMA_HEAP, VMA_STACK };

typedef struct vma {
    uintptr_t start, end;
    int kind;
} vma;

typedef struct vma_list {
    vma *v;
    size_t n, cap;
} vma_list;

static const int map_flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

static uintptr_t align_down(uintptr_t x, uint64_t a)
{
    return x & ~(uintptr_t)(a - 1);
}

/* Read /proc/self/maps (sorted by address). Mappings at or above 2^56 ([vsyscall]) are
 * kernel-provided and never in the way, so they are dropped. */
static int read_maps(vma_list *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t len = 0;
    int rc = 0;
    while (getline(&line, &len, f) > 0) {
        unsigned long start, end;
        if (sscanf(line, "%lx-%lx", &start, &end) != 2 || end <= start)
            continue;
        if (start >= ((uintptr_t)1 << 56))
            continue;
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 128;
            vma *nv = realloc(out->v, cap * sizeof *nv);
            if (!nv) {
                rc = -1;
                break;
            }
            out->v = nv;
            out->cap = cap;
        }
        int kind = strstr(line, "[heap]")    ? VMA_HEAP
                   : strstr(line, "[stack]") ? VMA_STACK
                                             : VMA_PLAIN;
        out->v[out->n++] = (vma){start, end, kind};
    }
    free(line);
    fclose(f);
    if (rc)
        free(out->v);
    return rc;
}

static struct {
    uintptr_t floor;
    uintptr_t user_end; /* first address past user space */
    uint64_t stack_guard;
} bounds;
static pthread_once_t bounds_once = PTHREAD_ONCE_INIT;

/* User space ends just below a power of two (2^47 on x86-64 with 4-level paging, 2^48 on
 * arm64 with 48-bit VA); the stack sits right below it, so round the highest mapping up. */
static void load_bounds(void)
{
    uintptr_t floor = 0;
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "re");
    if (f) {
        unsigned long v;
        if (fscanf(f, "%lu", &v) == 1)
            floor = v;
        fclose(f);
    }
    bounds.floor = floor > MIN_FLOOR ? floor : MIN_FLOOR;

    uintptr_t top = 0;
    vma_list maps;
    if (read_maps(&maps) == 0) {
        for (size_t i = 0; i < maps.n; i++)
            if (maps.v[i].end > top)
                top = maps.v[i].end;
        free(maps.v);
    }
    unsigned bits = 47; /* x86-64 default when the maps cannot be read */
    while (bits < 56 && top > ((uintptr_t)1 << bits))
        bits++;
    long page = sysconf(_SC_PAGESIZE);
    bounds.user_end = ((uintptr_t)1 << bits) - (uintptr_t)(page > 0 ? page : 4096);

    /* The stack may grow down to RLIMIT_STACK below its top: keep that much room. */
    struct rlimit rl;
    uint64_t g = GUARD_GROWING;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur > g)
        g = rl.rlim_cur == RLIM_INFINITY ? GUARD_STACK_MAX : rl.rlim_cur;
    bounds.stack_guard = g > GUARD_STACK_MAX ? GUARD_STACK_MAX : g;
}

void provider_reserve_bounds(unsigned va_bits, uintptr_t *floor, uintptr_t *limit)
{
    pthread_once(&bounds_once, load_bounds);
    uintptr_t lim = bounds.user_end;
    if (va_bits < 56 && ((uintptr_t)1 << va_bits) < lim)
        lim = (uintptr_t)1 << va_bits;
    *floor = bounds.floor;
    *limit = lim;
}

static uint64_t guard_above(const vma *below)
{
    return !below ? 0 : below->kind == VMA_HEAP ? GUARD_GROWING : GUARD_ANY;
}

static uint64_t guard_below(const vma *above)
{
    return !above ? 0 : above->kind == VMA_STACK ? bounds.stack_guard : GUARD_ANY;
}

/* Best base for size in [lo, hi): the highest, 1 GiB aligned if possible, else 2 MiB. */
static int place_in(uintptr_t lo, uintptr_t hi, uint64_t size, uintptr_t *base)
{
    if (hi <= lo || hi - lo < size)
        return 0;
    if (size >= GiB) {
        uintptr_t b = align_down(hi - size, GiB);
        if (b >= lo) {
            *base = b;
            return 1;
        }
    }
    uintptr_t b = align_down(hi - size, CLSVM_COMMIT_CHUNK);
    if (b < lo)
        return 0;
    *base = b;
    return 1;
}

/*
 * Highest placement of size inside [floor, ceiling), away from the mappings in m.
 * *hole_lo receives the low end of the hole used, so a caller can skip that hole.
 */
static int find_hole(const vma_list *m, uintptr_t floor, uintptr_t ceiling, uint64_t size,
                     uintptr_t *base, uintptr_t *hole_lo)
{
    for (size_t i = m->n + 1; i-- > 0;) {
        const vma *below = i > 0 ? &m->v[i - 1] : NULL;
        const vma *above = i < m->n ? &m->v[i] : NULL;
        uintptr_t lo = below ? below->end : 0;
        uintptr_t hi = above ? above->start : UINTPTR_MAX;
        if (lo >= ceiling)
            continue;
        if (hi <= floor)
            break;
        uint64_t ga = guard_above(below), gb = guard_below(above);
        lo = lo > UINTPTR_MAX - ga ? UINTPTR_MAX : lo + ga;
        hi = hi < gb ? 0 : hi - gb;
        if (lo < floor)
            lo = floor;
        if (hi > ceiling)
            hi = ceiling;
        if (place_in(lo, hi, size, base)) {
            *hole_lo = lo;
            return 1;
        }
    }
    return 0;
}

/* One size: 1 placed, 0 nothing fits, -1 hard error (maps unreadable). */
static int try_size(uintptr_t floor, uintptr_t limit, uint64_t size, uintptr_t *out)
{
    uintptr_t ceiling = limit;
    int races = 0;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        vma_list m;
        if (read_maps(&m) != 0) {
            CLSVM_LOG_ONCE(CLSVM_LOG_ERROR,
                           "reserve: cannot read /proc/self/maps (%s); no window can be placed. "
                           "Is /proc mounted?",
                           strerror(errno));
            return -1;
        }
        uintptr_t base, hole_lo;
        int found = find_hole(&m, floor, ceiling, size, &base, &hole_lo);
        free(m.v);
        if (!found)
            return 0;
        void *p = mmap((void *)base, size, PROT_NONE, map_flags | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == (void *)base) {
            *out = base;
            return 1;
        }
        int err = errno;
        if (p != MAP_FAILED) {
            /* Old kernel (flag ignored) or an interposer moved it: not where we need it. */
            munmap(p, size);
            clsvm_log(CLSVM_LOG_DEBUG, "reserve: hint %#lx moved to %p; skipping that hole",
                      (unsigned long)base, p);
            ceiling = hole_lo;
            continue;
        }
        if (err == EEXIST && races++ < MAX_RACES)
            continue; /* someone mapped into the hole meanwhile: look again */
        clsvm_log(CLSVM_LOG_DEBUG, "reserve: mmap %#lx + %#lx failed: %s", (unsigned long)base,
                  (unsigned long)size, strerror(err));
        if (err == ENOMEM)
            return 0; /* address-space limit or map count: a smaller size may still work */
        ceiling = hole_lo;
    }
    return 0;
}

int provider_halving(const provider_request *req, uint64_t max, provider_try_fn *try_size,
                     void *ctx, provider_region *out)
{
    for (uint64_t size = align_down(req->size, CLSVM_COMMIT_CHUNK); size >= provider_min_size(req);
         size = align_down(size / 2, CLSVM_COMMIT_CHUNK)) {
        if (size > max)
            continue;
        uintptr_t base = 0;
        int got = try_size(ctx, size, &base);
        if (got < 0)
            return got;
        if (got > 0) {
            out->base = base;
            out->size = size;
            return 1;
        }
    }
    return 0;
}

typedef struct reserve_bounds {
    uintptr_t floor, limit;
} reserve_bounds;

static int reserve_try(void *ctx, uint64_t size, uintptr_t *base)
{
    const reserve_bounds *b = ctx;
    return try_size(b->floor, b->limit, size, base);
}

static int reserve_map(const provider_request *req, provider_region *out)
{
    reserve_bounds b;
    provider_reserve_bounds(req->va_bits, &b.floor, &b.limit);
    if (provider_halving(req, UINT64_MAX, reserve_try, &b, out) <= 0)
        return CLSVM_ERR_RESERVE;
    out->state = NULL;
    return CLSVM_OK;
}

static int reserve_commit(provider_region *r, uintptr_t addr, size_t len)
{
    (void)r;
    if (mprotect((void *)addr, len, PROT_READ | PROT_WRITE) == 0)
        return CLSVM_OK;
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                   "reserve: cannot commit %zu bytes at %#lx: %s (memory or vm.max_map_count "
                   "exhausted?)",
                   len, (unsigned long)addr, strerror(errno));
    return CLSVM_ERR_COMMIT;
}

/* Mapping fresh PROT_NONE pages over the range drops the old ones and keeps the reservation;
 * if the kernel refuses (VMA limit), MADV_DONTNEED still returns the pages. */
static int reserve_decommit(provider_region *r, uintptr_t addr, size_t len)
{
    (void)r;
    void *p = mmap((void *)addr, len, PROT_NONE, map_flags | MAP_FIXED, -1, 0);
    if (p == (void *)addr)
        return CLSVM_OK;
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                   "reserve: cannot decommit %zu bytes at %#lx: %s; using MADV_DONTNEED (the "
                   "pages stay accessible)",
                   len, (unsigned long)addr, strerror(errno));
    return madvise((void *)addr, len, MADV_DONTNEED) == 0 ? CLSVM_OK : CLSVM_ERR_COMMIT;
}

/* MADV_DONTNEED rather than MADV_FREE: the pages leave RSS at once (MADV_FREE only under
 * memory pressure), so the retention bound is what the process's RSS shows. Freed SVM memory
 * has undefined contents when reused, so reading zeros afterwards is allowed. */
static int reserve_purge(provider_region *r, uintptr_t addr, size_t len)
{
    (void)r;
    if (madvise((void *)addr, len, MADV_DONTNEED) == 0)
        return CLSVM_OK;
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN, "reserve: cannot return %zu free bytes at %#lx: %s", len,
                   (unsigned long)addr, strerror(errno));
    return CLSVM_ERR_COMMIT;
}

static void reserve_release(provider_region *r)
{
    if (r->size)
        munmap((void *)r->base, r->size);
    r->base = 0;
    r->size = 0;
}

const provider provider_reserve = {
    .name = "reserve",
    .map = reserve_map,
    .commit = reserve_commit,
    .decommit = reserve_decommit,
    .release = reserve_release,
    .purge = reserve_purge,
};
