/*
 * provider: where a window's address space comes from. A provider maps (reserves) one range
 * that lies entirely below 2^va_bits, makes sub-ranges of it readable/writable on demand
 * (commit), returns their pages to the OS (decommit) and finally unmaps it (release).
 *
 * Two providers: "reserve" (anonymous PROT_NONE reservation found by reading /proc/self/maps;
 * window_reserve.c) and "devsvm" (mmap of the /dev/svm device file, whose driver places the
 * mapping inside the device's range; window_devsvm.c, contract in docs/dev-svm.md).
 * Providers are stateless tables; per-window state lives in provider_region.
 */
#ifndef CLSVM_PROVIDER_H
#define CLSVM_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

/* Commit granularity (bytes): every commit/decommit covers whole 2 MiB chunks. */
#define CLSVM_COMMIT_CHUNK ((uint64_t)2 << 20)

/*
 * Why a map failed, for providers that may be unavailable (devsvm): instead of logging, the
 * provider describes the problem here and the caller decides between falling back (auto)
 * and failing (forced), so the user sees exactly one line either way.
 */
typedef struct provider_failure {
    int level;     /* CLSVM_LOG_INFO when unavailability is normal (no device), else WARN */
    char why[320]; /* "" when the provider logged nothing and has nothing to add */
} provider_failure;

typedef struct provider_request {
    unsigned va_bits;          /* every mapped byte must lie below 2^va_bits */
    uint64_t size;             /* wanted size, a multiple of CLSVM_COMMIT_CHUNK */
    uint64_t min_size;         /* halve down to this size (a multiple of the chunk) */
    const char *device;        /* devsvm: device file (NULL: SVM_DEVICE_PATH) */
    provider_failure *failure; /* devsvm: filled on failure; NULL: log it instead */
} provider_request;

typedef struct provider_region {
    uintptr_t base; /* CLSVM_COMMIT_CHUNK-aligned */
    uint64_t size;  /* a multiple of CLSVM_COMMIT_CHUNK */
    void *state;    /* provider-private (e.g. a file descriptor for devsvm) */
} provider_region;

typedef struct provider {
    const char *name;
    /* Map a region as req asks; CLSVM_OK or CLSVM_ERR_RESERVE/CLSVM_ERR_INVALID. */
    int (*map)(const provider_request *req, provider_region *out);
    /* Make [addr, addr + len) readable and writable; CLSVM_OK or CLSVM_ERR_COMMIT. */
    int (*commit)(provider_region *r, uintptr_t addr, size_t len);
    /* Return the pages of [addr, addr + len) to the OS, keep the range mapped, no access. */
    int (*decommit)(provider_region *r, uintptr_t addr, size_t len);
    /* Unmap the whole region. */
    void (*release)(provider_region *r);
    /* In a forked child, from its fork handler (one thread, async-signal-safe calls only):
     * 0 when the child inherited the mapping (a private copy), 1 when it did not; the provider
     * then drops what belongs to the parent, and release() later unmaps nothing. NULL: 0. */
    int (*forked)(provider_region *r);
    /* Return the pages of [addr, addr + len) (page aligned, inside committed chunks) to the OS
     * and keep the range readable and writable: the next touch reads zero. The window purges
     * free pages of chunks that still hold allocations with it (window_purge.c). NULL: the
     * provider cannot, and those pages stay resident until their chunk is decommitted. */
    int (*purge)(provider_region *r, uintptr_t addr, size_t len);
} provider;

/* The reserve provider (window_reserve.c). */
extern const provider provider_reserve;

/* The devsvm provider (window_devsvm.c). */
extern const provider provider_devsvm;

/*
 * Lowest and highest usable address for a window of va_bits (window_reserve.c): floor is
 * max(vm.mmap_min_addr, 2 MiB); limit is min(2^va_bits, end of user space).
 */
void provider_reserve_bounds(unsigned va_bits, uintptr_t *floor, uintptr_t *limit);

/* The smallest size a provider may map for req: req->min_size, at least one chunk. */
static inline uint64_t provider_min_size(const provider_request *req)
{
    return req->min_size < CLSVM_COMMIT_CHUNK ? CLSVM_COMMIT_CHUNK : req->min_size;
}

/* One size tried by a provider: > 0 when it mapped [*base, + size), 0 when that size does not
 * fit (a smaller one may), < 0 an error that ends the search. */
typedef int provider_try_fn(void *ctx, uint64_t size, uintptr_t *base);

/*
 * The search both providers make (window_reserve.c): req->size, then halved (whole chunks) down
 * to provider_min_size(req), skipping sizes above max, until try_size maps one. 1 with
 * out->base and out->size set, 0 when no size fits, or try_size's error.
 */
int provider_halving(const provider_request *req, uint64_t max, provider_try_fn *try_size,
                     void *ctx, provider_region *out);

#endif
