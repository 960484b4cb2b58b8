/*
 * window_devsvm.c: the "devsvm" provider. The window is one mapping of the /dev/svm device
 * file (CLSVM_DEVICE), whose driver places it inside the device's range and mirrors its pages
 * to the device; the contract is runtime/include/clsvm/dev_svm.h and docs/dev-svm.md.
 *
 * map: open the device, SVM_IOC_GET_INFO, refuse an unknown ABI, then mmap one PROT_NONE
 * mapping of the wanted size, halving down to the minimum like the reserve provider (one
 * mapping, not arenas: the heap manages one range, and a driver range is normally far larger
 * than any window). When the driver's range reaches above 2^va_bits, a hint naming a free hole
 * below (read from /proc/self/maps) asks the driver, which honours a free hint inside its
 * range as the kernel does, to stay there. Every mapping is checked: inside [window_min,
 * window_max), below 2^min(va_bits, driver va_bits), 2 MiB aligned; anything else is refused.
 * commit: mprotect(RW); the driver populates pages on first touch.
 * decommit: SVM_IOC_RELEASE (frees the pages and the device mirror) + mprotect(PROT_NONE),
 * the same "no access, no memory, still reserved" state the reserve provider leaves.
 * purge: SVM_IOC_RELEASE alone (free pages of a chunk that stays committed keep RW access).
 * release: munmap + close.
 * forked: a child has no copy of the mapping (the driver sets VM_DONTCOPY, docs/dev-svm.md):
 * the fd is closed there and no later call touches the range, which the child may reuse.
 * Problems while mapping are not logged here but described in req->failure, so window.c can
 * print exactly one line: a fallback notice (auto) or an error (devsvm forced).
 */
#include "provider.h"

#include "clsvm/dev_svm.h"
#include "clsvm/runtime.h"
#include "fault.h"
#include "clsvm/internal/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct devsvm_state {
    int fd;
    int lost;   /* in a forked child: the mapping is the parent's, not here */
    char *path; /* for log lines; a copy, the caller's config may not outlive the window */
    struct svm_info info;
} devsvm_state;

/* Describe a failure for the caller (or log it when nobody asked); always CLSVM_ERR_RESERVE. */
__attribute__((format(printf, 3, 4))) static int fail(const provider_request *req, int level,
                                                      const char *fmt, ...)
{
    char buf[sizeof req->failure->why];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (req->failure) {
        req->failure->level = level;
        memcpy(req->failure->why, buf, sizeof buf);
    } else {
        clsvm_log(level, "devsvm: %s", buf);
    }
    return CLSVM_ERR_RESERVE;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
    return x & ~(a - 1);
}

static uint64_t limit_of(unsigned bits)
{
    return bits >= 64 ? UINT64_MAX : (uint64_t)1 << bits;
}

static int open_device(const provider_request *req, const char *path, int *fd)
{
    *fd = open(path, O_RDWR | O_CLOEXEC);
    if (*fd >= 0)
        return CLSVM_OK;
    int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO)
        return fail(req, CLSVM_LOG_INFO, "no device at %s (%s)", path, strerror(err));
    if (err == EACCES || err == EPERM)
        return fail(req, CLSVM_LOG_WARN,
                    "cannot open %s: %s; give this user read/write access to the device "
                    "(its group or udev rule)",
                    path, strerror(err));
    return fail(req, CLSVM_LOG_WARN, "cannot open %s: %s", path, strerror(err));
}

/* ioctl with the fault-injection hook in front (CLSVM_FAULT=ioctl:N). */
static int devsvm_ioctl(int fd, unsigned long request, void *arg)
{
    if (clsvm_fault_hit(CLSVM_FAULT_IOCTL)) {
        errno = EIO;
        return -1;
    }
    return ioctl(fd, request, arg);
}

/* Query and sanity-check the driver; CLSVM_OK or a described failure. */
static int query_info(const provider_request *req, devsvm_state *st)
{
    memset(&st->info, 0, sizeof st->info);
    if (devsvm_ioctl(st->fd, SVM_IOC_GET_INFO, &st->info) != 0)
        return fail(req, CLSVM_LOG_WARN,
                    "SVM_IOC_GET_INFO on %s failed: %s; is it a /dev/svm device and is its "
                    "driver loaded?",
                    st->path, strerror(errno));
    const struct svm_info *in = &st->info;
    if (in->abi_version != SVM_ABI_VERSION)
        return fail(req, CLSVM_LOG_WARN,
                    "%s speaks ABI version %u, this clsvm knows %u; update clsvm or the driver",
                    st->path, in->abi_version, SVM_ABI_VERSION);
    long page = sysconf(_SC_PAGESIZE);
    if (in->va_bits < 12 || in->va_bits > 64 || in->window_min >= in->window_max ||
        in->window_max > limit_of(in->va_bits) || (long)in->page_size != page ||
        in->window_min % in->page_size || in->window_max % in->page_size)
        return fail(req, CLSVM_LOG_WARN,
                    "%s reports an inconsistent range [%#llx, %#llx), va_bits %u, page size %u "
                    "(host page %ld); driver bug",
                    st->path, (unsigned long long)in->window_min,
                    (unsigned long long)in->window_max, in->va_bits, in->page_size, page);
    return CLSVM_OK;
}

/*
 * Highest 2 MiB aligned base for size bytes in a hole of /proc/self/maps inside [lo, hi), or
 * 0. Only needed when the driver's range reaches above 2^va_bits: the hint must then name
 * free space, or the driver (rightly) places the mapping elsewhere in its range.
 */
static uintptr_t free_hint(uint64_t lo, uint64_t hi, uint64_t size)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return 0;
    uintptr_t best = 0;
    uint64_t gap_lo = 0;
    char line[512];
    for (;;) {
        unsigned long s = 0, e = 0;
        int more = fgets(line, sizeof line, f) != NULL;
        if (more && sscanf(line, "%lx-%lx", &s, &e) != 2)
            continue; /* a long path's continuation; cannot start with an address range */
        uint64_t gap_hi = more ? s : UINT64_MAX;
        uint64_t a = gap_lo > lo ? gap_lo : lo, b = gap_hi < hi ? gap_hi : hi;
        if (b > a && b - a >= size && align_down(b - size, SVM_LARGE_ALIGN) >= a)
            best = align_down(b - size, SVM_LARGE_ALIGN); /* later holes are higher */
        if (!more || gap_hi >= hi)
            break;
        if (e > gap_lo)
            gap_lo = e;
    }
    fclose(f);
    return best;
}

#define MAX_RACES 8 /* hint searches per size when another thread maps into the hole */

/*
 * One size: 1 mapped at *out, 0 no room (try smaller), or a described failure (< 0).
 * [lo, hi) is the usable part of the driver range, both 2 MiB aligned.
 */
static int try_size(const provider_request *req, devsvm_state *st, uint64_t lo, uint64_t hi,
                    uint64_t size, uintptr_t *out)
{
    const struct svm_info *in = &st->info;
    /* Whole driver range usable: let the driver choose; else hint at a hole in [lo, hi). */
    int narrow = in->window_max > hi || in->window_min < lo;
    for (int attempt = 0; attempt <= MAX_RACES; attempt++) {
        void *hint = NULL;
        if (narrow && !(hint = (void *)free_hint(lo, hi, size)))
            return 0;
        void *p = mmap(hint, size, PROT_NONE, MAP_SHARED, st->fd, 0);
        if (p == MAP_FAILED) {
            if (errno == ENOMEM)
                return 0;
            return fail(req, CLSVM_LOG_WARN, "mmap of %llu MiB from %s failed: %s",
                        (unsigned long long)(size >> 20), st->path, strerror(errno));
        }
        uintptr_t a = (uintptr_t)p;
        if (a < in->window_min || a > in->window_max || in->window_max - a < size) {
            munmap(p, size);
            return fail(req, CLSVM_LOG_WARN,
                        "the driver of %s placed a mapping at [%#lx, %#lx), outside its range "
                        "[%#llx, %#llx); refusing a broken driver",
                        st->path, (unsigned long)a, (unsigned long)(a + size),
                        (unsigned long long)in->window_min, (unsigned long long)in->window_max);
        }
        if (a % SVM_LARGE_ALIGN) {
            munmap(p, size);
            return fail(req, CLSVM_LOG_WARN,
                        "the driver of %s placed a %llu MiB mapping at %#lx, not 2 MiB aligned; "
                        "refusing a broken driver",
                        st->path, (unsigned long long)(size >> 20), (unsigned long)a);
        }
        if (a >= lo && a <= hi && hi - a >= size) {
            *out = a;
            return 1;
        }
        /* Inside the driver's range but not below our va_bits: another thread took the
         * hole between our look at the maps and the mmap. Look again. */
        munmap(p, size);
        clsvm_log(CLSVM_LOG_DEBUG, "devsvm: %llu MiB placed at %#lx, outside [%#lx, %#lx)",
                  (unsigned long long)(size >> 20), (unsigned long)a, (unsigned long)lo,
                  (unsigned long)hi);
        if (!narrow)
            return 0;
    }
    return 0;
}

typedef struct devsvm_try {
    const provider_request *req;
    devsvm_state *st;
    uint64_t lo, hi;
} devsvm_try;

static int devsvm_try_size(void *ctx, uint64_t size, uintptr_t *base)
{
    const devsvm_try *t = ctx;
    return try_size(t->req, t->st, t->lo, t->hi, size, base);
}

static int devsvm_map(const provider_request *req, provider_region *out)
{
    devsvm_state *st = calloc(1, sizeof *st);
    if (!st)
        return fail(req, CLSVM_LOG_WARN, "out of host memory");
    st->path = strdup(req->device && *req->device ? req->device : SVM_DEVICE_PATH);
    if (!st->path) {
        free(st);
        return fail(req, CLSVM_LOG_WARN, "out of host memory");
    }
    int rc = open_device(req, st->path, &st->fd);
    if (rc) {
        free(st->path);
        free(st);
        return rc;
    }
    rc = query_info(req, st);
    if (rc)
        goto fail;

    uint64_t lim = limit_of(req->va_bits);
    if (limit_of(st->info.va_bits) < lim)
        lim = limit_of(st->info.va_bits);
    if (st->info.window_max < lim)
        lim = st->info.window_max;
    uint64_t lo = align_up(st->info.window_min, SVM_LARGE_ALIGN);
    uint64_t hi = align_down(lim, SVM_LARGE_ALIGN);
    uint64_t min = provider_min_size(req);
    if (hi <= lo || hi - lo < min) {
        rc = fail(req, CLSVM_LOG_WARN,
                  "the range of %s, [%#llx, %#llx), has no %llu MiB below 2^%u; raise "
                  "CLSVM_VA_BITS or lower CLSVM_WINDOW_SIZE",
                  st->path, (unsigned long long)st->info.window_min,
                  (unsigned long long)st->info.window_max, (unsigned long long)(min >> 20),
                  req->va_bits < st->info.va_bits ? req->va_bits : st->info.va_bits);
        goto fail;
    }
    devsvm_try t = {req, st, lo, hi};
    rc = provider_halving(req, hi - lo, devsvm_try_size, &t, out);
    if (rc > 0) {
        out->state = st;
        return CLSVM_OK;
    }
    if (rc < 0)
        goto fail;
    rc = fail(req, CLSVM_LOG_WARN,
              "no mapping of at least %llu MiB fits in [%#llx, %#llx) of %s; lower "
              "CLSVM_WINDOW_SIZE or unmap what occupies the range",
              (unsigned long long)(min >> 20), (unsigned long long)lo, (unsigned long long)hi,
              st->path);
fail:
    close(st->fd);
    free(st->path);
    free(st);
    return rc;
}

static int devsvm_commit(provider_region *r, uintptr_t addr, size_t len)
{
    if (((devsvm_state *)r->state)->lost)
        return CLSVM_ERR_COMMIT;
    if (mprotect((void *)addr, len, PROT_READ | PROT_WRITE) == 0)
        return CLSVM_OK;
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                   "devsvm: cannot commit %zu bytes at %#lx: %s (vm.max_map_count exhausted, "
                   "or the driver refuses write access?)",
                   len, (unsigned long)addr, strerror(errno));
    return CLSVM_ERR_COMMIT;
}

static int devsvm_decommit(provider_region *r, uintptr_t addr, size_t len)
{
    devsvm_state *st = r->state;
    struct svm_range range = {addr, len, 0};
    int rc = CLSVM_OK;
    if (st->lost)
        return CLSVM_ERR_COMMIT;
    if (devsvm_ioctl(st->fd, SVM_IOC_RELEASE, &range) != 0) {
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "devsvm: SVM_IOC_RELEASE of %zu bytes at %#lx on %s failed: %s; trying "
                       "MADV_DONTNEED (pages may stay allocated)",
                       len, (unsigned long)addr, st->path, strerror(errno));
        if (madvise((void *)addr, len, MADV_DONTNEED) != 0)
            rc = CLSVM_ERR_COMMIT;
    }
    /* No access while decommitted: a stale pointer faults instead of re-populating pages. */
    if (mprotect((void *)addr, len, PROT_NONE) != 0)
        CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                       "devsvm: cannot revoke access to %zu bytes at %#lx: %s (memory is "
                       "returned but stays accessible)",
                       len, (unsigned long)addr, strerror(errno));
    return rc;
}

/* Free pages of a chunk that stays committed: SVM_IOC_RELEASE alone. The contract keeps the
 * range mapped with its protection and reads zero on the next touch (docs/dev-svm.md, section
 * 4), so the pages stay usable without an mprotect; MADV_DONTNEED only as the same fallback as
 * decommit. */
static int devsvm_purge(provider_region *r, uintptr_t addr, size_t len)
{
    devsvm_state *st = r->state;
    struct svm_range range = {addr, len, 0};
    if (st->lost)
        return CLSVM_ERR_COMMIT;
    if (devsvm_ioctl(st->fd, SVM_IOC_RELEASE, &range) == 0)
        return CLSVM_OK;
    CLSVM_LOG_ONCE(CLSVM_LOG_WARN,
                   "devsvm: SVM_IOC_RELEASE of %zu free bytes at %#lx on %s failed: %s; trying "
                   "MADV_DONTNEED (pages may stay allocated)",
                   len, (unsigned long)addr, st->path, strerror(errno));
    return madvise((void *)addr, len, MADV_DONTNEED) == 0 ? CLSVM_OK : CLSVM_ERR_COMMIT;
}

static void devsvm_release(provider_region *r)
{
    devsvm_state *st = r->state;
    if (r->size && !(st && st->lost))
        munmap((void *)r->base, r->size);
    if (st) {
        if (st->fd >= 0)
            close(st->fd);
        free(st->path);
        free(st);
    }
    r->base = 0;
    r->size = 0;
    r->state = NULL;
}

static int devsvm_forked(provider_region *r)
{
    devsvm_state *st = r->state;
    if (st->fd >= 0)
        close(st->fd); /* the parent's device file: its ioctls would act on the parent */
    st->fd = -1;
    st->lost = 1;
    return 1;
}

const provider provider_devsvm = {
    .name = "devsvm",
    .map = devsvm_map,
    .commit = devsvm_commit,
    .decommit = devsvm_decommit,
    .release = devsvm_release,
    .forked = devsvm_forked,
    .purge = devsvm_purge,
};
